"""Temporal sorting: which order were these shuffled frames in?

Lee, Huang, Singh & Yang, "Unsupervised Representation Learning by Sorting
Sequences" (ICCV 2017, arXiv:1708.01246): take four frames of a clip in
time order, shuffle them, and ask which of the permutations shuffled them.
A forward order and its reverse are one class (a clip played backwards is
just as plausible a motion), so four frames give 4! / 2 = 12 classes. The
paper's Order Prediction Network compares the frames' features pair by pair;
here a set head concatenates them in the shuffled order, as the other video
tasks of 05 do.
"""

from __future__ import annotations

import math

import torch

from coursework.pretext.permutations import all_permutations
from coursework.pretext.video import gather_frames, random_clips


def sorting_classes(n: int = 4) -> torch.Tensor:
    """The n! / 2 class representatives: permutations with first < last, (n!/2, n).

    Each permutation or its reverse (never both) has its first entry smaller
    than its last; the representatives are in lexicographic order, and class
    ``k`` is row ``k``.
    """
    if n < 2:
        raise ValueError(f"sorting needs at least 2 frames, got {n}")
    perms = all_permutations(n)
    return perms[perms[:, 0] < perms[:, -1]]


def sorting_class(order: torch.Tensor) -> torch.Tensor:
    """The class of each permutation (B, n) long: a permutation and its reverse
    share one, in [0, n!/2), the row of :func:`sorting_classes` that matches the
    permutation or its reverse. Returns (B,) long on order's device."""
    n = order.shape[1]
    canonical = torch.where(order[:, :1] < order[:, -1:], order, order.flip(1))
    table = sorting_classes(n).to(order.device)  # (n!/2, n)
    return (canonical[:, None, :] == table[None]).all(-1).long().argmax(1)


def sorting_batch(
    videos: torch.Tensor, frames: int = 4, stride: int = 1
) -> tuple[torch.Tensor, torch.Tensor]:
    """Shuffled frames of one clip per video and the class of their order.

    Frame ``i`` of a returned clip is frame ``order[b, i]`` of the clip in
    time order, with ``order`` a uniformly random permutation.

    Returns:
        ``(clips, labels)``: (B, frames, C, H, W) floats in [0, 1] and (B,)
        long in [0, frames! / 2).
    """
    b, dev = videos.shape[0], videos.device
    idx = random_clips(videos, frames, stride)  # (B, T) increasing
    order = torch.rand(b, frames, device=dev).argsort(1)  # (B, T) permutations
    return gather_frames(videos, idx.gather(1, order)), sorting_class(order)


def n_sorting_classes(frames: int) -> int:
    """``frames! / 2``: the classes of the sorting task."""
    return math.factorial(frames) // 2

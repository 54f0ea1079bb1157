"""Video pretext tasks: the order of frames is a free label.

- Shuffle & learn (Misra, Zitnick & Hebert, "Shuffle and Learn: Unsupervised
  Learning using Temporal Order Verification", ECCV 2016, arXiv:1603.08561):
  is a triplet of frames in temporal order (forwards or backwards)?
- Odd-one-out (Fernando et al., "Self-Supervised Video Representation
  Learning With Odd-One-Out Networks", CVPR 2017, arXiv:1611.06646): of
  several clips of a video, which one has its frames shuffled?
- Arrow of time (Wei et al., "Learning and Using the Arrow of Time", CVPR
  2018): is this clip played forwards or backwards?

Videos are uint8 (B, L, C, H, W); every function returns float frames in
[0, 1] shaped (B, N, C, H, W) for a ``set`` head, and long labels.
"""

from __future__ import annotations

import torch


def gather_frames(videos: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """Frames ``index`` (B, N) of each video, as floats in [0, 1]: (B, N, C, H, W)."""
    b = torch.arange(videos.shape[0], device=videos.device)[:, None]
    out = videos[b, index]
    return out.float() / 255 if out.dtype == torch.uint8 else out


def spaced_frames(videos: torch.Tensor, n: int) -> torch.Tensor:
    """``n`` evenly spaced frames of every video, (B, n, C, H, W): the probe's input."""
    length = videos.shape[1]
    idx = torch.linspace(0, length - 1, n, device=videos.device).round().long()
    return gather_frames(videos, idx.expand(videos.shape[0], n))


def reverse_clips(clips: torch.Tensor, reverse: torch.Tensor) -> torch.Tensor:
    """Play the clips with ``reverse[b]`` True backwards: (B, T, ...) -> (B, T, ...)."""
    mask = reverse.to(clips.device).view(-1, *([1] * (clips.dim() - 1)))
    return torch.where(mask, clips.flip(1), clips)


def random_clips(videos: torch.Tensor, frames: int, stride: int) -> torch.Tensor:
    """One clip per video at a random start: frame indices (B, frames)."""
    b, length = videos.shape[:2]
    span = (frames - 1) * stride + 1
    if span > length:
        raise ValueError(
            f"a clip of {frames} frames at stride {stride} needs {span} "
            f"frames; the videos have {length}"
        )
    start = torch.randint(0, length - span + 1, (b, 1), device=videos.device)
    return start + stride * torch.arange(frames, device=videos.device)


def arrow_of_time_batch(
    videos: torch.Tensor, frames: int, stride: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Clips played forwards (label 0) or backwards (label 1), half each on average."""
    clips = gather_frames(videos, random_clips(videos, frames, stride))
    labels = torch.randint(0, 2, (videos.shape[0],), device=videos.device)
    return reverse_clips(clips, labels.bool()), labels


def shuffle_learn_batch(
    videos: torch.Tensor, stride: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Frame triplets, in order (label 1) or with the middle frame out of order (0).

    From 3 frames a < b < c of a clip, a positive is (a, b, c) or (c, b, a)
    (order is verified in both directions, as in the paper); a negative puts
    the middle frame outside: (b, a, c) or (a, c, b).
    """
    idx = random_clips(videos, 3, stride)  # (B, 3) increasing
    b = idx.shape[0]
    orders = torch.tensor(
        [[0, 1, 2], [2, 1, 0], [1, 0, 2], [0, 2, 1]], device=videos.device
    )
    kind = torch.randint(0, 4, (b,), device=videos.device)
    idx = idx.gather(1, orders[kind])
    return gather_frames(videos, idx), (kind < 2).long()


def odd_one_out_batch(
    videos: torch.Tensor, n_clips: int, frames: int, stride: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """``n_clips`` clips per video, one with its frames shuffled; label = its index.

    Returns:
        ``(clips, labels)``: (B, n_clips * frames, C, H, W), clip after clip,
        and (B,) long in [0, n_clips).
    """
    b, dev = videos.shape[0], videos.device
    idx = torch.stack(
        [random_clips(videos, frames, stride) for _ in range(n_clips)], 1
    )  # (B, n_clips, frames)
    odd = torch.randint(0, n_clips, (b,), device=dev)
    # a random order of the frames that is never the identity
    shuffled = torch.argsort(torch.rand(b, frames, device=dev), dim=1)  # (B, T)
    same = (shuffled == torch.arange(frames, device=dev)).all(1, keepdim=True)
    shuffled = torch.where(same, shuffled.roll(1, 1), shuffled)
    rows = torch.arange(b, device=dev)
    idx[rows, odd] = idx[rows, odd].gather(1, shuffled)
    return gather_frames(videos, idx.flatten(1)), odd

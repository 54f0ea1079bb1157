"""Temporal sorting and slow-and-steady features, against slow loops."""

from __future__ import annotations

import itertools

import pytest
import torch

from coursework.pretext.heads import SetEmbedding
from coursework.pretext.slowness import (
    second_difference,
    slow_steady_loss,
    slowness_batch,
)
from coursework.pretext.sorting import (
    n_sorting_classes,
    sorting_batch,
    sorting_class,
    sorting_classes,
)


def _numbered_videos(b: int, length: int) -> torch.Tensor:
    """uint8 videos (B, L, 1, 1, 1) whose frame t of video v holds 16 v + t."""
    t = torch.arange(length).view(1, length) + 16 * torch.arange(b).view(b, 1)
    return t.to(torch.uint8).view(b, length, 1, 1, 1)


def _values(frames: torch.Tensor) -> torch.Tensor:
    return (frames.flatten(2)[..., 0] * 255).round().long()  # (B, N)


def _class_loop(n: int) -> dict[tuple[int, ...], int]:
    """Every permutation's class, by the definition: the lexicographic rank of
    the one of (p, reversed p) whose first entry is smaller than its last."""
    reps = sorted(p for p in itertools.permutations(range(n)) if p[0] < p[-1])
    table = {}
    for p in itertools.permutations(range(n)):
        rep = p if p[0] < p[-1] else tuple(reversed(p))
        table[p] = reps.index(rep)
    return table


@pytest.mark.parametrize("n", [2, 3, 4, 5])
def test_sorting_class_matches_a_loop(n) -> None:
    table = _class_loop(n)
    perms = torch.tensor(list(table))
    assert sorting_class(perms).tolist() == list(table.values())
    assert sorting_classes(n).shape == (n_sorting_classes(n), n)
    counts = torch.bincount(sorting_class(perms), minlength=n_sorting_classes(n))
    assert (counts == 2).all()  # each class: one order and its reverse
    assert torch.equal(sorting_class(perms), sorting_class(perms.flip(1)))


def test_four_frames_make_twelve_classes() -> None:
    assert n_sorting_classes(4) == 12 == len(sorting_classes(4))
    with pytest.raises(ValueError, match="at least 2"):
        sorting_classes(1)


def test_sorting_batch_labels_agree_with_the_frames() -> None:
    torch.manual_seed(0)
    videos = _numbered_videos(12, 12)
    clips, labels = sorting_batch(videos, frames=4, stride=2)
    assert clips.shape == (12, 4, 1, 1, 1) and clips.dtype == torch.float32
    t = _values(clips) % 16  # frame times, in the shuffled order
    assert (_values(clips) // 16 == torch.arange(12)[:, None]).all()  # own video
    order = t.argsort(1).argsort(1)  # rank of each shown frame in time
    assert torch.equal(labels, sorting_class(order))
    sorted_t = t.sort(1).values
    assert (sorted_t[:, 1:] - sorted_t[:, :-1] == 2).all()


def _slow_steady_loop(z, z_neg, margin, steady):
    total = 0.0
    for i in range(z.shape[0]):
        a, b, c = z[i]
        na, nb, nc = z_neg[i]
        slow = ((b - a) ** 2).sum()
        slow = slow + max(0.0, margin - ((nb - na) ** 2).sum().sqrt()) ** 2
        std = ((c - b - (b - a)) ** 2).sum()
        std = std + max(0.0, margin - ((nc - nb - (nb - na)) ** 2).sum().sqrt()) ** 2
        total = total + slow + steady * std
    return total / z.shape[0]


def test_slow_steady_loss_matches_a_loop_in_value_and_gradient() -> None:
    g = torch.Generator().manual_seed(0)
    z = torch.randn(5, 3, 4, generator=g, dtype=torch.float64) * 0.3
    z_neg = torch.randn(5, 3, 4, generator=g, dtype=torch.float64) * 0.3
    z.requires_grad_(True)
    z_neg.requires_grad_(True)
    loss = slow_steady_loss(z, z_neg, margin=1.0, steady=0.5)
    ref = _slow_steady_loop(z, z_neg, 1.0, 0.5)
    assert torch.allclose(loss, ref)
    grads = torch.autograd.grad(loss, (z, z_neg))
    grads_ref = torch.autograd.grad(ref, (z, z_neg))
    for got, want in zip(grads, grads_ref):
        assert torch.allclose(got, want)


def test_slow_steady_loss_is_zero_for_a_line_and_far_negatives() -> None:
    z = torch.zeros(2, 3, 2)  # a still sequence: no change, no change of change
    z_neg = torch.tensor([[[0.0, 0.0], [3.0, 0.0], [0.0, 0.0]]]).repeat(2, 1, 1)
    assert float(slow_steady_loss(z, z_neg, margin=1.0)) == 0.0
    line = torch.tensor([[[0.0, 0.0], [0.1, 0.0], [0.2, 0.0]]])
    assert torch.allclose(second_difference(line), torch.zeros(1, 2), atol=1e-7)


def test_slowness_batch_and_embedding() -> None:
    torch.manual_seed(1)
    frames = slowness_batch(_numbered_videos(6, 10), stride=3)
    assert frames.shape == (6, 6, 1, 1, 1)
    v = _values(frames)
    assert (v[:, :3] // 16 == torch.arange(6)[:, None]).all()
    assert (v[:, 1:3] - v[:, 0:2] == 3).all()  # the sequence, in order
    emb = SetEmbedding(8, 4)(torch.randn(3, 6, 8))
    assert emb.shape == (3, 6, 4)
    assert torch.allclose(emb.norm(dim=-1), torch.ones(3, 6))

"""Temporal IoU and NMS against slow loops; windows, labels and detection."""

from __future__ import annotations

import torch
from torch import nn

from coursework.video.localization import (
    detect,
    sliding_windows,
    temporal_iou,
    temporal_nms,
    window_clips,
    window_labels,
)


def _segments(n: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    s = torch.rand(n, 1, generator=g, dtype=torch.float64) * 30
    return torch.cat(
        [s, s + 1 + torch.rand(n, 1, generator=g, dtype=torch.float64) * 10], 1
    )


def _slow_iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Pair by pair, with tensor ops so gradients flow."""
    rows = []
    for i in range(len(a)):
        row = []
        for j in range(len(b)):
            inter = torch.clamp(
                torch.minimum(a[i, 1], b[j, 1]) - torch.maximum(a[i, 0], b[j, 0]), min=0
            )
            union = (a[i, 1] - a[i, 0]) + (b[j, 1] - b[j, 0]) - inter
            row.append(inter / union)
        rows.append(torch.stack(row))
    return torch.stack(rows)


def _slow_nms(seg: torch.Tensor, score: torch.Tensor, thr: float) -> list[int]:
    left = sorted(range(len(score)), key=lambda i: -float(score[i]))
    keep = []
    while left:
        best = left.pop(0)
        keep.append(best)
        left = [i for i in left if _slow_iou(seg[[best]], seg[[i]])[0, 0] <= thr]
    return keep


def test_iou_matches_loop_in_values_and_gradients():
    a = _segments(6, 0).requires_grad_(True)
    b = _segments(5, 1).requires_grad_(True)
    a2 = a.detach().clone().requires_grad_(True)
    b2 = b.detach().clone().requires_grad_(True)
    fast, slow = temporal_iou(a, b), _slow_iou(a2, b2)
    assert torch.allclose(fast, slow)
    w = torch.linspace(0.5, 1.5, 30, dtype=torch.float64).view(6, 5)
    (fast * w).sum().backward()
    (slow * w).sum().backward()
    assert torch.allclose(a.grad, a2.grad) and torch.allclose(b.grad, b2.grad)


def test_iou_known_values():
    a = torch.tensor([[0.0, 10.0]])
    b = torch.tensor([[0.0, 10.0], [5.0, 15.0], [10.0, 20.0], [2.0, 4.0]])
    assert torch.allclose(temporal_iou(a, b), torch.tensor([[1.0, 5 / 15, 0.0, 0.2]]))


def test_nms_matches_loop():
    for seed, thr in [(0, 0.5), (1, 0.3), (2, 0.0), (3, 0.9)]:
        seg = _segments(25, seed)
        score = torch.rand(25, generator=torch.Generator().manual_seed(seed + 10))
        assert temporal_nms(seg, score.double(), thr).tolist() == _slow_nms(
            seg, score, thr
        )


def test_nms_keeps_one_of_duplicates():
    seg = torch.tensor([[0.0, 10.0], [0.0, 10.0], [20.0, 30.0]])
    keep = temporal_nms(seg, torch.tensor([0.5, 0.9, 0.1]), 0.5)
    assert keep.tolist() == [1, 2] and keep.dtype == torch.long


def test_windows_and_clip_sampling():
    w = sliding_windows(20, [8, 12], 4)
    assert w.tolist()[:3] == [[0, 8], [4, 12], [8, 16]] and w[-1].tolist() == [8, 20]
    videos = torch.arange(20).view(1, 20, 1, 1, 1).expand(2, 20, 1, 1, 1)
    clips = window_clips(videos, torch.tensor([[4, 12]]), 4)
    assert clips.shape == (2, 1, 4, 1, 1, 1)
    assert clips[0, 0, :, 0, 0, 0].tolist() == [5, 7, 9, 11]


def test_window_labels():
    windows = torch.tensor([[0, 10], [10, 20], [30, 40]])
    segments = torch.tensor([[[0, 10, 3], [12, 20, 1], [-1, -1, -1]]])
    assert window_labels(windows, segments, background=8).tolist() == [[3, 1, 8]]


class _Oracle(nn.Module):
    """Class 0 where frames are bright, background (1) elsewhere."""

    def forward(self, clips: torch.Tensor) -> torch.Tensor:
        bright = clips.mean(dim=(1, 2, 3, 4))
        return torch.stack([10 * bright, 10 * (1 - bright)], -1)


def test_detect_finds_a_bright_segment():
    videos = torch.zeros(1, 40, 1, 2, 2, dtype=torch.uint8)
    videos[:, 10:20] = 255
    windows = sliding_windows(40, [10], 2)
    det = detect(_Oracle(), videos, windows, 4, background=1, iou_threshold=0.3)
    best = det[0][det[0][:, 3].argmax()]
    assert best[:3].tolist() == [10.0, 20.0, 0.0]

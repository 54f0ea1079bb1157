"""Temporal action localisation on long untrimmed videos.

Chao et al., "Rethinking the Faster R-CNN Architecture for Temporal Action
Localization" (CVPR 2018, arXiv:1804.07667): propose temporal segments,
classify each (with a background class), and remove duplicates with
non-maximum suppression. Here the proposals are multi-scale sliding windows
(as in Shou et al., "Temporal Action Localization in Untrimmed Videos via
Multi-stage CNNs", CVPR 2016), each classified by a clip model on T frames
sampled uniformly from the window.

Temporal IoU of segments [s1, e1) and [s2, e2):

    tIoU = max(0, min(e1, e2) - max(s1, s2)) / (max(e1, e2) - min(s1, s2))
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import nn

from coursework.video.clips import to_float

IoUFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
NMSFn = Callable[[torch.Tensor, torch.Tensor, float], torch.Tensor]


def temporal_iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Pairwise temporal IoU of segments ``a`` (N, 2) and ``b`` (M, 2) -> (N, M).

    Segments are (start, end) with end > start; disjoint segments give 0.
    """
    s1, e1 = a[:, 0:1], a[:, 1:2]  # (N, 1)
    s2, e2 = b[:, 0].view(1, -1), b[:, 1].view(1, -1)  # (1, M)
    inter = (torch.minimum(e1, e2) - torch.maximum(s1, s2)).clamp(min=0)
    union = (e1 - s1) + (e2 - s2) - inter
    return inter / union


def temporal_nms(
    segments: torch.Tensor, scores: torch.Tensor, iou_threshold: float
) -> torch.Tensor:
    """Greedy non-maximum suppression of segments (N, 2) with scores (N,).

    Repeatedly keep the highest-scoring remaining segment and drop every
    segment whose tIoU with it exceeds ``iou_threshold``.

    Returns:
        Indices of the kept segments (long), in decreasing score order.
    """
    order = scores.argsort(descending=True, stable=True)
    overlap = temporal_iou(segments, segments)
    alive = torch.ones(len(scores), dtype=torch.bool, device=scores.device)
    keep = []
    for i in order.tolist():
        if not alive[i]:
            continue
        keep.append(i)
        alive &= overlap[i] <= iou_threshold
    return torch.tensor(keep, dtype=torch.long, device=scores.device)


def sliding_windows(length: int, sizes: Sequence[int], stride: int) -> torch.Tensor:
    """Multi-scale windows (start, end) over ``length`` frames, (P, 2) long."""
    rows = [
        torch.stack([s := torch.arange(0, length - size + 1, stride), s + size], 1)
        for size in sizes
        if size <= length
    ]
    if not rows:
        raise ValueError(f"no window of sizes {list(sizes)} fits {length} frames")
    return torch.cat(rows)


def window_clips(
    videos: torch.Tensor, windows: torch.Tensor, num_frames: int
) -> torch.Tensor:
    """T frames sampled uniformly inside each window of each video.

    Args:
        videos: (N, L, C, H, W).
        windows: (P, 2) (start, end), shared by all videos.
        num_frames: ``T``.

    Returns:
        Clips (N, P, T, C, H, W), same dtype as ``videos``.
    """
    s, e = windows[:, 0:1].float(), windows[:, 1:2].float()  # (P, 1)
    pos = (torch.arange(num_frames).float() + 0.5) / num_frames  # (T,)
    index = (s + (e - s) * pos).floor().long().to(videos.device)  # (P, T)
    return videos[:, index]  # (N, P, T, C, H, W)


def window_labels(
    windows: torch.Tensor, segments: torch.Tensor, background: int, iou: float = 0.5
) -> torch.Tensor:
    """Training labels of windows: the class of a segment with tIoU >= ``iou``, else
    ``background``. ``segments`` (N, G, 3) padded with -1; returns (N, P)."""
    labels = []
    for seg in segments:
        seg = seg[seg[:, 2] >= 0]
        if len(seg) == 0:
            labels.append(torch.full((len(windows),), background))
            continue
        o = temporal_iou(windows.double(), seg[:, :2].double().cpu())  # (P, G)
        best, j = o.max(1)
        lab = seg[:, 2].cpu()[j]
        labels.append(torch.where(best >= iou, lab, torch.full_like(lab, background)))
    return torch.stack(labels)


@torch.no_grad()
def detect(
    model: nn.Module,
    videos: torch.Tensor,
    windows: torch.Tensor,
    num_frames: int,
    background: int,
    iou_threshold: float = 0.3,
    nms: NMSFn = temporal_nms,
    batch_size: int = 256,
) -> list[torch.Tensor]:
    """Classify every window, then per-class NMS.

    Args:
        model: clip classifier over ``background + 1`` classes (last: background).
        videos: (N, L, C, H, W).
        windows: proposals (P, 2).
        num_frames: frames per window clip ``T``.
        background: index of the background class.
        iou_threshold: NMS threshold.
        nms: the suppression (e.g. your own ``temporal_nms``).
        batch_size: clips per forward pass.

    Returns:
        Per video, detections (D, 4): (start, end, class, score).
    """
    model.eval()
    n, p = videos.shape[0], windows.shape[0]
    clips = window_clips(videos, windows, num_frames).flatten(0, 1)  # (N P, T, ...)
    probs = torch.cat(
        [
            model(to_float(clips[i : i + batch_size])).float().softmax(-1)
            for i in range(0, clips.shape[0], batch_size)
        ]
    ).view(n, p, -1)  # (N, P, K + 1)
    out = []
    w = windows.to(probs.device).double()
    for v in range(n):
        score, cls = probs[v, :, :background].max(-1)  # best action class per window
        found = []
        for k in cls.unique().tolist():
            idx = (cls == k).nonzero().flatten()
            kept = idx[nms(w[idx], score[idx].double(), iou_threshold)]
            found.append(
                torch.cat(
                    [
                        w[kept],
                        torch.full((len(kept), 1), float(k), dtype=torch.float64),
                        score[kept].double().view(-1, 1),
                    ],
                    1,
                )
            )
        out.append(torch.cat(found) if found else torch.zeros(0, 4))
    return out

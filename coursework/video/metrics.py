"""Metrics of video: temporal-localisation average precision, flow end-point error.

Accuracy (overall, per class group, within motion pairs) is shared by several
lectures and lives in :mod:`coursework.metrics`.

Average precision follows the PASCAL VOC / ActivityNet protocol (Everingham
et al. 2010; Heilbron et al. 2015): detections of one class are sorted by
score; a detection is a true positive when its temporal IoU with a not yet
matched ground-truth segment of that class reaches the threshold; AP is the
area under the precision-recall curve with precision made monotone,

    AP = sum_n (R_n - R_{n-1}) max_{n' >= n} P_{n'}

and mAP is the mean of AP over the classes that have ground truth.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

IoUFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def average_precision(scores: torch.Tensor, is_tp: torch.Tensor, n_gt: int) -> float:
    """AP of ranked detections: ``scores`` (D,), ``is_tp`` (D,), ``n_gt`` positives."""
    if n_gt == 0:
        return float("nan")
    if scores.numel() == 0:
        return 0.0
    order = scores.argsort(descending=True, stable=True)
    tp = is_tp[order].double().cumsum(0)
    precision = tp / torch.arange(1, len(tp) + 1, dtype=torch.float64)
    recall = tp / n_gt
    # monotone precision: the max of the precisions at equal or higher recall
    precision = precision.flip(0).cummax(0).values.flip(0)
    steps = torch.diff(recall, prepend=torch.zeros(1, dtype=torch.float64))
    return float((steps * precision).sum())


def temporal_map(
    detections: Sequence[torch.Tensor],
    ground_truth: Sequence[torch.Tensor],
    num_classes: int,
    iou_threshold: float,
    iou: IoUFn | None = None,
) -> float:
    """Mean AP over classes at one temporal IoU threshold.

    Args:
        detections: per video, (D, 4) rows (start, end, class, score).
        ground_truth: per video, (G, 3) rows (start, end, class); rows with
            class -1 are padding.
        num_classes: ``K``.
        iou_threshold: minimum temporal IoU of a true positive.
        iou: the pairwise temporal IoU (default: the package's).
    """
    if iou is None:
        from coursework.video.localization import temporal_iou as iou
    aps = []
    for k in range(num_classes):
        scores, hits, n_gt = [], [], 0
        for det, gt in zip(detections, ground_truth):
            g = gt[gt[:, 2] == k][:, :2].double()
            d = det[det[:, 2] == k]
            n_gt += len(g)
            if len(d) == 0:
                continue
            d = d[d[:, 3].argsort(descending=True, stable=True)]
            taken = torch.zeros(len(g), dtype=torch.bool)
            overlap = iou(d[:, :2].double(), g) if len(g) else None
            for i in range(len(d)):
                ok = False
                if overlap is not None:
                    o = overlap[i].clone()
                    o[taken] = -1.0
                    j = int(o.argmax())
                    if o[j] >= iou_threshold:
                        taken[j], ok = True, True
                scores.append(float(d[i, 3]))
                hits.append(ok)
        if n_gt:
            aps.append(
                average_precision(torch.tensor(scores), torch.tensor(hits), n_gt)
            )
    return float(sum(aps) / len(aps)) if aps else float("nan")


def endpoint_error(
    flow: torch.Tensor, target: torch.Tensor, mask: torch.Tensor | None = None
) -> torch.Tensor:
    """Mean end-point error ||f - f*|| of flows (..., 2, H, W) over ``mask``."""
    err = torch.linalg.vector_norm(flow - target, dim=-3)  # (..., H, W)
    if mask is None:
        return err.mean()
    if mask.dim() == err.dim() + 1:  # (..., 1, H, W), like the flow's layout
        mask = mask.squeeze(-3)
    mask = mask.to(err.dtype).expand_as(err)
    return (err * mask).sum() / mask.sum().clamp(min=1)

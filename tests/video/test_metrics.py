"""Temporal mAP: a hand-checked case and a slow reference."""

from __future__ import annotations

import math

import torch

from coursework.video.metrics import average_precision, temporal_map


def _slow_ap(scores, hits, n_gt):
    """VOC all-point AP from the definition: precision envelope at each recall step."""
    order = sorted(range(len(scores)), key=lambda i: -scores[i])
    tp, prec, rec = 0, [], []
    for rank, i in enumerate(order, 1):
        tp += hits[i]
        prec.append(tp / rank)
        rec.append(tp / n_gt)
    ap, last = 0.0, 0.0
    for k in range(len(rec)):
        if rec[k] > last:
            ap += (rec[k] - last) * max(prec[k:])
            last = rec[k]
    return ap


def test_average_precision_against_the_definition():
    g = torch.Generator().manual_seed(0)
    for _ in range(5):
        scores = torch.rand(15, generator=g)
        hits = torch.rand(15, generator=g) < 0.5
        n_gt = int(hits.sum()) + 2
        fast = average_precision(scores, hits, n_gt)
        assert math.isclose(fast, _slow_ap(scores.tolist(), hits.tolist(), n_gt))


def test_temporal_map_hand_checked():
    """Class 0: two truths; detections ranked TP (iou 1), FP (iou 0.33), TP (iou 0.6).
    Precision 1, 1/2, 2/3 at recalls 1/2, 1/2, 1 -> AP = 1/2 * 1 + 1/2 * 2/3 = 5/6.
    Class 1: one truth, one exact detection -> AP = 1. mAP = (5/6 + 1) / 2."""
    gt = [
        torch.tensor([[0, 10, 0], [20, 30, 0], [-1, -1, -1]]),
        torch.tensor([[5, 15, 1]]),
    ]
    det = [
        torch.tensor(
            [[0.0, 10.0, 0.0, 0.9], [0.0, 5.0, 0.0, 0.8], [20.0, 26.0, 0.0, 0.7]]
        ),
        torch.tensor([[5.0, 15.0, 1.0, 0.5]]),
    ]
    assert math.isclose(temporal_map(det, gt, 2, 0.5), (5 / 6 + 1) / 2)
    # at tIoU 0.7 the third detection (iou 0.6) is a false positive: AP0 = 1/2
    assert math.isclose(temporal_map(det, gt, 2, 0.7), (0.5 + 1) / 2)


def test_a_duplicate_detection_is_a_false_positive():
    gt = [torch.tensor([[0, 10, 0]])]
    det = [torch.tensor([[0.0, 10.0, 0.0, 0.9], [0.0, 10.0, 0.0, 0.8]])]
    assert temporal_map(det, gt, 1, 0.5) == 1.0  # the duplicate ranks after recall 1
    det = [torch.tensor([[0.0, 10.0, 0.0, 0.7], [0.0, 10.0, 0.0, 0.8]])]
    assert temporal_map(det, gt, 1, 0.5) == 1.0

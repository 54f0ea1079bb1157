"""Wrong answers to the notebook 01 exercises, one per exercise in ``WRONG``.

``WRONG`` maps each exercise id to a wrong function and words its check's
message must contain; ``tests/exercises/test_topics.py`` runs them.
"""

from __future__ import annotations

import torch


def wrong_sample_clip(videos, starts, num_frames, stride):
    return videos[:, :num_frames]  # always the first frames, at stride 1


def wrong_early_fusion_reshape(clips):
    return clips.transpose(1, 2).flatten(1, 2)  # channel-major, not frame-major


def wrong_rf_update(r, j, k, s):
    return r + k - 1, j * s  # the jump is not applied to the kernel


def wrong_late_fusion_pool(features):
    return features.amax(dim=(2, 3, 4))  # max instead of mean


def wrong_horn_schunck_step(u, v, ix, iy, it, alpha):
    return u - ix * it, v - iy * it  # no neighbour average, no normaliser


def wrong_temporal_iou(a, b):
    inter = torch.minimum(a[:, 1:2], b[:, 1]) - torch.maximum(a[:, 0:1], b[:, 0])
    return inter.clamp(min=0) / (a[:, 1:2] - a[:, 0:1])  # over a's length only


def wrong_temporal_nms(segments, scores, threshold):
    return scores.argsort(descending=True)  # nothing suppressed


WRONG = {
    "video.sample_clip": (wrong_sample_clip, "differ"),
    "video.early_fusion_reshape": (wrong_early_fusion_reshape, "values differ"),
    "video.rf_update": (wrong_rf_update, "expected"),
    "video.late_fusion_pool": (wrong_late_fusion_pool, "values differ"),
    "video.horn_schunck_step": (wrong_horn_schunck_step, "values differ"),
    "video.temporal_iou": (wrong_temporal_iou, "values differ"),
    "video.temporal_nms": (wrong_temporal_nms, "shape"),
}

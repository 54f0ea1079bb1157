"""Loss functions for :func:`coursework.train.fit` that cut clips on the fly.

Every step draws a random clip (T frames at a stride) from each training
video, a cheap temporal augmentation (Karpathy et al. 2014). The
single-frame baseline trains on one random frame per video instead.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from coursework.classifier import classification_loss
from coursework.metrics import accuracy
from coursework.video.clips import SampleClip, random_starts, sample_clip, to_float

LossFn = Callable[[nn.Module, tuple[torch.Tensor, ...]], dict[str, torch.Tensor]]


def clip_loss(num_frames: int, stride: int, sample: SampleClip = sample_clip) -> LossFn:
    """Cross-entropy on one random clip per video: batch = (videos, labels)."""

    def loss_fn(model: nn.Module, batch: tuple[torch.Tensor, ...]) -> dict:
        videos, labels = batch
        starts = random_starts(
            videos.shape[0], videos.shape[1], num_frames, stride, videos.device
        )
        logits = model(to_float(sample(videos, starts, num_frames, stride)))
        return classification_loss(logits, labels)

    return loss_fn


def frame_loss(sample: SampleClip = sample_clip) -> LossFn:
    """Cross-entropy on one random frame per video (a clip of T = 1)."""
    return clip_loss(1, 1, sample)


def fused_two_stream_loss(
    model: nn.Module, batch: tuple[torch.Tensor, ...]
) -> dict[str, torch.Tensor]:
    """Both streams trained on their own labels: batch = (clips, flows, labels)."""
    clips, flows, labels = batch
    rgb, flow = model.streams(to_float(clips), flows)
    loss = F.cross_entropy(rgb, labels) + F.cross_entropy(flow, labels)
    return {"loss": loss, "acc": accuracy(model.fuse(rgb, flow), labels)}


def sequence_loss(
    model: nn.Module, batch: tuple[torch.Tensor, ...]
) -> dict[str, torch.Tensor]:
    """Cross-entropy of a clip classifier on fixed clips: batch = (clips, labels)."""
    clips, labels = batch
    return classification_loss(model(to_float(clips)), labels)

"""Temporal regularisation: features that change slowly and steadily.

- Slowness (Goroshin, Bruna, Tompson, Eigen & LeCun, "Unsupervised Learning
  of Spatiotemporally Coherent Metrics", ICCV 2015, arXiv:1412.6056): the
  features of adjacent frames should be close, and, so that the features do
  not collapse to a constant, those of unrelated frames at least a margin
  apart (a contrastive hinge, Hadsell, Chopra & LeCun, CVPR 2006).
- Steadiness (Jayaraman & Grauman, "Slow and Steady Feature Analysis:
  Higher Order Temporal Coherence in Video", CVPR 2016, arXiv:1506.04714):
  in three frames in order, the features should change by the same step,
  so the second difference z_{t+2} - 2 z_{t+1} + z_t is small; for three
  frames not in order it should be at least a margin.

Jayaraman & Grauman add these terms to a supervised loss; here they are
the whole pretraining loss, on unit-norm embeddings of the frames.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from coursework.pretext.video import gather_frames, random_clips


def second_difference(z: torch.Tensor) -> torch.Tensor:
    """z (B, 3, D) -> (B, D): z_2 - 2 z_1 + z_0, the change of the change."""
    return z[:, 2] - 2 * z[:, 1] + z[:, 0]


def slow_steady_loss(
    z: torch.Tensor, z_neg: torch.Tensor, margin: float = 1.0, steady: float = 1.0
) -> torch.Tensor:
    """The slow-and-steady contrastive loss, averaged over the batch.

    Args:
        z: (B, 3, D) embeddings of frames t, t + s, t + 2s of a video.
        z_neg: (B, 3, D) embeddings of three frames drawn independently (not
            a sequence).
        margin: the distance the negatives must keep.
        steady: the weight of the second-order (steadiness) term.

    Per item, with ``h(d) = max(0, margin - d)^2``:
    slow = ||z_1 - z_0||^2 + h(||z_neg_1 - z_neg_0||), steady term =
    ||second_difference(z)||^2 + h(||second_difference(z_neg)||); the loss
    is the mean over the batch of slow + steady * steady term.
    """

    def hinge(d: torch.Tensor) -> torch.Tensor:
        return F.relu(margin - d) ** 2

    slow = (z[:, 1] - z[:, 0]).pow(2).sum(-1) + hinge(
        (z_neg[:, 1] - z_neg[:, 0]).norm(dim=-1)
    )
    steadiness = second_difference(z).pow(2).sum(-1) + hinge(
        second_difference(z_neg).norm(dim=-1)
    )
    return (slow + steady * steadiness).mean()


def slowness_batch(videos: torch.Tensor, stride: int = 1) -> torch.Tensor:
    """Per video, three frames in order, then three frames drawn at random.

    The first three are frames t, t + stride, t + 2 stride of the video; the
    last three come from random videos of the batch at random times.

    Returns:
        (B, 6, C, H, W) floats in [0, 1].
    """
    b, length = videos.shape[:2]
    dev = videos.device
    seq = gather_frames(videos, random_clips(videos, 3, stride))  # (B, 3, ...)
    who = torch.randint(0, b, (b, 3), device=dev)
    when = torch.randint(0, length, (b, 3), device=dev)
    neg = videos[who, when]
    neg = neg.float() / 255 if neg.dtype == torch.uint8 else neg
    return torch.cat([seq, neg], 1)

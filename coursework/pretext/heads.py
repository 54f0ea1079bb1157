"""Small pretext heads on the shared backbone; adding a task adds one of these.

Each head says what it takes from :class:`~coursework.pretext.backbone.PretextNet`
with its ``takes`` attribute: pooled features, the feature map, or a set of
pooled features (tiles, patches, frames).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class LinearHead(nn.Linear):
    """Pooled features (B, D) -> logits (B, K): rotation, exemplar, DeepCluster."""

    takes = "pooled"


class MLPHead(nn.Module):
    """Pooled features (B, D) -> (B, out) through one hidden layer (SimCLR's g)."""

    takes = "pooled"

    def __init__(self, dim: int, hidden: int, out: int) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(dim, hidden), nn.ReLU(inplace=True), nn.Linear(hidden, out)
        )

    def forward(self, f: torch.Tensor) -> torch.Tensor:
        return self.net(f)


class SetHead(nn.Module):
    """Features of N elements (B, N, D), concatenated in order -> logits (B, K).

    The order of the elements is what the tasks ask about (which tile is
    where, which frame comes first), so the features are concatenated, not
    pooled. Used by relative position (N = 2), jigsaw (N = 9) and the video
    tasks (N frames).
    """

    takes = "set"

    def __init__(self, dim: int, n: int, classes: int, hidden: int = 128) -> None:
        super().__init__()
        self.n = n
        self.net = nn.Sequential(
            nn.Linear(n * dim, hidden),
            nn.ReLU(inplace=True),
            nn.Linear(hidden, classes),
        )

    def forward(self, f: torch.Tensor) -> torch.Tensor:
        if f.shape[1] != self.n:
            raise ValueError(f"this head takes {self.n} elements; got {f.shape[1]}")
        return self.net(f.flatten(1))  # (B, N * D) -> (B, K)


class DenseHead(nn.Module):
    """Feature map (B, D, h, w) -> (B, out, h * scale, w * scale), per pixel.

    A 1x1 convolution predicts at the feature map's resolution and bilinear
    upsampling brings it to the image's, as the colourisation network of
    Zhang et al. (2016) predicts at a quarter of the resolution.
    """

    takes = "map"

    def __init__(self, dim: int, out: int, scale: int = 4, hidden: int = 64) -> None:
        super().__init__()
        self.scale = scale
        self.net = nn.Sequential(
            nn.Conv2d(dim, hidden, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(hidden, out, 1),
        )

    def forward(self, fmap: torch.Tensor) -> torch.Tensor:
        out = self.net(fmap)
        return F.interpolate(
            out, scale_factor=self.scale, mode="bilinear", align_corners=False
        )


class Decoder(nn.Module):
    """Feature map (B, D, h, w) -> image (B, C, 4h, 4w) in [0, 1]: the context
    encoder's decoder (two transposed convolutions, each doubling the side)."""

    takes = "map"

    def __init__(self, dim: int, channels: int = 3, hidden: int = 32) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.ConvTranspose2d(dim, hidden, 4, stride=2, padding=1),
            nn.BatchNorm2d(hidden),
            nn.ReLU(inplace=True),
            nn.ConvTranspose2d(hidden, hidden, 4, stride=2, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(hidden, channels, 3, padding=1),
        )

    def forward(self, fmap: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.net(fmap))


class SetEmbedding(nn.Module):
    """Features of N elements (B, N, D) -> unit-norm embeddings (B, N, out).

    Each element (a frame) is embedded on its own by one hidden layer and
    L2-normalised, for losses on distances between frames (slowness).
    """

    takes = "set"

    def __init__(self, dim: int, out: int, hidden: int = 64) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(dim, hidden), nn.ReLU(inplace=True), nn.Linear(hidden, out)
        )

    def forward(self, f: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.net(f), dim=-1)

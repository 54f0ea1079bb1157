"""The one backbone every pretext task trains, and the wrapper that adds a head.

A small VGG-style CNN (Simonyan & Zisserman, "Very Deep Convolutional Networks
for Large-Scale Image Recognition", 2014, arXiv:1409.1556): 3x3 convolutions,
batch normalisation, ReLU, two stride-2 stages. It is fully convolutional, so
the same weights run on whole images, on jigsaw tiles and on patches.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class ConvBlock(nn.Sequential):
    """3x3 convolution, batch norm, ReLU."""

    def __init__(self, c_in: int, c_out: int, stride: int = 1) -> None:
        super().__init__(
            nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False),
            nn.BatchNorm2d(c_out),
            nn.ReLU(inplace=True),
        )


class Backbone(nn.Module):
    """Channels ``w, 2w, 4w, 4w``; the feature map is 1/4 of the input side.

    Args:
        width: base channels ``w``.
        in_channels: image channels.

    Shape:
        ``features``: (B, C, H, W) -> (B, 4w, H/4, W/4);
        ``forward``: (B, C, H, W) -> (B, 4w * pool^2).
    """

    def __init__(self, width: int = 16, in_channels: int = 3) -> None:
        super().__init__()
        self.width = width
        self.out_channels = 4 * width
        self.blocks = nn.Sequential(
            ConvBlock(in_channels, width),
            ConvBlock(width, 2 * width, stride=2),
            ConvBlock(2 * width, 4 * width, stride=2),
            ConvBlock(4 * width, 4 * width),
        )

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The last feature map (B, 4w, ceil(H/4), ceil(W/4))."""
        return self.blocks(x)

    def forward(
        self, x: torch.Tensor, pool: int = 1, all_blocks: bool = False
    ) -> torch.Tensor:
        """Features average-pooled to a ``pool`` x ``pool`` grid and flattened.

        With ``all_blocks`` the pooled outputs of every block are concatenated
        (B, 11w * pool^2), for probes that look at every depth.
        """
        if not all_blocks:
            return F.adaptive_avg_pool2d(self.features(x), pool).flatten(1)
        out = []
        for block in self.blocks:
            x = block(x)
            out.append(F.adaptive_avg_pool2d(x, pool).flatten(1))
        return torch.cat(out, 1)


class PretextNet(nn.Module):
    """A backbone with a pretext head.

    What the head receives depends on its ``takes`` attribute:
    ``"pooled"``: pooled features (B, D) of images (B, C, H, W);
    ``"map"``: the feature map (B, D, h, w) (dense prediction);
    ``"set"``: inputs (B, N, C, H, W) (tiles, patches, frames) give pooled
    features (B, N, D), one per element, from the same backbone.
    """

    def __init__(self, backbone: Backbone, head: nn.Module) -> None:
        super().__init__()
        self.backbone = backbone
        self.head = head

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        takes = getattr(self.head, "takes", "pooled")
        if takes == "map":
            return self.head(self.backbone.features(inputs))
        if takes == "set":
            if inputs.dim() != 5:
                raise ValueError(
                    "a set head needs inputs (B, N, C, H, W); "
                    f"got {tuple(inputs.shape)}"
                )
            b, n = inputs.shape[:2]
            f = self.backbone(inputs.flatten(0, 1))  # (B * N, D)
            return self.head(f.view(b, n, -1))  # (B, N, D) -> head
        return self.head(self.backbone(inputs))

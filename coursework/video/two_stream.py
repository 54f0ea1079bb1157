"""Two-stream network: appearance from one RGB frame, motion from stacked flow.

Simonyan and Zisserman, "Two-Stream Convolutional Networks for Action
Recognition in Videos" (NeurIPS 2014, arXiv:1406.2199). The spatial stream is
a 2D CNN on a single frame; the temporal stream is a 2D CNN whose input is
the horizontal and vertical flow of L consecutive frame pairs stacked as 2L
channels (early fusion of flow). Their class scores are fused late, by
averaging the softmax outputs.
"""

from __future__ import annotations

import torch
from torch import nn

from coursework.video.layers import EarlyFusion
from coursework.video.models import FrameHead, PoolHead, VideoNet, frame_trunk


class TwoStream(nn.Module):
    """Spatial (RGB) and temporal (stacked flow) streams, fused by mean softmax.

    Args:
        frame_shape: one RGB frame as (C, H, W).
        flow_frames: ``L``, the number of stacked flow fields.
        num_classes: ``K``.
        width: base channels of each stream.
        hidden: the heads' hidden width.
    """

    def __init__(
        self,
        frame_shape: tuple[int, int, int],
        flow_frames: int,
        num_classes: int,
        width: int,
        hidden: int = 64,
    ) -> None:
        super().__init__()
        c, h, w = frame_shape
        trunk = frame_trunk(width)
        self.spatial = VideoNet(trunk, (c, 1, h, w), num_classes, FrameHead, hidden)
        self.temporal = VideoNet(  # flow stacked as channels: early fusion
            [EarlyFusion(width), *trunk[1:]],
            (2, flow_frames, h, w),
            num_classes,
            PoolHead,
            hidden,
        )

    def streams(
        self, clips: torch.Tensor, flows: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Logits of each stream.

        Args:
            clips: RGB clips (B, T, C, H, W); the spatial stream sees the middle frame.
            flows: stacked flow (B, L, 2, H, W).

        Returns:
            ``(spatial_logits, temporal_logits)``, each (B, K).
        """
        middle = clips[:, clips.shape[1] // 2 : clips.shape[1] // 2 + 1]  # (B,1,C,H,W)
        return self.spatial(middle), self.temporal(flows)

    @staticmethod
    def fuse(spatial: torch.Tensor, temporal: torch.Tensor) -> torch.Tensor:
        """Late fusion of scores: log of the mean of the two softmaxes, (B, K)."""
        return torch.log((spatial.softmax(-1) + temporal.softmax(-1)) / 2)

    def forward(self, clips: torch.Tensor, flows: torch.Tensor) -> torch.Tensor:
        """Fused log-probabilities (B, K)."""
        return self.fuse(*self.streams(clips, flows))

"""CNN + LSTM: a recurrent network over per-frame CNN features (many to one).

Donahue et al., "Long-term Recurrent Convolutional Networks for Visual
Recognition and Description" (CVPR 2015, arXiv:1411.4389). A 2D CNN encodes
every frame into a vector x_t; an LSTM reads them in order,

    h_t, c_t = LSTM(x_t, (h_{t-1}, c_{t-1})),

and the last hidden state h_T classifies the clip. Unlike pooling, the LSTM
sees the order of the frames.
"""

from __future__ import annotations

import torch
from torch import nn

from coursework.video.layers import Shape
from coursework.video.models import build_trunk, frame_trunk


class CNNLSTM(nn.Module):
    """Per-frame 2D CNN features -> LSTM -> linear on the last hidden state.

    Args:
        in_shape: one clip (C, T, H, W).
        num_classes: ``K``.
        width: base channels of the CNN.
        hidden: LSTM state size ``D``.
    """

    def __init__(
        self, in_shape: Shape, num_classes: int, width: int, hidden: int = 64
    ) -> None:
        super().__init__()
        self.cnn, (features, *_) = build_trunk(frame_trunk(width), in_shape)
        self.lstm = nn.LSTM(features, hidden, batch_first=True)
        self.classifier = nn.Linear(hidden, num_classes)

    def forward(self, clips: torch.Tensor) -> torch.Tensor:
        """Shape: (B, T, C, H, W) -> logits (B, K)."""
        f = self.cnn(clips.transpose(1, 2)).mean(dim=(3, 4))  # (B, D_cnn, T)
        out, _ = self.lstm(f.transpose(1, 2))  # (B, T, D)
        return self.classifier(out[:, -1])  # (B, K)

"""Spatio-temporal self-attention: the non-local block.

Wang, Girshick, Gupta and He, "Non-local Neural Networks" (CVPR 2018,
arXiv:1711.07971). Every position of a (C, T, H, W) feature map attends to
every other position, across space and time:

    y_i = sum_j softmax_j(theta(x_i)^T phi(x_j)) g(x_j),      z = W_z y + x

with theta, phi, g and W_z 1x1x1 convolutions. W_z starts at zero, so the
block starts as the identity and can be inserted into a trained 3D CNN.
"""

from __future__ import annotations

import torch
from torch import nn


class NonLocalBlock(nn.Module):
    """Embedded-Gaussian non-local block with a residual connection.

    Args:
        channels: ``C`` of the input (B, C, T, H, W).
        reduction: the attention works in ``C // reduction`` channels.
    """

    def __init__(self, channels: int, reduction: int = 2) -> None:
        super().__init__()
        inner = max(1, channels // reduction)
        self.theta = nn.Conv3d(channels, inner, 1)
        self.phi = nn.Conv3d(channels, inner, 1)
        self.g = nn.Conv3d(channels, inner, 1)
        self.w_z = nn.Conv3d(inner, channels, 1)
        nn.init.zeros_(self.w_z.weight)
        nn.init.zeros_(self.w_z.bias)

    def attention(self, x: torch.Tensor) -> torch.Tensor:
        """Attention weights between all positions, shape (B, THW, THW)."""
        q = self.theta(x).flatten(2)  # (B, D, N) with N = T H W
        k = self.phi(x).flatten(2)  # (B, D, N)
        # f(x_i, x_j) = exp(theta_i . phi_j), normalised over j
        return torch.einsum("bdi,bdj->bij", q, k).softmax(-1)  # (B, N, N)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Shape: (B, C, T, H, W) -> (B, C, T, H, W)."""
        b, _, t, h, w = x.shape
        a = self.attention(x)  # (B, N, N)
        v = self.g(x).flatten(2)  # (B, D, N)
        # y_i = sum_j a_ij g(x_j)
        y = torch.einsum("bij,bdj->bdi", a, v).reshape(b, -1, t, h, w)  # (B,D,T,H,W)
        return x + self.w_z(y)

"""Masked convolutions and the gated block, with a full-image and a window mode.

- Masked convolution: van den Oord, Kalchbrenner & Kavukcuoglu, "Pixel
  Recurrent Neural Networks", ICML 2016 (arXiv:1601.06759), section 3.4: the
  weights are multiplied by a fixed 0/1 mask before the convolution, so that
  an output never reads a pixel that comes later in the generation order.
- Gated block: van den Oord et al., "Conditional Image Generation with
  PixelCNN Decoders", NeurIPS 2016 (arXiv:1606.05328), eq. 2 and figure 2:
  ``y = tanh(W_f * x + V_f h) ⊙ sigmoid(W_g * x + V_g h)``, with a vertical
  and a horizontal stack.

Every layer runs in two modes. ``forward(x)`` pads with zeros and returns an
output as large as its input (training, the naive sampler). ``window(x)``
runs *without* padding on a window of its input, to compute only the outputs
one pixel needs (the cached sampler of :mod:`coursework.autoregressive.cache`,
whose buffers carry the zero padding themselves). Each spatial kernel has
width ``2r + 1`` and its output sits on its last masked-in row, so a window
loses ``r`` columns on each side and its top rows.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from coursework.autoregressive.masks import causal_mask, horizontal_mask, vertical_mask


def masked_conv2d(
    x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None, mask: torch.Tensor
) -> torch.Tensor:
    """A convolution with masked weights and zero 'same' padding.

    ``y = (W ⊙ M) * x + b`` for a square, odd kernel.

    Shape:
        x: (B, I, H, W); weight, mask: (O, I, k, k); bias: (O,) or None.
        Returns (B, O, H, W).
    """
    k = weight.shape[-1]
    return F.conv2d(x, weight * mask, bias, padding=k // 2)


class MaskedConv2d(nn.Module):
    """A convolution whose weights are multiplied by a fixed mask (a buffer).

    Args:
        mask: (O, I, kh, kw) of zeros and ones; ``kw`` odd.
        anchor_row: the kernel row the output sits on (``kh // 2`` for a square
            PixelCNN kernel, ``kh - 1`` for the vertical stack, 0 for 1 x k).
        bias: add a learned bias.
    """

    def __init__(self, mask: torch.Tensor, anchor_row: int, bias: bool = True) -> None:
        super().__init__()
        out_channels, in_channels, kh, kw = mask.shape
        if kw % 2 == 0 or not 0 <= anchor_row < kh:
            raise ValueError(
                f"a masked kernel needs an odd width and 0 <= anchor_row < {kh}; "
                f"got width {kw}, anchor_row {anchor_row}"
            )
        self.anchor_row = anchor_row
        self.register_buffer("mask", mask.clone())
        self.weight = nn.Parameter(torch.empty(out_channels, in_channels, kh, kw))
        self.bias = nn.Parameter(torch.zeros(out_channels)) if bias else None
        # the default init of nn.Conv2d, with the fan-in the mask leaves
        fan_in = max(float(mask[0].sum()), 1.0)
        bound = 1.0 / math.sqrt(fan_in)
        nn.init.uniform_(self.weight, -bound * math.sqrt(3), bound * math.sqrt(3))
        if self.bias is not None:
            nn.init.uniform_(self.bias, -bound, bound)

    @property
    def radius(self) -> int:
        """Columns the kernel reaches on each side."""
        return self.weight.shape[-1] // 2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Zero padding, output as large as the input. (B, I, H, W) -> (B, O, H, W)."""
        kh, r = self.weight.shape[-2], self.radius
        x = F.pad(x, (r, r, self.anchor_row, kh - 1 - self.anchor_row))
        return F.conv2d(x, self.weight * self.mask, self.bias)

    def window(self, x: torch.Tensor) -> torch.Tensor:
        """No padding above or at the sides: (B, I, h, w) -> (B, O, h - a, w - 2r).

        ``a`` is ``anchor_row``. The rows below it are masked out, so zeros stand
        in for them.
        """
        kh = self.weight.shape[-2]
        x = F.pad(x, (0, 0, 0, kh - 1 - self.anchor_row))  # rows below
        return F.conv2d(x, self.weight * self.mask, self.bias)


def gated_activation(x: torch.Tensor) -> torch.Tensor:
    """``tanh(a) ⊙ sigmoid(b)`` where ``a, b`` are the two halves of the channels.

    Shape:
        x: (B, 2D, ...). Returns (B, D, ...).
    """
    a, b = x.chunk(2, dim=1)
    return torch.tanh(a) * torch.sigmoid(b)


class GatedBlock(nn.Module):
    """One layer of the gated PixelCNN: a vertical and a horizontal stack.

    ``v' = gate(V * v + c_v)``, ``h' = h + W_res gate(H * h + W_link (V * v) + c_h)``
    (the residual only when the channels match), with ``c_v, c_h`` the label
    embeddings of a class-conditional model.

    Args:
        in_channels, channels: input and output width ``D`` of each stack.
        kernel_size: odd kernel width ``k``.
        first: the first layer: the vertical kernel skips the current row and
            the horizontal kernel is type A.
        groups: colour groups.
        n_classes: labels for a class-conditional model (0: unconditional).
        gate: the gated activation (e.g. your own).
    """

    def __init__(
        self,
        in_channels: int,
        channels: int,
        kernel_size: int,
        first: bool = False,
        groups: int = 1,
        n_classes: int = 0,
        gate=gated_activation,
    ) -> None:
        super().__init__()
        r = kernel_size // 2
        mask_type = "A" if first else "B"
        two = 2 * channels
        self.v_conv = MaskedConv2d(
            vertical_mask(two, in_channels, kernel_size, first), anchor_row=r
        )
        self.h_conv = MaskedConv2d(
            horizontal_mask(two, in_channels, kernel_size, mask_type, groups), 0
        )
        self.link = nn.Conv2d(two, two, 1)  # vertical -> horizontal, rows above only
        self.h_out = MaskedConv2d(causal_mask(channels, channels, 1, "B", groups), 0)
        self.residual = not first and in_channels == channels
        self.gate = gate
        self.embed_v = nn.Embedding(n_classes, two) if n_classes else None
        self.embed_h = nn.Embedding(n_classes, two) if n_classes else None

    def _bias(self, y: torch.Tensor | None, embed: nn.Embedding | None) -> float:
        if embed is None:
            return 0.0
        if y is None:
            raise ValueError("this model is class-conditional: pass the labels y")
        return embed(y)[:, :, None, None]  # (B, 2D, 1, 1)

    def forward(
        self, v: torch.Tensor, h: torch.Tensor, y: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, I, H, W) twice -> (B, D, H, W) twice."""
        v_pre = self.v_conv(v)  # (B, 2D, H, W)
        return self.vertical(v_pre, y), self.horizontal(self.h_conv(h), v_pre, h, y)

    def vertical(self, v_pre: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
        """``v' = gate(V * v + c_v)`` from ``v_pre = V * v``.

        Shape: (B, 2D, ...) -> (B, D, ...).
        """
        return self.gate(v_pre + self._bias(y, self.embed_v))

    def horizontal(
        self,
        h_conv: torch.Tensor,
        v_pre: torch.Tensor,
        h: torch.Tensor,
        y: torch.Tensor | None,
    ) -> torch.Tensor:
        """``h' = h + W_res gate(H * h + W_link v_pre + c_h)`` from ``h_conv = H * h``.

        Shapes: h_conv, v_pre (B, 2D, ...); h (B, I, ...) -> (B, D, ...).
        """
        h_pre = h_conv + self.link(v_pre)
        h_new = self.h_out(self.gate(h_pre + self._bias(y, self.embed_h)))
        return h + h_new if self.residual else h_new

"""The activation cache of the fast sampler: every layer's outputs, kept between steps.

Ramachandran et al., "Fast Generation for Convolutional Autoregressive
Models" (ICLR 2017 workshop, arXiv:1704.06001): "we cache the hidden states
of each layer ... so that generating each new pixel only requires computing
the new hidden states". A masked convolution's output at pixel ``q`` reads
its input at pixels up to ``q`` only, all of which were computed at earlier
steps, so one step computes one position per layer. The gated PixelCNN's
vertical stack sees only the rows above, so it is computed a whole row at a
time, when the row starts.

Every buffer is zero-padded by ``pad`` rows above and ``pad`` columns on
each side, so a kernel's window at any pixel is a plain slice, and reads
zeros outside the image, which is what zero padding gives in ``forward``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F


@dataclass
class ActivationCache:
    """The padded input image and each layer's padded outputs.

    Attributes:
        image: the input (B, C, H + pad, W + 2 pad), values on the unit scale;
            the sampler writes every new value here.
        pad: rows above and columns on each side of the padding.
        layers: per-layer buffers by name (e.g. ``"h"``, ``"v"``), each
            (B, channels, H + pad, W + 2 pad), filled as the sampler goes.
    """

    image: torch.Tensor
    pad: int
    layers: dict[str, list[torch.Tensor]] = field(default_factory=dict)

    @classmethod
    def of(cls, x: torch.Tensor, pad: int) -> ActivationCache:
        """A cache for images ``x`` (B, C, H, W), padded by ``pad``."""
        return cls(F.pad(x, (pad, pad, pad, 0)), pad)

    @property
    def width(self) -> int:
        """``W``, the image width."""
        return self.image.shape[-1] - 2 * self.pad

    def add(self, name: str, channels: list[int]) -> list[torch.Tensor]:
        """Zero buffers named ``name``, one per entry of ``channels``."""
        b, _, h, w = self.image.shape
        new = self.image.new_zeros
        self.layers[name] = [new(b, c, h, w) for c in channels]
        return self.layers[name]

    def window(
        self, t: torch.Tensor, i: int, j: int, rows: int, radius: int
    ) -> torch.Tensor:
        """The ``rows`` rows ending at row ``i``, columns ``j - radius .. j + radius``.

        Shape: (B, C, H + pad, W + 2 pad) -> (B, C, rows, 2 radius + 1).
        """
        top, left = i + self.pad - rows + 1, j + self.pad - radius
        return t[:, :, top : top + rows, left : left + 2 * radius + 1]

    def row(self, t: torch.Tensor, i: int, rows: int, radius: int) -> torch.Tensor:
        """The ``rows`` rows ending at row ``i``, every column and ``radius`` more.

        Shape: (B, C, H + pad, W + 2 pad) -> (B, C, rows, W + 2 radius).
        """
        top, left = i + self.pad - rows + 1, self.pad - radius
        return t[:, :, top : top + rows, left : left + self.width + 2 * radius]

    def put(self, t: torch.Tensor, i: int, j: int, value: torch.Tensor) -> None:
        """Write ``value`` (B, C) at pixel ``(i, j)`` of buffer ``t``."""
        t[:, :, i + self.pad, j + self.pad] = value

    def set_value(self, c: int, i: int, j: int, value: torch.Tensor) -> None:
        """Write a drawn sub-pixel ``value`` (B,) into channel ``c`` of the image."""
        self.image[:, c, i + self.pad, j + self.pad] = value

    def put_row(self, t: torch.Tensor, i: int, value: torch.Tensor) -> None:
        """Write ``value`` (B, C, W) into row ``i`` of buffer ``t``."""
        p = self.pad
        t[:, :, i + p, p : p + self.width] = value

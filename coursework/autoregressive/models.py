"""PixelCNN, the gated PixelCNN (optionally class-conditional) and a Row LSTM PixelRNN.

Each model maps images ``x`` (B, C, H, W) with values in [0, 1] to the
parameters of one distribution per sub-pixel, shape (B, P, C, H, W): ``P``
logits of a ``P``-way softmax, or the ``3 * n_mix`` parameters of a
discretised logistic mixture (see :mod:`coursework.autoregressive.losses`).
The output at ``(c, i, j)`` depends only on pixels before ``(i, j)`` in
raster order and, within the pixel, on colours before ``c``.

- PixelCNN and Row LSTM: van den Oord, Kalchbrenner & Kavukcuoglu, "Pixel
  Recurrent Neural Networks", ICML 2016 (arXiv:1601.06759), sections 3.1
  and 3.5.
- Gated and conditional PixelCNN: van den Oord et al., "Conditional Image
  Generation with PixelCNN Decoders", NeurIPS 2016 (arXiv:1606.05328).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from coursework.autoregressive.cache import ActivationCache
from coursework.autoregressive.layers import GatedBlock, MaskedConv2d, gated_activation
from coursework.autoregressive.masks import causal_mask, horizontal_mask

MaskFn = Callable[[int, int, int, str, int], torch.Tensor]
ConvFn = Callable[..., torch.Tensor]


class OutputHead(nn.Module):
    """ReLU, masked 1 x 1, ReLU, masked 1 x 1: features -> (B, P, C, H, W)."""

    def __init__(self, width: int, channels: int, n_params: int) -> None:
        super().__init__()
        self.channels, self.n_params = channels, n_params
        g = channels
        self.hidden = MaskedConv2d(causal_mask(width, width, 1, "B", g), 0)
        self.out = MaskedConv2d(causal_mask(n_params * g, width, 1, "B", g), 0)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        b, _, hh, ww = h.shape
        out = self.out(F.relu(self.hidden(F.relu(h))))  # (B, P * C, H, W)
        # channel p * C + c is colour c (groups are interleaved)
        return out.view(b, self.n_params, self.channels, hh, ww)


def _check_width(width: int, channels: int) -> None:
    if width % channels:
        raise ValueError(
            f"width={width} must be a multiple of the {channels} colour channels"
        )


class PixelCNN(nn.Module):
    """A stack of masked convolutions: one type A, then ``n_layers - 1`` type B.

    Args:
        channels: image channels ``C`` (each is one colour group).
        n_params: parameters per sub-pixel ``P``.
        width: feature channels (a multiple of ``C``).
        n_layers: masked spatial convolutions.
        first_kernel: side of the type A kernel.
        kernel: side of the type B kernels.
        mask_fn: builds the masks (e.g. your own ``causal_mask``).
        conv: computes a masked convolution in :meth:`forward` (e.g. your own
            ``masked_conv2d``); the package's by default.
    """

    def __init__(
        self,
        channels: int = 1,
        n_params: int = 2,
        width: int = 64,
        n_layers: int = 6,
        first_kernel: int = 5,
        kernel: int = 3,
        mask_fn: MaskFn = causal_mask,
        conv: ConvFn | None = None,
    ) -> None:
        super().__init__()
        _check_width(width, channels)
        g = channels
        layers = [
            MaskedConv2d(
                mask_fn(width, channels, first_kernel, "A", g), first_kernel // 2
            )
        ]
        layers += [
            MaskedConv2d(mask_fn(width, width, kernel, "B", g), kernel // 2)
            for _ in range(n_layers - 1)
        ]
        self.layers = nn.ModuleList(layers)
        self.head = OutputHead(width, channels, n_params)
        self.conv = conv

    @property
    def reach(self) -> int:
        """Rows above (and columns to each side) that one output can see."""
        return sum(layer.radius for layer in self.layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) -> (B, P, C, H, W)."""
        h = x
        for layer in self.layers:
            if self.conv is None:
                h = F.relu(layer(h))
            else:
                h = F.relu(self.conv(h, layer.weight, layer.bias, layer.mask))
        return self.head(h)

    def start_cache(self, x: torch.Tensor) -> ActivationCache:
        """An empty cache for sampling images ``x`` (B, C, H, W): a buffer per layer."""
        cache = ActivationCache.of(x, max(layer.radius for layer in self.layers))
        cache.add("h", [layer.weight.shape[0] for layer in self.layers])
        return cache

    def cache_row(self, cache: ActivationCache, i: int) -> None:
        """Nothing to do when row ``i`` starts (every layer is computed per pixel)."""

    def cache_pixel(self, cache: ActivationCache, i: int, j: int) -> torch.Tensor:
        """The outputs at pixel ``(i, j)`` from the cached layers: (B, P, C).

        Each layer computes its one output at ``(i, j)`` from the window of its
        input that ends there (every position in it is at or before ``(i, j)``,
        so already cached) and stores it for the later pixels.
        """
        h_in = cache.image
        for layer, buffer in zip(self.layers, cache.layers["h"]):
            r = layer.radius
            window = cache.window(h_in, i, j, layer.anchor_row + 1, r)
            h = F.relu(layer.window(window))  # (B, D, 1, 1)
            cache.put(buffer, i, j, h[:, :, 0, 0])
            h_in = buffer
        return self.head(h)[..., 0, 0]


class GatedPixelCNN(nn.Module):
    """Gated PixelCNN: vertical and horizontal stacks, optionally class-conditional.

    Args:
        channels, n_params, width: as for :class:`PixelCNN`.
        n_layers: gated blocks.
        first_kernel, kernel: widths of the first and later kernels.
        n_classes: labels to condition on (0: unconditional).
        gate: the gated activation (e.g. your own ``gated_activation``).
    """

    def __init__(
        self,
        channels: int = 1,
        n_params: int = 2,
        width: int = 64,
        n_layers: int = 6,
        first_kernel: int = 5,
        kernel: int = 3,
        n_classes: int = 0,
        gate: Callable[[torch.Tensor], torch.Tensor] = gated_activation,
    ) -> None:
        super().__init__()
        _check_width(width, channels)
        g = channels
        blocks = [GatedBlock(channels, width, first_kernel, True, g, n_classes, gate)]
        blocks += [
            GatedBlock(width, width, kernel, False, g, n_classes, gate)
            for _ in range(n_layers - 1)
        ]
        self.blocks = nn.ModuleList(blocks)
        self.head = OutputHead(width, channels, n_params)
        self.n_classes = n_classes

    @property
    def reach(self) -> int:
        """Rows above (and columns to each side) that one output can see."""
        return sum(block.v_conv.radius for block in self.blocks)

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """(B, C, H, W) and labels (B,) if conditional -> (B, P, C, H, W)."""
        v = h = x
        for block in self.blocks:
            v, h = block(v, h, y)
        return self.head(h)

    def start_cache(self, x: torch.Tensor) -> ActivationCache:
        """An empty cache for sampling images ``x`` (B, C, H, W).

        Per block: the vertical stack's output ``v`` and pre-activation
        ``v_pre`` (for the link), and the horizontal stack's output ``h``.
        """
        cache = ActivationCache.of(x, max(b.v_conv.radius for b in self.blocks))
        widths = [b.h_out.weight.shape[0] for b in self.blocks]
        cache.add("v", widths)
        cache.add("v_pre", [2 * w for w in widths])
        cache.add("h", widths)
        return cache

    def cache_row(
        self, cache: ActivationCache, i: int, y: torch.Tensor | None = None
    ) -> None:
        """The vertical stack of row ``i``, all columns at once.

        It reads only the rows above ``i`` of the image, complete when row
        ``i`` starts.
        """
        v_in = cache.image
        for block, v, v_pre in zip(
            self.blocks, cache.layers["v"], cache.layers["v_pre"]
        ):
            r = block.v_conv.radius
            pre = block.v_conv.window(cache.row(v_in, i, r + 1, r))  # (B, 2D, 1, W)
            cache.put_row(v_pre, i, pre[:, :, 0])
            cache.put_row(v, i, block.vertical(pre, y)[:, :, 0])
            v_in = v

    def cache_pixel(
        self, cache: ActivationCache, i: int, j: int, y: torch.Tensor | None = None
    ) -> torch.Tensor:
        """The outputs at pixel ``(i, j)``: the horizontal stacks, a position each.

        Returns (B, P, C).
        """
        h_in = cache.image
        for block, v_pre, h_out in zip(
            self.blocks, cache.layers["v_pre"], cache.layers["h"]
        ):
            r = block.h_conv.radius
            h_conv = block.h_conv.window(cache.window(h_in, i, j, 1, r))  # (B,2D,1,1)
            here = cache.window(v_pre, i, j, 1, 0)
            h = block.horizontal(h_conv, here, cache.window(h_in, i, j, 1, 0), y)
            cache.put(h_out, i, j, h[:, :, 0, 0])
            h_in = h_out
        return self.head(h)[..., 0, 0]


class RowLSTM(nn.Module):
    """One Row LSTM layer, computed row by row (all pixels of a row at once).

    ``[o, f, i, g] = sigma(K^ss ⊛ h_{i-1} + K^is ⊛ x_i)``,
    ``c_i = f ⊙ c_{i-1} + i ⊙ g``, ``h_i = o ⊙ tanh(c_i)`` (PixelRNN, eq. 3),
    with ``tanh`` for ``g``. The input-to-state convolution is a masked
    1 x k type B kernel along the row; the state-to-state one is a plain
    1-D convolution over the previous row's state.
    """

    def __init__(self, channels: int, kernel: int = 3, groups: int = 1) -> None:
        super().__init__()
        four = 4 * channels
        self.input_to_state = MaskedConv2d(
            horizontal_mask(four, channels, kernel, "B", groups), 0
        )
        self.state_to_state = nn.Conv1d(channels, four, kernel, padding=kernel // 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, D, H, W) -> (B, D, H, W)."""
        b, d, height, width = x.shape
        gates_in = self.input_to_state(x)  # (B, 4D, H, W), every row at once
        h = x.new_zeros(b, d, width)  # (B, D, W)
        c = x.new_zeros(b, d, width)
        rows = []
        for i in range(height):  # the recurrence runs over rows
            gates = gates_in[:, :, i] + self.state_to_state(h)  # (B, 4D, W)
            o, f, inp, g = gates.chunk(4, dim=1)
            c = torch.sigmoid(f) * c + torch.sigmoid(inp) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c)
            rows.append(h)
        return torch.stack(rows, dim=2)  # (B, D, H, W)


class PixelRNN(nn.Module):
    """A type A masked convolution, Row LSTM layers with residuals, the head.

    Args:
        channels, n_params, width: as for :class:`PixelCNN`.
        n_layers: Row LSTM layers.
        first_kernel: side of the type A kernel.
        kernel: width of the input-to-state and state-to-state kernels.
    """

    def __init__(
        self,
        channels: int = 1,
        n_params: int = 2,
        width: int = 64,
        n_layers: int = 1,
        first_kernel: int = 5,
        kernel: int = 3,
    ) -> None:
        super().__init__()
        _check_width(width, channels)
        g = channels
        self.first = MaskedConv2d(
            causal_mask(width, channels, first_kernel, "A", g), first_kernel // 2
        )
        self.lstms = nn.ModuleList(RowLSTM(width, kernel, g) for _ in range(n_layers))
        self.head = OutputHead(width, channels, n_params)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) -> (B, P, C, H, W)."""
        h = self.first(x)
        for lstm in self.lstms:
            h = h + lstm(h)  # residual connection (PixelRNN, section 3.4)
        return self.head(h)

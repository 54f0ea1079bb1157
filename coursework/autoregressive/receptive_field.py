"""Receptive fields by gradients, and the blind spot of a masked-convolution stack.

The receptive field of the output at pixel ``p`` is the set of input pixels
with a non-zero gradient ``d out_p / d x_q``. A stack of masked 3 x 3
convolutions never sees a wedge of pixels above and to the right of ``p``,
although they come before ``p`` in raster order: the *blind spot*
(van den Oord et al., "Conditional Image Generation with PixelCNN Decoders",
NeurIPS 2016, arXiv:1606.05328, figure 1). The gated PixelCNN's vertical
stack sees whole rows above, so it has none.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn


def receptive_field(
    model: nn.Module | Callable[[torch.Tensor], torch.Tensor],
    image_shape: tuple[int, int, int],
    pixel: tuple[int, int],
    channel: int = 0,
    n: int = 4,
    generator: torch.Generator | None = None,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """The input pixels the output at ``pixel`` depends on, by gradients.

    The gradient of a random projection of the output's parameters is summed
    (in absolute value) over ``n`` random inputs, so that a unit that happens
    to be inactive on one input does not hide a connection.

    Args:
        model: maps (N, C, H, W) to (N, P, C, H, W).
        image_shape: (C, H, W).
        pixel: the output's (row, column).
        channel: the output's colour channel.
        n: random inputs.
        generator: a CPU generator for the inputs and the projection.
        device: where the model lives.

    Returns:
        (C, H, W) float: the summed absolute gradient (0 outside the field).
    """
    g = generator or torch.Generator().manual_seed(0)
    x = torch.rand(n, *image_shape, generator=g).to(device)
    x.requires_grad_(True)
    i, j = pixel
    out = model(x)[:, :, channel, i, j]  # (N, P)
    weights = torch.randn(out.shape[1], generator=g).to(out.device, out.dtype)
    (grad,) = torch.autograd.grad((out * weights).sum(), x)
    return grad.abs().sum(0)  # (C, H, W)


def blind_spot(field: torch.Tensor, pixel: tuple[int, int]) -> torch.Tensor:
    """Pixels before ``pixel`` in raster order that the field misses, within its box.

    The box spans the field's rows from its top row down to ``pixel``'s row,
    and its columns from its leftmost to its rightmost.

    Args:
        field: (H, W), non-zero where the output depends on the input.
        pixel: the output's (row, column).

    Returns:
        (H, W) bool, True on the blind pixels.
    """
    seen = field != 0
    height, width = seen.shape
    i, j = pixel
    rows = torch.arange(height, device=seen.device)[:, None]  # (H, 1)
    cols = torch.arange(width, device=seen.device)[None, :]  # (1, W)
    before = (rows < i) | ((rows == i) & (cols < j))  # raster order
    if not seen.any():
        return torch.zeros_like(seen)
    r_idx, c_idx = torch.nonzero(seen, as_tuple=True)
    box = (
        (rows >= r_idx.min())
        & (rows <= i)
        & (cols >= c_idx.min())
        & (cols <= c_idx.max())
    )
    return before & box & ~seen

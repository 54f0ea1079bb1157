"""Receptive fields by gradients, and the blind spot of a masked-convolution stack.

The receptive field of the output at pixel ``p`` is the set of input pixels
with a non-zero gradient ``d out_p / d x_q``. It is a property of the
architecture, so :func:`architecture_field` reads it from a copy of the model
whose weights are all positive, on a positive input: then every unit is
active and no two paths can cancel, and a gradient is zero exactly where no
path of masked-in weights links ``q`` to ``p``, whatever training did to the
model's own weights (a trained model can have dead units or zero gradients,
which :func:`receptive_field` of the model itself would show as blind).

A stack of masked 3 x 3 convolutions never sees a wedge of pixels above
and to the right of ``p``, although they come before ``p`` in raster order:
the *blind spot*
(van den Oord et al., "Conditional Image Generation with PixelCNN Decoders",
NeurIPS 2016, arXiv:1606.05328, figure 1). The gated PixelCNN's vertical
stack sees whole rows above, so it has none.
"""

from __future__ import annotations

import copy
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


def positive_copy(model: nn.Module, bias: float = 0.1) -> nn.Module:
    """A float64 CPU copy of ``model`` with every weight positive.

    Each parameter with more than one dimension becomes ``1 / fan_in`` (its
    elements per output row), so activations stay of order one at any depth;
    each bias becomes ``bias``. Masks are buffers, not parameters, and stay as
    they are, so the copy has the same connections as ``model``.

    Args:
        model: the model to copy (left unchanged, on any device).
        bias: the value of every one-dimensional parameter (> 0).
    """
    clone = copy.deepcopy(model).to(device="cpu", dtype=torch.float64).eval()
    with torch.no_grad():
        for p in clone.parameters():
            if p.dim() > 1:
                p.fill_(1.0 / p[0].numel())
            else:
                p.fill_(bias)
    return clone


def architecture_field(
    model: nn.Module,
    image_shape: tuple[int, int, int],
    pixel: tuple[int, int],
    channel: int = 0,
) -> torch.Tensor:
    """The input pixels the output at ``pixel`` can depend on, by the architecture.

    The gradient of the sum of the output's parameters, in the
    :func:`positive_copy` of ``model``, at an input of 0.5 everywhere. With
    positive weights, biases and inputs, every ReLU is active and every gate
    (``tanh(a) * sigmoid(b)``) has positive partial derivatives, so every
    path from an input to the output contributes a positive product and the
    sum is non-zero exactly on the inputs that some path of masked-in
    weights reaches. It does not depend on the model's trained weights.

    Args:
        model: an unconditional model mapping (N, C, H, W) to (N, P, C, H, W),
            whose non-linearities are increasing (ReLU, tanh, sigmoid, gates).
        image_shape: (C, H, W).
        pixel: the output's (row, column).
        channel: the output's colour channel.

    Returns:
        (C, H, W) bool on the CPU: True where the output depends on the input.
    """
    clone = positive_copy(model)
    x = torch.full((1, *image_shape), 0.5, dtype=torch.float64, requires_grad=True)
    i, j = pixel
    out = clone(x)[:, :, channel, i, j]  # (1, P)
    (grad,) = torch.autograd.grad(out.sum(), x)
    return grad[0] != 0


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

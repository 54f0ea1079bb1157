"""Sampling pixel by pixel: one step, the naive sampler and a cached sampler.

Sampling follows the chain rule: draw ``x_1``, then ``x_2 | x_1``, and so on,
one sub-pixel at a time, ``C H W`` steps in all. The **naive sampler** runs
the whole network on the whole image at every step: ``C H W`` full forward
passes, most of whose outputs are thrown away.

The **cached sampler** computes only what the next sub-pixel depends on: a
crop of ``reach + 1`` rows and ``2 reach + 1`` columns around it, and, layer by
layer, only the positions the next layer still needs (each masked
convolution's output window shrinks, so the last layer computes one
position). This is the idea of Ramachandran et al., "Fast Generation for
Convolutional Autoregressive Models" (ICLR 2017 workshop, arXiv:1704.06001):
do not recompute what cannot have changed. Both samplers take all their
randomness from one tensor of uniform noise drawn up front and turn it into
values with the same inverse-CDF step, so for the same noise they give the
same samples.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from coursework.autoregressive.likelihood import to_unit
from coursework.autoregressive.losses import Likelihood

StepFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def sample_step(probs: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """Draw one value per row by the inverse CDF: the first ``k`` with ``F(k) > u``.

    Args:
        probs: (B, K) probabilities, each row summing to 1 (up to rounding).
        u: (B,) uniform noise in [0, 1).

    Returns:
        (B,) long values in ``0 .. K-1``.
    """
    cdf = probs.cumsum(dim=-1)  # (B, K)
    below = (cdf <= u[:, None]).sum(dim=-1)  # how many values have F(k) <= u
    return below.clamp(max=probs.shape[-1] - 1)


def _call(model: nn.Module, method: str, y: torch.Tensor | None, *args):
    fn = getattr(model, method)
    return fn(*args) if y is None else fn(*args, y=y)


def _check(model: nn.Module, noise: torch.Tensor, start: torch.Tensor | None) -> None:
    if noise.dim() != 4:
        raise ValueError(
            f"noise must be (N, C, H, W) uniforms; got {tuple(noise.shape)}"
        )
    if start is not None and start.shape != noise.shape:
        raise ValueError(
            f"start {tuple(start.shape)} must have the shape of noise "
            f"{tuple(noise.shape)}"
        )


@torch.no_grad()
def sample_naive(
    model: nn.Module,
    noise: torch.Tensor,
    likelihood: Likelihood,
    y: torch.Tensor | None = None,
    start: torch.Tensor | None = None,
    first_pixel: int = 0,
    step: StepFn = sample_step,
    progress: bool = False,
) -> torch.Tensor:
    """Sample with one full forward pass per sub-pixel.

    Args:
        model: maps images (N, C, H, W) in [0, 1] (and labels) to (N, P, C, H, W).
        noise: (N, C, H, W) uniforms, one per sub-pixel, on the model's device.
        likelihood: turns outputs into probabilities over the values.
        y: (N,) labels for a class-conditional model.
        start: (N, C, H, W) values to keep for the pixels before ``first_pixel``
            (completions).
        first_pixel: raster index of the first pixel to sample.
        step: turns (N, K) probabilities and (N,) uniforms into values.
        progress: show a progress bar over rows.

    Returns:
        (N, C, H, W) long values in ``0 .. levels - 1``.
    """
    _check(model, noise, start)
    n, c_max, height, width = noise.shape
    values = torch.zeros(noise.shape, dtype=torch.long, device=noise.device)
    if start is not None:
        values.copy_(start)
    x = to_unit(values, likelihood.levels)
    for i in tqdm(range(height), disable=not progress, desc="naive sampling"):
        for j in range(width):
            if i * width + j < first_pixel:
                continue
            for c in range(c_max):
                params = _call(model, "forward", y, x)  # (N, P, C, H, W)
                probs = likelihood.log_probs(params[:, :, c, i, j].float()).exp()
                v = step(probs, noise[:, c, i, j])
                values[:, c, i, j] = v
                x[:, c, i, j] = to_unit(v, likelihood.levels)
    return values


@torch.no_grad()
def sample_cached(
    model: nn.Module,
    noise: torch.Tensor,
    likelihood: Likelihood,
    y: torch.Tensor | None = None,
    start: torch.Tensor | None = None,
    first_pixel: int = 0,
    step: StepFn = sample_step,
    progress: bool = False,
) -> torch.Tensor:
    """Sample computing only the outputs the next sub-pixel depends on.

    The model needs ``reach`` (rows above and columns to each side that one
    output sees) and ``window(x, inside[, y])`` (see
    :class:`~coursework.autoregressive.models.PixelCNN`). Arguments and result
    are those of :func:`sample_naive`; for the same noise the samples are
    the same.
    """
    _check(model, noise, start)
    if not hasattr(model, "window"):
        raise TypeError(
            f"{type(model).__name__} has no window(); use sample_naive for it"
        )
    n, c_max, height, width = noise.shape
    r = model.reach
    values = torch.zeros(noise.shape, dtype=torch.long, device=noise.device)
    if start is not None:
        values.copy_(start)
    # the input, zero-padded by r rows above and r columns on each side
    x = F.pad(to_unit(values, likelihood.levels), (r, r, r, 0))  # (N, C, H+r, W+2r)
    inside = F.pad(x.new_ones(1, 1, height, width), (r, r, r, 0))
    for i in tqdm(range(height), disable=not progress, desc="cached sampling"):
        for j in range(width):
            if i * width + j < first_pixel:
                continue
            # image rows i-r .. i and columns j-r .. j+r
            crop = (..., slice(i, i + r + 1), slice(j, j + 2 * r + 1))
            for c in range(c_max):
                params = _call(model, "window", y, x[crop], inside[crop])
                probs = likelihood.log_probs(params[:, :, c, 0, 0].float()).exp()
                v = step(probs, noise[:, c, i, j])
                values[:, c, i, j] = v
                x[:, c, i + r, j + r] = to_unit(v, likelihood.levels)
    return values

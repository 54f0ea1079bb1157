"""Sampling pixel by pixel: one step, the naive sampler and a cached sampler.

Sampling follows the chain rule: draw ``x_1``, then ``x_2 | x_1``, and so on,
one sub-pixel at a time, ``C H W`` steps in all. The **naive sampler** runs
the whole network on the whole image at every step: ``C H W`` full forward
passes, most of whose outputs are thrown away.

The **cached sampler** keeps every layer's outputs between steps and
computes only what is new: at each step one position per layer, as in
Ramachandran et al., "Fast Generation for Convolutional Autoregressive
Models" (ICLR 2017 workshop, arXiv:1704.06001). Its cost per step does not
grow with the image, so it is about ``H W`` times cheaper in arithmetic
(see :mod:`coursework.autoregressive.cache`). Both samplers take all their
randomness from one tensor of uniform noise drawn up front and turn it into
values with the same inverse-CDF step, so for the same noise they give the
same samples.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
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
    """Sample with an activation cache: one position per layer and step.

    The model needs ``start_cache(x)``, ``cache_row(cache, i[, y])`` and
    ``cache_pixel(cache, i, j[, y])`` (see
    :class:`~coursework.autoregressive.models.PixelCNN`). Arguments and result
    are those of :func:`sample_naive`; for the same noise the samples are
    the same. The pixels before ``first_pixel`` are run through the cache
    without drawing, so that later pixels find their activations.
    """
    _check(model, noise, start)
    if not hasattr(model, "cache_pixel"):
        raise TypeError(
            f"{type(model).__name__} has no activation cache; use sample_naive for it"
        )
    n, c_max, height, width = noise.shape
    values = torch.zeros(noise.shape, dtype=torch.long, device=noise.device)
    if start is not None:
        values.copy_(start)
    cache = model.start_cache(to_unit(values, likelihood.levels))
    for i in tqdm(range(height), disable=not progress, desc="cached sampling"):
        _call(model, "cache_row", y, cache, i)
        for j in range(width):
            for c in range(c_max):
                params = _call(model, "cache_pixel", y, cache, i, j)  # (N, P, C)
                if i * width + j < first_pixel:
                    break  # every colour is given: the cache is up to date
                probs = likelihood.log_probs(params[:, :, c].float()).exp()
                v = step(probs, noise[:, c, i, j])
                values[:, c, i, j] = v
                cache.set_value(c, i, j, to_unit(v, likelihood.levels))
    return values

"""The chain rule, nats and bits per dimension, and discrete pixel values.

An autoregressive model writes the likelihood of an image as a product of
conditionals in a fixed order (raster order, and R, G, B within a pixel):

    p(x) = prod_{i=1}^{n} p(x_i | x_1, ..., x_{i-1}),

so ``-log p(x)`` is a sum of per-sub-pixel terms: an exact negative
log-likelihood, in nats (natural log) per image. Bits per dimension divide
by ``n = C H W`` and by ``ln 2``: ``bpd = nll_nats / (n ln 2)`` (van den Oord,
Kalchbrenner & Kavukcuoglu, "Pixel Recurrent Neural Networks", ICML 2016,
arXiv:1601.06759, section 5.1).
"""

from __future__ import annotations

import math

import torch


def bits_per_dim(nll_nats: torch.Tensor | float, n_dims: int) -> torch.Tensor | float:
    """Convert a negative log-likelihood per image in nats to bits per dimension.

    ``bpd = nll / (n_dims * ln 2)``.

    Args:
        nll_nats: nats per image, a number or a tensor of any shape.
        n_dims: sub-pixels per image, ``C * H * W`` (a positive int).
    """
    if n_dims < 1:
        raise ValueError(f"n_dims is the number of sub-pixels C*H*W; got {n_dims}")
    return nll_nats / (n_dims * math.log(2.0))


def nats_per_image(bpd: torch.Tensor | float, n_dims: int) -> torch.Tensor | float:
    """The inverse of :func:`bits_per_dim`: ``nll = bpd * n_dims * ln 2``."""
    if n_dims < 1:
        raise ValueError(f"n_dims is the number of sub-pixels C*H*W; got {n_dims}")
    return bpd * n_dims * math.log(2.0)


def quantize(x: torch.Tensor, levels: int) -> torch.Tensor:
    """Values in [0, 1] -> integers ``0 .. levels - 1`` (nearest level), long."""
    if levels < 2:
        raise ValueError(f"levels must be at least 2; got {levels}")
    return torch.round(x.clamp(0, 1) * (levels - 1)).long()


def to_unit(values: torch.Tensor, levels: int) -> torch.Tensor:
    """Integers ``0 .. levels - 1`` -> float32 in [0, 1], the models' input."""
    return values.float() / (levels - 1)

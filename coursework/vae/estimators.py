"""Estimating ``log p(x)``: naive Monte Carlo and importance weighting.

Both estimators average importance weights ``w_k = p(x, z_k) / r(z_k)`` over
``K`` samples ``z_k ~ r`` and take the log, ``log (1/K) sum_k w_k``; they
differ in the proposal ``r``:

- the prior, ``r = p(z)``, gives the naive estimate ``log mean_k p(x|z_k)``:
  unbiased in ``p(x)`` but with a huge variance, since almost no prior sample
  explains a given ``x``;
- the encoder, ``r = q(z|x)``, gives the importance-weighted bound of Burda,
  Grosse & Salakhutdinov, "Importance Weighted Autoencoders", ICLR 2016
  (arXiv:1509.00519), eq. 8:
  ``L_K = E[log (1/K) sum_k p(x, z_k) / q(z_k|x)]``, with
  ``ELBO = L_1 <= L_K <= L_{K+1} <= log p(x)``.

All ``K`` samples of a batch are drawn and decoded in one call.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from coursework.vae.losses import bernoulli_log_likelihood

PROPOSALS = ("posterior", "prior")


def log_normal(z: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """``log N(z; mu, diag(exp(logvar)))``, summed over the last dim.

    Shape:
        z, mu, logvar: (..., D), broadcastable. Returns (...).
    """
    # log N = -1/2 sum_j (log 2 pi + logvar_j + (z_j - mu_j)^2 / sigma_j^2)
    return -0.5 * (
        math.log(2 * math.pi) + logvar + (z - mu).pow(2) * torch.exp(-logvar)
    ).sum(-1)


def iwae_bound(log_w: torch.Tensor) -> torch.Tensor:
    """``log (1/K) sum_k exp(log_w_k)``, computed stably with logsumexp.

    Shape:
        log_w: (B, K) log importance weights. Returns (B,).
    """
    if log_w.dim() != 2:
        raise ValueError(f"log_w needs shape (B, K); got {tuple(log_w.shape)}")
    return torch.logsumexp(log_w, dim=1) - math.log(log_w.shape[1])


def importance_log_weights(
    model: nn.Module,
    x: torch.Tensor,
    k: int,
    proposal: str = "posterior",
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """``log w_k = log p(x|z_k) + log p(z_k) - log r(z_k)`` for ``K`` samples per image.

    Args:
        model: has ``encode(x) -> (mu, logvar)`` and ``decode(z) -> logits``
            (e.g. :class:`coursework.vae.models.VAE`).
        x: images (B, C, H, W) with values in [0, 1].
        k: samples per image.
        proposal: ``posterior`` (``r = q(z|x)``, the IWAE weights) or ``prior``
            (``r = p(z)``, the naive Monte-Carlo weights ``p(x|z_k)``).
        generator: CPU generator for the noise (reproducible estimates).

    Returns:
        (B, K) log-weights in nats.
    """
    if proposal not in PROPOSALS:
        raise ValueError(f"Unknown proposal {proposal!r}; use one of {PROPOSALS}.")
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    mu, logvar = model.encode(x)  # (B, D) each
    b, d = mu.shape
    eps = torch.randn(b, k, d, generator=generator, dtype=mu.dtype).to(mu.device)
    zeros = torch.zeros_like(mu)
    if proposal == "prior":
        mu, logvar = zeros, zeros
    mu, logvar = mu.unsqueeze(1), logvar.unsqueeze(1)  # (B, 1, D)
    z = mu + torch.exp(0.5 * logvar) * eps  # (B, K, D)
    logits = model.decode(z.reshape(b * k, d))  # (B*K, C, H, W)
    target = x.unsqueeze(1).expand(b, k, *x.shape[1:]).reshape(logits.shape)
    log_px_z = bernoulli_log_likelihood(logits, target).view(b, k)  # (B, K)
    if proposal == "prior":
        return log_px_z  # log p(z) - log r(z) = 0
    log_pz = log_normal(z, zeros.unsqueeze(1), zeros.unsqueeze(1))  # (B, K)
    log_qz = log_normal(z, mu, logvar)  # (B, K)
    return log_px_z + log_pz - log_qz


@torch.no_grad()
def estimate_log_likelihood(
    model: nn.Module,
    x: torch.Tensor,
    k: int,
    proposal: str = "posterior",
    batch_size: int = 128,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """``log (1/K) sum_k w_k`` for every image of ``x``, in batches. Returns (N,)."""
    out = [
        iwae_bound(importance_log_weights(model, xb, k, proposal, generator))
        for xb in x.split(batch_size)
    ]
    return torch.cat(out)

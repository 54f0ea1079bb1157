"""Losses of the autoencoders, the VAE and the VQ-VAE, as pure functions.

Every function returns one value per example, shape (B,), so that callers
choose the reduction (mean for training, sum for a bound in nats).

- ELBO: Kingma & Welling, "Auto-Encoding Variational Bayes", ICLR 2014
  (arXiv:1312.6114), eq. 10 and appendix B (the analytic Gaussian KL).
- beta-VAE: Higgins et al., "beta-VAE: Learning Basic Visual Concepts with a
  Constrained Variational Framework", ICLR 2017: the KL is weighted by beta.
- VQ-VAE: van den Oord, Vinyals & Kavukcuoglu, "Neural Discrete
  Representation Learning", NeurIPS 2017 (arXiv:1711.00937), eq. 3.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def gaussian_kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """``KL(N(mu, diag(sigma^2)) || N(0, I))`` per example.

    Shape:
        mu, logvar: (B, D). Returns (B,).
    """
    # KL = 1/2 sum_j (mu_j^2 + sigma_j^2 - log sigma_j^2 - 1)
    return 0.5 * (mu.pow(2) + logvar.exp() - logvar - 1.0).sum(-1)


def bernoulli_log_likelihood(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """``log p(x|z) = sum_i x_i log p_i + (1 - x_i) log(1 - p_i)``.

    Here ``p = sigmoid(logits)``. ``x`` may hold values in [0, 1]: the
    cross-entropy then is not a normalised likelihood, but is the usual
    reconstruction term for grey images.

    Shape:
        logits, x: (B, ...) of equal shape. Returns (B,).
    """
    if logits.shape != x.shape:
        raise ValueError(
            f"logits {tuple(logits.shape)} and x {tuple(x.shape)} need the same shape"
        )
    bce = F.binary_cross_entropy_with_logits(logits, x, reduction="none")
    return -bce.flatten(1).sum(1)


def elbo(
    x: torch.Tensor,
    logits: torch.Tensor,
    mu: torch.Tensor,
    logvar: torch.Tensor,
    beta: float = 1.0,
) -> torch.Tensor:
    """Evidence lower bound with one sample: ``log p(x|z) - beta * KL(q(z|x) || p(z))``.

    Args:
        x: images (B, C, H, W) in [0, 1].
        logits: decoder output for ``z ~ q(z|x)``, same shape as ``x``.
        mu, logvar: parameters of ``q(z|x)``, (B, D).
        beta: KL weight (1 for the VAE, > 1 for a beta-VAE).

    Returns:
        (B,) in nats; ``-elbo`` is the loss.
    """
    return bernoulli_log_likelihood(logits, x) - beta * gaussian_kl(mu, logvar)


def squared_error(x_hat: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """``||x_hat - x||^2`` per example. Shape: (B, ...) -> (B,)."""
    return (x_hat - x).pow(2).flatten(1).sum(1)


def l1_sparsity(h: torch.Tensor) -> torch.Tensor:
    """``||h||_1`` per example, the sparse autoencoder's penalty. (B, D) -> (B,)."""
    return h.abs().sum(-1)


def vq_losses(
    z_e: torch.Tensor, z_q: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Codebook and commitment terms of the VQ-VAE, per example.

    ``codebook = ||sg[z_e] - e||^2`` moves the codes towards the encoder
    outputs; ``commitment = ||z_e - sg[e]||^2`` keeps the encoder near its codes
    (weighted by beta = 0.25 in the paper).

    Shape:
        z_e: encoder output (B, ...); z_q: selected codes ``e`` (not the
        straight-through copy), same shape. Returns two (B,) tensors.
    """
    codebook = (z_e.detach() - z_q).pow(2).flatten(1).sum(1)
    commitment = (z_e - z_q.detach()).pow(2).flatten(1).sum(1)
    return codebook, commitment

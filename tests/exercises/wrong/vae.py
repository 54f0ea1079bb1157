"""Wrong answers to the notebook 03 exercises, one per exercise in ``WRONG``.

``WRONG`` maps each exercise id to a wrong function and words its check's
message must contain; ``tests/exercises/test_topics.py`` runs them.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def wrong_reparameterize(mu, logvar, eps):
    return mu + torch.exp(logvar) * eps  # variance instead of std


def wrong_kl(mu, logvar):
    return 0.5 * (mu.pow(2) + logvar.exp() - logvar - 1).mean(-1)  # mean over D


def wrong_elbo(x, logits, mu, logvar):
    bce = F.binary_cross_entropy_with_logits(logits, x)  # averaged over pixels
    return -bce - 0.5 * (mu.pow(2) + logvar.exp() - logvar - 1).sum(-1)


def wrong_iwae(log_w):
    return torch.log(torch.exp(log_w).mean(1))  # underflows


def wrong_noise(x, noise_std):
    return x + noise_std * torch.randn_like(x)  # not clipped


def wrong_noise_variance(x, noise_std):
    return (x + noise_std**2 * torch.randn_like(x)).clamp(0, 1)


def wrong_vq(z, codebook):
    idx = torch.cdist(z, codebook).argmin(1)
    return codebook[idx], idx  # no straight-through gradient


def wrong_ppca_posterior(x, weight, bias, noise_var):
    eye = torch.eye(weight.shape[1], dtype=x.dtype, device=x.device)
    m_inv = torch.linalg.inv(weight.T @ weight + noise_var * eye)
    return (x - bias) @ weight @ m_inv, m_inv  # covariance without sigma^2


WRONG = {
    "vae.reparameterize": (wrong_reparameterize, "values differ"),
    "vae.gaussian_kl": (wrong_kl, "values differ"),
    "vae.elbo": (wrong_elbo, "values differ"),
    "vae.iwae_bound": (wrong_iwae, "values differ"),
    "vae.add_noise": (wrong_noise, "clip"),
    "vae.vector_quantize": (wrong_vq, "gradient"),
    "vae.ppca_posterior": (wrong_ppca_posterior, "values differ"),
}

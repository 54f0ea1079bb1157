"""Probabilistic PCA: a latent-variable model where every ELBO term is exact.

Tipping & Bishop, "Probabilistic Principal Component Analysis", Journal of
the Royal Statistical Society B, 1999:

    z ~ N(0, I_d),   x | z ~ N(W z + b, sigma^2 I_D),

so ``x ~ N(b, C)`` with ``C = W W^T + sigma^2 I`` (eq. 6), and the posterior is
Gaussian, ``z | x ~ N(M^{-1} W^T (x - b), sigma^2 M^{-1})`` with
``M = W^T W + sigma^2 I_d`` (eq. 6 of the same paper). The maximum-likelihood
parameters are closed-form (eq. 7-8): ``b`` is the data mean, ``sigma^2`` the
mean of the discarded eigenvalues of the sample covariance and
``W = U_d (Lambda_d - sigma^2 I)^{1/2}``.

With ``log p(x)``, the posterior and a Gaussian ``q(z|x)`` all in closed form,
the identity behind the VAE (Kingma & Welling, "Auto-Encoding Variational
Bayes", ICLR 2014, arXiv:1312.6114, eq. 1)

    log p(x) = ELBO(q) + KL(q(z|x) || p(z|x))

can be checked to rounding error rather than by sampling. ``q`` is a diagonal
Gaussian ``N(mu, diag(exp(logvar)))``, as a VAE's encoder outputs. Every
function here takes the parameters as tensors, so gradients flow to all.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch

from coursework.vae.losses import gaussian_kl


class PPCA(NamedTuple):
    """Parameters of a PPCA model.

    Attributes:
        weight: ``W``, (D, d).
        bias: ``b``, (D,).
        noise_var: ``sigma^2``, a scalar tensor.
    """

    weight: torch.Tensor
    bias: torch.Tensor
    noise_var: torch.Tensor


def _check(
    x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, noise_var: object
) -> torch.Tensor:
    """Validate shapes; return ``noise_var`` as a tensor of x's dtype and device."""
    if x.dim() != 2 or weight.dim() != 2 or x.shape[1] != weight.shape[0]:
        raise ValueError(
            f"expected x (B, D) and weight (D, d) with the same D, got "
            f"{tuple(x.shape)} and {tuple(weight.shape)}; flatten images first "
            "(x.flatten(1))"
        )
    if bias.shape != (x.shape[1],):
        raise ValueError(
            f"bias must have shape ({x.shape[1]},), got {tuple(bias.shape)}"
        )
    noise_var = torch.as_tensor(noise_var, dtype=x.dtype, device=x.device)
    if noise_var.dim() != 0:
        raise ValueError(
            "noise_var must be a scalar (sigma^2 > 0), got shape "
            f"{tuple(noise_var.shape)}"
        )
    return noise_var


def _inner(weight: torch.Tensor, noise_var: torch.Tensor) -> torch.Tensor:
    """``M = W^T W + sigma^2 I_d``, (d, d)."""
    eye = torch.eye(weight.shape[1], dtype=weight.dtype, device=weight.device)
    return weight.T @ weight + noise_var * eye


def fit_ppca(x: torch.Tensor, latent_dim: int) -> PPCA:
    """Maximum-likelihood PPCA in closed form (Tipping & Bishop 1999, eq. 7-8).

    Args:
        x: data, (N, D).
        latent_dim: ``d``, smaller than the number of non-zero eigenvalues of
            the sample covariance.

    Returns:
        :class:`PPCA` with ``W = U_d (Lambda_d - sigma^2 I)^{1/2}`` (orthogonal
        columns), ``b`` the mean and ``sigma^2`` the mean discarded eigenvalue.
    """
    n, dim = x.shape
    if not 1 <= latent_dim < dim:
        raise ValueError(f"latent_dim must be in [1, {dim - 1}], got {latent_dim}")
    bias = x.mean(0)
    centred = x - bias  # (N, D)
    cov = centred.T @ centred / n  # (D, D), the ML sample covariance
    eigvals, eigvecs = torch.linalg.eigh(cov)  # ascending
    eigvals, eigvecs = eigvals.flip(0).clamp_min(0), eigvecs.flip(1)
    # sigma^2 = 1 / (D - d) sum_{j > d} lambda_j
    noise_var = eigvals[latent_dim:].mean()
    # below this, the discarded "variance" is rounding error of eigh
    tiny = eigvals[0] * dim * torch.finfo(x.dtype).eps
    if not noise_var > tiny or not eigvals[latent_dim - 1] > noise_var:
        raise ValueError(
            f"the data have too few directions of variance for latent_dim="
            f"{latent_dim} (sigma^2 = {float(noise_var):.3g}); choose a smaller "
            "latent_dim or add a little noise to x"
        )
    # W = U_d (Lambda_d - sigma^2 I)^{1/2}
    weight = eigvecs[:, :latent_dim] * (eigvals[:latent_dim] - noise_var).sqrt()
    return PPCA(weight, bias, noise_var)


def ppca_log_likelihood(
    x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, noise_var: torch.Tensor
) -> torch.Tensor:
    """``log N(x; b, W W^T + sigma^2 I)`` per example, via the d x d matrix M.

    ``log det C = (D - d) log sigma^2 + log det M`` and
    ``C^{-1} = (I - W M^{-1} W^T) / sigma^2`` (matrix determinant lemma and
    Woodbury), so nothing D x D is built.

    Shape:
        x: (B, D); weight: (D, d); bias: (D,); noise_var: (). Returns (B,).
    """
    noise_var = _check(x, weight, bias, noise_var)
    dim, latent = weight.shape
    r = x - bias  # (B, D)
    chol = torch.linalg.cholesky(_inner(weight, noise_var))  # (d, d)
    proj = torch.cholesky_solve((r @ weight).T, chol).T  # M^{-1} W^T r, (B, d)
    # r^T C^{-1} r = (|r|^2 - r^T W M^{-1} W^T r) / sigma^2
    maha = (r.pow(2).sum(1) - (r @ weight * proj).sum(1)) / noise_var
    logdet = (dim - latent) * torch.log(noise_var) + 2 * chol.diagonal().log().sum()
    return -0.5 * (dim * math.log(2 * math.pi) + logdet + maha)


def ppca_posterior(
    x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, noise_var: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """The exact posterior ``p(z|x) = N(M^{-1} W^T (x - b), sigma^2 M^{-1})``.

    Shape:
        x: (B, D); weight: (D, d); bias: (D,); noise_var: ().

    Returns:
        mean (B, d) and covariance (d, d), the same for every x.
    """
    noise_var = _check(x, weight, bias, noise_var)
    m_inv = torch.linalg.inv(_inner(weight, noise_var))  # (d, d)
    mean = (x - bias) @ weight @ m_inv  # M symmetric: (M^{-1} W^T r)^T = r^T W M^{-1}
    return mean, noise_var * m_inv


def ppca_expected_log_likelihood(
    x: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor,
    noise_var: torch.Tensor,
    mu: torch.Tensor,
    logvar: torch.Tensor,
) -> torch.Tensor:
    """``E_{q(z|x)}[log p(x|z)]`` for ``q = N(mu, diag(exp(logvar)))``, exactly.

    ``-1/2 [D log(2 pi sigma^2) + (|x - b - W mu|^2 + sum_j s_j^2 |W_j|^2) / sigma^2]``,
    the second term being ``tr(W^T W S)`` for the diagonal ``S = diag(s^2)``.

    Shape:
        x: (B, D); weight: (D, d); bias: (D,); mu, logvar: (B, d). Returns (B,).
    """
    noise_var = _check(x, weight, bias, noise_var)
    resid = x - bias - mu @ weight.T  # (B, D)
    spread = (logvar.exp() * weight.pow(2).sum(0)).sum(1)  # tr(W^T W S), (B,)
    dim = x.shape[1]
    return -0.5 * (
        dim * torch.log(2 * math.pi * noise_var)
        + (resid.pow(2).sum(1) + spread) / noise_var
    )


def ppca_elbo(
    x: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor,
    noise_var: torch.Tensor,
    mu: torch.Tensor,
    logvar: torch.Tensor,
) -> torch.Tensor:
    """``ELBO = E_q[log p(x|z)] - KL(q(z|x) || p(z))``, exactly, per example.

    Shape:
        as :func:`ppca_expected_log_likelihood`. Returns (B,).
    """
    expected = ppca_expected_log_likelihood(x, weight, bias, noise_var, mu, logvar)
    return expected - gaussian_kl(mu, logvar)


def kl_to_posterior(
    mu: torch.Tensor,
    logvar: torch.Tensor,
    post_mean: torch.Tensor,
    post_cov: torch.Tensor,
) -> torch.Tensor:
    """``KL(N(mu, diag(exp(logvar))) || N(m, Sigma))`` per example.

    ``1/2 [tr(Sigma^{-1} S) + (m - mu)^T Sigma^{-1} (m - mu) - d
    + log det Sigma - log det S]`` with ``S = diag(exp(logvar))``.

    Shape:
        mu, logvar, post_mean: (B, d); post_cov: (d, d). Returns (B,).
    """
    chol = torch.linalg.cholesky(post_cov)  # (d, d)
    precision = torch.cholesky_inverse(chol)  # Sigma^{-1}, (d, d)
    diff = post_mean - mu  # (B, d)
    trace = (logvar.exp() * precision.diagonal()).sum(1)
    maha = ((diff @ precision) * diff).sum(1)
    logdet = 2 * chol.diagonal().log().sum() - logvar.sum(1)
    return 0.5 * (trace + maha - mu.shape[1] + logdet)


def mean_field_gap(post_cov: torch.Tensor) -> torch.Tensor:
    """The smallest ``KL(q || p(z|x))`` any diagonal Gaussian ``q`` can reach.

    The best ``q`` has the posterior's mean and variances
    ``s_j^2 = 1 / (Sigma^{-1})_jj``, leaving
    ``1/2 [log det Sigma + sum_j log (Sigma^{-1})_jj] >= 0``, zero exactly
    when ``Sigma`` is diagonal.

    Shape:
        post_cov: (d, d). Returns ().
    """
    chol = torch.linalg.cholesky(post_cov)
    precision = torch.cholesky_inverse(chol)
    return 0.5 * (2 * chol.diagonal().log().sum() + precision.diagonal().log().sum())

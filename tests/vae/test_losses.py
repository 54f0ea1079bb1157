"""Losses of coursework.vae against loop references, on values and gradients."""

from __future__ import annotations

import math

import torch

from coursework.vae.losses import (
    bernoulli_log_likelihood,
    elbo,
    gaussian_kl,
    l1_sparsity,
    squared_error,
    vq_losses,
)


def _kl_loop(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, sigma^2) || N(0, 1)) one scalar at a time, from the densities."""
    out = []
    for b in range(mu.shape[0]):
        total = mu.new_zeros(())
        for j in range(mu.shape[1]):
            var = torch.exp(logvar[b, j])
            # log(1 / sigma) + (sigma^2 + mu^2) / 2 - 1/2
            total = total - 0.5 * logvar[b, j] + 0.5 * (var + mu[b, j] ** 2) - 0.5
        out.append(total)
    return torch.stack(out)


def _log_lik_loop(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    out = []
    for b in range(x.shape[0]):
        total = logits.new_zeros(())
        for lg, xi in zip(logits[b].flatten(), x[b].flatten()):
            p = torch.sigmoid(lg)
            total = total + xi * torch.log(p) + (1 - xi) * torch.log(1 - p)
        out.append(total)
    return torch.stack(out)


def _inputs(dtype: torch.dtype = torch.float64) -> tuple[torch.Tensor, ...]:
    g = torch.Generator().manual_seed(0)
    mu = torch.randn(4, 3, generator=g, dtype=dtype, requires_grad=True)
    logvar = torch.randn(4, 3, generator=g, dtype=dtype, requires_grad=True)
    logits = torch.randn(4, 1, 3, 3, generator=g, dtype=dtype, requires_grad=True)
    x = (torch.rand(4, 1, 3, 3, generator=g) > 0.5).to(dtype)
    return mu, logvar, logits, x


def _assert_same(fast: torch.Tensor, slow: torch.Tensor, leaves: list) -> None:
    torch.testing.assert_close(fast, slow)
    w = torch.linspace(0.5, 1.5, fast.numel(), dtype=fast.dtype)
    g_fast = torch.autograd.grad((fast * w).sum(), leaves)
    g_slow = torch.autograd.grad((slow * w).sum(), leaves)
    for a, b in zip(g_fast, g_slow):
        torch.testing.assert_close(a, b)


def test_gaussian_kl_matches_loop_values_and_gradients() -> None:
    mu, logvar, _, _ = _inputs()
    _assert_same(gaussian_kl(mu, logvar), _kl_loop(mu, logvar), [mu, logvar])


def test_gaussian_kl_zero_for_the_prior_and_known_value() -> None:
    zeros = torch.zeros(2, 5, dtype=torch.float64)
    torch.testing.assert_close(
        gaussian_kl(zeros, zeros), torch.zeros(2, dtype=torch.float64)
    )
    # KL(N(1, 1) || N(0, 1)) = 1/2 per dim
    mu = torch.ones(1, 4, dtype=torch.float64)
    torch.testing.assert_close(
        gaussian_kl(mu, torch.zeros_like(mu)), torch.tensor([2.0], dtype=torch.float64)
    )


def test_gaussian_kl_matches_monte_carlo() -> None:
    g = torch.Generator().manual_seed(1)
    mu = torch.randn(3, 2, generator=g, dtype=torch.float64)
    logvar = 0.5 * torch.randn(3, 2, generator=g, dtype=torch.float64)
    z = mu + torch.exp(0.5 * logvar) * torch.randn(
        200_000, 3, 2, generator=g, dtype=torch.float64
    )
    q = torch.distributions.Normal(mu, torch.exp(0.5 * logvar))
    p = torch.distributions.Normal(0.0, 1.0)
    mc = (q.log_prob(z) - p.log_prob(z)).sum(-1).mean(0)  # (3,)
    torch.testing.assert_close(gaussian_kl(mu, logvar), mc, atol=0.02, rtol=0.02)


def test_bernoulli_log_likelihood_matches_loop() -> None:
    _, _, logits, x = _inputs()
    _assert_same(
        bernoulli_log_likelihood(logits, x), _log_lik_loop(logits, x), [logits]
    )


def test_bernoulli_log_likelihood_known_value_and_shape_error() -> None:
    # logits 0 -> p = 1/2 for each of 9 pixels: log p = 9 log(1/2)
    out = bernoulli_log_likelihood(torch.zeros(2, 1, 3, 3), torch.ones(2, 1, 3, 3))
    torch.testing.assert_close(out, torch.full((2,), 9 * math.log(0.5)))
    try:
        bernoulli_log_likelihood(torch.zeros(2, 9), torch.zeros(2, 1, 3, 3))
    except ValueError as exc:
        assert "same shape" in str(exc)
    else:
        raise AssertionError("a shape mismatch must raise")


def test_elbo_matches_loop_and_beta_weights_the_kl() -> None:
    mu, logvar, logits, x = _inputs()
    slow = _log_lik_loop(logits, x) - _kl_loop(mu, logvar)
    _assert_same(elbo(x, logits, mu, logvar), slow, [mu, logvar, logits])
    slow4 = _log_lik_loop(logits, x) - 4 * _kl_loop(mu, logvar)
    _assert_same(elbo(x, logits, mu, logvar, beta=4.0), slow4, [mu, logvar, logits])


def test_elbo_is_stable_for_confident_logits() -> None:
    x = torch.ones(1, 1, 2, 2)
    out = elbo(x, torch.full_like(x, 50.0), torch.zeros(1, 2), torch.zeros(1, 2))
    assert torch.isfinite(out).all() and out.item() <= 0


def test_squared_error_and_l1() -> None:
    g = torch.Generator().manual_seed(2)
    a = torch.randn(3, 1, 2, 2, generator=g, dtype=torch.float64)
    b = torch.randn(3, 1, 2, 2, generator=g, dtype=torch.float64)
    loop = torch.stack(
        [
            sum((u - v) ** 2 for u, v in zip(a[i].flatten(), b[i].flatten()))
            for i in range(3)
        ]
    )
    torch.testing.assert_close(squared_error(a, b), loop)
    h = torch.randn(3, 5, generator=g, dtype=torch.float64)
    torch.testing.assert_close(
        l1_sparsity(h), torch.stack([sum(abs(v) for v in row) for row in h])
    )


def test_vq_losses_route_gradients_to_the_right_side() -> None:
    g = torch.Generator().manual_seed(3)
    z_e = torch.randn(2, 3, generator=g, dtype=torch.float64, requires_grad=True)
    z_q = torch.randn(2, 3, generator=g, dtype=torch.float64, requires_grad=True)
    codebook, commitment = vq_losses(z_e, z_q)
    expected = ((z_e - z_q) ** 2).sum(1)
    torch.testing.assert_close(codebook, expected)
    torch.testing.assert_close(commitment, expected)
    g_e, g_q = torch.autograd.grad(codebook.sum(), [z_e, z_q], allow_unused=True)
    assert g_e is None and torch.allclose(g_q, 2 * (z_q - z_e))
    g_e, g_q = torch.autograd.grad(commitment.sum(), [z_e, z_q], allow_unused=True)
    assert g_q is None and torch.allclose(g_e, 2 * (z_e - z_q))

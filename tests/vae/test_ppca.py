"""Probabilistic PCA against torch.distributions and Bayes' rule, in float64."""

from __future__ import annotations

import math

import pytest
import torch
from torch.distributions import MultivariateNormal, Normal, kl_divergence

from coursework.vae.ppca import (
    fit_ppca,
    kl_to_posterior,
    mean_field_gap,
    ppca_elbo,
    ppca_expected_log_likelihood,
    ppca_log_likelihood,
    ppca_posterior,
)

F64 = torch.float64


def _model(dim: int = 6, latent: int = 3, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    weight = torch.randn(dim, latent, generator=g, dtype=F64)
    bias = torch.randn(dim, generator=g, dtype=F64)
    noise_var = torch.tensor(0.3, dtype=F64)
    x = torch.randn(5, dim, generator=g, dtype=F64) * 2
    return x, weight, bias, noise_var


def _marginal(weight, bias, noise_var) -> MultivariateNormal:
    cov = weight @ weight.T + noise_var * torch.eye(weight.shape[0], dtype=F64)
    return MultivariateNormal(bias, covariance_matrix=cov)


def _log_joint(x, z, weight, bias, noise_var) -> torch.Tensor:
    """log p(x|z) + log p(z) from the densities, one (x, z) pair at a time."""
    like = Normal(weight @ z + bias, noise_var.sqrt()).log_prob(x).sum()
    prior = Normal(torch.zeros_like(z), torch.ones_like(z)).log_prob(z).sum()
    return like + prior


def _leaves(*tensors):
    return [t.clone().requires_grad_(True) for t in tensors]


def test_log_likelihood_matches_multivariate_normal_values_and_gradients() -> None:
    leaves = _leaves(*_model())
    fast = ppca_log_likelihood(*leaves)
    x, weight, bias, noise_var = leaves
    slow = _marginal(weight, bias, noise_var).log_prob(x)
    torch.testing.assert_close(fast, slow)
    w = torch.linspace(0.5, 1.5, 5, dtype=F64)
    for a, b in zip(
        torch.autograd.grad((fast * w).sum(), leaves),
        torch.autograd.grad((slow * w).sum(), leaves),
    ):
        torch.testing.assert_close(a, b)


def test_log_likelihood_known_case_one_dimension() -> None:
    # D = d = 1: x ~ N(b, w^2 + sigma^2) = N(1, 4 + 5) at x = 4
    x = torch.tensor([[4.0]], dtype=F64)
    out = ppca_log_likelihood(
        x,
        torch.tensor([[2.0]], dtype=F64),
        torch.tensor([1.0], dtype=F64),
        torch.tensor(5.0, dtype=F64),
    )
    expected = -0.5 * (math.log(2 * math.pi * 9.0) + 9.0 / 9.0)
    assert float(out) == pytest.approx(expected, abs=1e-12)


def test_posterior_is_bayes_rule() -> None:
    x, weight, bias, noise_var = _model()
    mean, cov = ppca_posterior(x, weight, bias, noise_var)
    log_px = _marginal(weight, bias, noise_var).log_prob(x)
    g = torch.Generator().manual_seed(1)
    for b in range(x.shape[0]):
        post = MultivariateNormal(mean[b], covariance_matrix=cov)
        for _ in range(3):
            z = torch.randn(weight.shape[1], generator=g, dtype=F64)
            # log p(z|x) = log p(x|z) + log p(z) - log p(x)
            bayes = _log_joint(x[b], z, weight, bias, noise_var) - log_px[b]
            torch.testing.assert_close(post.log_prob(z), bayes)


def _kl_loop(mu, logvar, post_mean, post_cov) -> torch.Tensor:
    out = []
    for b in range(mu.shape[0]):
        q = MultivariateNormal(mu[b], covariance_matrix=torch.diag(logvar[b].exp()))
        out.append(kl_divergence(q, MultivariateNormal(post_mean[b], post_cov)))
    return torch.stack(out)


def test_kl_to_posterior_matches_torch_distributions_with_gradients() -> None:
    x, weight, bias, noise_var = _model()
    g = torch.Generator().manual_seed(2)
    post_mean, post_cov = ppca_posterior(x, weight, bias, noise_var)
    leaves = _leaves(
        torch.randn(5, 3, generator=g, dtype=F64),
        torch.randn(5, 3, generator=g, dtype=F64),
        post_mean,
        post_cov,
    )
    fast, slow = kl_to_posterior(*leaves), _kl_loop(*leaves)
    torch.testing.assert_close(fast, slow)
    for a, b in zip(
        torch.autograd.grad(fast.sum(), leaves[:3]),
        torch.autograd.grad(slow.sum(), leaves[:3]),
    ):
        torch.testing.assert_close(a, b)


def test_expected_log_likelihood_matches_monte_carlo() -> None:
    x, weight, bias, noise_var = _model()
    g = torch.Generator().manual_seed(3)
    mu = torch.randn(5, 3, generator=g, dtype=F64)
    logvar = torch.randn(5, 3, generator=g, dtype=F64) - 1
    exact = ppca_expected_log_likelihood(x, weight, bias, noise_var, mu, logvar)
    z = mu + (0.5 * logvar).exp() * torch.randn(200_000, 5, 3, generator=g, dtype=F64)
    samples = Normal(z @ weight.T + bias, noise_var.sqrt()).log_prob(x).sum(-1)
    stderr = samples.std(0) / math.sqrt(samples.shape[0])  # (B,)
    assert ((samples.mean(0) - exact).abs() < 5 * stderr).all()


def test_identity_log_px_equals_elbo_plus_kl_for_any_q() -> None:
    x, weight, bias, noise_var = _model()
    g = torch.Generator().manual_seed(4)
    mu = torch.randn(5, 3, generator=g, dtype=F64)
    logvar = torch.randn(5, 3, generator=g, dtype=F64)
    post_mean, post_cov = ppca_posterior(x, weight, bias, noise_var)
    elbo = ppca_elbo(x, weight, bias, noise_var, mu, logvar)
    kl = kl_to_posterior(mu, logvar, post_mean, post_cov)
    log_px = _marginal(weight, bias, noise_var).log_prob(x)
    assert (kl > 0).all()
    torch.testing.assert_close(elbo + kl, log_px, rtol=0, atol=1e-10)


def test_exact_posterior_closes_the_gap_when_it_is_diagonal() -> None:
    # Orthogonal columns of W make M = W^T W + sigma^2 I diagonal, and so the
    # posterior: a diagonal q can equal it, and then ELBO = log p(x).
    x, _, bias, noise_var = _model()
    q, _ = torch.linalg.qr(torch.randn(6, 3, dtype=F64, generator=torch.Generator()))
    weight = q * torch.tensor([3.0, 2.0, 1.0], dtype=F64)
    post_mean, post_cov = ppca_posterior(x, weight, bias, noise_var)
    torch.testing.assert_close(post_cov, torch.diag(post_cov.diagonal()))
    logvar = post_cov.diagonal().log().expand(5, 3)
    elbo = ppca_elbo(x, weight, bias, noise_var, post_mean, logvar)
    torch.testing.assert_close(elbo, ppca_log_likelihood(x, weight, bias, noise_var))
    assert float(mean_field_gap(post_cov)) == pytest.approx(0.0, abs=1e-12)


def test_mean_field_gap_is_the_smallest_kl_of_a_diagonal_q() -> None:
    x, weight, bias, noise_var = _model()
    post_mean, post_cov = ppca_posterior(x, weight, bias, noise_var)
    gap = mean_field_gap(post_cov)
    assert float(gap) > 1e-3  # a random W gives a correlated posterior
    best_logvar = (1 / torch.linalg.inv(post_cov).diagonal()).log().expand(5, 3)
    best = kl_to_posterior(post_mean, best_logvar, post_mean, post_cov)
    torch.testing.assert_close(best, gap.expand(5))
    logvar = best_logvar.clone().requires_grad_(True)
    grad = torch.autograd.grad(
        kl_to_posterior(post_mean, logvar, post_mean, post_cov).sum(), logvar
    )[0]
    torch.testing.assert_close(grad, torch.zeros_like(grad), atol=1e-12, rtol=0)
    worse = kl_to_posterior(post_mean + 0.1, best_logvar + 0.1, post_mean, post_cov)
    assert (worse > gap).all()


def test_fit_is_the_maximum_likelihood_gradient_zero_in_float64() -> None:
    g = torch.Generator().manual_seed(5)
    mixing = torch.randn(8, 8, generator=g, dtype=F64)
    x = torch.randn(400, 8, generator=g, dtype=F64) @ mixing + 1.0
    model = fit_ppca(x, 3)
    torch.testing.assert_close(
        model.weight.T @ model.weight,
        torch.diag((model.weight.T @ model.weight).diagonal()),
    )
    leaves = _leaves(*model)
    mean_ll = ppca_log_likelihood(x, *leaves).mean()
    for grad in torch.autograd.grad(mean_ll, leaves):
        assert float(grad.abs().max()) < 1e-8
    rotation, _ = torch.linalg.qr(torch.randn(3, 3, generator=g, dtype=F64))
    rotated = ppca_log_likelihood(x, model.weight @ rotation, *model[1:])
    torch.testing.assert_close(rotated, ppca_log_likelihood(x, *model))
    perturbed = ppca_log_likelihood(x, model.weight * 1.05, *model[1:]).mean()
    assert float(perturbed) < float(mean_ll.detach())


def test_gradcheck_elbo_and_kl() -> None:
    x, weight, bias, noise_var = _model(dim=4, latent=2)
    g = torch.Generator().manual_seed(6)
    mu, logvar = (torch.randn(5, 2, generator=g, dtype=F64) for _ in "ab")
    args = _leaves(x, weight, bias, noise_var, mu, logvar)
    assert torch.autograd.gradcheck(ppca_elbo, args)
    post_mean, post_cov = ppca_posterior(x, weight, bias, noise_var)
    assert torch.autograd.gradcheck(
        kl_to_posterior, _leaves(mu, logvar, post_mean, post_cov)[:3] + [post_cov]
    )


def test_bad_input_names_the_problem() -> None:
    x, weight, bias, noise_var = _model()
    with pytest.raises(ValueError, match="flatten"):
        ppca_log_likelihood(x[:, None], weight, bias, noise_var)
    with pytest.raises(ValueError, match="bias"):
        ppca_posterior(x, weight, bias[:2], noise_var)
    with pytest.raises(ValueError, match="latent_dim"):
        fit_ppca(x, 6)
    low_rank = torch.randn(50, 2, dtype=F64) @ torch.randn(2, 6, dtype=F64)
    with pytest.raises(ValueError, match="smaller latent_dim"):
        fit_ppca(low_rank, 3)

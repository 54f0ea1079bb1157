"""Log-likelihood estimators: IWAE bound against loops, its ordering in K."""

from __future__ import annotations

import math

import pytest
import torch

from coursework.vae.estimators import (
    estimate_log_likelihood,
    importance_log_weights,
    iwae_bound,
    log_normal,
)
from coursework.vae.losses import elbo
from coursework.vae.models import VAE


def _iwae_loop(log_w: torch.Tensor) -> torch.Tensor:
    """log (1/K) sum_k w_k, one example at a time, with the max trick by hand."""
    out = []
    for row in log_w:
        m = max(row)
        out.append(m + torch.log(sum(torch.exp(v - m) for v in row) / len(row)))
    return torch.stack(out)


def _model() -> VAE:
    torch.manual_seed(0)
    return VAE((1, 4, 4), latent_dim=3, hidden=[8]).double()


def _images(n: int = 6) -> torch.Tensor:
    g = torch.Generator().manual_seed(1)
    return (torch.rand(n, 1, 4, 4, generator=g) > 0.5).double()


def test_iwae_bound_matches_loop_values_and_gradients() -> None:
    g = torch.Generator().manual_seed(0)
    log_w = (5 * torch.randn(4, 7, generator=g, dtype=torch.float64)).requires_grad_()
    fast, slow = iwae_bound(log_w), _iwae_loop(log_w)
    torch.testing.assert_close(fast, slow)
    ga = torch.autograd.grad(fast.sum(), log_w)[0]
    gb = torch.autograd.grad(slow.sum(), log_w)[0]
    torch.testing.assert_close(ga, gb)
    # the gradient is the softmax of the weights: each row sums to one
    torch.testing.assert_close(ga.sum(1), torch.ones(4, dtype=torch.float64))


def test_iwae_bound_known_value_and_stability() -> None:
    equal = torch.full((2, 10), -3.0, dtype=torch.float64)
    torch.testing.assert_close(
        iwae_bound(equal), torch.full((2,), -3.0, dtype=torch.float64)
    )
    far = torch.tensor([[-1000.0, -1000.0 + math.log(3.0)]], dtype=torch.float64)
    torch.testing.assert_close(
        iwae_bound(far), torch.tensor([-1000.0 + math.log(2.0)], dtype=torch.float64)
    )
    with pytest.raises(ValueError, match="shape"):
        iwae_bound(torch.zeros(3))


def test_log_normal_matches_torch_distributions() -> None:
    g = torch.Generator().manual_seed(2)
    z, mu, logvar = (
        torch.randn(5, 3, generator=g, dtype=torch.float64) for _ in range(3)
    )
    ref = torch.distributions.Normal(mu, torch.exp(0.5 * logvar)).log_prob(z).sum(-1)
    torch.testing.assert_close(log_normal(z, mu, logvar), ref)


def test_log_weights_match_a_loop_over_samples() -> None:
    model, x = _model(), _images(3)
    k = 4
    g = torch.Generator().manual_seed(5)
    fast = importance_log_weights(model, x, k, generator=g)
    g = torch.Generator().manual_seed(5)
    eps = torch.randn(3, k, 3, generator=g, dtype=torch.float64)
    mu, logvar = model.encode(x)
    p = torch.distributions.Normal(0.0, 1.0)
    for b in range(3):
        q = torch.distributions.Normal(mu[b], torch.exp(0.5 * logvar[b]))
        for j in range(k):
            z = mu[b] + torch.exp(0.5 * logvar[b]) * eps[b, j]
            logits = model.decode(z[None])[0]
            log_px = torch.distributions.Bernoulli(logits=logits).log_prob(x[b]).sum()
            expected = log_px + p.log_prob(z).sum() - q.log_prob(z).sum()
            torch.testing.assert_close(fast[b, j], expected)


def test_iwae_with_one_sample_equals_the_elbo_estimate_with_the_same_sample() -> None:
    model, x = _model(), _images()
    g = torch.Generator().manual_seed(7)
    bound = iwae_bound(importance_log_weights(model, x, 1, generator=g))
    g = torch.Generator().manual_seed(7)
    mu, logvar = model.encode(x)
    eps = torch.randn(x.shape[0], 1, 3, generator=g, dtype=torch.float64)[:, 0]
    z = mu + torch.exp(0.5 * logvar) * eps
    # analytic KL vs its one-sample estimate differ; compare with the MC ELBO
    log_px = (
        -torch.nn.functional.binary_cross_entropy_with_logits(
            model.decode(z), x, reduction="none"
        )
        .flatten(1)
        .sum(1)
    )
    mc_elbo = (
        log_px
        + log_normal(z, torch.zeros_like(z), torch.zeros_like(z))
        - log_normal(z, mu, logvar)
    )
    torch.testing.assert_close(bound, mc_elbo)
    # and in expectation it is the analytic-KL ELBO
    many = estimate_log_likelihood(model, x.repeat(4000, 1, 1, 1), 1, batch_size=8192)
    mean_bound = many.view(4000, -1).mean(0)
    eps = torch.randn(
        4000, *mu.shape, generator=torch.Generator().manual_seed(8), dtype=torch.float64
    )
    z = mu + torch.exp(0.5 * logvar) * eps  # (S, B, D)
    logits = model.decode(z)
    x_rep = x.expand_as(logits)
    logits_flat = logits.reshape(-1, *x.shape[1:])
    expected = elbo(
        x_rep.reshape(logits_flat.shape),
        logits_flat,
        mu.repeat(4000, 1),
        logvar.repeat(4000, 1),
    )
    expected = expected.view(4000, -1).mean(0)
    torch.testing.assert_close(mean_bound, expected, atol=0.05, rtol=0.01)


def test_iwae_increases_with_k_in_expectation() -> None:
    model, x = _model(), _images(4)
    g = torch.Generator().manual_seed(9)
    means = []
    for k in (1, 5, 50):
        reps = estimate_log_likelihood(
            model, x.repeat(400, 1, 1, 1), k, batch_size=4096, generator=g
        )
        means.append(reps.mean())
    assert means[0] < means[1] < means[2]


def test_naive_prior_weights_are_the_decoder_likelihood() -> None:
    model, x = _model(), _images(2)
    g = torch.Generator().manual_seed(3)
    log_w = importance_log_weights(model, x, 5, proposal="prior", generator=g)
    g = torch.Generator().manual_seed(3)
    z = torch.randn(2, 5, 3, generator=g, dtype=torch.float64)
    logits = model.decode(z)  # (2, 5, 1, 4, 4)
    ref = (
        torch.distributions.Bernoulli(logits=logits)
        .log_prob(x[:, None].expand_as(logits))
        .flatten(2)
        .sum(2)
    )
    torch.testing.assert_close(log_w, ref)
    with pytest.raises(ValueError, match="proposal"):
        importance_log_weights(model, x, 5, proposal="uniform")

"""Softmax and discretised logistic likelihoods against loop references."""

from __future__ import annotations

import math

import pytest
import torch

from coursework.autoregressive.losses import (
    Likelihood,
    categorical_log_prob,
    discretized_logistic_log_prob,
    image_nll,
    logistic_mixture_log_prob,
)


def _sigmoid(t: float) -> float:
    return 1.0 / (1.0 + math.exp(-t)) if t > -700 else 0.0


def _logistic_loop(x: int, mu: float, s: float, levels: int) -> float:
    """PixelCNN++ eq. 2, one value: the mass of x's bin, tails at the edges.

    Where an inner bin's mass is below 1e-5 the reference implementation of
    PixelCNN++ uses the density at the bin centre times the bin width.
    """
    half = 1.0 / (levels - 1)
    xs = 2.0 * x / (levels - 1) - 1.0
    hi = 1.0 if x == levels - 1 else _sigmoid((xs + half - mu) / s)
    lo = 0.0 if x == 0 else _sigmoid((xs - half - mu) / s)
    if 0 < x < levels - 1 and hi - lo <= 1e-5:
        t = (xs - mu) / s
        pdf = math.exp(-t) / (s * (1 + math.exp(-t)) ** 2)
        return math.log(pdf * 2 * half)
    return math.log(hi - lo)


def test_discretized_logistic_matches_the_loop() -> None:
    g = torch.Generator().manual_seed(0)
    levels = 16
    x = torch.randint(0, levels, (50,), generator=g)
    x[:3], x[3:6] = 0, levels - 1
    mu = torch.rand(50, generator=g, dtype=torch.float64) * 2 - 1
    log_s = torch.rand(50, generator=g, dtype=torch.float64) * 2 - 2.5
    got = discretized_logistic_log_prob(x, mu, log_s, levels)
    for k in range(50):
        want = _logistic_loop(
            int(x[k]), float(mu[k]), math.exp(float(log_s[k])), levels
        )
        assert got[k].item() == pytest.approx(want, rel=1e-9, abs=1e-9)


def test_gradients_match_finite_differences() -> None:
    g = torch.Generator().manual_seed(1)
    x = torch.randint(0, 256, (6,), generator=g)
    mu = (torch.rand(6, generator=g, dtype=torch.float64) * 2 - 1).requires_grad_()
    log_s = (torch.rand(6, generator=g, dtype=torch.float64) - 3).requires_grad_()
    assert torch.autograd.gradcheck(
        lambda m, s: discretized_logistic_log_prob(x, m, s, 256), (mu, log_s)
    )


@pytest.mark.parametrize("levels", [2, 4, 256])
def test_mixture_probabilities_over_all_values_sum_to_one(levels: int) -> None:
    g = torch.Generator().manual_seed(2)
    m = 5
    params = torch.randn(3, 3 * m, generator=g, dtype=torch.float64)
    params[:, 2 * m :] = params[:, 2 * m :].clamp(-4, 1)  # log scales
    lik = Likelihood("logistic", levels=levels, n_mix=m)
    p = lik.log_probs(params).exp()  # (3, L)
    assert p.shape == (3, levels)
    assert torch.allclose(p.sum(-1), torch.ones(3, dtype=torch.float64), atol=1e-6)


def test_mixture_matches_the_loop_and_the_one_component_case() -> None:
    g = torch.Generator().manual_seed(3)
    m, levels = 3, 256
    params = torch.randn(2, 3 * m, 1, 2, 2, generator=g, dtype=torch.float64)
    x = torch.randint(0, levels, (2, 1, 2, 2), generator=g)
    got = logistic_mixture_log_prob(params, x, levels)
    for b in range(2):
        for i in range(2):
            for j in range(2):
                p = params[b, :, 0, i, j]
                pi = torch.softmax(p[:m], 0)
                total = sum(
                    float(pi[k])
                    * math.exp(
                        _logistic_loop(
                            int(x[b, 0, i, j]),
                            float(p[m + k]),
                            math.exp(max(float(p[2 * m + k]), -7.0)),
                            levels,
                        )
                    )
                    for k in range(m)
                )
                assert got[b, 0, i, j].item() == pytest.approx(
                    math.log(total), rel=1e-7
                )
    one = torch.tensor([[0.0, 0.2, -2.0]], dtype=torch.float64).view(1, 3, 1, 1, 1)
    xv = torch.tensor([[[[140]]]])
    assert torch.allclose(
        logistic_mixture_log_prob(one, xv),
        discretized_logistic_log_prob(xv, one[:, 1], one[:, 2]),
    )


def test_categorical_and_image_nll_match_the_loop() -> None:
    g = torch.Generator().manual_seed(4)
    logits = torch.randn(2, 4, 3, 2, 2, generator=g, dtype=torch.float64)
    x = torch.randint(0, 4, (2, 3, 2, 2), generator=g)
    lp = categorical_log_prob(logits, x)
    nll = image_nll(lp)
    for b in range(2):
        total = 0.0
        for c in range(3):
            for i in range(2):
                for j in range(2):
                    z = logits[b, :, c, i, j]
                    total -= float(z[x[b, c, i, j]] - torch.logsumexp(z, 0))
        assert nll[b].item() == pytest.approx(total)
    # uniform logits: exactly n log K nats
    flat = torch.zeros(1, 4, 3, 2, 2)
    assert image_nll(categorical_log_prob(flat, x[:1])).item() == pytest.approx(
        12 * math.log(4), rel=1e-6
    )


def test_likelihood_per_value_agrees_with_log_prob() -> None:
    g = torch.Generator().manual_seed(5)
    for lik in (Likelihood("softmax", 4), Likelihood("logistic", 4, n_mix=2)):
        params = torch.randn(3, lik.n_params, generator=g)
        table = lik.log_probs(params)  # (3, 4)
        for v in range(4):
            x = torch.full((3, 1, 1, 1), v)
            direct = lik.log_prob(params[:, :, None, None, None], x)[:, 0, 0, 0]
            assert torch.allclose(direct, table[:, v], atol=1e-6)
    with pytest.raises(ValueError, match="kind"):
        Likelihood("gaussian")

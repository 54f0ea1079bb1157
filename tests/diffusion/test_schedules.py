"""The forward process: schedules and q(x_t | x_0) against single steps (float64)."""

from __future__ import annotations

import math

import pytest
import torch

from coursework.diffusion.schedules import (
    Schedule,
    cosine_schedule,
    linear_schedule,
    predict_x0,
    q_posterior,
    q_sample,
    snr,
)


def test_linear_schedule_is_ddpms_at_t_1000():
    s = linear_schedule(1000)
    assert s.T == 1000 and s.betas.dtype == torch.float64
    assert s.betas[0].item() == pytest.approx(1e-4)
    assert s.betas[-1].item() == pytest.approx(0.02)
    # DDPM: L_T ~ 0 because alpha_bar_T is tiny (about 4e-5 for this schedule)
    assert s.alpha_bar[-1].item() < 1e-4


def test_cosine_schedule_matches_its_formula_by_loop():
    T, s0 = 30, 0.008  # noqa: N806
    sched = cosine_schedule(T, s0)

    def f(t):
        return math.cos((t / T + s0) / (1 + s0) * math.pi / 2) ** 2

    # the last beta is clipped at 0.999 (Nichol & Dhariwal), the others are exact
    assert sched.betas[-1].item() == pytest.approx(0.999)
    for t in range(1, T):
        assert sched.alpha_bar[t - 1].item() == pytest.approx(f(t) / f(0), rel=1e-9)


def test_alpha_bar_is_the_product_of_alphas_and_snr_falls():
    s = linear_schedule(50)
    prod = 1.0
    for t in range(50):
        prod *= 1 - s.betas[t].item()
        assert s.alpha_bar[t].item() == pytest.approx(prod, rel=1e-12)
    r = snr(s.alpha_bar)
    assert bool((r[1:] < r[:-1]).all())


@pytest.mark.parametrize("make", [linear_schedule, cosine_schedule])
def test_closed_form_matches_a_loop_of_single_steps(make):
    """Mean and variance of q(x_t|x_0) by propagating q(x_s|x_{s-1}) step by step."""
    sched = make(25)
    x0 = torch.tensor([1.5, -0.3], dtype=torch.float64)
    mean, var = x0.clone(), torch.zeros_like(x0)
    for t in range(sched.T):
        beta = sched.betas[t]
        # x_t = sqrt(1 - beta) x_{t-1} + sqrt(beta) eps
        mean, var = (1 - beta).sqrt() * mean, (1 - beta) * var + beta
        tt = torch.full((2,), t)
        zero = q_sample(x0, tt, torch.zeros_like(x0), sched.alpha_bar)
        unit = q_sample(x0, tt, torch.ones_like(x0), sched.alpha_bar) - zero
        torch.testing.assert_close(zero, mean)
        torch.testing.assert_close(unit**2, var)


def test_closed_form_samples_have_the_loop_moments():
    sched = linear_schedule(20)
    g = torch.Generator().manual_seed(0)
    x0 = torch.full((200_000, 1), 2.0, dtype=torch.float64)
    x = x0.clone()
    for t in range(sched.T):
        b = sched.betas[t]
        x = (1 - b).sqrt() * x + b.sqrt() * torch.randn(
            x.shape, generator=g, dtype=x.dtype
        )
    t = torch.full((x0.shape[0],), sched.T - 1)
    noise = torch.randn(x0.shape, generator=g, dtype=x0.dtype)
    direct = q_sample(x0, t, noise, sched.alpha_bar)
    assert direct.mean().item() == pytest.approx(x.mean().item(), abs=0.01)
    assert direct.var().item() == pytest.approx(x.var().item(), rel=0.02)


def test_posterior_is_bayes_rule_on_a_gaussian():
    """q(x_{t-1}|x_t,x_0) ∝ q(x_t|x_{t-1}) q(x_{t-1}|x_0): a product of Gaussians,
    checked in closed form and on a dense grid of unnormalised densities."""
    sched = cosine_schedule(40)
    x0 = torch.tensor([0.7], dtype=torch.float64)
    xt = torch.tensor([-0.4], dtype=torch.float64)
    for t in [1, 7, 39]:
        a, b = sched.alphas[t], sched.betas[t]
        ab_prev = sched.alpha_bar[t - 1]
        # prior on x_{t-1}: N(sqrt(ab_prev) x0, 1 - ab_prev); likelihood of x_t:
        # N(x_t; sqrt(a) x_{t-1}, b)
        prec = 1 / (1 - ab_prev) + a / b
        mean_bayes = (ab_prev.sqrt() * x0 / (1 - ab_prev) + a.sqrt() * xt / b) / prec
        mean, var = q_posterior(x0, xt, torch.tensor([t]), sched)
        torch.testing.assert_close(mean, mean_bayes)
        torch.testing.assert_close(var.flatten(), (1 / prec).reshape(1))
        # a dense window (located from the closed form; the moments come from
        # the unnormalised densities alone)
        half = 12 * var.flatten().sqrt()
        grid = mean_bayes + half * torch.linspace(-1, 1, 200_001, dtype=torch.float64)
        log_p = -((grid - ab_prev.sqrt() * x0) ** 2) / (2 * (1 - ab_prev)) - (
            (xt - a.sqrt() * grid) ** 2
        ) / (2 * b)
        w = torch.softmax(log_p, 0)
        m = (w * grid).sum()
        assert m.item() == pytest.approx(mean.item(), abs=1e-6)
        assert (w * (grid - m) ** 2).sum().item() == pytest.approx(var.item(), rel=1e-4)


def test_predict_x0_inverts_q_sample():
    sched = linear_schedule(10)
    g = torch.Generator().manual_seed(1)
    x0, eps = torch.randn(2, 4, 3, generator=g, dtype=torch.float64)
    t = torch.tensor([0, 3, 9, 5])
    xt = q_sample(x0, t, eps, sched.alpha_bar)
    torch.testing.assert_close(predict_x0(xt, eps, t, sched.alpha_bar), x0)


def test_bad_schedules_are_refused_with_a_fix():
    with pytest.raises(ValueError, match="linear_schedule"):
        Schedule(torch.tensor([0.1, 1.5], dtype=torch.float64))
    with pytest.raises(ValueError, match="T >= 2"):
        linear_schedule(1)

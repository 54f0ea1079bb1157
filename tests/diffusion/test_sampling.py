"""DDPM and DDIM steps: against the posterior, each other, and exact Gaussian data."""

from __future__ import annotations

import pytest
import torch

from coursework.diffusion.sampling import (
    ddim_sample,
    ddim_step,
    ddim_timesteps,
    ddpm_sample,
    ddpm_step,
)
from coursework.diffusion.schedules import cosine_schedule, linear_schedule, q_posterior


def _bayes_eps(alpha_bar, s, T):  # noqa: N803
    """The exact eps-prediction for data x0 ~ N(0, s^2 I), as a predictor."""

    def predict(x, time):
        ab = alpha_bar[(time * T).round().long()].to(x.dtype).view(-1, 1)
        return (1 - ab).sqrt() * x / (ab * s**2 + 1 - ab)

    return predict


def test_ddpm_step_mean_is_the_posterior_mean_with_the_true_noise():
    """With eps_hat = eps, mu_theta(x_t) equals q(x_{t-1}|x_t, x_0)'s mean."""
    sched = linear_schedule(30)
    g = torch.Generator().manual_seed(0)
    x0, eps = torch.randn(2, 6, 3, generator=g, dtype=torch.float64)
    for t in [1, 12, 29]:
        tt = torch.full((6,), t)
        ab = sched.alpha_bar[t]
        xt = ab.sqrt() * x0 + (1 - ab).sqrt() * eps
        mean = ddpm_step(xt, eps, t, sched, torch.zeros_like(xt))
        q_mean, q_var = q_posterior(x0, xt, tt, sched)
        torch.testing.assert_close(mean, q_mean)
        unit = ddpm_step(xt, eps, t, sched, torch.ones_like(xt)) - mean
        torch.testing.assert_close(unit**2, q_var.expand_as(unit))


def test_ddim_with_eta_one_is_the_ddpm_step():
    """DDIM eq. 16: eta = 1 between neighbours is DDPM's posterior-variance step."""
    sched = cosine_schedule(40)
    g = torch.Generator().manual_seed(1)
    x, eps, z = torch.randn(3, 8, 2, generator=g, dtype=torch.float64)
    for t in [1, 5, 39]:
        ddim = ddim_step(x, eps, t, t - 1, sched, eta=1.0, noise=z)
        ddpm = ddpm_step(x, eps, t, sched, z, variance="posterior")
        torch.testing.assert_close(ddim, ddpm)
    # the same distribution from independent draws: means and variances agree
    n = 200_000
    xs = torch.full((n, 1), 0.8, dtype=torch.float64)
    e = torch.full((n, 1), -0.5, dtype=torch.float64)
    a = ddim_step(
        xs, e, 20, 19, sched, 1.0, torch.randn(n, 1, generator=g, dtype=xs.dtype)
    )
    b = ddpm_step(xs, e, 20, sched, torch.randn(n, 1, generator=g, dtype=xs.dtype))
    assert a.mean().item() == pytest.approx(b.mean().item(), abs=3e-3)
    assert a.var().item() == pytest.approx(b.var().item(), rel=0.02)


def test_ddim_last_step_returns_the_predicted_x0():
    sched = linear_schedule(10)
    x = torch.tensor([[1.0, -2.0]], dtype=torch.float64)
    eps = torch.tensor([[0.5, 0.1]], dtype=torch.float64)
    ab = sched.alpha_bar[4]
    expected = (x - (1 - ab).sqrt() * eps) / ab.sqrt()
    torch.testing.assert_close(ddim_step(x, eps, 4, -1, sched), expected)
    with pytest.raises(ValueError, match="t_prev < t"):
        ddim_step(x, eps, 4, 4, sched)
    with pytest.raises(ValueError, match="noise"):
        ddim_step(x, eps, 4, 2, sched, eta=0.5)


@pytest.mark.parametrize("sampler", ["ddpm", "ddpm-beta", "ddim-all"])
def test_samplers_with_the_exact_denoiser_reach_the_data_distribution(sampler):
    """Data N(0, s^2): with the Bayes-optimal eps every sampler ends at std ~ s."""
    T, s = 200, 0.5  # noqa: N806
    sched = linear_schedule(T)
    predict = _bayes_eps(sched.alpha_bar, s, T)
    g = torch.Generator().manual_seed(2)
    x_T = torch.randn(20_000, 1, generator=g, dtype=torch.float64)  # noqa: N806
    if sampler.startswith("ddpm"):
        variance = "beta" if sampler == "ddpm-beta" else "posterior"
        out = ddpm_sample(predict, x_T, sched, variance, generator=g)
    else:
        out = ddim_sample(predict, x_T, sched, T)
    assert out.mean().item() == pytest.approx(0.0, abs=0.02)
    assert out.std().item() == pytest.approx(s, rel=0.05)


def test_few_ddim_steps_shrink_the_spread():
    """DDIM's large steps are a coarse discretisation of an ODE: with the exact
    denoiser, 10 steps give a narrower distribution than 50 (a real bias)."""
    T, s = 200, 0.5  # noqa: N806
    sched = linear_schedule(T)
    predict = _bayes_eps(sched.alpha_bar, s, T)
    x_T = torch.randn(20_000, 1, generator=torch.Generator().manual_seed(3))  # noqa: N806
    std = {
        k: ddim_sample(predict, x_T.double(), sched, k).std().item()
        for k in (10, 50, T)
    }
    assert std[10] < std[50] < std[T] < s * 1.02


def test_ddim_timesteps_cover_the_range_last_first():
    assert ddim_timesteps(1000, 10)[0] == 999 and ddim_timesteps(1000, 10)[-1] == 0
    assert ddim_timesteps(10, 10) == list(range(9, -1, -1))
    with pytest.raises(ValueError, match="steps"):
        ddim_timesteps(10, 11)

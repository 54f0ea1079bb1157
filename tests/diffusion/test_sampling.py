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
    dpm_solver_2m_sample,
    extrapolate_x0,
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


@pytest.mark.parametrize(
    "T,steps", [(200, 50), (200, 10), (1000, 25), (10, 10), (5, 2)]
)
def test_quadratic_ddim_timesteps_are_exact_in_count_and_denser_at_low_noise(T, steps):  # noqa: N803
    taus = ddim_timesteps(T, steps, "quadratic")[::-1]  # first first
    assert len(taus) == steps and taus[0] == 0 and taus[-1] == T - 1
    gaps = [b - a for a, b in zip(taus, taus[1:])]
    assert min(gaps) >= 1
    if steps < T:  # denser near 0: the first half of the gaps is the smaller
        assert sum(gaps[: len(gaps) // 2]) < sum(gaps[len(gaps) // 2 :])
    # the plain formula, wherever it is above the index before it
    plain = [round((T - 1) * (i / (steps - 1)) ** 2) for i in range(steps)]
    for i in range(1, steps):
        if plain[i] > taus[i - 1]:
            assert taus[i] == plain[i]
        else:
            assert taus[i] == taus[i - 1] + 1
    with pytest.raises(ValueError, match="spacing"):
        ddim_timesteps(T, steps, "cubic")


@pytest.mark.parametrize(
    "T,steps", [(200, 50), (200, 10), (1000, 25), (1000, 7), (10, 10), (5, 2)]
)
def test_trailing_ddim_timesteps_step_back_from_the_last_index(T, steps):  # noqa: N803
    taus = ddim_timesteps(T, steps, "trailing")
    # written out: start at T - 1 and step back T / steps at a time, rounding
    want, t = [], float(T)
    for _ in range(steps):
        want.append(round(t) - 1)
        t -= T / steps
    assert taus == want
    gaps = [a - b for a, b in zip(taus, taus[1:])]
    assert all(T // steps <= g <= -(-T // steps) for g in gaps)  # even steps
    assert len(set(taus)) == steps and taus[0] == T - 1
    assert taus[-1] == round(T / steps) - 1  # index 0 only when steps == T
    assert (0 in taus) == (steps == T)


def test_ddim_timesteps_cover_the_range_last_first():
    assert ddim_timesteps(1000, 10)[0] == 999 and ddim_timesteps(1000, 10)[-1] == 0
    assert ddim_timesteps(10, 10) == list(range(9, -1, -1))
    with pytest.raises(ValueError, match="steps"):
        ddim_timesteps(10, 11)


def _dpm_solver_2m_reference(predict, x, alpha_bar, taus, T):  # noqa: N803
    """DPM-Solver++(2M) written as Lu et al.'s Algorithm 2, one float64 scalar
    coefficient at a time: x_i = (s_i / s_{i-1}) x - a_i expm1(-h_i) D_i."""
    import math

    def alpha(t):
        return 1.0 if t < 0 else math.sqrt(float(alpha_bar[t]))

    def sigma(t):
        return 0.0 if t < 0 else math.sqrt(1 - float(alpha_bar[t]))

    x0_prev, h_prev = None, None
    for i, t in enumerate(taus):
        t_next = taus[i + 1] if i + 1 < len(taus) else -1
        eps = predict(x, torch.full((x.shape[0],), t / T, dtype=x.dtype))
        x0 = (x - sigma(t) * eps) / alpha(t)
        if t_next < 0:
            return x0
        h = math.log(alpha(t_next) / sigma(t_next)) - math.log(alpha(t) / sigma(t))
        d = x0
        if x0_prev is not None:
            r = h_prev / h
            d = (1 + 1 / (2 * r)) * x0 - 1 / (2 * r) * x0_prev
        x = sigma(t_next) / sigma(t) * x - alpha(t_next) * math.expm1(-h) * d
        x0_prev, h_prev = x0, h
    return x


@pytest.mark.parametrize("steps", [2, 5, 13])
def test_dpm_solver_2m_matches_the_papers_algorithm(steps):
    """Values: the package's 2M (DDIM's step with an extrapolated x0) against
    Algorithm 2 written with scalar coefficients, for a nonlinear predictor."""
    T = 40  # noqa: N806
    sched = linear_schedule(T)
    g = torch.Generator().manual_seed(3)
    w = torch.randn(4, 4, generator=g, dtype=torch.float64) / 2

    def predict(x, time):
        return torch.tanh(x @ w) + time[:, None]

    z = torch.randn(7, 4, generator=g, dtype=torch.float64)
    got = dpm_solver_2m_sample(predict, z, sched, steps)
    taus = ddim_timesteps(T, steps)
    want = _dpm_solver_2m_reference(predict, z, sched.alpha_bar, taus, T)
    torch.testing.assert_close(got, want)


def test_dpm_solver_2m_first_step_is_ddims():
    """With one step to an intermediate index and then the data, 2M is DDIM."""
    sched = linear_schedule(20)
    g = torch.Generator().manual_seed(4)
    w = torch.randn(3, 3, generator=g, dtype=torch.float64)

    def predict(x, time):
        return torch.sin(x @ w) * (1 + time[:, None])

    z = torch.randn(5, 3, generator=g, dtype=torch.float64)
    torch.testing.assert_close(
        dpm_solver_2m_sample(predict, z, sched, 2), ddim_sample(predict, z, sched, 2)
    )


def test_extrapolate_x0_is_linear_in_lambda_and_checks_its_steps():
    """D lies on the line through (lambda_prev, x0_prev) and (lambda, x0), half a
    step ahead: equal steps give D = 1.5 x0 - 0.5 x0_prev."""
    a, b = torch.tensor([1.0, 2.0]), torch.tensor([0.0, 4.0])
    torch.testing.assert_close(extrapolate_x0(a, b, 0.3, 0.3), 1.5 * a - 0.5 * b)
    torch.testing.assert_close(extrapolate_x0(a, b, 0.2, 0.4), a + (a - b) / (2 * 2.0))
    with pytest.raises(ValueError, match="positive"):
        extrapolate_x0(a, b, 0.0, 0.3)


def test_dpm_solver_2m_is_second_order_where_ddim_is_first():
    """With the exact denoiser of x0 ~ N(0, s^2), the probability-flow ODE has a
    closed form (x_t / std_t is constant). Ten times the steps divide DDIM's
    error by about ten (first order) and 2M's by about a hundred (second
    order); with large steps at high noise 2M may overshoot, so the test
    compares the two where both have converged."""
    T, s = 1000, 0.5  # noqa: N806
    sched = linear_schedule(T)
    ab = sched.alpha_bar
    predict = _bayes_eps(ab, s, T)
    g = torch.Generator().manual_seed(5)
    z = torch.randn(4000, 1, generator=g, dtype=torch.float64)
    std = (ab * s**2 + 1 - ab).sqrt()
    x_first = z * std[0] / std[-1]  # the exact ODE at index 0 ...
    ab0 = ab[0]
    exact = ab0.sqrt() * s**2 * x_first / (ab0 * s**2 + 1 - ab0)  # ... then E[x0|x]

    def error(sampler, k):
        return float((sampler(predict, z, sched, k) - exact).abs().mean())

    ddim = [error(ddim_sample, k) for k in (100, 1000)]
    second = [error(dpm_solver_2m_sample, k) for k in (100, 1000)]
    assert 5 < ddim[0] / ddim[1] < 20
    assert second[0] / second[1] > 50
    assert second[1] < ddim[1] / 10

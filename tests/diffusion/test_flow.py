"""Flow matching: the interpolant, the loss against a loop, an exact Gaussian flow."""

from __future__ import annotations

import pytest
import torch

from coursework.diffusion.flow import euler_sample, flow_interpolant, flow_matching_loss


def test_interpolant_ends_and_velocity():
    g = torch.Generator().manual_seed(0)
    x0, x1 = torch.randn(2, 3, 1, 2, 2, generator=g, dtype=torch.float64)
    xt, v = flow_interpolant(
        x0, x1, torch.tensor([0.0, 1.0, 0.25], dtype=torch.float64)
    )
    torch.testing.assert_close(xt[0], x0[0])
    torch.testing.assert_close(xt[1], x1[1])
    torch.testing.assert_close(xt[2], 0.75 * x0[2] + 0.25 * x1[2])
    torch.testing.assert_close(v, x1 - x0)
    # the velocity is the time derivative of the path: finite differences agree
    t = torch.full((3,), 0.4, dtype=torch.float64)
    h = 1e-6
    fd = (flow_interpolant(x0, x1, t + h)[0] - flow_interpolant(x0, x1, t - h)[0]) / (
        2 * h
    )
    torch.testing.assert_close(fd, v)


def test_loss_matches_a_loop():
    g = torch.Generator().manual_seed(1)
    x0, x1 = torch.randn(2, 4, 3, generator=g, dtype=torch.float64)
    t = torch.rand(4, generator=g, dtype=torch.float64)
    w = torch.randn(3, 3, generator=g, dtype=torch.float64)

    def model(x, time, y=None):
        return x @ w + time[:, None]

    total = 0.0
    for i in range(4):
        xt = (1 - t[i]) * x0[i] + t[i] * x1[i]
        total += ((xt @ w + t[i] - (x1[i] - x0[i])) ** 2).sum()
    torch.testing.assert_close(flow_matching_loss(model, x0, x1, t), total / 12)


def _exact_velocity(m: float, s: float):
    """x0 ~ N(0,1), x1 ~ N(m, s^2) independent; x_t = (1-t)x0 + t x1.
    v(x, t) = E[x1 - x0 | x_t = x] = m + c(t) (x - t m),
    c(t) = Cov(x1 - x0, x_t) / Var(x_t) = (t s^2 - (1 - t)) / ((1 - t)^2 + t^2 s^2)."""

    def v(x, time):
        t = time.view(-1, 1)
        c = (t * s**2 - (1 - t)) / ((1 - t) ** 2 + t**2 * s**2)
        return m + c * (x - t * m)

    return v


def test_euler_sampler_on_a_gaussian_to_gaussian_flow():
    """The exact marginal flow maps N(0,1) to N(m, s^2) by x -> m + s x."""
    m, s = 1.5, 0.4
    g = torch.Generator().manual_seed(2)
    x0 = torch.randn(10_000, 1, generator=g, dtype=torch.float64)
    x1 = euler_sample(_exact_velocity(m, s), x0, steps=2000)
    torch.testing.assert_close(x1, m + s * x0, atol=2e-3, rtol=0)
    few = euler_sample(_exact_velocity(m, s), x0, steps=10)
    assert few.mean().item() == pytest.approx(m, abs=0.05)
    assert (few - (m + s * x0)).abs().max().item() > 1e-3  # Euler's error shows
    with pytest.raises(ValueError, match="steps >= 1"):
        euler_sample(_exact_velocity(m, s), x0, steps=0)

"""The bound in bits/dim against a slow per-pixel loop, and its pieces."""

from __future__ import annotations

import math

import pytest
import torch

from coursework.diffusion.likelihood import (
    bits_per_dim,
    discretized_gaussian_log_likelihood,
    normal_kl,
    to_symmetric,
    vlb_terms,
)
from coursework.diffusion.schedules import linear_schedule


def _phi(x: float) -> float:
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


def _log_bin(x: float, mean: float, std: float, levels: int = 256) -> float:
    """log P(bin of x) for one pixel, edges at +-infinity, by the formula."""
    half = 1 / (levels - 1)
    hi = 1.0 if x >= 1 - 1e-9 else _phi((x + half - mean) / std)
    lo = 0.0 if x <= -1 + 1e-9 else _phi((x - half - mean) / std)
    return math.log(max(hi - lo, 1e-12))


def _kl(m1: float, v1: float, m2: float, v2: float) -> float:
    return 0.5 * (math.log(v2 / v1) + (v1 + (m1 - m2) ** 2) / v2 - 1)


def test_discretized_gaussian_matches_per_pixel_formula_and_sums_to_one():
    levels = 8
    grid = torch.arange(levels, dtype=torch.float64) * 2 / (levels - 1) - 1
    torch.testing.assert_close(to_symmetric(torch.arange(levels), levels), grid.float())
    for mean, std in [(0.1, 0.3), (-0.9, 0.05), (0.95, 2.0)]:
        lp = discretized_gaussian_log_likelihood(
            grid,
            torch.tensor(mean, dtype=grid.dtype),
            torch.tensor(std, dtype=grid.dtype),
            levels,
        )
        for x, v in zip(grid.tolist(), lp.tolist()):
            assert v == pytest.approx(_log_bin(x, mean, std, levels), rel=1e-9)
        assert lp.exp().sum().item() == pytest.approx(1.0, rel=1e-9)


def test_normal_kl_known_value():
    kl = normal_kl(
        torch.tensor(1.0), torch.tensor(1.0), torch.tensor(0.0), torch.tensor(1.0)
    )
    assert kl.item() == pytest.approx(0.5)


def test_bound_matches_a_slow_per_pixel_loop():
    sched = linear_schedule(6)
    T = sched.T  # noqa: N806
    g = torch.Generator().manual_seed(0)
    values = torch.randint(0, 256, (2, 1, 2, 2), generator=g)
    values[0, 0, 0, 0], values[1, 0, 1, 1] = 0, 255  # both edge bins
    x0 = to_symmetric(values).double()

    def predict(x, time):  # a fixed, non-trivial "network"
        return 0.3 * x + time.view(-1, 1, 1, 1)

    terms = vlb_terms(predict, x0, sched, generator=torch.Generator().manual_seed(5))
    # replay the same draws of x_t
    g2 = torch.Generator().manual_seed(5)
    noises = [torch.randn(x0.shape, generator=g2, dtype=x0.dtype) for _ in range(T)]
    b, a, ab = sched.betas.tolist(), sched.alphas.tolist(), sched.alpha_bar.tolist()
    for i in range(2):
        slow = [0.0] * (T + 1)
        for p in range(4):
            r, c = divmod(p, 2)
            x = x0[i, 0, r, c].item()
            for t in range(T):
                xt = (
                    math.sqrt(ab[t]) * x
                    + math.sqrt(1 - ab[t]) * noises[t][i, 0, r, c].item()
                )
                eps = 0.3 * xt + t / T
                mu = (xt - b[t] / math.sqrt(1 - ab[t]) * eps) / math.sqrt(a[t])
                if t == 0:
                    slow[0] -= _log_bin(x, mu, math.sqrt(b[0]))
                else:
                    qm = (
                        math.sqrt(ab[t - 1]) * b[t] * x
                        + math.sqrt(a[t]) * (1 - ab[t - 1]) * xt
                    ) / (1 - ab[t])
                    qv = (1 - ab[t - 1]) / (1 - ab[t]) * b[t]
                    slow[t] += _kl(qm, qv, mu, b[t])
            slow[T] += _kl(math.sqrt(ab[-1]) * x, 1 - ab[-1], 0.0, 1.0)
        assert terms[i].tolist() == pytest.approx(slow, rel=1e-7, abs=1e-9)
    bpd = bits_per_dim(terms.sum(1), 4)
    torch.testing.assert_close(bpd, terms.sum(1) / (4 * math.log(2)))

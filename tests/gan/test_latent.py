"""Interpolation and attribute directions against slow references and exact cases."""

from __future__ import annotations

import math

import pytest
import torch

from coursework.gan.latent import attribute_direction, lerp, slerp


def _slerp_loop(z0, z1, t):
    """Rotate z0's direction towards z1's in their plane, one t at a time.

    For codes of equal norm slerp is a rotation by t * omega; for unequal norms
    the paper's formula also interpolates the lengths, so compare the formula
    written out per entry.
    """
    omega = math.acos(float(z0 @ z1) / float(z0.norm() * z1.norm()))
    rows = []
    for ti in t.tolist():
        a = math.sin((1 - ti) * omega) / math.sin(omega)
        b = math.sin(ti * omega) / math.sin(omega)
        rows.append(torch.stack([a * z0[j] + b * z1[j] for j in range(len(z0))]))
    return torch.stack(rows)


def test_slerp_matches_loop_and_ends() -> None:
    g = torch.Generator().manual_seed(0)
    z0, z1 = torch.randn(2, 6, generator=g, dtype=torch.float64)
    t = torch.linspace(0, 1, 7, dtype=torch.float64)
    out = slerp(z0, z1, t)
    torch.testing.assert_close(out, _slerp_loop(z0, z1, t))
    torch.testing.assert_close(out[0], z0)
    torch.testing.assert_close(out[-1], z1)


def test_slerp_keeps_the_norm_of_equal_norm_codes() -> None:
    z0 = torch.tensor([1.0, 0.0, 0.0], dtype=torch.float64)
    z1 = torch.tensor([0.0, 1.0, 0.0], dtype=torch.float64)
    t = torch.linspace(0, 1, 5, dtype=torch.float64)
    torch.testing.assert_close(
        slerp(z0, z1, t).norm(dim=1), torch.ones(5, dtype=torch.float64)
    )
    mid = slerp(z0, z1, torch.tensor([0.5], dtype=torch.float64))[0]
    torch.testing.assert_close(
        mid, torch.tensor([1, 1, 0], dtype=torch.float64) / math.sqrt(2)
    )
    # lerp's midpoint is shorter
    assert float(lerp(z0, z1, torch.tensor([0.5]))[0].norm()) == pytest.approx(
        1 / math.sqrt(2)
    )


def test_slerp_parallel_codes_fall_back_to_lerp() -> None:
    z0 = torch.tensor([1.0, 2.0])
    t = torch.linspace(0, 1, 4)
    torch.testing.assert_close(slerp(z0, 3 * z0, t), lerp(z0, 3 * z0, t))


def test_attribute_direction_recovers_a_planted_direction() -> None:
    g = torch.Generator().manual_seed(1)
    codes = torch.randn(4000, 8, generator=g)
    has = codes[:, 2] > 0
    d = attribute_direction(codes, has)
    assert int(d.abs().argmax()) == 2
    # E[z | z > 0] - E[z | z < 0] = 2 sqrt(2 / pi) for a standard normal
    assert float(d[2]) == pytest.approx(2 * math.sqrt(2 / math.pi), abs=0.1)
    with pytest.raises(ValueError, match="with and without"):
        attribute_direction(codes, torch.ones(4000, dtype=torch.bool))

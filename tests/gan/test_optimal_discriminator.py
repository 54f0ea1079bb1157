"""A discriminator trained to convergence against a fixed G approaches D*."""

from __future__ import annotations

import math

import torch

from coursework.gan.batched import Discriminator2D
from coursework.gan.losses import discriminator_loss, optimal_discriminator


def _pdf(x: torch.Tensor, mean: float, std: float) -> torch.Tensor:
    return torch.exp(-0.5 * ((x - mean) / std) ** 2) / (std * math.sqrt(2 * math.pi))


def test_trained_discriminator_matches_analytic_optimum_on_1d() -> None:
    torch.manual_seed(0)
    d = Discriminator2D(1, data_dim=1, hidden=32, depth=2)
    opt = torch.optim.Adam(d.parameters(), lr=3e-3)
    for _ in range(600):
        real = 2.0 + 0.5 * torch.randn(512, 1)  # p_data = N(2, 0.5^2)
        fake = torch.randn(512, 1)  # the fixed G: p_g = N(0, 1)
        loss = discriminator_loss(d(real), d(fake))
        opt.zero_grad()
        loss.backward()
        opt.step()
    x = torch.linspace(-2, 3.5, 200)[:, None]
    with torch.no_grad():
        learned = torch.sigmoid(d(x))
    p_data, p_g = _pdf(x[:, 0], 2.0, 0.5), _pdf(x[:, 0], 0.0, 1.0)
    star = optimal_discriminator(p_data, p_g)
    mass = (p_data + p_g) > 0.05
    assert float((learned - star)[mass].abs().max()) < 0.08
    # and the value of the game at D* is -log 4 + 2 JSD >= -log 4
    assert float(-loss.detach()) > -math.log(4) - 0.05

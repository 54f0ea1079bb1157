"""GAN losses against loop references, on values and gradients (float64)."""

from __future__ import annotations

import math

import pytest
import torch

from coursework.gan.losses import (
    discriminator_loss,
    generator_loss,
    gradient_penalty,
    least_squares_discriminator_loss,
    least_squares_generator_loss,
    optimal_discriminator,
    saturating_generator_loss,
    wasserstein_critic_loss,
    wasserstein_generator_loss,
)


def _sigmoid(v: torch.Tensor) -> torch.Tensor:
    return 1 / (1 + torch.exp(-v))


def _d_loss_loop(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """-(1/N) sum log D(x_i) - (1/M) sum log(1 - D(G(z_j))), one term at a time."""
    a = sum(-torch.log(_sigmoid(r)) for r in real) / len(real)
    b = sum(-torch.log(1 - _sigmoid(f)) for f in fake) / len(fake)
    return a + b


def _g_loss_loop(fake: torch.Tensor, saturating: bool) -> torch.Tensor:
    if saturating:
        return sum(torch.log(1 - _sigmoid(f)) for f in fake) / len(fake)
    return sum(-torch.log(_sigmoid(f)) for f in fake) / len(fake)


def _logits(seed: int = 0, n: int = 7) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    real = torch.randn(n, generator=g, dtype=torch.float64, requires_grad=True)
    fake = torch.randn(n + 2, generator=g, dtype=torch.float64, requires_grad=True)
    return real, fake


def _assert_same(fast, slow, leaves) -> None:
    torch.testing.assert_close(fast, slow)
    for a, b in zip(
        torch.autograd.grad(fast, leaves), torch.autograd.grad(slow, leaves)
    ):
        torch.testing.assert_close(a, b)


def test_discriminator_loss_matches_loop() -> None:
    real, fake = _logits()
    _assert_same(discriminator_loss(real, fake), _d_loss_loop(real, fake), [real, fake])


@pytest.mark.parametrize("saturating", [False, True])
def test_generator_losses_match_loop(saturating: bool) -> None:
    _, fake = _logits(1)
    _assert_same(
        generator_loss(fake, saturating), _g_loss_loop(fake, saturating), [fake]
    )
    if saturating:
        torch.testing.assert_close(
            saturating_generator_loss(fake), generator_loss(fake, True)
        )


def test_discriminator_loss_exact_values() -> None:
    zero = torch.zeros(3, dtype=torch.float64)
    # D = 1/2 everywhere: -log(1/2) twice
    torch.testing.assert_close(
        discriminator_loss(zero, zero),
        torch.tensor(2 * math.log(2), dtype=torch.float64),
    )
    big = torch.full((2,), 80.0)
    assert (
        torch.isfinite(discriminator_loss(big, -big))
        and discriminator_loss(big, -big) < 1e-30
    )


def test_generator_gradients_at_small_d_of_g() -> None:
    """At D(G(z)) = sigmoid(l) -> 0 the saturating loss has gradient -> 0 in l,
    the non-saturating one has gradient -> -1 (per example, before the mean)."""
    for logit_value in (-5.0, -10.0, -20.0):
        logit = torch.tensor([logit_value], dtype=torch.float64, requires_grad=True)
        (g_sat,) = torch.autograd.grad(generator_loss(logit, True), logit)
        (g_non,) = torch.autograd.grad(generator_loss(logit, False), logit)
        d = _sigmoid(torch.tensor(logit_value, dtype=torch.float64))
        # d/dl log(1 - sigmoid(l)) = -sigmoid(l); d/dl -log sigmoid(l) = sigmoid(l) - 1
        torch.testing.assert_close(g_sat[0], -d)
        torch.testing.assert_close(g_non[0], -(1 - d))
        assert abs(float(g_non[0])) / abs(float(g_sat[0])) > 100
    # with respect to D itself: d/dD log(1 - D) = -1/(1-D) (-> -1), d/dD -log D = -1/D
    dval = torch.tensor([1e-3], dtype=torch.float64, requires_grad=True)
    (gs,) = torch.autograd.grad(torch.log(1 - dval).sum(), dval)
    (gn,) = torch.autograd.grad((-torch.log(dval)).sum(), dval)
    assert abs(float(gn)) / abs(float(gs)) == pytest.approx(999.0)


def test_least_squares_and_wasserstein_losses() -> None:
    real, fake = _logits(2)
    slow_d = 0.5 * sum((r - 1) ** 2 for r in real) / len(real) + 0.5 * sum(
        f**2 for f in fake
    ) / len(fake)
    _assert_same(least_squares_discriminator_loss(real, fake), slow_d, [real, fake])
    slow_g = 0.5 * sum((f - 1) ** 2 for f in fake) / len(fake)
    _assert_same(least_squares_generator_loss(fake), slow_g, [fake])
    slow_w = sum(fake) / len(fake) - sum(real) / len(real)
    _assert_same(wasserstein_critic_loss(real, fake), slow_w, [real, fake])
    _assert_same(wasserstein_generator_loss(fake), -sum(fake) / len(fake), [fake])


def _gp_finite_difference(critic, real, fake, eps, h=1e-6) -> torch.Tensor:
    """(||grad||_2 - 1)^2 with the gradient from central differences, per example."""
    out = []
    for i in range(real.shape[0]):
        x = (eps[i] * real[i] + (1 - eps[i]) * fake[i]).detach()
        grads = []
        for j in range(x.numel()):
            step = torch.zeros_like(x).flatten()
            step[j] = h
            step = step.view_as(x)
            up, down = critic((x + step)[None]), critic((x - step)[None])
            grads.append((up - down).sum() / (2 * h))
        out.append((torch.stack(grads).norm() - 1) ** 2)
    return torch.stack(out)


def test_gradient_penalty_matches_finite_differences() -> None:
    g = torch.Generator().manual_seed(3)
    torch.manual_seed(0)
    critic = torch.nn.Sequential(
        torch.nn.Flatten(),
        torch.nn.Linear(6, 5),
        torch.nn.Tanh(),
        torch.nn.Linear(5, 1),
    ).double()
    real = torch.randn(4, 1, 2, 3, generator=g, dtype=torch.float64)
    fake = torch.randn(4, 1, 2, 3, generator=g, dtype=torch.float64)
    eps = torch.rand(4, 1, 1, 1, generator=g, dtype=torch.float64)
    fast = gradient_penalty(critic, real, fake, eps)
    slow = _gp_finite_difference(critic, real, fake, eps)
    torch.testing.assert_close(fast, slow, atol=1e-7, rtol=1e-6)
    # the penalty is differentiable in the critic's parameters (double backward)
    params = list(critic.parameters())
    grads = torch.autograd.grad(fast.sum(), params, allow_unused=True)
    grads = [gr for gr in grads if gr is not None]  # the last bias has no effect
    assert all(torch.isfinite(gr).all() for gr in grads)
    assert any(gr.abs().sum() > 0 for gr in grads)


def test_gradient_penalty_exact_cases() -> None:
    w = torch.tensor([3.0, 4.0], dtype=torch.float64)  # ||w|| = 5: penalty (5-1)^2
    real = torch.randn(3, 2, dtype=torch.float64)
    out = gradient_penalty(
        lambda x: x @ w, real, torch.zeros_like(real), torch.rand(3, 1)
    )
    torch.testing.assert_close(out, torch.full((3,), 16.0, dtype=torch.float64))


def test_optimal_discriminator_formula() -> None:
    p = torch.tensor([1.0, 0.0, 2.0])
    q = torch.tensor([1.0, 3.0, 0.0])
    torch.testing.assert_close(
        optimal_discriminator(p, q), torch.tensor([0.5, 0.0, 1.0])
    )

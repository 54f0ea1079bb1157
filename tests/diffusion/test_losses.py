"""L_simple against a loop, its expectation against theory, and eq. 12's weight."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from coursework.diffusion.likelihood import normal_kl
from coursework.diffusion.losses import elbo_weight, noise_prediction_loss
from coursework.diffusion.sampling import ddpm_step
from coursework.diffusion.schedules import linear_schedule, q_posterior, q_sample


class Affine(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Parameter(torch.tensor(0.3, dtype=torch.float64))
        self.b = nn.Parameter(torch.tensor(-0.2, dtype=torch.float64))

    def forward(self, x, time, y=None):
        return self.a * x + self.b * time.view(-1, *[1] * (x.dim() - 1))


def _loss_loop(model, x0, t, noise, alpha_bar):
    total, n = 0.0, 0
    T = len(alpha_bar)  # noqa: N806
    for i in range(x0.shape[0]):
        ab = alpha_bar[t[i]]
        xt = ab.sqrt() * x0[i] + (1 - ab).sqrt() * noise[i]
        eps_hat = model(xt[None], (t[i : i + 1].double() / T))[0]
        for e_hat, e in zip(eps_hat.flatten(), noise[i].flatten()):
            total = total + (e_hat - e) ** 2
            n += 1
    return total / n


def test_loss_matches_loop_values_and_gradients():
    g = torch.Generator().manual_seed(0)
    sched = linear_schedule(30)
    x0 = torch.randn(5, 1, 3, 3, generator=g, dtype=torch.float64, requires_grad=True)
    noise = torch.randn(5, 1, 3, 3, generator=g, dtype=torch.float64)
    t = torch.randint(30, (5,), generator=g)
    m1, m2 = Affine(), Affine()
    fast = noise_prediction_loss(m1, x0, t, noise, sched.alpha_bar)
    slow = _loss_loop(m2, x0, t, noise, sched.alpha_bar)
    torch.testing.assert_close(fast, slow)
    g_fast = torch.autograd.grad(fast, [x0, m1.a, m1.b])
    g_slow = torch.autograd.grad(slow, [x0, m2.a, m2.b])
    for a, b in zip(g_fast, g_slow):
        torch.testing.assert_close(a, b)


class BayesDenoiser(nn.Module):
    """The optimal eps-predictor for x0 ~ N(0, s^2): E[eps | x_t] in closed form."""

    def __init__(self, alpha_bar, s):
        super().__init__()
        self.alpha_bar, self.s = alpha_bar, s

    def forward(self, x, time, y=None):
        ab = self.alpha_bar[(time * len(self.alpha_bar)).round().long()][:, None]
        # Cov(eps, x_t) = sqrt(1 - ab); Var(x_t) = ab s^2 + 1 - ab
        return (1 - ab).sqrt() * x / (ab * self.s**2 + 1 - ab)


def test_loss_expectation_against_monte_carlo():
    """E L_simple for the Bayes-optimal denoiser of Gaussian data is
    ab s^2 / (ab s^2 + 1 - ab) per dimension; a Monte-Carlo mean agrees."""
    sched, s = linear_schedule(50), 1.7
    g = torch.Generator().manual_seed(1)
    model = BayesDenoiser(sched.alpha_bar, s)
    for t in [0, 10, 49]:
        n = 400_000
        x0 = s * torch.randn(n, 1, generator=g, dtype=torch.float64)
        noise = torch.randn(n, 1, generator=g, dtype=torch.float64)
        tt = torch.full((n,), t)
        mc = noise_prediction_loss(model, x0, tt, noise, sched.alpha_bar).item()
        ab = sched.alpha_bar[t].item()
        exact = ab * s**2 / (ab * s**2 + 1 - ab)
        assert mc == pytest.approx(exact, rel=0.01, abs=2e-4)
    # a network that predicts zero pays the noise's variance, 1
    zero = noise_prediction_loss(
        lambda x, time, y=None: torch.zeros_like(x), x0, tt, noise, sched.alpha_bar
    )
    assert zero.item() == pytest.approx(1.0, rel=0.01)


def test_elbo_weight_turns_the_squared_error_into_the_kl_term():
    """DDPM eq. 12: KL(q(x_{t-1}|x_t,x_0) || p(x_{t-1}|x_t)) = w ||eps - eps_hat||^2
    plus a constant."""
    sched = linear_schedule(20)
    g = torch.Generator().manual_seed(2)
    x0, eps, eps_hat = torch.randn(3, 4, 5, generator=g, dtype=torch.float64)
    t = torch.tensor([1, 9, 19, 5])
    xt = q_sample(x0, t, eps, sched.alpha_bar)
    q_mean, q_var = q_posterior(x0, xt, t, sched)
    for name, sigma2 in [
        ("beta", sched.betas),
        ("posterior", sched.posterior_variance),
    ]:
        p_mean = torch.stack(
            [
                ddpm_step(
                    xt[i : i + 1],
                    eps_hat[i : i + 1],
                    int(t[i]),
                    sched,
                    torch.zeros(1, 5, dtype=torch.float64),
                    name,
                )[0]
                for i in range(4)
            ]
        )
        kl = normal_kl(q_mean, q_var, p_mean, sigma2[t][:, None]).sum(1)
        w = elbo_weight(t, sched, sigma2)
        # the variances' mismatch adds a term that does not depend on eps_hat
        const = normal_kl(q_mean, q_var, q_mean, sigma2[t][:, None]).sum(1)
        torch.testing.assert_close(kl - const, w * ((eps - eps_hat) ** 2).sum(1))

"""The variational bound on -log p(x_0) in bits per dimension, as DDPM reports it.

Ho, Jain & Abbeel (NeurIPS 2020, arXiv:2006.11239), eq. 5: ``-log p(x_0) <=
L_T + sum_{t>1} L_{t-1} + L_0`` with ``L_T = KL(q(x_T|x_0) || N(0, I))``,
``L_{t-1} = E_q KL(q(x_{t-1}|x_t, x_0) || p_theta(x_{t-1}|x_t))`` and the
discretised Gaussian decoder ``L_0 = -log p_theta(x_0|x_1)`` of their eq. 13:
data in {0, ..., 255} scaled to [-1, 1], each pixel's bin of width 2/255
integrated under ``N(mu_theta(x_1, 1), sigma_1^2)``, with the outer bins
stretched to +-infinity. Reverse variances are ``sigma_t^2 = beta_t`` here.
Each expectation over ``x_t`` is estimated with one draw per image and step.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from tqdm.auto import tqdm

from coursework.diffusion.schedules import Schedule, at, q_posterior, q_sample


def normal_kl(
    mean1: torch.Tensor, var1: torch.Tensor, mean2: torch.Tensor, var2: torch.Tensor
) -> torch.Tensor:
    """KL(N(mean1, var1) || N(mean2, var2)) per entry (broadcast), in nats."""
    return 0.5 * (torch.log(var2 / var1) + (var1 + (mean1 - mean2) ** 2) / var2 - 1)


def _std_normal_cdf(x: torch.Tensor) -> torch.Tensor:
    return 0.5 * (1 + torch.erf(x / math.sqrt(2)))


def discretized_gaussian_log_likelihood(
    x: torch.Tensor, mean: torch.Tensor, std: torch.Tensor, levels: int = 256
) -> torch.Tensor:
    """log P(x) per entry for data on ``levels`` grid points in [-1, 1] (eq. 13).

    The bin of ``x`` is ``[x - 1/(levels-1), x + 1/(levels-1)]``, except that the
    lowest bin starts at -infinity and the highest ends at +infinity.
    """
    half = 1.0 / (levels - 1)
    upper = torch.where(
        x > 1 - 1e-3, torch.ones_like(x), _std_normal_cdf((x + half - mean) / std)
    )
    lower = torch.where(
        x < -1 + 1e-3, torch.zeros_like(x), _std_normal_cdf((x - half - mean) / std)
    )
    return torch.log((upper - lower).clamp(min=1e-12))


def to_symmetric(values: torch.Tensor, levels: int = 256) -> torch.Tensor:
    """Integers 0 .. levels-1 -> floats on the grid in [-1, 1]."""
    return values.float() * (2.0 / (levels - 1)) - 1.0


@torch.no_grad()
def vlb_terms(
    predict: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    x0: torch.Tensor,
    schedule: Schedule,
    levels: int = 256,
    generator: torch.Generator | None = None,
    progress: bool = False,
) -> torch.Tensor:
    """Every term of the bound, in nats per image: (B, T + 1).

    Column 0 is the decoder ``L_0``, column ``t`` (1 .. T-1) is ``L_t`` (the KL
    at step index t), and column T is the prior term ``L_T``.

    Args:
        predict: ``(x_t, time) -> eps_hat`` with ``time = t / T``.
        x0: data on the ``levels`` grid in [-1, 1] (B, ...).
        schedule: the forward process.
        levels: grey levels of the data.
        generator: for the draws of x_t (on x0's device).
        progress: show a progress bar over t.
    """
    T, dims = schedule.T, tuple(range(1, x0.dim()))  # noqa: N806
    terms = x0.new_zeros(x0.shape[0], T + 1)
    for t in tqdm(range(T), desc="bound", disable=not progress):
        tt = torch.full((x0.shape[0],), t, device=x0.device, dtype=torch.long)
        noise = torch.randn(
            x0.shape, generator=generator, device=x0.device, dtype=x0.dtype
        )
        xt = q_sample(x0, tt, noise, schedule.alpha_bar)
        eps = predict(xt, tt.to(x0.dtype) / T)
        beta, ab = at(schedule.betas, t, x0), at(schedule.alpha_bar, t, x0)
        # mu_theta = 1/sqrt(alpha_t) (x_t - beta_t / sqrt(1 - alpha_bar_t) eps_theta)
        mu = (xt - beta / (1 - ab).sqrt() * eps) / (1 - beta).sqrt()
        if t == 0:
            log_p = discretized_gaussian_log_likelihood(x0, mu, beta.sqrt(), levels)
            terms[:, 0] = -log_p.sum(dims)
        else:
            q_mean, q_var = q_posterior(x0, xt, tt, schedule)
            terms[:, t] = normal_kl(q_mean, q_var, mu, beta).sum(dims)
    ab_T = at(schedule.alpha_bar, T - 1, x0)  # noqa: N806
    prior = normal_kl(
        ab_T.sqrt() * x0, 1 - ab_T, torch.zeros_like(x0), torch.ones_like(x0)
    )
    terms[:, T] = prior.sum(dims)
    return terms


def bits_per_dim(nats_per_image: torch.Tensor, dims: int) -> torch.Tensor:
    """Nats per image -> bits per dimension: ``nats / (dims ln 2)``."""
    return nats_per_image / (dims * math.log(2))

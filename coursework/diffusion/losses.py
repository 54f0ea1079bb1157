"""DDPM's training objective: predict the noise (the simplified ELBO).

Ho, Jain & Abbeel (NeurIPS 2020, arXiv:2006.11239), eq. 14:
``L_simple = E_{t, x_0, eps} ||eps - eps_theta(sqrt(alpha_bar_t) x_0 +
sqrt(1 - alpha_bar_t) eps, t)||^2``. The ELBO's term ``L_{t-1}`` is the same
squared error times ``beta_t^2 / (2 sigma_t^2 alpha_t (1 - alpha_bar_t))``
(eq. 12); dropping that weight "emphasizes more difficult denoising tasks at
larger t" and gave the paper's best samples.
"""

from __future__ import annotations

import torch
from torch import nn

from coursework.diffusion.schedules import Schedule, q_sample


def noise_prediction_loss(
    model: nn.Module,
    x0: torch.Tensor,
    t: torch.Tensor,
    noise: torch.Tensor,
    alpha_bar: torch.Tensor,
    y: torch.Tensor | None = None,
) -> torch.Tensor:
    """``L_simple``: the mean squared error of the network's noise prediction.

    Args:
        model: ``model(x_t, time, y) -> eps_hat`` with ``time = t / T`` (B,).
        x0: clean data (B, ...).
        t: step indices (B,), long, 0 .. T-1.
        noise: the noise eps that made x_t, shaped like ``x0``.
        alpha_bar: the schedule's ``alpha_bar`` (T,).
        y: class labels (B,) for a conditional model, else ``None``.

    Returns:
        The mean over every entry of ``(eps_hat - eps)^2``: a scalar.
    """
    xt = q_sample(x0, t, noise, alpha_bar)
    eps_hat = model(xt, t.to(x0.dtype) / len(alpha_bar), y)
    return (eps_hat - noise).pow(2).mean()


def elbo_weight(
    t: torch.Tensor, schedule: Schedule, sigma2: torch.Tensor
) -> torch.Tensor:
    """``beta_t^2 / (2 sigma_t^2 alpha_t (1 - alpha_bar_t))``, eq. 12's weight: (B,).

    ``L_{t-1} = weight * ||eps - eps_theta||^2`` summed over dimensions, for
    ``t >= 1`` (index), where ``sigma2`` holds the reverse process's variances (T,).
    """
    beta, alpha, ab = schedule.betas[t], schedule.alphas[t], schedule.alpha_bar[t]
    return beta**2 / (2 * sigma2[t] * alpha * (1 - ab))

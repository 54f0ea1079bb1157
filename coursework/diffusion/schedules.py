"""The forward (noising) process: noise schedules and q(x_t | x_0) in closed form.

Ho, Jain & Abbeel, "Denoising Diffusion Probabilistic Models" (NeurIPS 2020,
arXiv:2006.11239): the forward process adds Gaussian noise in ``T`` steps,
``q(x_t | x_{t-1}) = N(sqrt(1 - beta_t) x_{t-1}, beta_t I)``, and "admits
sampling x_t at an arbitrary timestep t in closed form" (their eq. 4):
``q(x_t | x_0) = N(sqrt(alpha_bar_t) x_0, (1 - alpha_bar_t) I)`` with
``alpha_t = 1 - beta_t`` and ``alpha_bar_t = prod_{s<=t} alpha_s``. The
posterior given ``x_0`` is Gaussian too (their eqs. 6-7).

Schedules: DDPM's linear betas (1e-4 to 0.02 for T = 1000) and the cosine
``alpha_bar`` of Nichol & Dhariwal, "Improved Denoising Diffusion Probabilistic
Models" (ICML 2021, arXiv:2102.09672, eq. 17).

Indexing: the paper's ``t = 1 .. T`` is the tensor index ``t = 0 .. T-1`` here,
so ``alpha_bar[0] = alpha_1`` and "t - 1 = 0" (clean data) is index ``-1``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Schedule:
    """The betas of a forward process and the quantities derived from them.

    Attributes:
        betas: ``beta_t`` for ``t = 1 .. T`` (tensor index 0 .. T-1), float64 (T,).
        name: a label for figures.
    """

    betas: torch.Tensor
    name: str = "schedule"

    def __post_init__(self) -> None:
        b = self.betas
        if b.dim() != 1 or len(b) < 1 or bool(((b <= 0) | (b >= 1)).any()):
            raise ValueError(
                "betas must be a 1-D tensor with every value in (0, 1); "
                "build one with linear_schedule(T) or cosine_schedule(T)."
            )

    @property
    def T(self) -> int:  # noqa: N802 (the paper's name)
        return len(self.betas)

    @property
    def alphas(self) -> torch.Tensor:
        # alpha_t = 1 - beta_t
        return 1.0 - self.betas

    @property
    def alpha_bar(self) -> torch.Tensor:
        # alpha_bar_t = prod_{s <= t} alpha_s
        return torch.cumprod(self.alphas, 0)

    @property
    def alpha_bar_prev(self) -> torch.Tensor:
        # alpha_bar_{t-1}, with alpha_bar_0 = 1 (clean data)
        return torch.cat([self.alpha_bar.new_ones(1), self.alpha_bar[:-1]])

    @property
    def posterior_variance(self) -> torch.Tensor:
        # beta~_t = (1 - alpha_bar_{t-1}) / (1 - alpha_bar_t) * beta_t   (DDPM eq. 7)
        return (1 - self.alpha_bar_prev) / (1 - self.alpha_bar) * self.betas

    def to(self, device: torch.device | str) -> Schedule:
        """The same schedule on ``device`` (float64, float32 on MPS)."""
        betas = self.betas.to(device)
        if betas.device.type == "mps":
            betas = betas.float()
        return Schedule(betas, self.name)


def linear_schedule(
    T: int = 1000, beta_1: float = 1e-4, beta_T: float = 0.02
) -> Schedule:  # noqa: N803
    """DDPM's betas, linear from ``beta_1`` to ``beta_T``, rescaled by ``1000 / T``.

    The rescaling (as in Nichol & Dhariwal's code) keeps ``alpha_bar_T`` near
    zero when fewer than 1000 steps are used.
    """
    if T < 2:
        raise ValueError(f"a schedule needs T >= 2 steps; got T={T}")
    scale = 1000 / T
    betas = torch.linspace(
        scale * beta_1, min(scale * beta_T, 0.999), T, dtype=torch.float64
    )
    return Schedule(betas, f"linear, T={T}")


def cosine_schedule(
    T: int = 1000, s: float = 0.008, max_beta: float = 0.999
) -> Schedule:  # noqa: N803
    """Nichol & Dhariwal's cosine schedule (eq. 17), betas clipped at ``max_beta``.

    ``alpha_bar(t) = f(t) / f(0)``, ``f(t) = cos^2((t/T + s) / (1 + s) * pi/2)``,
    and ``beta_t = 1 - alpha_bar_t / alpha_bar_{t-1}``.
    """
    if T < 2:
        raise ValueError(f"a schedule needs T >= 2 steps; got T={T}")
    steps = torch.arange(T + 1, dtype=torch.float64) / T
    f = torch.cos((steps + s) / (1 + s) * math.pi / 2) ** 2
    alpha_bar = f / f[0]
    betas = (1 - alpha_bar[1:] / alpha_bar[:-1]).clamp(1e-8, max_beta)
    return Schedule(betas, f"cosine, T={T}")


def snr(alpha_bar: torch.Tensor) -> torch.Tensor:
    """Signal-to-noise ratio ``alpha_bar / (1 - alpha_bar)`` of q(x_t | x_0).

    Kingma et al., "Variational Diffusion Models" (NeurIPS 2021, arXiv:2107.00630).
    """
    return alpha_bar / (1 - alpha_bar)


def at(values: torch.Tensor, t: torch.Tensor | int, like: torch.Tensor) -> torch.Tensor:
    """``values[t]`` shaped to broadcast against ``like``, in its dtype and device.

    Shape: values (T,), t () or (B,), like (B, ...) -> (B, 1, ..., 1) or ().
    """
    v = values.to(like.device)[t]
    if isinstance(t, torch.Tensor) and t.dim() == 1:
        v = v.view(-1, *([1] * (like.dim() - 1)))
    return v.to(like.dtype)


def q_sample(
    x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor, alpha_bar: torch.Tensor
) -> torch.Tensor:
    """A draw from q(x_t | x_0) by reparameterisation (DDPM eq. 4).

    Args:
        x0: clean data (B, ...).
        t: step indices (B,), long, in 0 .. T-1.
        noise: standard normal noise, same shape as ``x0``.
        alpha_bar: the schedule's ``alpha_bar`` (T,).

    Returns:
        ``sqrt(alpha_bar_t) x0 + sqrt(1 - alpha_bar_t) noise``, shape of ``x0``.
    """
    ab = at(alpha_bar, t, x0)
    # x_t = sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps
    return ab.sqrt() * x0 + (1 - ab).sqrt() * noise


def q_posterior(
    x0: torch.Tensor, xt: torch.Tensor, t: torch.Tensor, schedule: Schedule
) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and variance of q(x_{t-1} | x_t, x_0) (DDPM eqs. 6-7).

    Shape: x0, xt (B, ...), t (B,) -> mean (B, ...), variance (B, 1, ..., 1).
    """
    beta, alpha = at(schedule.betas, t, x0), at(schedule.alphas, t, x0)
    ab, ab_prev = at(schedule.alpha_bar, t, x0), at(schedule.alpha_bar_prev, t, x0)
    # mu~_t = (sqrt(ab_{t-1}) beta_t x_0 + sqrt(alpha_t)(1 - ab_{t-1}) x_t) / (1 - ab_t)
    mean = (ab_prev.sqrt() * beta * x0 + alpha.sqrt() * (1 - ab_prev) * xt) / (1 - ab)
    return mean, at(schedule.posterior_variance, t, x0)


def predict_x0(
    xt: torch.Tensor, eps: torch.Tensor, t: torch.Tensor | int, alpha_bar: torch.Tensor
) -> torch.Tensor:
    """Eq. 4 solved for x_0: ``(x_t - sqrt(1 - ab_t) eps) / sqrt(ab_t)``."""
    ab = at(alpha_bar, t, xt)
    return (xt - (1 - ab).sqrt() * eps) / ab.sqrt()

"""Reverse-process samplers: DDPM's ancestral step and DDIM's deterministic step.

Ho, Jain & Abbeel, "Denoising Diffusion Probabilistic Models" (NeurIPS 2020,
arXiv:2006.11239), Algorithm 2: ``x_{t-1} = 1/sqrt(alpha_t) (x_t - beta_t /
sqrt(1 - alpha_bar_t) eps_theta(x_t, t)) + sigma_t z``, with ``sigma_t^2``
either ``beta_t`` or the posterior variance ``beta~_t`` ("both had similar
results").

Song, Meng & Ermon, "Denoising Diffusion Implicit Models" (ICLR 2021,
arXiv:2010.02502), eq. 12: predict ``x_0``, then step to any earlier time
``x_{t'} = sqrt(alpha_bar_t') x0_hat + sqrt(1 - alpha_bar_t' - sigma^2) eps
+ sigma z``, with ``sigma = eta sqrt((1 - ab_t') / (1 - ab_t)) sqrt(1 - ab_t /
ab_t')``; ``eta = 0`` is deterministic, ``eta = 1`` is DDPM's step (eq. 16).

Lu, Zhou, Bao, Chen, Li & Zhu, "DPM-Solver++: Fast Solver for Guided Sampling
of Diffusion Probabilistic Models" (arXiv:2211.01095), Algorithm 2
("multistep second-order", 2M): DDIM with ``eta = 0`` is the first-order
solver of the same ODE in ``lambda = log(sqrt(ab) / sqrt(1 - ab))`` (their
section 4); the 2M step is DDIM's step taken with an ``x_0`` extrapolated
from this step's and the previous step's predictions,
``D = x0 + (x0 - x0_prev) / (2 r)``, ``r = h_prev / h``, ``h`` the step in
``lambda``: second order for the same network evaluations.

A *predictor* is any ``(x, time) -> eps`` with ``time`` in [0, 1) of shape
(B,), e.g. :class:`coursework.diffusion.guidance.Predictor`. Samplers loop over
Python integers only, so the loop never waits on the device.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from tqdm.auto import tqdm

from coursework.diffusion.recipes import to_eps
from coursework.diffusion.schedules import Schedule, at, predict_x0

PredictFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
VARIANCES = ("posterior", "beta")


def ddpm_step(
    x: torch.Tensor,
    eps: torch.Tensor,
    t: int,
    schedule: Schedule,
    noise: torch.Tensor,
    variance: str = "posterior",
) -> torch.Tensor:
    """One ancestral step x_t -> x_{t-1} (Algorithm 2); no noise at ``t = 0``.

    Args:
        x: the current sample x_t (B, ...).
        eps: the model's noise prediction at (x_t, t), same shape.
        t: the step index, 0 .. T-1 (0 is the paper's t = 1).
        schedule: the forward process.
        noise: standard normal ``z``, same shape (ignored at ``t = 0``).
        variance: ``"posterior"`` (``beta~_t``) or ``"beta"`` (``beta_t``).
    """
    if variance not in VARIANCES:
        raise ValueError(f"variance must be one of {VARIANCES}; got {variance!r}")
    beta, alpha = at(schedule.betas, t, x), at(schedule.alphas, t, x)
    ab = at(schedule.alpha_bar, t, x)
    # mu_theta = 1/sqrt(alpha_t) (x_t - beta_t / sqrt(1 - alpha_bar_t) eps)
    mean = (x - beta / (1 - ab).sqrt() * eps) / alpha.sqrt()
    if t == 0:
        return mean
    var = schedule.posterior_variance if variance == "posterior" else schedule.betas
    return mean + at(var, t, x).sqrt() * noise


def ddim_step(
    x: torch.Tensor,
    eps: torch.Tensor,
    t: int,
    t_prev: int,
    schedule: Schedule,
    eta: float = 0.0,
    noise: torch.Tensor | None = None,
) -> torch.Tensor:
    """One DDIM step from index ``t`` to an earlier ``t_prev`` (``-1`` = clean data).

    Args:
        x: x_t (B, ...).
        eps: the noise prediction at (x_t, t).
        t: current index; t_prev: target index, ``-1 <= t_prev < t``.
        schedule: the forward process.
        eta: 0 for the deterministic sampler, 1 for DDPM's posterior variance.
        noise: standard normal z (needed when ``eta > 0``).
    """
    if not -1 <= t_prev < t:
        raise ValueError(
            f"DDIM steps backwards: need -1 <= t_prev < t; got {t_prev}, {t}"
        )
    ab = at(schedule.alpha_bar, t, x)
    ab_prev = at(schedule.alpha_bar, t_prev, x) if t_prev >= 0 else torch.ones_like(ab)
    x0 = predict_x0(x, eps, t, schedule.alpha_bar)
    # sigma = eta sqrt((1 - ab') / (1 - ab)) sqrt(1 - ab / ab')     (DDIM eq. 16)
    sigma = eta * ((1 - ab_prev) / (1 - ab) * (1 - ab / ab_prev)).sqrt()
    # x_{t'} = sqrt(ab') x0_hat + sqrt(1 - ab' - sigma^2) eps + sigma z   (eq. 12)
    out = ab_prev.sqrt() * x0 + (1 - ab_prev - sigma**2).clamp(min=0).sqrt() * eps
    if eta > 0:
        if noise is None:
            raise ValueError("eta > 0 needs noise: pass noise=torch.randn_like(x)")
        out = out + sigma * noise
    return out


def _time(x: torch.Tensor, t: int, T: int) -> torch.Tensor:  # noqa: N803
    """The network's time input ``t / T`` for every sample, on x's device: (B,)."""
    return torch.full((x.shape[0],), t / T, device=x.device, dtype=x.dtype)


@torch.no_grad()
def ddpm_sample(
    predict: PredictFn,
    x_T: torch.Tensor,  # noqa: N803
    schedule: Schedule,
    variance: str = "posterior",
    generator: torch.Generator | None = None,
    progress: bool = False,
) -> torch.Tensor:
    """Algorithm 2: ``T`` ancestral steps from the noise ``x_T`` (B, ...)."""
    x = x_T
    for t in tqdm(range(schedule.T - 1, -1, -1), desc="DDPM", disable=not progress):
        eps = predict(x, _time(x, t, schedule.T))
        z = torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
        x = ddpm_step(x, eps, t, schedule, z, variance)
    return x


SPACINGS = ("linear", "quadratic", "trailing")


def ddim_timesteps(T: int, steps: int, spacing: str = "linear") -> list[int]:  # noqa: N803
    """``steps`` indices from 0 to T-1, last first (DDIM's sub-sequence tau).

    ``"linear"`` spreads them evenly from ``T - 1`` down to 0;
    ``"quadratic"`` puts index ``i`` at ``(T - 1) (i / (steps - 1))^2``,
    denser at low noise (the DDIM paper's appendix D.2 uses a quadratic
    sequence for CIFAR-10), each at least one above the previous so that there
    are exactly ``steps`` of them; ``"trailing"`` steps back ``T / steps`` at a
    time from ``T - 1`` (``round(T - i T / steps) - 1``), so no evaluation is
    spent at index 0, where the sample is already all but clean (Lin et al.,
    "Common Diffusion Noise Schedules and Sample Steps Are Flawed", WACV 2024,
    whose "trailing" spacing this is).
    """
    if not 1 <= steps <= T:
        raise ValueError(f"DDIM needs 1 <= steps <= T={T}; got steps={steps}")
    if spacing == "linear":
        taus = torch.linspace(0, T - 1, steps).round().long().unique().tolist()
    elif spacing == "quadratic":
        taus = []
        for i in range(steps):
            q = round((T - 1) * (i / max(steps - 1, 1)) ** 2)
            taus.append(max(q, taus[-1] + 1) if taus else q)
        taus[-1] = T - 1  # the last index stays the noisiest
    elif spacing == "trailing":
        taus = sorted({round(T - i * T / steps) - 1 for i in range(steps)})
    else:
        raise ValueError(f"spacing must be one of {SPACINGS}; got {spacing!r}")
    return taus[::-1]


@torch.no_grad()
def ddim_sample(
    predict: PredictFn,
    x_T: torch.Tensor,  # noqa: N803
    schedule: Schedule,
    steps: int,
    eta: float = 0.0,
    generator: torch.Generator | None = None,
    progress: bool = False,
    spacing: str = "linear",
) -> torch.Tensor:
    """DDIM with ``steps`` network evaluations from the noise ``x_T`` (B, ...).

    ``spacing`` picks the sub-sequence (:func:`ddim_timesteps`); ``eta > 0``
    draws ``z`` with ``generator`` (the global one when ``None``).
    """
    taus = ddim_timesteps(schedule.T, steps, spacing)
    x = x_T
    for i, t in enumerate(tqdm(taus, desc=f"DDIM-{steps}", disable=not progress)):
        t_prev = taus[i + 1] if i + 1 < len(taus) else -1
        eps = predict(x, _time(x, t, schedule.T))
        z = None
        if eta > 0:
            z = torch.randn(
                x.shape, generator=generator, device=x.device, dtype=x.dtype
            )
        x = ddim_step(x, eps, t, t_prev, schedule, eta, z)
    return x


def extrapolate_x0(
    x0: torch.Tensor, x0_prev: torch.Tensor, h: float, h_prev: float
) -> torch.Tensor:
    """DPM-Solver++(2M)'s ``D = (1 + 1/(2r)) x0 - 1/(2r) x0_prev``, ``r = h_prev / h``.

    ``h`` and ``h_prev`` are this step's and the previous step's sizes in
    ``lambda`` (half the log signal-to-noise ratio); both must be positive.
    """
    if h <= 0 or h_prev <= 0:
        raise ValueError(
            f"steps in lambda must be positive; got h={h}, h_prev={h_prev}"
        )
    r = h_prev / h
    return x0 + (x0 - x0_prev) / (2 * r)


@torch.no_grad()
def dpm_solver_2m_sample(
    predict: PredictFn,
    x_T: torch.Tensor,  # noqa: N803
    schedule: Schedule,
    steps: int,
    progress: bool = False,
    spacing: str = "linear",
) -> torch.Tensor:
    """DPM-Solver++(2M) over DDIM's ``steps`` indices: ``steps`` network evaluations.

    The first step and the last (to the clean data) are DDIM's; every other
    step is DDIM's step with the extrapolated ``x_0`` of :func:`extrapolate_x0`.
    The step sizes in ``lambda`` come from the schedule once, before the loop.
    """
    taus = ddim_timesteps(schedule.T, steps, spacing)
    ab = schedule.alpha_bar.detach().cpu().double()
    lam = (0.5 * (ab / (1 - ab)).log()).tolist()
    x, x0_prev, h_prev = x_T, None, None
    for i, t in enumerate(tqdm(taus, desc=f"2M-{steps}", disable=not progress)):
        t_prev = taus[i + 1] if i + 1 < len(taus) else -1
        eps = predict(x, _time(x, t, schedule.T))
        x0 = predict_x0(x, eps, t, schedule.alpha_bar)
        if t_prev < 0:  # the last step: DDIM's, to the predicted clean data
            return x0
        h = lam[t_prev] - lam[t]
        d = x0 if x0_prev is None else extrapolate_x0(x0, x0_prev, h, h_prev)
        eps_d = to_eps(x, d, at(schedule.alpha_bar, t, x), "x0")  # the noise of D
        x = ddim_step(x, eps_d, t, t_prev, schedule)
        x0_prev, h_prev = x0, h
    return x

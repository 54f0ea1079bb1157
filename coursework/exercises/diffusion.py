"""Exercises of notebook 07 (diffusion and flow matching) and their checks.

Each exercise compares the student's function with the package's reference
(``coursework.diffusion``) on several shapes, float32 and float64, an edge
case (the first or last step, ``eta = 1``, ``w = 0``) and tensors on the
checked device. Hidden cases (``register_hidden``) add other sizes and seeds.
"""

from __future__ import annotations

import torch
from torch import nn

from coursework.diffusion.flow import flow_interpolant
from coursework.diffusion.guidance import cfg_combine
from coursework.diffusion.losses import noise_prediction_loss
from coursework.diffusion.recipes import eps_from_velocity, velocity
from coursework.diffusion.sampling import ddim_step, ddpm_step
from coursework.diffusion.schedules import cosine_schedule, linear_schedule, q_sample
from coursework.exercises.core import Case, Exercise, register, register_hidden
from coursework.exercises.core import case_generator as _gen
from coursework.exercises.core import case_randn as _randn

_SHAPES = [((4, 2), torch.float32), ((3, 1, 4, 4), torch.float64)]

# ---------------------------------------------------------------- q_sample


def _schedule_draws(g: torch.Generator, device: torch.device):
    """Per shape of ``_SHAPES``, under a linear then a cosine schedule: a name,
    two standard normal tensors, steps ``t`` and that schedule's alpha_bar."""
    for (shape, dtype), sched in zip(
        _SHAPES, [linear_schedule(50), cosine_schedule(20)]
    ):
        a, b = (_randn(g, *shape, dtype=dtype, device=device) for _ in "ab")
        t = torch.randint(sched.T, (shape[0],), generator=g).to(device)
        yield f"{sched.name}, x {shape}, {dtype}", a, b, t, sched.alpha_bar.to(device)


def _q_cases(device: torch.device, seed: int = 0) -> list[Case]:
    g = _gen(seed)
    cases = [
        Case(name, (x0, t, noise, ab))
        for name, x0, noise, t, ab in _schedule_draws(g, device)
    ]
    x0 = _randn(g, 2, 3, dtype=torch.float32, device=device)
    sched = linear_schedule(10)
    t = torch.tensor([0, 9], device=device)
    cases.append(
        Case(
            "edge: first and last step (almost clean, almost pure noise)",
            (x0, t, torch.ones_like(x0), sched.alpha_bar.to(device)),
        )
    )
    return cases


register(
    Exercise(
        id="diffusion.q_sample",
        points=2,
        reference=q_sample,
        cases=_q_cases,
        hint=(
            "q(x_t | x_0) has a closed form: a shrunk copy of x0 plus scaled noise, "
            "both scales set by alpha_bar at step t so that the variance stays 1.",
            "Look up alpha_bar[t] for each example, reshape it to (B, 1, ..., 1) so "
            "that it broadcasts over x0, and cast it to x0's dtype and device. The "
            "signal is scaled by the square root of alpha_bar, the noise by the "
            "square root of 1 - alpha_bar.",
            "`ab = alpha_bar.to(x0.device)[t].view(-1, *[1] * (x0.dim() - "
            "1)).to(x0.dtype)`; return `ab.sqrt() * x0 + (1 - ab).sqrt() * noise`.",
        ),
        grad=True,
    )
)
register_hidden("diffusion.q_sample", lambda device: _q_cases(device, seed=100))

# --------------------------------------------------- noise_prediction_loss


class _LinearDenoiser(nn.Module):
    """eps_hat = a * x + b * time: a known network whose gradients are checked."""

    def __init__(self, a: float, b: float) -> None:
        super().__init__()
        self.a = nn.Parameter(torch.tensor(a, dtype=torch.float64))
        self.b = nn.Parameter(torch.tensor(b, dtype=torch.float64))

    def forward(self, x, time, y=None):
        tt = time.view(-1, *([1] * (x.dim() - 1)))
        out = self.a.to(x.dtype) * x + self.b.to(x.dtype) * tt
        return out if y is None else out + y.view_as(tt).to(x.dtype)

    def __repr__(self) -> str:
        return "a linear denoiser"


def _loss_cases(device: torch.device, seed: int = 1) -> list[Case]:
    g = _gen(seed)
    cases = []
    for (shape, dtype), sched in zip(
        _SHAPES, [linear_schedule(40), cosine_schedule(30)]
    ):
        x0, noise = (_randn(g, *shape, dtype=dtype, device=device) for _ in "ab")
        t = torch.randint(sched.T, (shape[0],), generator=g).to(device)
        model = _LinearDenoiser(0.5, -0.3).to(device)
        args = (model, x0, t, noise, sched.alpha_bar.to(device))
        cases.append(Case(f"{sched.name}, x {shape}, {dtype}", args))
    sched = linear_schedule(10)
    x0 = _randn(g, 3, 2, dtype=torch.float32, device=device)
    y = torch.tensor([0, 1, 2], device=device)
    t = torch.tensor([2, 5, 9], device=device)
    args = (_LinearDenoiser(0.1, 2.0).to(device), x0, t, torch.zeros_like(x0))
    cases.append(
        Case(
            "edge: with labels y, time input must be t / T",
            (*args, sched.alpha_bar.to(device)),
            {"y": y},
        )
    )
    return cases


register(
    Exercise(
        id="diffusion.noise_prediction_loss",
        points=2,
        reference=noise_prediction_loss,
        cases=_loss_cases,
        hint=(
            "Train the network to recover the noise: make x_t from x0 with that "
            "noise, ask the model for its noise prediction and penalise the squared "
            "difference.",
            "x_t comes from your q_sample; the model's time input is t / T with T = "
            "len(alpha_bar), as a float in x0's dtype (not the integer step); "
            "average the squared error over every entry.",
            "`eps_hat = model(q_sample(x0, t, noise, alpha_bar), t.to(x0.dtype) / "
            "len(alpha_bar), y)`; return `(eps_hat - noise).pow(2).mean()`.",
        ),
        grad=True,
    )
)
register_hidden(
    "diffusion.noise_prediction_loss", lambda device: _loss_cases(device, seed=101)
)

# ---------------------------------------------------------------- ddpm_step


def _ddpm_cases(device: torch.device, seed: int = 2) -> list[Case]:
    g = _gen(seed)
    cases = []
    for (shape, dtype), t, var in zip(_SHAPES, [4, 3], ["posterior", "beta"]):
        x, eps, z = (_randn(g, *shape, dtype=dtype, device=device) for _ in "abc")
        sched = linear_schedule(20)
        cases.append(
            Case(f"t={t}, variance={var!r}, {dtype}", (x, eps, t, sched, z, var))
        )
    x, eps, z = (_randn(g, 2, 3, dtype=torch.float32, device=device) for _ in "abc")
    cases.append(
        Case(
            "edge: t=0, the last step adds no noise",
            (x, eps, 0, linear_schedule(20), z),
        )
    )
    return cases


register(
    Exercise(
        id="diffusion.ddpm_step",
        points=2,
        reference=ddpm_step,
        cases=_ddpm_cases,
        hint=(
            "One reverse step: take the predicted noise's share out of x_t to get "
            "the mean of x_{t-1}, then add fresh noise with the step's variance, "
            "except at the last step (t = 0).",
            "With beta_t, alpha_t and alpha_bar_t (each taken at t, cast to x's "
            "dtype and device), the mean subtracts beta_t / sqrt(1 - alpha_bar_t) "
            "times eps from x, then divides by sqrt(alpha_t). The variance is "
            "schedule.posterior_variance or schedule.betas at t.",
            "`mean = (x - beta / (1 - ab).sqrt() * eps) / alpha.sqrt()`; return "
            "`mean` when `t == 0`, else `mean + var.to(x)[t].sqrt() * noise`.",
        ),
    )
)
register_hidden("diffusion.ddpm_step", lambda device: _ddpm_cases(device, seed=102))

# ---------------------------------------------------------------- ddim_step


def _ddim_cases(device: torch.device, seed: int = 3) -> list[Case]:
    g = _gen(seed)
    sched = cosine_schedule(50)
    cases = []
    for (shape, dtype), (t, t_prev) in zip(_SHAPES, [(49, 39), (10, 0)]):
        x, eps = (_randn(g, *shape, dtype=dtype, device=device) for _ in "ab")
        cases.append(
            Case(f"t={t} -> {t_prev}, eta=0, {dtype}", (x, eps, t, t_prev, sched))
        )
    x, eps, z = (_randn(g, 3, 2, dtype=torch.float64, device=device) for _ in "abc")
    cases.append(
        Case("edge: last step to clean data (t_prev=-1)", (x, eps, 5, -1, sched))
    )
    cases.append(
        Case(
            "edge: eta=1 adds noise", (x, eps, 30, 20, sched), {"eta": 1.0, "noise": z}
        )
    )
    return cases


register(
    Exercise(
        id="diffusion.ddim_step",
        points=2,
        reference=ddim_step,
        cases=_ddim_cases,
        hint=(
            "DDIM first estimates the clean x0 from x_t and the predicted noise, "
            "then noises that estimate again to the level of t_prev along the same "
            "noise direction (with fresh noise only when eta > 0).",
            "x0_hat = (x - sqrt(1 - ab_t) eps) / sqrt(ab_t); ab_prev = "
            "alpha_bar[t_prev], or 1 when t_prev = -1 (clean data). sigma = eta * "
            "sqrt((1 - ab_prev) / (1 - ab_t) * (1 - ab_t / ab_prev)); the direction "
            "to x_t keeps the rest of the variance, 1 - ab_prev - sigma^2.",
            "return `ab_prev.sqrt() * x0_hat + (1 - ab_prev - "
            "sigma**2).clamp(min=0).sqrt() * eps + sigma * noise` (the last term "
            "only when eta > 0).",
        ),
    )
)
register_hidden("diffusion.ddim_step", lambda device: _ddim_cases(device, seed=103))

# --------------------------------------------------------- flow_interpolant


def _flow_cases(device: torch.device, seed: int = 4) -> list[Case]:
    g = _gen(seed)
    cases = []
    for shape, dtype in _SHAPES:
        x0, x1 = (_randn(g, *shape, dtype=dtype, device=device) for _ in "ab")
        t = torch.rand(shape[0], generator=g, dtype=dtype).to(device)
        cases.append(Case(f"x {shape}, {dtype}", (x0, x1, t)))
    x0, x1 = (_randn(g, 2, 3, dtype=torch.float32, device=device) for _ in "ab")
    cases.append(
        Case(
            "edge: t = 0 gives the noise, t = 1 the data",
            (x0, x1, torch.tensor([0.0, 1.0], device=device)),
        )
    )
    return cases


register(
    Exercise(
        id="diffusion.flow_interpolant",
        points=2,
        reference=flow_interpolant,
        cases=_flow_cases,
        hint=(
            "Flow matching follows the straight line from the noise x0 (t = 0) to "
            "the data x1 (t = 1); the velocity target is the constant speed along "
            "that line.",
            "Reshape t to (B, 1, ..., 1) in x0's dtype so that it broadcasts; x_t "
            "mixes x0 and x1 with weights 1 - t and t, and the velocity is the "
            "derivative of x_t with respect to t.",
            "`tt = t.view(-1, *[1] * (x0.dim() - 1)).to(x0.dtype)`; return `((1 - "
            "tt) * x0 + tt * x1, x1 - x0)`.",
        ),
        grad=True,
    )
)
register_hidden(
    "diffusion.flow_interpolant", lambda device: _flow_cases(device, seed=104)
)

# ------------------------------------------------------------- cfg_combine


def _cfg_cases(device: torch.device, seed: int = 5) -> list[Case]:
    g = _gen(seed)
    cases = []
    for (shape, dtype), w in zip(_SHAPES, [3.0, 0.5]):
        cond, uncond = (_randn(g, *shape, dtype=dtype, device=device) for _ in "ab")
        cases.append(Case(f"w={w}, x {shape}, {dtype}", (cond, uncond, w)))
    cond, uncond = (_randn(g, 2, 2, dtype=torch.float32, device=device) for _ in "ab")
    cases.append(Case("edge: w = 0 is the conditional prediction", (cond, uncond, 0.0)))
    return cases


register(
    Exercise(
        id="diffusion.cfg_combine",
        points=1,
        reference=cfg_combine,
        cases=_cfg_cases,
        hint=(
            "Guidance extrapolates: start from the conditional prediction and move "
            "further away from the unconditional one, by w times their difference.",
            "w = 0 must give the conditional prediction back, and w = 1 goes one "
            "whole difference (cond - uncond) beyond it (Ho & Salimans 2022, eq. 6).",
            "return `(1 + w) * cond - w * uncond`, the same as `cond + w * (cond - "
            "uncond)`.",
        ),
        grad=True,
    )
)
register_hidden("diffusion.cfg_combine", lambda device: _cfg_cases(device, seed=105))

# --------------------------------------------- velocity and eps_from_velocity


def _v_cases(device: torch.device, seed: int = 6) -> list[Case]:
    g = _gen(seed)
    draws = _schedule_draws(g, device)
    cases = [Case(name, (a, b, t, ab)) for name, a, b, t, ab in draws]
    a, b = (_randn(g, 2, 3, dtype=torch.float32, device=device) for _ in "ab")
    sched = linear_schedule(10)
    cases.append(
        Case(
            "edge: first and last step (v is almost the noise, almost -x0)",
            (a, b, torch.tensor([0, 9], device=device), sched.alpha_bar.to(device)),
        )
    )
    return cases


register(
    Exercise(
        id="diffusion.velocity",
        points=1,
        reference=velocity,
        cases=_v_cases,
        hint=(
            "v is a rotation of the pair (noise, x0): it weighs the noise by the "
            "signal's scale and subtracts x0 weighed by the noise's scale, so at "
            "the first step it is almost the noise and at the last almost -x0.",
            "Look up alpha_bar[t] per example and reshape it to (B, 1, ..., 1) in "
            "x0's dtype; the noise gets the square root of alpha_bar, x0 the "
            "square root of 1 - alpha_bar, with a minus sign (Salimans & Ho 2022).",
            "`ab = alpha_bar[t].view(-1, *[1] * (x0.dim() - 1)).to(x0.dtype)`; "
            "return `ab.sqrt() * noise - (1 - ab).sqrt() * x0`.",
        ),
        grad=True,
    )
)
register_hidden("diffusion.velocity", lambda device: _v_cases(device, seed=106))
register(
    Exercise(
        id="diffusion.eps_from_velocity",
        points=2,
        reference=eps_from_velocity,
        cases=lambda device: _v_cases(device, seed=7),
        hint=(
            "x_t and v are two linear combinations of x0 and the noise; two "
            "equations in two unknowns can be solved for the noise.",
            "Write x_t = sqrt(ab) x0 + sqrt(1 - ab) eps and v = sqrt(ab) eps - "
            "sqrt(1 - ab) x0; multiply the first by sqrt(1 - ab), the second by "
            "sqrt(ab), and add: x0 drops out because ab + (1 - ab) = 1.",
            "With `ab` reshaped as in diffusion.velocity, return "
            "`ab.sqrt() * v + (1 - ab).sqrt() * xt`.",
        ),
        grad=True,
    )
)
register_hidden(
    "diffusion.eps_from_velocity", lambda device: _v_cases(device, seed=107)
)

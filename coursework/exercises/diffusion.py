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


def _q_cases(device: torch.device, seed: int = 0) -> list[Case]:
    g = _gen(seed)
    cases = []
    for (shape, dtype), sched in zip(
        _SHAPES, [linear_schedule(50), cosine_schedule(20)]
    ):
        x0, noise = (_randn(g, *shape, dtype=dtype, device=device) for _ in "ab")
        t = torch.randint(sched.T, (shape[0],), generator=g).to(device)
        ab = sched.alpha_bar.to(device)
        cases.append(Case(f"{sched.name}, x {shape}, {dtype}", (x0, t, noise, ab)))
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
        hint="ab = alpha_bar[t] reshaped to (B, 1, ..., 1) and cast to x0's dtype; "
        "return sqrt(ab) * x0 + sqrt(1 - ab) * noise.",
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
        hint="x_t = q_sample(x0, t, noise, alpha_bar); eps_hat = model(x_t, t / T, y) "
        "with T = len(alpha_bar) and t converted to x0's dtype; return the mean of "
        "(eps_hat - noise) ** 2 over every entry.",
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
    for (shape, dtype), t, var in zip(_SHAPES, [17, 3], ["posterior", "beta"]):
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
        hint="mean = (x - beta_t / sqrt(1 - alpha_bar_t) * eps) / sqrt(alpha_t); "
        "at t = 0 return the mean; else add sqrt(var_t) * noise with var = "
        "schedule.posterior_variance or schedule.betas. Cast each coefficient to x's "
        "dtype and device.",
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
        hint="x0_hat = (x - sqrt(1 - ab_t) eps) / sqrt(ab_t); "
        "ab_prev = alpha_bar[t_prev] (1 when t_prev = -1); sigma = eta * "
        "sqrt((1 - ab_prev) / (1 - ab_t) * (1 - ab_t / ab_prev)); return "
        "sqrt(ab_prev) x0_hat + sqrt(1 - ab_prev - sigma^2) eps "
        "+ sigma * noise.",
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
        hint="reshape t to (B, 1, ..., 1); return ((1 - t) * x0 + t * x1, x1 - x0).",
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
        hint="Ho & Salimans eq. 6: (1 + w) * cond - w * uncond.",
        grad=True,
    )
)
register_hidden("diffusion.cfg_combine", lambda device: _cfg_cases(device, seed=105))

# --------------------------------------------- velocity and eps_from_velocity


def _v_cases(device: torch.device, seed: int = 6) -> list[Case]:
    g = _gen(seed)
    cases = []
    for (shape, dtype), sched in zip(
        _SHAPES, [linear_schedule(50), cosine_schedule(20)]
    ):
        a, b = (_randn(g, *shape, dtype=dtype, device=device) for _ in "ab")
        t = torch.randint(sched.T, (shape[0],), generator=g).to(device)
        ab = sched.alpha_bar.to(device)
        cases.append(Case(f"{sched.name}, x {shape}, {dtype}", (a, b, t, ab)))
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
        hint="ab = alpha_bar[t] reshaped to (B, 1, ..., 1) in x0's dtype; "
        "v = sqrt(ab) * noise - sqrt(1 - ab) * x0.",
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
        hint="write x_t and v in x0 and eps and solve for eps: "
        "eps = sqrt(ab) * v + sqrt(1 - ab) * x_t.",
        grad=True,
    )
)
register_hidden(
    "diffusion.eps_from_velocity", lambda device: _v_cases(device, seed=107)
)

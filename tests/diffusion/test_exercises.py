"""The notebook 07 exercises: each reference passes, wrong versions fail clearly."""

from __future__ import annotations

import pytest
import torch

from coursework.diffusion.schedules import at
from coursework.exercises.core import exercises_for, run_check

CPU = torch.device("cpu")


def _wrong_q_sample(x0, t, noise, alpha_bar):
    ab = at(alpha_bar, t, x0)
    return ab * x0 + (1 - ab) * noise  # forgot the square roots


def _wrong_loss(model, x0, t, noise, alpha_bar, y=None):
    ab = at(alpha_bar, t, x0)
    xt = ab.sqrt() * x0 + (1 - ab).sqrt() * noise
    return (model(xt, t.to(x0.dtype), y) - noise).pow(2).mean()  # time not t / T


def _wrong_ddpm(x, eps, t, schedule, noise, variance="posterior"):
    beta, alpha = at(schedule.betas, t, x), at(schedule.alphas, t, x)
    ab = at(schedule.alpha_bar, t, x)
    mean = (x - beta / (1 - ab).sqrt() * eps) / alpha.sqrt()
    return mean + beta.sqrt() * noise  # noise at t = 0 too, always beta


def _wrong_ddim(x, eps, t, t_prev, schedule, eta=0.0, noise=None):
    ab = at(schedule.alpha_bar, t, x)
    ab_prev = at(schedule.alpha_bar, max(t_prev, 0), x)  # t_prev = -1 not clean
    x0 = (x - (1 - ab).sqrt() * eps) / ab.sqrt()
    return ab_prev.sqrt() * x0 + (1 - ab_prev).sqrt() * eps


def _wrong_flow(x0, x1, t):
    tt = t.view(-1, *[1] * (x0.dim() - 1))
    return (1 - tt) * x0 + tt * x1, x0 - x1  # velocity backwards


def _wrong_cfg(cond, uncond, w):
    return w * cond + (1 - w) * uncond  # interpolation, not guidance


WRONG = {
    "diffusion.q_sample": (_wrong_q_sample, "values differ"),
    "diffusion.noise_prediction_loss": (_wrong_loss, "values differ"),
    "diffusion.ddpm_step": (_wrong_ddpm, "values differ"),
    "diffusion.ddim_step": (_wrong_ddim, "values differ"),
    "diffusion.flow_interpolant": (_wrong_flow, "values differ"),
    "diffusion.cfg_combine": (_wrong_cfg, "values differ"),
}


def test_at_least_six_exercises_with_points() -> None:
    exercises = exercises_for("diffusion")
    assert len(exercises) >= 6
    assert all(e.points > 0 for e in exercises)
    assert set(WRONG) == {e.id for e in exercises}


@pytest.mark.parametrize("exercise_id", sorted(WRONG))
def test_reference_passes_its_own_check_with_hidden_cases(exercise_id: str) -> None:
    ex = next(e for e in exercises_for("diffusion") if e.id == exercise_id)
    result = run_check(exercise_id, ex.reference, device=CPU, hidden=True)
    assert result.passed == len(result.cases) >= 3, [c.message for c in result.cases]
    assert any(c.hidden for c in result.cases)


@pytest.mark.parametrize("exercise_id", sorted(WRONG))
def test_wrong_function_fails_with_a_useful_message(
    exercise_id: str, check_verdicts
) -> None:
    check_verdicts.wrong_fails(exercise_id, *WRONG[exercise_id])


def test_ddpm_check_catches_noise_on_the_last_step() -> None:
    result = run_check("diffusion.ddpm_step", _wrong_ddpm, device=CPU)
    bad = [c.name for c in result.cases if c.status != "passed"]
    assert any("t=0" in name for name in bad)

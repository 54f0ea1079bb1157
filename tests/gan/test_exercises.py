"""The notebook 04 exercises: each reference passes, wrong versions fail clearly."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from coursework.exercises.core import exercises_for, run_check

CPU = torch.device("cpu")


def _wrong_d_loss(real_logits, fake_logits):
    # log of sigmoid: overflows to inf/nan for confident logits
    return (
        -(torch.log(torch.sigmoid(real_logits)).mean())
        - torch.log(1 - torch.sigmoid(fake_logits)).mean()
    )


def _wrong_g_loss(fake_logits, saturating=False):
    return -F.softplus(fake_logits).mean()  # always the saturating loss


def _wrong_gp(critic, real, fake, eps):
    x_hat = (eps * real + (1 - eps) * fake).detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat)  # no create_graph
    return (grad.flatten(1).norm(dim=1) - 1) ** 2


def _wrong_gp_norm(critic, real, fake, eps):
    x_hat = (eps * real + (1 - eps) * fake).detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    return (grad.flatten(1).pow(2).sum(1) - 1) ** 2  # squared norm


def _wrong_power(weight, u):
    v = weight.T @ u  # not normalised
    wv = weight @ v
    return F.normalize(wv, dim=0), v, wv.norm()


def _wrong_fd(mu1, cov1, mu2, cov2):
    def root(c):
        vals, vecs = torch.linalg.eigh(c)
        return (vecs * vals.clamp(min=0).sqrt()) @ vecs.T

    cross = root(cov1) @ root(cov2)  # only right when the covariances commute
    return (mu1 - mu2).pow(2).sum() + cov1.trace() + cov2.trace() - 2 * cross.trace()


def _wrong_slerp(z0, z1, t):
    t = t[:, None].to(z0)
    return (1 - t) * z0 + t * z1  # lerp


WRONG = {
    "gan.discriminator_loss": (_wrong_d_loss, "values differ"),
    "gan.generator_loss": (_wrong_g_loss, "values differ"),
    "gan.gradient_penalty": (_wrong_gp, "gradient"),
    "gan.power_iteration_step": (_wrong_power, "values differ"),
    "gan.frechet_distance": (_wrong_fd, "values differ"),
    "gan.slerp": (_wrong_slerp, "values differ"),
}


def test_at_least_five_exercises_with_points() -> None:
    exercises = exercises_for("gan")
    assert len(exercises) >= 5
    assert all(e.points > 0 for e in exercises)
    assert set(WRONG) == {e.id for e in exercises}


@pytest.mark.parametrize("exercise_id", sorted(WRONG))
def test_reference_passes_its_own_check_with_hidden_cases(exercise_id: str) -> None:
    ex = next(e for e in exercises_for("gan") if e.id == exercise_id)
    result = run_check(exercise_id, ex.reference, device=CPU, hidden=True)
    assert result.passed == len(result.cases) >= 3, [c.message for c in result.cases]
    assert any(c.hidden for c in result.cases)


@pytest.mark.parametrize("exercise_id", sorted(WRONG))
def test_wrong_function_fails_with_a_useful_message(
    exercise_id: str, check_verdicts
) -> None:
    check_verdicts.wrong_fails(exercise_id, *WRONG[exercise_id])


def test_squared_norm_penalty_is_caught() -> None:
    result = run_check("gan.gradient_penalty", _wrong_gp_norm, device=CPU)
    assert result.points < result.max_points


def test_fd_check_has_a_non_commuting_case() -> None:
    result = run_check("gan.frechet_distance", _wrong_fd, device=CPU)
    bad = [c for c in result.cases if c.status != "passed"]
    assert any("commute" in c.name for c in bad)

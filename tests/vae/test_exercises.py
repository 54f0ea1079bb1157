"""The notebook 03 exercises: each reference passes, wrong versions fail clearly."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from coursework.exercises.core import FAILED, exercises_for, run_check

CPU = torch.device("cpu")


def _wrong_reparameterize(mu, logvar, eps):
    return mu + torch.exp(logvar) * eps  # variance instead of std


def _wrong_kl(mu, logvar):
    return 0.5 * (mu.pow(2) + logvar.exp() - logvar - 1).mean(-1)  # mean over D


def _wrong_elbo(x, logits, mu, logvar):
    bce = F.binary_cross_entropy_with_logits(logits, x)  # averaged over pixels
    return -bce - 0.5 * (mu.pow(2) + logvar.exp() - logvar - 1).sum(-1)


def _wrong_iwae(log_w):
    return torch.log(torch.exp(log_w).mean(1))  # underflows


def _wrong_noise(x, noise_std):
    return x + noise_std * torch.randn_like(x)  # not clipped


def _wrong_noise_variance(x, noise_std):
    return (x + noise_std**2 * torch.randn_like(x)).clamp(0, 1)


def _wrong_vq(z, codebook):
    idx = torch.cdist(z, codebook).argmin(1)
    return codebook[idx], idx  # no straight-through gradient


def _wrong_ppca_posterior(x, weight, bias, noise_var):
    eye = torch.eye(weight.shape[1], dtype=x.dtype, device=x.device)
    m_inv = torch.linalg.inv(weight.T @ weight + noise_var * eye)
    return (x - bias) @ weight @ m_inv, m_inv  # covariance without sigma^2


WRONG = {
    "vae.reparameterize": (_wrong_reparameterize, "values differ"),
    "vae.gaussian_kl": (_wrong_kl, "values differ"),
    "vae.elbo": (_wrong_elbo, "values differ"),
    "vae.iwae_bound": (_wrong_iwae, "values differ"),
    "vae.add_noise": (_wrong_noise, "clip"),
    "vae.vector_quantize": (_wrong_vq, "gradient"),
    "vae.ppca_posterior": (_wrong_ppca_posterior, "values differ"),
}


def test_at_least_five_exercises_with_points() -> None:
    exercises = exercises_for("vae")
    assert len(exercises) >= 5
    assert all(e.points > 0 for e in exercises)
    assert set(WRONG) == {e.id for e in exercises}


@pytest.mark.parametrize("exercise_id", sorted(WRONG))
def test_reference_passes_its_own_check(exercise_id: str) -> None:
    ex = next(e for e in exercises_for("vae") if e.id == exercise_id)
    result = run_check(exercise_id, ex.reference, device=CPU)
    assert result.passed == len(result.cases) >= 3, [c.message for c in result.cases]


@pytest.mark.parametrize("exercise_id", sorted(WRONG))
def test_wrong_function_fails_with_a_useful_message(
    exercise_id: str, check_verdicts
) -> None:
    check_verdicts.wrong_fails(exercise_id, *WRONG[exercise_id])


def test_noise_with_a_variance_is_caught_by_its_statistics() -> None:
    result = run_check("vae.add_noise", _wrong_noise_variance, device=CPU)
    messages = [c.message for c in result.cases if c.status == FAILED]
    assert messages and any("sigma" in m for m in messages)


def test_iwae_check_includes_an_underflow_case() -> None:
    result = run_check("vae.iwae_bound", _wrong_iwae, device=CPU)
    edge = [c for c in result.cases if "underflow" in c.name]
    assert edge and edge[0].status != "passed"
    assert math.isfinite(result.points)


def test_ppca_posterior_hidden_cases_pass_the_reference_and_catch_a_wrong_mean(
    monkeypatch,
) -> None:
    from coursework.exercises import core
    from coursework.exercises.vae import _ppca_hidden_cases
    from coursework.vae.ppca import ppca_posterior

    # other tests clear the hidden registry; install this exercise's own cases
    monkeypatch.setitem(core._HIDDEN, "vae.ppca_posterior", [_ppca_hidden_cases])

    def no_bias(x, weight, bias, noise_var):
        return ppca_posterior(x, weight, torch.zeros_like(bias), noise_var)

    ref = run_check("vae.ppca_posterior", ppca_posterior, device=CPU, hidden=True)
    assert sum(c.hidden for c in ref.cases) == 2
    assert ref.passed == len(ref.cases)
    wrong = run_check("vae.ppca_posterior", no_bias, device=CPU, hidden=True)
    assert all(c.status == FAILED for c in wrong.cases if c.hidden)

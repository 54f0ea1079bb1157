"""The notebook 02 exercises: each reference passes, wrong versions fail clearly."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from coursework.exercises.core import ERROR, exercises_for, run_check

CPU = torch.device("cpu")


def _wrong_mask(out_channels, in_channels, kernel_size, mask_type, groups=1):
    k, r = kernel_size, kernel_size // 2
    m = torch.zeros(out_channels, in_channels, k, k)
    m[:, :, :r, :] = 1
    m[:, :, r, : r + 1] = 1  # the centre always kept: type A ignored
    return m


def _wrong_conv(x, weight, bias, mask):
    return F.conv2d(x, weight, bias, padding=weight.shape[-1] // 2)  # mask ignored


def _wrong_bpd(nll_nats, n_dims):
    return nll_nats / (n_dims * math.log(10))  # wrong base


def _wrong_gate(x):
    a, b = x.chunk(2, dim=1)
    return torch.sigmoid(a) * torch.tanh(b)  # halves swapped


def _wrong_logistic(x, mu, log_s, levels=256):
    half = 1.0 / (levels - 1)
    xs = 2.0 * x.to(mu.dtype) / (levels - 1) - 1
    s = log_s.exp()
    return torch.log(
        torch.sigmoid((xs + half - mu) / s) - torch.sigmoid((xs - half - mu) / s)
    )


def _wrong_step(probs, u):
    return (probs.cumsum(-1) < u[:, None]).sum(-1)  # may return K, no clamp


def _badly_typed_step(probs, u):
    return (probs.cumsum(-1) <= u[:, None]).sum(-1).float()  # float, not long


WRONG = {
    "autoregressive.causal_mask": (_wrong_mask, "values differ"),
    "autoregressive.masked_conv2d": (_wrong_conv, "values differ"),
    "autoregressive.bits_per_dim": (_wrong_bpd, "expected"),
    "autoregressive.gated_activation": (_wrong_gate, "values differ"),
    "autoregressive.discretized_logistic_log_prob": (_wrong_logistic, "values differ"),
    "autoregressive.sample_step": (_badly_typed_step, "dtype"),
}


def test_at_least_five_exercises_with_points() -> None:
    exercises = exercises_for("autoregressive")
    assert len(exercises) >= 5
    assert all(e.points > 0 for e in exercises)
    assert set(WRONG) == {e.id for e in exercises}


@pytest.mark.parametrize("exercise_id", sorted(WRONG))
def test_reference_passes_its_own_check_with_hidden_cases(exercise_id: str) -> None:
    ex = next(e for e in exercises_for("autoregressive") if e.id == exercise_id)
    result = run_check(exercise_id, ex.reference, device=CPU, hidden=True)
    assert result.passed == len(result.cases) >= 4, [c.message for c in result.cases]
    assert any(c.hidden for c in result.cases)


@pytest.mark.parametrize("exercise_id", sorted(WRONG))
def test_wrong_function_fails_with_a_useful_message(
    exercise_id: str, check_verdicts
) -> None:
    check_verdicts.wrong_fails(exercise_id, *WRONG[exercise_id])


def test_sample_step_without_clamp_fails_on_rounding() -> None:
    result = run_check(
        "autoregressive.sample_step", _wrong_step, device=CPU, hidden=True
    )
    assert result.points < result.max_points


def test_logistic_check_catches_the_missing_edge_and_tail_cases() -> None:
    result = run_check(
        "autoregressive.discretized_logistic_log_prob", _wrong_logistic, device=CPU
    )
    names = [c.name for c in result.cases if c.status != "passed"]
    assert any("x = 0" in n for n in names) and any("tail" in n for n in names)


def test_a_raising_or_non_callable_answer_costs_points_not_the_run() -> None:
    def broken(*args):
        raise RuntimeError("boom")

    result = run_check("autoregressive.gated_activation", broken, device=CPU)
    assert result.points == 0 and all(c.status == ERROR for c in result.cases)
    assert "boom" in result.cases[0].message
    result = run_check("autoregressive.causal_mask", 42, device=CPU)
    assert result.points == 0 and "expected a function" in result.note

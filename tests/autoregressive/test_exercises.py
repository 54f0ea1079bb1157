"""Mistakes the notebook 02 checks must catch, beyond the table of wrong answers.

The table itself (``tests/exercises/wrong/autoregressive.py``) runs in
``tests/exercises/test_topics.py``.
"""

from __future__ import annotations

import torch

from coursework.exercises.core import ERROR, run_check

CPU = torch.device("cpu")


def test_sample_step_without_clamp_fails_on_rounding(wrong_answers) -> None:
    wrong = wrong_answers("autoregressive")
    result = run_check(
        "autoregressive.sample_step", wrong.wrong_step, device=CPU, hidden=True
    )
    assert result.points < result.max_points


def test_logistic_check_catches_the_missing_edge_and_tail_cases(wrong_answers) -> None:
    wrong = wrong_answers("autoregressive")
    result = run_check(
        "autoregressive.discretized_logistic_log_prob", wrong.wrong_logistic, device=CPU
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

"""Mistakes the notebook 04 checks must catch, beyond the table of wrong answers.

The table itself (``tests/exercises/wrong/gan.py``) runs in
``tests/exercises/test_topics.py``.
"""

from __future__ import annotations

import torch

from coursework.exercises.core import run_check

CPU = torch.device("cpu")


def test_squared_norm_penalty_is_caught(wrong_answers) -> None:
    wrong = wrong_answers("gan")
    result = run_check("gan.gradient_penalty", wrong.wrong_gp_norm, device=CPU)
    assert result.points < result.max_points


def test_fd_check_has_a_non_commuting_case(wrong_answers) -> None:
    wrong = wrong_answers("gan")
    result = run_check("gan.frechet_distance", wrong.wrong_fd, device=CPU)
    bad = [c for c in result.cases if c.status != "passed"]
    assert any("commute" in c.name for c in bad)

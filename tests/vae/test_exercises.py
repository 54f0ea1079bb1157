"""Mistakes the notebook 03 checks must catch, beyond the table of wrong answers.

The table itself (``tests/exercises/wrong/vae.py``) runs in
``tests/exercises/test_topics.py``.
"""

from __future__ import annotations

import math

import torch

from coursework.exercises.core import FAILED, run_check

CPU = torch.device("cpu")


def test_noise_with_a_variance_is_caught_by_its_statistics(wrong_answers) -> None:
    wrong = wrong_answers("vae")
    result = run_check("vae.add_noise", wrong.wrong_noise_variance, device=CPU)
    messages = [c.message for c in result.cases if c.status == FAILED]
    assert messages and any("sigma" in m for m in messages)


def test_iwae_check_includes_an_underflow_case(wrong_answers) -> None:
    wrong = wrong_answers("vae")
    result = run_check("vae.iwae_bound", wrong.wrong_iwae, device=CPU)
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

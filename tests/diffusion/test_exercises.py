"""Notebook 07's exercise checks beyond the shared table of wrong answers.

``tests/exercises/test_topics.py`` runs the reference and the wrong answers in
``tests/exercises/wrong/diffusion.py`` for every exercise; here, what is
particular to one check.
"""

from __future__ import annotations

import torch

from coursework.exercises.core import run_check

CPU = torch.device("cpu")


def test_ddpm_check_catches_noise_on_the_last_step(wrong_answers) -> None:
    wrong_ddpm = wrong_answers("diffusion").wrong_ddpm
    result = run_check("diffusion.ddpm_step", wrong_ddpm, device=CPU)
    bad = [c.name for c in result.cases if c.status != "passed"]
    assert any("t=0" in name for name in bad)

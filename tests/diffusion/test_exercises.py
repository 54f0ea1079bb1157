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


def test_ddpm_check_tells_the_posterior_variance_from_beta() -> None:
    """A step that ignores ``variance`` and always adds beta_t's noise fails the
    posterior case (late in a short schedule the two are nearly equal, so the
    case takes an early step)."""
    from coursework.diffusion.sampling import ddpm_step

    def always_beta(x, eps, t, schedule, noise, variance="posterior"):
        return ddpm_step(x, eps, t, schedule, noise, "beta")

    result = run_check("diffusion.ddpm_step", always_beta, device=CPU)
    bad = [c.name for c in result.cases if c.status != "passed"]
    assert any("posterior" in name for name in bad), bad

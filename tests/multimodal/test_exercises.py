"""Mistakes the notebook 06 checks must catch, beyond the table of wrong answers.

The table itself (``tests/exercises/wrong/multimodal.py``) runs in
``tests/exercises/test_topics.py``.
"""

from __future__ import annotations

import torch

from coursework.exercises.core import run_check

CPU = torch.device("cpu")


def test_specific_mistakes_are_caught(wrong_answers) -> None:
    wrong = wrong_answers("multimodal")
    nce = run_check("multimodal.info_nce", wrong.unnormalised_info_nce, device=CPU)
    assert any("unnormalised" in c.name for c in nce.cases if c.status != "passed")
    naive = run_check("multimodal.multi_positive_nce", wrong.naive_mpnce, device=CPU)
    edge = [c for c in naive.cases if "overflow" in c.name]
    assert edge and edge[0].status != "passed"
    ties = run_check("multimodal.recall_at_k", wrong.wrong_recall, device=CPU)
    assert [c.status for c in ties.cases if "tie" in c.name] == ["failed"]


def test_zero_shot_mistakes_are_caught(wrong_answers) -> None:
    wrong = wrong_answers("multimodal")
    scaled = run_check("multimodal.zero_shot_logits", wrong.wrong_zero_shot, device=CPU)
    failed = {c.name for c in scaled.cases if c.status != "passed"}
    assert any("40x longer" in name for name in failed)
    plain = run_check(
        "multimodal.zero_shot_logits", wrong.unrenormalised_zero_shot, device=CPU
    )
    # with one prompt per class the mean is already a unit vector: that case passes
    statuses = {c.name: c.status for c in plain.cases}
    assert statuses["torch.float32, N=5, K=3, P=1, D=4, tau=1.0"] == "passed"
    assert plain.passed < len(plain.cases)

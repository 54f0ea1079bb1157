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

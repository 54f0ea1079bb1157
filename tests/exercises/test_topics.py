"""Every topic's exercises: the reference passes, a wrong answer fails clearly.

Topics are discovered (every ``coursework/exercises/<topic>.py``); each one
supplies only a table of wrong answers, ``tests/exercises/wrong/<topic>.py``:
``WRONG = {exercise_id: (wrong_function, words_its_message_must_contain)}``,
and ``HIDDEN = True`` when every exercise of the topic has hidden cases.
"""

from __future__ import annotations

import pytest
import torch

from coursework.exercises.core import (
    MISSING,
    PASSED,
    exercises_for,
    get_exercise,
    run_check,
)
from coursework.exercises.registry import hidden_cases

CPU = torch.device("cpu")


def test_every_topic_has_exercises_with_points_and_a_full_table(
    exercise_topic: str, wrong_answers
) -> None:
    exercises = exercises_for(exercise_topic)
    assert len(exercises) >= 5, f"{exercise_topic}: fewer than five exercises"
    assert all(e.points > 0 for e in exercises)
    table = wrong_answers(exercise_topic)
    assert set(table.WRONG) == {e.id for e in exercises}
    if getattr(table, "HIDDEN", False):
        missing = [e.id for e in exercises if not hidden_cases(e.id, CPU)]
        assert not missing, f"no hidden cases for {missing}"


def test_the_reference_passes_its_own_check_with_hidden_cases(wrong_answer) -> None:
    exercise_id = wrong_answer[0]
    ex = get_exercise(exercise_id)
    result = run_check(exercise_id, ex.reference, device=CPU, hidden=True)
    assert result.passed == len(result.cases) >= 3, [c.message for c in result.cases]
    assert result.status == PASSED and result.points == ex.points
    assert sum(c.hidden for c in result.cases) == len(hidden_cases(exercise_id, CPU))


def test_a_wrong_answer_fails_with_a_useful_message(
    wrong_answer, check_verdicts
) -> None:
    failed = check_verdicts.wrong_fails(*wrong_answer)
    assert all(c.message for c in failed)


def test_an_unfinished_stub_is_reported_missing_not_wrong(wrong_answer) -> None:
    exercise_id = wrong_answer[0]

    def stub(*args, **kwargs):
        raise NotImplementedError(f"Exercise {exercise_id}: replace this line")

    result = run_check(exercise_id, stub, device=CPU)
    assert result.cases and all(c.status == MISSING for c in result.cases)
    assert result.points == 0


@pytest.mark.parametrize("topic", ["nosuchtopic"])
def test_a_topic_without_a_table_is_told_what_to_write(topic, wrong_answers) -> None:
    with pytest.raises(FileNotFoundError, match="WRONG = "):
        wrong_answers(topic)

"""Hints in steps: every exercise has two or three, and the first gives no formula.

A failed check shows the first hint, ``hint(id)`` each next one, and graded
feedback the first only. The first hint must not contain the exercise's
defining expression: no expression of the notebook's solution or of the
package's reference (normalised: no spaces, no ``torch.``/``F.`` prefixes, no
case), no code from the last hint, and no ``return``.
"""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
from pathlib import Path

import pytest
import torch

from coursework.exercises import check, hint
from coursework.exercises.core import Case, Exercise, register
from coursework.exercises.hinting import (
    hints_shown,
    mark_first_hint_shown,
    next_hint,
    reset_hints,
)
from coursework.exercises.printing import format_result
from coursework.exercises.records import CheckError, as_hints
from coursework.exercises.registry import all_topics, exercises_for, get_exercise

SOLUTIONS = Path(__file__).resolve().parents[2] / "solutions"
CELL_RE = re.compile(r'^# %% exercise="([^"]+)"\n(.*?)(?=^# %%|\Z)', re.S | re.M)
MIN_LENGTH = 10  # shorter expressions (`t * c`, `x0`) are words, not formulas


def every_exercise() -> list[Exercise]:
    return [e for topic in all_topics() for e in exercises_for(topic)]


def solution_cells() -> dict[str, str]:
    """Exercise id -> the source of its cell in ``solutions/NN_topic.py``."""
    cells = {}
    for path in sorted(SOLUTIONS.glob("[0-9][0-9]_*.py")):
        for m in CELL_RE.finditer(path.read_text()):
            cells[m.group(1)] = m.group(2)
    return cells


def normalise(text: str) -> str:
    text = re.sub(r"\b(torch\.nn\.functional|torch|math|np|F)\.", "", text)
    return re.sub(r"[\s`]", "", text).lower()


def expressions(source: str) -> set[str]:
    """Every returned or assigned expression of a source and its sub-expressions
    (calls, arithmetic), normalised, at least ``MIN_LENGTH`` long."""
    tree = ast.parse(textwrap.dedent(source))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Return, ast.Assign, ast.AugAssign)) and node.value:
            for sub in ast.walk(node.value):
                if isinstance(sub, (ast.BinOp, ast.Call, ast.Tuple, ast.Compare)):
                    found.add(normalise(ast.unparse(sub)))
    return {e for e in found if len(e) >= MIN_LENGTH}


def code_of(hint_text: str) -> set[str]:
    """The `code` spans of a hint, normalised, at least ``MIN_LENGTH`` long."""
    spans = {normalise(s) for s in re.findall(r"`([^`]+)`", hint_text)}
    return {s for s in spans if len(s) >= MIN_LENGTH}


def defining_expressions(ex: Exercise, cells: dict[str, str]) -> set[str]:
    """The solution's expressions (notebook cell and package reference) and the
    last hint's code."""
    found = code_of(ex.hints[-1]) if len(ex.hints) > 1 else set()
    if ex.id in cells:
        found |= expressions(cells[ex.id])
    try:
        found |= expressions(inspect.getsource(ex.reference))
    except (OSError, TypeError):  # a builtin reference has no source
        pass
    return found


def formula_in_first_hint(ex: Exercise, cells: dict[str, str]) -> list[str]:
    """What the first hint gives away: expressions found in it, or ``return``."""
    first = normalise(ex.first_hint)
    leaks = sorted(e for e in defining_expressions(ex, cells) if e in first)
    if re.search(r"\breturn\b", ex.first_hint):
        leaks.append("return")
    return leaks


@pytest.fixture(scope="module")
def cells() -> dict[str, str]:
    return solution_cells()


@pytest.fixture(autouse=True)
def _fresh_hints():
    reset_hints()
    yield
    reset_hints()


def test_every_exercise_has_two_or_three_distinct_hints(cells) -> None:
    exercises = every_exercise()
    assert len(exercises) >= 40
    for ex in exercises:
        assert 2 <= len(ex.hints) <= 3, ex.id
        assert len(set(ex.hints)) == len(ex.hints), ex.id
        assert all(len(h) >= 20 and h.rstrip().endswith(".") for h in ex.hints), ex.id
        assert ex.id in cells, f"{ex.id} has no exercise cell in solutions/"


def test_no_first_hint_contains_its_solution(cells) -> None:
    for ex in every_exercise():  # something to compare with, for every exercise
        assert defining_expressions(ex, cells), ex.id
    leaks = {
        ex.id: leak
        for ex in every_exercise()
        if (leak := formula_in_first_hint(ex, cells))
    }
    assert not leaks, leaks


def test_the_solutions_expressions_are_found(cells) -> None:
    """The detector sees real expressions, so the test above can fail."""
    found = defining_expressions(get_exercise("diffusion.q_sample"), cells)
    assert normalise("ab.sqrt() * x0 + (1 - ab).sqrt() * noise") in found
    found = defining_expressions(get_exercise("diffusion.cfg_combine"), cells)
    assert normalise("(1 + w) * cond - w * uncond") in found


@pytest.mark.parametrize(
    "exercise_id, old_hint",
    [  # the single hints exercises had before hints came in steps
        (
            "diffusion.q_sample",
            "ab = alpha_bar[t] reshaped to (B, 1, ..., 1) and cast to x0's dtype; "
            "return sqrt(ab) * x0 + sqrt(1 - ab) * noise.",
        ),
        ("diffusion.cfg_combine", "Ho & Salimans eq. 6: (1 + w) * cond - w * uncond."),
        (
            "video.late_fusion_pool",
            "Average over dims 2, 3 and 4: features.mean(dim=(2, 3, 4)).",
        ),
        (
            "vae.reparameterize",
            "z = mu + torch.exp(0.5 * logvar) * eps uses the eps you are given.",
        ),
    ],
)
def test_a_formula_as_first_hint_is_caught(exercise_id, old_hint, cells) -> None:
    ex = get_exercise(exercise_id)
    leaky = Exercise(
        ex.id, ex.points, ex.reference, ex.cases, hint=(old_hint, *ex.hints[1:])
    )
    assert formula_in_first_hint(leaky, cells)


def test_as_hints_accepts_one_string_a_sequence_or_nothing() -> None:
    assert as_hints("one") == ("one",)
    assert as_hints(["a", "", "b"]) == ("a", "b")
    assert as_hints(("a",)) == ("a",)
    assert as_hints(None) == () and as_hints("") == () and as_hints("  ") == ()
    with pytest.raises(TypeError, match="strings"):
        as_hints(["a", 3])  # type: ignore[list-item]


def _double(x: torch.Tensor) -> torch.Tensor:
    return 2 * x


def _cases(device: torch.device) -> list[Case]:
    return [Case("float32", (torch.arange(3.0, device=device),))]


ONE = register(Exercise("testhints.one", 1, _double, _cases, hint="Multiply by two."))
THREE = register(
    Exercise(
        "testhints.three",
        1,
        _double,
        _cases,
        hint=("The idea.", "The pieces.", "`2 * x`."),
    )
)


def test_a_single_string_hint_still_works(capsys) -> None:
    """Checks written before hints came in steps (an instructor's private
    checks, the grader's demo) pass one string."""
    assert ONE.hint == ONE.hints == ("Multiply by two.",)
    assert ONE.first_hint == "Multiply by two."
    check("testhints.one", lambda x: 3 * x)
    out = capsys.readouterr().out
    assert "  Hint: Multiply by two." in out and "More:" not in out
    hint("testhints.one")
    assert "No more hints for testhints.one" in capsys.readouterr().out


def test_no_hint_at_all() -> None:
    ex = Exercise("testhints.none", 1, _double, _cases)
    assert ex.hints == () and ex.first_hint == ""


def test_a_failed_check_shows_the_first_hint_then_hint_the_next(capsys) -> None:
    check("testhints.three", lambda x: 3 * x)
    out = capsys.readouterr().out
    assert "Hint 1/3: The idea." in out and "The pieces." not in out
    assert 'hint("testhints.three") shows the next hint' in out
    assert hints_shown("testhints.three") == 1
    hint("testhints.three")
    assert capsys.readouterr().out.startswith(
        "Hint 2/3 for testhints.three: The pieces."
    )
    hint()  # the exercise whose check failed last
    out = capsys.readouterr().out
    assert out.startswith("Hint 3/3 for testhints.three: `2 * x`.")
    assert "last hint" in out
    hint("testhints.three")
    out = capsys.readouterr().out
    assert out.startswith("No more hints for testhints.three: you have seen all 3")
    assert "`2 * x`" in out
    assert hints_shown("testhints.three") == 3


def test_a_passing_check_shows_no_hint(capsys) -> None:
    check("testhints.three", _double)
    assert "Hint" not in capsys.readouterr().out
    assert hints_shown("testhints.three") == 0
    assert next_hint("testhints.three").startswith("Hint 1/3 for testhints.three")


def test_hint_needs_an_id_until_a_check_failed() -> None:
    with pytest.raises(CheckError, match="needs an exercise id"):
        hint()
    with pytest.raises(CheckError, match="Unknown exercise id"):
        hint("testhints.nosuch")


def test_reset_and_mark_first_hint_shown() -> None:
    mark_first_hint_shown("testhints.three")
    assert hints_shown("testhints.three") == 1
    assert next_hint().startswith("Hint 2/3")
    reset_hints()
    assert hints_shown("testhints.three") == 0
    with pytest.raises(CheckError):
        next_hint()


def test_format_result_shows_only_the_first_of_several_hints() -> None:
    from coursework.exercises.core import run_check

    result = run_check("testhints.three", lambda x: 3 * x, device="cpu")
    text = format_result(result, THREE.hints)
    assert "Hint 1/3: The idea." in text and "The pieces." not in text
    assert "Hint: The idea." in format_result(result, "The idea.")
    ok = run_check("testhints.three", _double, device="cpu")
    assert "Hint" not in format_result(ok, THREE.hints)


def test_graded_feedback_shows_the_first_hint_only() -> None:
    from coursework.grading.collect import _result
    from coursework.grading.records import Record, Status
    from coursework.grading.report import feedback_markdown

    result = _result(get_exercise("diffusion.q_sample"), Status.FAILED, "values differ")
    assert result.hint == get_exercise("diffusion.q_sample").first_hint
    md = feedback_markdown(Record(student="s1", sha256="0", exercises=[result]))
    hints = get_exercise("diffusion.q_sample").hints
    assert f"Hint: {hints[0]}" in md
    assert hints[1] not in md and hints[2] not in md

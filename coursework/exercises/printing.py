"""The printed verdict of a check: one line per case, then the hint."""

from __future__ import annotations

from collections.abc import Sequence

from coursework.exercises.records import PASSED, CheckResult, as_hints


def format_result(
    result: CheckResult, hint: str | Sequence[str] = "", show_hidden_note: bool = True
) -> str:
    """Human-readable verdict, one line per case, then the first hint if a case failed.

    Args:
        result: the verdict.
        hint: the exercise's hints (or one hint); only the first is shown, with
            a pointer to ``hint(id)`` when there are more.
        show_hidden_note: end with the line saying grading runs hidden cases.
    """
    lines = []
    if result.note and not result.cases:
        lines.append(f"✗ {result.exercise_id}: {result.note}")
        return "\n".join(lines)
    n = len(result.cases)
    mark = "✓" if result.passed == n else "✗"
    lines.append(
        f"{mark} {result.exercise_id}: {result.passed}/{n} cases passed "
        f"({result.points:g}/{result.max_points:g} points)"
    )
    for c in result.cases:
        tag = " [hidden]" if c.hidden else ""
        if c.status == PASSED:
            lines.append(f"  ✓ {c.name}{tag}")
        else:
            lines.append(f"  ✗ {c.name}{tag}: {c.message}")
    hints = as_hints(hint)
    if result.passed < n and hints:
        if len(hints) == 1:
            lines.append(f"  Hint: {hints[0]}")
        else:
            lines.append(f"  Hint 1/{len(hints)}: {hints[0]}")
            lines.append(
                f'  More: hint("{result.exercise_id}") shows the next hint, '
                "one step closer to the formula."
            )
    if show_hidden_note:
        lines.append("  (Grading also runs hidden cases.)")
    return "\n".join(lines)

"""The printed verdict of a check: one line per case, then the hint."""

from __future__ import annotations

from coursework.exercises.records import PASSED, CheckResult


def format_result(
    result: CheckResult, hint: str = "", show_hidden_note: bool = True
) -> str:
    """Human-readable verdict, one line per case."""
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
    if result.passed < n and hint:
        lines.append(f"  Hint: {hint}")
    if show_hidden_note:
        lines.append("  (Grading also runs hidden cases.)")
    return "\n".join(lines)

"""Hints in steps: a failed check shows the first, ``hint(id)`` each next one.

Every exercise has two or three hints, from the idea to the formula
(:attr:`~coursework.exercises.records.Exercise.hint`). A check that fails
prints the first; ``hint("diffusion.q_sample")`` prints the next one each time
it is called and says when there are no more. ``hint()`` with no id means the
exercise whose check failed last. What was shown is remembered per Python
process (one notebook kernel), not on disk.
"""

from __future__ import annotations

from coursework.exercises.records import CheckError
from coursework.exercises.registry import get_exercise

_SHOWN: dict[str, int] = {}  # exercise id -> how many of its hints were shown
_LAST_FAILED: list[str] = []  # the id of the last failed check, if any


def hints_shown(exercise_id: str) -> int:
    """How many hints of an exercise were shown in this process (0 to all)."""
    return _SHOWN.get(exercise_id, 0)


def mark_first_hint_shown(exercise_id: str) -> None:
    """Note that a failed check showed the first hint (``hint()`` goes on from it)."""
    _SHOWN[exercise_id] = max(_SHOWN.get(exercise_id, 0), 1)
    _LAST_FAILED[:] = [exercise_id]


def reset_hints() -> None:
    """Forget which hints were shown, so each exercise starts again at its first."""
    _SHOWN.clear()
    _LAST_FAILED.clear()


def next_hint(exercise_id: str | None = None) -> str:
    """The text :func:`hint` prints, and count it as shown.

    Raises:
        CheckError: no id was given and no check has failed yet, or the id is
            unknown.
    """
    if exercise_id is None:
        if not _LAST_FAILED:
            raise CheckError(
                "hint() needs an exercise id until a check has failed, e.g. "
                'hint("vae.reparameterize"); copy it from the check cell.'
            )
        exercise_id = _LAST_FAILED[0]
    ex = get_exercise(exercise_id)
    hints = ex.hints
    n = len(hints)
    if n == 0:
        return f"{ex.id} has no hints."
    shown = _SHOWN.get(ex.id, 0)
    if shown >= n:
        return (
            f"No more hints for {ex.id}: you have seen all {n}. The last one was:\n"
            f"  Hint {n}/{n}: {hints[-1]}"
        )
    _SHOWN[ex.id] = shown + 1
    text = f"Hint {shown + 1}/{n} for {ex.id}: {hints[shown]}"
    if shown + 1 == n:
        text += "\n  (That was the last hint.)"
    else:
        text += f'\n  (hint("{ex.id}") again shows the next one.)'
    return text


def hint(exercise_id: str | None = None) -> None:
    """Print the next hint of an exercise, one more step towards the formula.

    The first call after a failed check prints the second hint (the check
    printed the first); the first call before any check prints the first.
    Once all are shown it says so and repeats the last.

    Example:
        >>> hint("diffusion.q_sample")  # doctest: +SKIP
        Hint 2/3 for diffusion.q_sample: Look up alpha_bar[t] for each example, ...

    Args:
        exercise_id: the id in the check cell; by default the exercise whose
            check failed last.

    Raises:
        CheckError: no id and no failed check yet, or an unknown id.
    """
    print(next_hint(exercise_id))

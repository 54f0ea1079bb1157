"""Running a check: call the student's function and the reference, case by case.

:func:`run_check` returns a :class:`CheckResult` and never raises for anything
the student's function does; :func:`check` prints one verdict per case, and
stops a notebook (with a short message, not a traceback) only when the
exercise is not attempted yet.

The rest of the check API lives in one module per concept and is importable
from here too: :mod:`~coursework.exercises.records` (Case, Exercise, the
verdicts), :mod:`~coursework.exercises.registry` (register, look-up),
:mod:`~coursework.exercises.compare` (values and gradients),
:mod:`~coursework.exercises.tracebacks` (the student's line of an error),
:mod:`~coursework.exercises.printing` (the printed verdict),
:mod:`~coursework.exercises.hinting` (``hint(id)``, the next hint) and
:mod:`~coursework.exercises.tracking` (``progress()``, from every check run).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import torch

from coursework.exercises.compare import (
    _clone,
    compare_gradients,
    compare_parameter_gradients,
    compare_values,
    output_gradients,
)
from coursework.exercises.hinting import hint, mark_first_hint_shown
from coursework.exercises.printing import format_result
from coursework.exercises.records import (
    ERROR,
    FAILED,
    MISSING,
    PASSED,
    Case,
    CaseResult,
    CheckError,
    CheckResult,
    Compare,
    Exercise,
    ExerciseIncomplete,
    case_generator,
    case_randn,
)
from coursework.exercises.registry import (  # the registries, for old imports
    _HIDDEN,  # noqa: F401
    _REGISTRY,  # noqa: F401
    all_topics,
    clear_hidden,
    exercises_for,
    get_exercise,
    hidden_cases,
    register,
    register_hidden,
)
from coursework.exercises.tracebacks import student_error
from coursework.exercises.tracking import progress, record_check

__all__ = [
    "ERROR",
    "FAILED",
    "MISSING",
    "PASSED",
    "Case",
    "CaseResult",
    "CheckError",
    "CheckResult",
    "Compare",
    "Exercise",
    "ExerciseIncomplete",
    "all_topics",
    "case_generator",
    "case_randn",
    "check",
    "clear_hidden",
    "compare_gradients",
    "compare_parameter_gradients",
    "compare_values",
    "exercises_for",
    "format_result",
    "get_exercise",
    "hidden_cases",
    "hint",
    "output_gradients",
    "progress",
    "register",
    "register_hidden",
    "run_check",
    "student_error",
]


def _float_tensors(args: Sequence[Any]) -> list[torch.Tensor]:
    return [a for a in args if isinstance(a, torch.Tensor) and a.is_floating_point()]


def _call(
    fn: Callable[..., Any], case: Case, grad: bool
) -> tuple[Any, list[Any] | None]:
    args, kwargs = _clone(case.args), _clone(case.kwargs)
    leaves = _float_tensors(args) if grad else []
    for t in leaves:
        t.requires_grad_(True)
    if case.seed is not None:
        torch.manual_seed(case.seed)
    out = fn(*args, **kwargs)
    grads = None
    if grad and leaves:
        grads = output_gradients(out, leaves) or [None] * len(leaves)
        out = _detach(out)
    return out, grads


def _detach(x: Any) -> Any:
    if isinstance(x, torch.Tensor):
        return x.detach()
    if isinstance(x, (list, tuple)):
        return type(x)(_detach(v) for v in x)
    return x


def _run_case(
    ex: Exercise,
    fn: Callable[..., Any],
    case: Case,
    hidden: bool,
    expect: Callable[[Any], None] | None = None,
) -> CaseResult:
    try:
        expected, grads_ref = _call(ex.reference, case, ex.grad)
    except Exception as exc:  # a broken case is the course's fault, say so
        return CaseResult(
            case.name, ERROR, f"the reference failed on this case: {exc!r}", hidden
        )
    if expect is not None:  # the grader checks a reply against it (shape, size)
        expect(expected)
    try:
        out, grads = _call(fn, case, ex.grad)
    except NotImplementedError as exc:
        return CaseResult(case.name, MISSING, str(exc) or "not implemented yet", hidden)
    except (Exception, SystemExit) as exc:  # sys.exit() in a function is an error too
        return CaseResult(case.name, ERROR, student_error(exc), hidden)
    try:
        if ex.compare is not None:
            msg = ex.compare(out, expected, case)
        else:
            msg = compare_values(out, expected, ex.atol, ex.rtol)
        if msg is None and ex.grad and grads_ref is not None:
            if grads is None:
                msg = (
                    "no gradient flows back to the inputs "
                    "(avoid .detach(), .item(), numpy)"
                )
            else:
                msg = compare_gradients(grads, grads_ref, ex.atol * 10, ex.rtol * 10)
    except Exception as exc:
        msg = f"could not compare your output: {type(exc).__name__}: {exc}"
    if msg:
        return CaseResult(case.name, FAILED, msg, hidden)
    return CaseResult(case.name, PASSED, "", hidden)


def run_check(
    exercise_id: str,
    fn: Any,
    device: torch.device | str | None = None,
    hidden: bool = False,
    expect: Callable[[Any], None] | None = None,
) -> CheckResult:
    """Run every case of an exercise on ``fn``; never raises for the student's code.

    Args:
        exercise_id: the exercise's id.
        fn: the student's function.
        device: where tensors live (default: the device in use).
        hidden: also run hidden cases registered with :func:`register_hidden`.
        expect: called with each case's expected output before ``fn`` runs
            (the grader's proxy checks the student's reply against it).
    """
    from coursework.runtime import get_device

    ex = get_exercise(exercise_id)
    dev = torch.device(device) if device is not None else get_device()
    start = time.perf_counter()
    if fn is None or not callable(fn):
        note = (
            f"expected a function, got {type(fn).__name__}; "
            "pass the function itself, without ()"
        )
        return CheckResult(ex.id, ex.points, [], 0.0, note)
    try:
        cases = [(c, False) for c in ex.cases(dev)]
        if hidden:
            cases += [(c, True) for c in hidden_cases(ex.id, dev)]
    except Exception as exc:
        return CheckResult(
            ex.id, ex.points, [], 0.0, f"could not build the cases: {exc!r}"
        )
    results = [_run_case(ex, fn, c, h, expect) for c, h in cases]
    return CheckResult(ex.id, ex.points, results, time.perf_counter() - start)


def check(exercise_id: str, fn: Any) -> CheckResult:
    """Check a student's function against the reference and print the verdict.

    A failed check prints the exercise's first hint (``hint(exercise_id)``
    prints the next). Every verdict is kept in the progress file for
    ``progress()``; recording never stops the check.

    Example:
        >>> check("vae.reparameterize", reparameterize)  # doctest: +SKIP

    Raises:
        ExerciseIncomplete: the function still raises ``NotImplementedError``
            (the stub), so "Run all" stops here with one line naming the exercise.
        CheckError: the id is unknown.
    """
    ex = get_exercise(exercise_id)
    result = run_check(exercise_id, fn)
    if result.cases and all(c.status == MISSING for c in result.cases):
        raise ExerciseIncomplete(
            f"exercise {exercise_id} is not done yet: fill in the function above "
            "this cell, run it, then run this check again."
        )
    print(format_result(result, ex.hints))
    if result.status != PASSED and ex.hints:
        mark_first_hint_shown(ex.id)
    record_check(result)
    return result

"""Run every exercise's checks on what a student defined, out of the student's reach.

Design. The checks never run inside the student's kernel: there, a student
can redefine ``check``, monkeypatch the reference or ``run_check``, or print
a fake verdict. Instead this process (the checker) imports the package and
the instructor's hidden checks, and never executes a line the student wrote.
The student's definitions are rebuilt from the notebook source
(:mod:`coursework.grading.definitions`) in a separate sandboxed child
(:mod:`coursework.grading.child`). The checker calls the package's own
:func:`~coursework.exercises.core.run_check` with a proxy in place of the
student's function: each call ships the case's arguments (and the random
state) to the child, and gets the output back as plain data loaded with
``weights_only=True``. Gradient checks go through a custom autograd function
whose backward asks the child for the vector-Jacobian product of the same
call. So the reference outputs, the comparison and the points are all
computed here, on references imported before any student code ran, with the
same verdict logic as the inline check.

Each exercise has a wall-clock budget; a child that overruns it is killed
(status ``timeout``), one that dies (``os._exit``, memory cap, CPU limit) is
reported as ``kernel-died``, and a fresh child takes the next exercise.
Before each child starts, ``before_child`` (the integrity check) may stop
the grading by raising.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from coursework.exercises.core import run_check
from coursework.exercises.records import CheckResult, Exercise
from coursework.grading.definitions import Definitions, uses_reference
from coursework.grading.records import CaseRecord, ExerciseResult, Status
from coursework.grading.remote import (
    ChildGone,
    ChildProcess,
    UsesReference,
    make_proxy,
)
from coursework.grading.sandbox import Limits


def _result(
    ex: Exercise, status: Status, message: str, seconds: float = 0.0
) -> ExerciseResult:
    return ExerciseResult.zero(
        ex.id, status, ex.points, message, ex.first_hint, seconds
    )


def _is_reference(ex: Exercise) -> Any:
    def test(obj: Any) -> bool:
        return obj is not None and (
            obj is ex.reference or getattr(obj, "__wrapped__", None) is ex.reference
        )

    return test


def check_exercises(
    exercises: list[Exercise],
    defs: Definitions,
    workdir: Path,
    limits: Limits,
    before_child: Callable[[], None] | None = None,
    phases: dict[str, float] | None = None,
) -> list[ExerciseResult]:
    """Grade every exercise against the student's definitions.

    Never raises for anything the student wrote; what ``before_child`` raises
    propagates. ``phases``, when given, gains "checks start" (starting checks
    processes and rebuilding the definitions in them) and "checks" (the rest).
    """
    began = time.monotonic()
    starting = 0.0
    results: list[ExerciseResult] = []
    child: ChildProcess | None = None
    names = sorted({ex.function_name for ex in exercises})
    define = {
        "op": "define",
        "sources": defs.sources,
        "statements": [(s.cell, s.first, s.last) for s in defs.statements],
        "names": names,
    }
    found: dict[str, str] = {}
    define_errors: list[str] = []
    for ex in exercises:
        start = time.monotonic()
        name = ex.function_name
        how = uses_reference(defs, name, _is_reference(ex))
        if how:
            results.append(
                _result(
                    ex, Status.USES_REFERENCE, f"{how}; write your own implementation"
                )
            )
            continue
        if child is None or child.failure:
            if child is not None:
                child.stop()
            if before_child is not None:
                before_child()
            spawned = time.monotonic()
            child = ChildProcess(workdir, limits)
            try:
                reply = child.request(define)
                found, define_errors = reply["found"], reply["errors"]
            except ChildGone:
                why = f"while rebuilding your definitions: {child.why}"
                results.append(_result(ex, child.failure or Status.KERNEL_DIED, why))
                continue
            finally:
                starting += time.monotonic() - spawned
        child.set_budget(limits.exercise_seconds)
        kind = found.get(name, "absent")
        if kind != "callable":
            cell = defs.exercise_cells.get(ex.id)
            if cell is not None and cell in defs.syntax_errors:
                results.append(
                    _result(
                        ex,
                        Status.ERROR,
                        f"cell {cell} does not parse: {defs.syntax_errors[cell]}",
                    )
                )
                continue
            why = "no function" if kind == "absent" else f"a {kind}, not a function,"
            results.append(
                _result(
                    ex,
                    Status.MISSING,
                    f"{why} named `{name}` found; keep the name from the exercise cell",
                )
            )
            continue
        errors: list[str] = []
        proxy = make_proxy(child, name, errors, ex.reference)
        check = run_check(ex.id, proxy, limits.device, hidden=True, expect=proxy.expect)
        if UsesReference.message in errors:
            why = (
                f"`{name}` calls the course package's own implementation when it "
                "runs (found at run time); write your own implementation"
            )
            seconds = time.monotonic() - start
            results.append(_result(ex, Status.USES_REFERENCE, why, seconds))
            continue
        results.append(_grade(ex, check, errors, child, time.monotonic() - start))
    if child is not None:
        child.stop()
    if phases is not None:
        phases["checks start"] = starting
        phases["checks"] = time.monotonic() - began - starting
    if define_errors:
        for r in results:
            if r.status not in (Status.PASSED, Status.USES_REFERENCE):
                r.message += " | while rebuilding: " + "; ".join(define_errors[:3])
    return results


def _grade(
    ex: Exercise,
    check: CheckResult,
    errors: list[str],
    child: ChildProcess,
    seconds: float,
) -> ExerciseResult:
    messages = iter(errors)
    cases = []
    for c in check.cases:
        message = c.message
        if c.status == "error" and message.startswith("raised StudentRaised"):
            message = next(messages, message)
        if c.status == "error" and "raised ChildGone" in message:
            message = child.why or message
        cases.append(CaseRecord(c.name, c.status, message, c.hidden))
    status = Status(check.status)
    failing = [c for c in cases if c.status != Status.PASSED]
    shown = [c.message for c in failing if not c.hidden]
    message = check.note or (  # never a hidden case's message (expected values)
        shown[0] if shown else "a hidden case failed" if failing else ""
    )
    if child.failure:
        status, message = child.failure, child.why
    return ExerciseResult(
        ex.id, status, check.points, ex.points, seconds, message, cases, ex.first_hint
    )

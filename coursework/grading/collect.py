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
"""

from __future__ import annotations

import io
import os
import pickle
import select
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from coursework.exercises.core import MISSING, PASSED, CheckResult, Exercise, run_check
from coursework.grading.child import read_message, write_message
from coursework.grading.definitions import Definitions, uses_reference
from coursework.grading.sandbox import Limits, MemoryWatch, environment, kill_tree, wrap

TIMEOUT, KERNEL_DIED, USES_REFERENCE = "timeout", "kernel-died", "uses-reference"
INVALID = "invalid-notebook"
STATUSES = (
    "passed",
    "failed",
    "error",
    TIMEOUT,
    MISSING,
    KERNEL_DIED,
    INVALID,
    USES_REFERENCE,
)


class ChildGone(Exception):
    """The child timed out or died; the message says which."""


@dataclass
class ExerciseResult:
    """The grade of one exercise for one student."""

    exercise: str
    status: str
    points: float
    max_points: float
    seconds: float
    message: str
    cases: list[dict[str, Any]]
    hint: str = ""


class ChildProcess:
    """A sandboxed child holding the student's definitions."""

    def __init__(self, workdir: Path, limits: Limits) -> None:
        self.limits = limits
        c_in, p_out = os.pipe()
        p_in, c_out = os.pipe()
        command = wrap(
            [sys.executable, "-m", "coursework.grading.child", str(c_in), str(c_out)],
            limits,
        )
        self.process = subprocess.Popen(
            command,
            cwd=workdir,
            env=environment(workdir, limits),
            pass_fds=(c_in, c_out),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        os.close(c_in)
        os.close(c_out)
        self.fd_out, self.fd_in = p_out, p_in
        self.watch = MemoryWatch(self.process.pid, limits.memory_mb)
        self.watch.start()
        self.deadline = time.monotonic() + limits.exercise_seconds
        self.failure: str | None = None
        self.why = ""

    def request(self, message: dict[str, Any]) -> dict[str, Any]:
        """Send a request and wait, until the deadline, for the reply."""
        if self.failure:
            raise ChildGone(self.failure)
        try:
            write_message(self.fd_out, pickle.dumps(message))
            left = self.deadline - time.monotonic()
            ready, _, _ = select.select([self.fd_in], [], [], max(0.0, left))
            if not ready:
                self.stop(TIMEOUT)
                raise ChildGone(self.failure)
            raw = read_message(self.fd_in)
        except (BrokenPipeError, OSError):
            raw = None
        if raw is None:
            self.stop(KERNEL_DIED)
            raise ChildGone(self.failure)
        try:
            return torch.load(io.BytesIO(raw), weights_only=True)
        except Exception as exc:
            self.stop(KERNEL_DIED)
            raise ChildGone(f"{KERNEL_DIED}: unreadable reply ({exc})") from None

    def stop(self, reason: str = "") -> None:
        """Kill the child (if still running) and remember why (a status)."""
        if reason and not self.failure:
            self.failure = reason
            if reason == KERNEL_DIED:
                code = self.process.poll()
                self.why = (
                    f"used more than {self.limits.memory_mb} MB of memory"
                    if self.watch.tripped
                    else f"the process running your code died (exit code {code})"
                    if code is not None
                    else "the process running your code stopped answering"
                )
            else:
                self.why = (
                    f"ran past the {self.limits.exercise_seconds:g} s limit "
                    "for this exercise"
                )
        self.watch.stop()
        kill_tree(self.process.pid)
        self.process.wait()
        for fd in (self.fd_in, self.fd_out):
            try:
                os.close(fd)
            except OSError:
                pass
        self.fd_in = self.fd_out = -1


class _Remote(torch.autograd.Function):
    """Forward: the child's output. Backward: the child's vector-Jacobian product."""

    @staticmethod
    def forward(
        ctx: Any,
        child: ChildProcess,
        top: list[Any],
        diff: list[bool],
        *leaves: torch.Tensor,
    ) -> Any:  # type: ignore[override]
        ctx.child, ctx.n_leaves = child, len(leaves)
        tensors = [o for o in top if isinstance(o, torch.Tensor)]
        flags = [d for o, d in zip(top, diff) if isinstance(o, torch.Tensor)]
        ctx.flags = flags
        ctx.mark_non_differentiable(
            *[t for t, d in zip(tensors, flags) if not d or not t.is_floating_point()]
        )
        return tuple(tensors)

    @staticmethod
    def backward(ctx: Any, *grad_outputs: torch.Tensor) -> Any:
        grads = [g for g, d in zip(grad_outputs, ctx.flags) if d]
        reply = ctx.child.request({"op": "backward", "grads": grads})
        if "error" in reply:
            raise RuntimeError(reply["error"])
        return (None, None, None, *reply["grads"])


class StudentRaised(Exception):
    """The student's function raised; the message is the child's description."""


def make_proxy(child: ChildProcess, name: str, errors: list[str]) -> Any:
    """A stand-in for the student's function that runs it in the child."""

    def proxy(*args: Any, **kwargs: Any) -> Any:
        leaves = [
            i
            for i, a in enumerate(args)
            if isinstance(a, torch.Tensor) and a.requires_grad
        ]
        plain = [a.detach() if isinstance(a, torch.Tensor) else a for a in args]
        kwargs = {
            k: v.detach() if isinstance(v, torch.Tensor) else v
            for k, v in kwargs.items()
        }
        reply = child.request(
            {
                "op": "call",
                "name": name,
                "args": plain,
                "kwargs": kwargs,
                "leaves": leaves,
                "rng": torch.get_rng_state(),
            }
        )
        if not reply.get("ok"):
            if reply.get("missing"):
                raise NotImplementedError(reply.get("message", ""))
            errors.append(str(reply.get("message", "raised an exception")))
            raise StudentRaised(errors[-1])
        out, diff = reply["out"], reply["diff"]
        top = list(out) if isinstance(out, (tuple, list)) else [out]
        if not leaves or not any(isinstance(o, torch.Tensor) for o in top):
            return out
        tracked = iter(_Remote.apply(child, top, diff, *[args[i] for i in leaves]))
        top = [next(tracked) if isinstance(o, torch.Tensor) else o for o in top]
        return type(out)(top) if isinstance(out, (tuple, list)) else top[0]

    return proxy


def _result(
    ex: Exercise, status: str, message: str, seconds: float = 0.0
) -> ExerciseResult:
    return ExerciseResult(ex.id, status, 0.0, ex.points, seconds, message, [], ex.hint)


def _is_reference(ex: Exercise) -> Any:
    def test(obj: Any) -> bool:
        return obj is not None and (
            obj is ex.reference or getattr(obj, "__wrapped__", None) is ex.reference
        )

    return test


def check_exercises(
    exercises: list[Exercise], defs: Definitions, workdir: Path, limits: Limits
) -> list[ExerciseResult]:
    """Grade every exercise against the student's definitions; never raises."""
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
                _result(ex, USES_REFERENCE, f"{how}; write your own implementation")
            )
            continue
        if child is None or child.failure:
            if child is not None:
                child.stop()
            child = ChildProcess(workdir, limits)
            try:
                reply = child.request(define)
                found, define_errors = reply["found"], reply["errors"]
            except ChildGone:
                why = f"while rebuilding your definitions: {child.why}"
                results.append(_result(ex, child.failure or KERNEL_DIED, why))
                continue
        child.deadline = time.monotonic() + limits.exercise_seconds
        kind = found.get(name, "absent")
        if kind != "callable":
            cell = defs.exercise_cells.get(ex.id)
            if cell is not None and cell in defs.syntax_errors:
                results.append(
                    _result(
                        ex,
                        "error",
                        f"cell {cell} does not parse: {defs.syntax_errors[cell]}",
                    )
                )
                continue
            why = "no function" if kind == "absent" else f"a {kind}, not a function,"
            results.append(
                _result(
                    ex,
                    MISSING,
                    f"{why} named `{name}` found; keep the name from the exercise cell",
                )
            )
            continue
        errors: list[str] = []
        check = run_check(ex.id, make_proxy(child, name, errors), "cpu", hidden=True)
        results.append(_grade(ex, check, errors, child, time.monotonic() - start))
    if child is not None:
        child.stop()
    if define_errors:
        for r in results:
            if r.status not in (PASSED, USES_REFERENCE):
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
        cases.append(
            {"name": c.name, "status": c.status, "message": message, "hidden": c.hidden}
        )
    status = check.status
    message = check.note or next(
        (c["message"] for c in cases if c["status"] != PASSED), ""
    )
    if child.failure:
        status, message = child.failure, child.why
    return ExerciseResult(
        ex.id, status, check.points, ex.points, seconds, message, cases, ex.hint
    )

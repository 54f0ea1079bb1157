"""The check API: compare a student's function with the reference, case by case.

An :class:`Exercise` has a stable id (``"vae.reparameterize"``), points, the
reference implementation from the package and a function that builds test
cases for a device. :func:`run_check` returns a :class:`CheckResult` and never
raises for anything the student's function does; :func:`check` prints one
verdict per case, and stops a notebook (with a short message, not a
traceback) only when the exercise is not attempted yet.
"""

from __future__ import annotations

import importlib
import math
import sysconfig
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

PASSED, FAILED, ERROR, MISSING = "passed", "failed", "error", "missing"


@dataclass(frozen=True)
class Case:
    """One call of the function under test.

    Attributes:
        name: short description shown in the verdict (``"float64, B=1"``).
        args: positional arguments; tensors are cloned before each call.
        kwargs: keyword arguments.
        seed: when set, ``torch.manual_seed(seed)`` runs before each call, for
            functions that draw random numbers.
    """

    name: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any] = field(default_factory=dict)
    seed: int | None = None


Compare = Callable[[Any, Any, Case], "str | None"]


@dataclass(frozen=True)
class Exercise:
    """An exercise: id, points, reference and cases.

    Attributes:
        id: ``"<topic>.<name>"``; the topic names the module in this package.
        points: points for passing every case (partial credit per case).
        reference: the package's implementation.
        cases: builds the public cases for a device.
        hint: shown when a case fails.
        atol, rtol: tolerances for tensors and floats.
        grad: also compare gradients with respect to floating-point tensor args.
        compare: custom comparison ``(out, expected, case) -> error or None``,
            used instead of value equality (e.g. for properties of random output).
        function: the name the student's function has in the notebook
            (default: the part of the id after the dot).
    """

    id: str
    points: float
    reference: Callable[..., Any]
    cases: Callable[[torch.device], list[Case]]
    hint: str = ""
    atol: float = 1e-5
    rtol: float = 1e-4
    grad: bool = False
    compare: Compare | None = None
    function: str = ""

    @property
    def function_name(self) -> str:
        """Name of the student's function in the notebook."""
        return self.function or self.id.split(".", 1)[1]


@dataclass
class CaseResult:
    """The verdict on one case."""

    name: str
    status: str
    message: str = ""
    hidden: bool = False


@dataclass
class CheckResult:
    """The verdict on one exercise."""

    exercise_id: str
    max_points: float
    cases: list[CaseResult]
    seconds: float = 0.0
    note: str = ""

    @property
    def passed(self) -> int:
        return sum(c.status == PASSED for c in self.cases)

    def __repr__(self) -> str:
        n = len(self.cases)
        return (
            f"<CheckResult {self.exercise_id}: {self.passed}/{n} cases, "
            f"{self.points:g}/{self.max_points:g} points>"
        )

    @property
    def points(self) -> float:
        if not self.cases:
            return 0.0
        return round(self.max_points * self.passed / len(self.cases), 4)

    @property
    def status(self) -> str:
        """``passed`` if every case passed, else the first non-pass status."""
        if self.note and not self.cases:
            return ERROR
        for c in self.cases:
            if c.status != PASSED:
                return c.status
        return PASSED


class CheckError(ValueError):
    """The check itself was called wrongly (unknown id)."""


class ExerciseIncomplete(Exception):
    """Raised by :func:`check` when the exercise still holds its stub.

    IPython shows only the message (``_render_traceback_``), so "Run all" stops
    at the first unfinished exercise with one clear line.
    """

    def _render_traceback_(self) -> list[str]:
        return [f"ExerciseIncomplete: {self}"]


_REGISTRY: dict[str, Exercise] = {}
_HIDDEN: dict[str, list[Callable[[torch.device], list[Case]]]] = {}


def register(exercise: Exercise) -> Exercise:
    """Add an exercise to the registry (called by ``coursework.exercises.<topic>``)."""
    _REGISTRY[exercise.id] = exercise
    return exercise


def register_hidden(
    exercise_id: str, cases: Callable[[torch.device], list[Case]]
) -> None:
    """Add hidden cases to an exercise; only grading runs them."""
    get_exercise(exercise_id)
    _HIDDEN.setdefault(exercise_id, []).append(cases)


def clear_hidden() -> None:
    """Forget all hidden cases (used by tests and the grader)."""
    _HIDDEN.clear()


def get_exercise(exercise_id: str) -> Exercise:
    """Look an exercise up by id, importing its topic module on first use.

    Raises:
        CheckError: the id is unknown; the message lists the known ids.
    """
    if not isinstance(exercise_id, str) or "." not in exercise_id:
        raise CheckError(
            f"Exercise ids look like 'vae.reparameterize'; got {exercise_id!r}."
        )
    topic = exercise_id.split(".", 1)[0]
    if exercise_id not in _REGISTRY:
        try:
            importlib.import_module(f"coursework.exercises.{topic}")
        except ModuleNotFoundError:
            pass
    if exercise_id not in _REGISTRY:
        known = ", ".join(sorted(i for i in _REGISTRY if i.startswith(topic + ".")))
        known = known or "none in that topic; topics: " + ", ".join(all_topics())
        raise CheckError(
            f"Unknown exercise id {exercise_id!r}. Known ids: {known}. "
            "Copy the id from the check cell under the exercise."
        )
    return _REGISTRY[exercise_id]


def all_topics() -> list[str]:
    """Topic modules that define exercises."""
    import pkgutil

    import coursework.exercises as pkg

    skip = {"core", "compare"}
    return sorted(
        m.name for m in pkgutil.iter_modules(pkg.__path__) if m.name not in skip
    )


def exercises_for(topic: str) -> list[Exercise]:
    """All exercises of a topic, in the order they were registered.

    The package's module ``coursework.exercises.<topic>`` is imported when it
    exists; a topic may also come only from private check modules (grading).
    """
    try:
        importlib.import_module(f"coursework.exercises.{topic}")
    except ModuleNotFoundError as exc:
        if exc.name != f"coursework.exercises.{topic}":
            raise
    return [e for i, e in _REGISTRY.items() if i.startswith(topic + ".")]


# ---------------------------------------------------------------- comparison


def _clone(x: Any) -> Any:
    if isinstance(x, torch.Tensor):
        return x.detach().clone()
    if isinstance(x, (list, tuple)):
        return type(x)(_clone(v) for v in x)
    if isinstance(x, dict):
        return {k: _clone(v) for k, v in x.items()}
    return x


def _describe(x: Any) -> str:
    if isinstance(x, torch.Tensor):
        return f"tensor of shape {tuple(x.shape)}, {x.dtype}, on {x.device.type}"
    return type(x).__name__


def compare_values(
    out: Any, expected: Any, atol: float, rtol: float, where: str = "output"
) -> str | None:
    """Describe the first difference between ``out`` and ``expected``, or None.

    Tensors must agree in shape, dtype, device and values (``allclose``); the
    message names what differs and, for values, the largest error and where.
    """
    if expected is None:
        return None if out is None else f"{where}: expected None, got {_describe(out)}"
    if out is None:
        return f"{where}: your function returned None (is a `return` missing?)"
    if isinstance(expected, torch.Tensor):
        if not isinstance(out, torch.Tensor):
            return f"{where}: expected a torch.Tensor, got {_describe(out)}"
        if out.shape != expected.shape:
            return (
                f"{where}: shape {tuple(out.shape)}, expected {tuple(expected.shape)}"
            )
        if out.dtype != expected.dtype:
            return (
                f"{where}: dtype {out.dtype}, expected {expected.dtype} "
                "(keep the input dtype)"
            )
        if out.device.type != expected.device.type:
            return (
                f"{where}: on device {out.device.type}, "
                f"expected {expected.device.type} "
                "(create new tensors with device=x.device, or use *_like functions)"
            )
        a, b = out.detach(), expected.detach()
        if a.is_floating_point() or a.is_complex():
            if torch.allclose(a, b, atol=atol, rtol=rtol, equal_nan=True):
                return None
            err = (a - b).abs().nan_to_num(nan=math.inf)
            idx = int(err.flatten().argmax())
            pos = (
                tuple(int(i) for i in torch.unravel_index(torch.tensor(idx), a.shape))
                if a.dim()
                else ()
            )
            return (
                f"{where}: values differ, "
                f"largest error {float(err.flatten()[idx]):.3g} "
                f"at index {pos}: got {float(a.flatten()[idx]):.6g}, "
                f"expected {float(b.flatten()[idx]):.6g}"
            )
        if torch.equal(a, b):
            return None
        n = int((a != b).sum())
        return f"{where}: {n} of {a.numel()} entries differ"
    if isinstance(expected, (tuple, list)):
        if not isinstance(out, (tuple, list)):
            kind = type(expected).__name__
            return (
                f"{where}: expected a {kind} of {len(expected)}, got {_describe(out)}"
            )
        if len(out) != len(expected):
            return f"{where}: expected {len(expected)} values, got {len(out)}"
        for i, (o, e) in enumerate(zip(out, expected)):
            msg = compare_values(o, e, atol, rtol, f"{where}[{i}]")
            if msg:
                return msg
        return None
    if isinstance(expected, dict):
        if not isinstance(out, dict):
            return f"{where}: expected a dict, got {_describe(out)}"
        missing = set(expected) - set(out)
        if missing:
            return f"{where}: missing keys {sorted(missing)}"
        for k in expected:
            msg = compare_values(out[k], expected[k], atol, rtol, f"{where}[{k!r}]")
            if msg:
                return msg
        return None
    if isinstance(expected, bool) or not isinstance(expected, (int, float)):
        return (
            None if out == expected else f"{where}: got {out!r}, expected {expected!r}"
        )
    if isinstance(out, torch.Tensor) and out.numel() == 1:
        out = out.item()
    if not isinstance(out, (int, float)):
        return f"{where}: expected a number, got {_describe(out)}"
    if math.isclose(out, expected, rel_tol=rtol, abs_tol=atol):
        return None
    return f"{where}: got {out:.6g}, expected {expected:.6g}"


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
        outs = out if isinstance(out, (tuple, list)) else [out]
        total = sum(
            (
                o
                * torch.linspace(
                    0.5, 1.5, o.numel(), dtype=o.dtype, device=o.device
                ).view_as(o)
            ).sum()
            for o in outs
            if isinstance(o, torch.Tensor) and o.is_floating_point() and o.requires_grad
        )
        if isinstance(total, torch.Tensor):
            grads = list(torch.autograd.grad(total, leaves, allow_unused=True))
        else:
            grads = [None] * len(leaves)
        out = _detach(out)
    return out, grads


def _detach(x: Any) -> Any:
    if isinstance(x, torch.Tensor):
        return x.detach()
    if isinstance(x, (list, tuple)):
        return type(x)(_detach(v) for v in x)
    return x


_PACKAGE_DIR = str(Path(__file__).resolve().parent.parent).replace("\\", "/")
_STDLIB_DIR = sysconfig.get_paths()["stdlib"].replace("\\", "/")


def _is_library(filename: str) -> bool:
    """True for frames of this package, installed packages and the standard library."""
    name = filename.replace("\\", "/")
    return (
        name.startswith((_PACKAGE_DIR, _STDLIB_DIR))
        or "/site-packages/" in name
        or "/dist-packages/" in name
    )


def _student_error(exc: BaseException) -> str:
    """One line: the exception and the line of the student's code that raised it."""
    frames = traceback.extract_tb(exc.__traceback__)
    user = [f for f in frames if not _is_library(f.filename)]
    line = user[-1] if user else (frames[-1] if frames else None)
    where = f" (line {line.lineno}: `{(line.line or '').strip()}`)" if line else ""
    return f"raised {type(exc).__name__}: {exc}{where}"


def _run_case(
    ex: Exercise, fn: Callable[..., Any], case: Case, hidden: bool
) -> CaseResult:
    try:
        expected, grads_ref = _call(ex.reference, case, ex.grad)
    except Exception as exc:  # a broken case is the course's fault, say so
        return CaseResult(
            case.name, ERROR, f"the reference failed on this case: {exc!r}", hidden
        )
    try:
        out, grads = _call(fn, case, ex.grad)
    except NotImplementedError as exc:
        return CaseResult(case.name, MISSING, str(exc) or "not implemented yet", hidden)
    except (Exception, SystemExit) as exc:  # sys.exit() in a function is an error too
        return CaseResult(case.name, ERROR, _student_error(exc), hidden)
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
                for i, (g, r) in enumerate(zip(grads, grads_ref)):
                    if r is None:
                        continue
                    if g is None:
                        msg = f"no gradient reaches input {i} (is the graph cut?)"
                        break
                    msg = compare_values(
                        g, r, ex.atol * 10, ex.rtol * 10, f"gradient w.r.t. input {i}"
                    )
                    if msg:
                        break
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
) -> CheckResult:
    """Run every case of an exercise on ``fn``; never raises for the student's code.

    Args:
        exercise_id: the exercise's id.
        fn: the student's function.
        device: where tensors live (default: the device in use).
        hidden: also run hidden cases registered with :func:`register_hidden`.
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
            cases += [(c, True) for make in _HIDDEN.get(ex.id, []) for c in make(dev)]
    except Exception as exc:
        return CheckResult(
            ex.id, ex.points, [], 0.0, f"could not build the cases: {exc!r}"
        )
    results = [_run_case(ex, fn, c, h) for c, h in cases]
    return CheckResult(ex.id, ex.points, results, time.perf_counter() - start)


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


def check(exercise_id: str, fn: Any) -> CheckResult:
    """Check a student's function against the reference and print the verdict.

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
    print(format_result(result, ex.hint))
    return result


def case_generator(seed: int) -> torch.Generator:
    """A seeded CPU generator, so that check cases are the same on every device."""
    return torch.Generator().manual_seed(seed)


def case_randn(
    g: torch.Generator, *shape: int, dtype: torch.dtype, device: torch.device
) -> torch.Tensor:
    """Standard normal values drawn on the CPU from ``g``, then moved to ``device``."""
    return torch.randn(*shape, generator=g, dtype=dtype).to(device)

"""What a check is made of: cases, exercises, and the verdicts on them.

An :class:`Exercise` has a stable id (``"vae.reparameterize"``), points, the
reference implementation from the package and a function that builds its
:class:`Case` list for a device; a check returns a :class:`CheckResult` of one
:class:`CaseResult` per case. Cases draw their inputs on the CPU from a seeded
generator (:func:`case_generator`, :func:`case_randn`), so they are the same
on every device.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
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
Hints = tuple[str, ...]


def as_hints(hint: str | Sequence[str] | None) -> Hints:
    """Hints as a tuple, from a tuple, a list, one string (older checks) or None.

    Empty strings are dropped, so ``hint=""`` means no hint.

    Raises:
        TypeError: an element is not a string.
    """
    if hint is None:
        return ()
    if isinstance(hint, str):
        return (hint,) if hint.strip() else ()
    hints = tuple(hint)
    bad = [h for h in hints if not isinstance(h, str)]
    if bad:
        raise TypeError(f"hints must be strings, got {bad[0]!r}")
    return tuple(h for h in hints if h.strip())


@dataclass(frozen=True)
class Exercise:
    """An exercise: id, points, reference and cases.

    Attributes:
        id: ``"<topic>.<name>"``; the topic names the module in this package.
        points: points for passing every case (partial credit per case).
        reference: the package's implementation.
        cases: builds the public cases for a device.
        hint: the hints, in steps from the idea to the formula: a failed
            check and graded feedback show the first, ``hint(id)`` each next
            one. A single string (the form of checks written before hints came
            in steps) is one hint; either way the attribute holds a tuple.
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
    hint: str | Sequence[str] = ()
    atol: float = 1e-5
    rtol: float = 1e-4
    grad: bool = False
    compare: Compare | None = None
    function: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "hint", as_hints(self.hint))

    @property
    def hints(self) -> Hints:
        """Every hint, first to last (a tuple, possibly empty)."""
        return as_hints(self.hint)

    @property
    def first_hint(self) -> str:
        """The hint a failed check and graded feedback show ("" when none)."""
        hints = self.hints
        return hints[0] if hints else ""

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


def case_generator(seed: int) -> torch.Generator:
    """A seeded CPU generator, so that check cases are the same on every device."""
    return torch.Generator().manual_seed(seed)


def case_randn(
    g: torch.Generator, *shape: int, dtype: torch.dtype, device: torch.device
) -> torch.Tensor:
    """Standard normal values drawn on the CPU from ``g``, then moved to ``device``."""
    return torch.randn(*shape, generator=g, dtype=dtype).to(device)

"""What grading produces, as typed records (a leaf: imports no grading module).

A :class:`Record` per student holds an :class:`ExerciseResult` per exercise
(with its :class:`CaseRecord` list) and the :class:`ExecutionReport` of the
notebook run. Records cross two process boundaries (worker to grader, grader
to ``RESULTS/.state``) as JSON: :meth:`Record.to_json` and
:meth:`Record.from_json` are the only place that format is written down.
Every status a grade can have is a member of :class:`Status`.
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass, field
from typing import Any


class Status(enum.StrEnum):
    """The verdict of one exercise (its value is what the CSV files show)."""

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    TIMEOUT = "timeout"
    MISSING = "missing"
    KERNEL_DIED = "kernel-died"
    INVALID = "invalid-notebook"
    USES_REFERENCE = "uses-reference"
    TAMPERED = "tampered"


@dataclass
class CaseRecord:
    """One case of a check: its name (hidden cases are shown by number only)."""

    name: str
    status: str
    message: str
    hidden: bool = False

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CaseRecord:
        return cls(
            str(data["name"]),
            str(data["status"]),
            str(data["message"]),
            bool(data.get("hidden", False)),
        )


@dataclass
class ExerciseResult:
    """The grade of one exercise for one student."""

    exercise: str
    status: Status
    points: float
    max_points: float
    seconds: float
    message: str
    cases: list[CaseRecord] = field(default_factory=list)
    hint: str = ""

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ExerciseResult:
        return cls(
            exercise=str(data["exercise"]),
            status=Status(data["status"]),
            points=float(data["points"]),
            max_points=float(data["max_points"]),
            seconds=float(data["seconds"]),
            message=str(data["message"]),
            cases=[CaseRecord.from_json(c) for c in data.get("cases", [])],
            hint=str(data.get("hint", "")),
        )

    @classmethod
    def zero(
        cls,
        exercise: str,
        status: Status,
        max_points: float,
        message: str,
        hint: str = "",
        seconds: float = 0.0,
    ) -> ExerciseResult:
        """No points, no cases: the exercise could not be checked."""
        return cls(exercise, status, 0.0, max_points, seconds, message, [], hint)


@dataclass
class CellEvent:
    """Something that went wrong in one cell (error, timeout, kernel-died, memory,
    disk)."""

    cell: int
    kind: str
    message: str
    exercise: str | None = None


@dataclass
class ExecutionReport:
    """What happened when the notebook ran."""

    seconds: float = 0.0
    events: list[CellEvent] = field(default_factory=list)
    output_truncated: bool = False
    budget_exhausted: bool = False
    kernels_started: int = 0
    startup_seconds: float = 0.0  # starting kernels and the grader's first cell

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ExecutionReport:
        return cls(
            seconds=float(data.get("seconds", 0.0)),
            events=[CellEvent(**e) for e in data.get("events", [])],
            output_truncated=bool(data.get("output_truncated", False)),
            budget_exhausted=bool(data.get("budget_exhausted", False)),
            kernels_started=int(data.get("kernels_started", 0)),
            startup_seconds=float(data.get("startup_seconds", 0.0)),
        )


@dataclass
class Record:
    """Everything graded for one student.

    Attributes:
        student: the student id.
        sha256: hash of the submitted file.
        exercises: one result per exercise, in the order graded.
        execution: the notebook run (None when the notebook did not run).
        invalid: why the notebook could not be read ("" if it could).
        crashed: why the grader failed on it ("" if it did not).
        tampered: what changed in the package while it ran ("" if nothing).
        seconds: time spent grading it.
        fingerprint: hash of the checks and settings it was graded with.
        isolation: the isolation it was graded under, in words.
        phases: seconds by phase of the job (read, copy, kernel start, cells,
            checks start, checks, integrity, clean-up), for the benchmark.
    """

    student: str
    sha256: str
    exercises: list[ExerciseResult] = field(default_factory=list)
    execution: ExecutionReport | None = None
    invalid: str = ""
    crashed: str = ""
    tampered: str = ""
    seconds: float = 0.0
    fingerprint: str = ""
    isolation: str = ""
    phases: dict[str, float] = field(default_factory=dict)

    def total(self) -> tuple[float, float]:
        """(points, max points)."""
        rows = self.exercises
        return sum(r.points for r in rows), sum(r.max_points for r in rows)

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Record:
        """Rebuild a record (``KeyError``, ``ValueError``, ``TypeError``: malformed)."""
        execution = data.get("execution")
        return cls(
            student=str(data["student"]),
            sha256=str(data["sha256"]),
            exercises=[ExerciseResult.from_json(e) for e in data.get("exercises", [])],
            execution=None
            if execution is None
            else ExecutionReport.from_json(execution),
            invalid=str(data.get("invalid") or ""),
            crashed=str(data.get("crashed") or ""),
            tampered=str(data.get("tampered") or ""),
            seconds=float(data.get("seconds", 0.0)),
            fingerprint=str(data.get("fingerprint") or ""),
            isolation=str(data.get("isolation") or ""),
            phases={str(k): float(v) for k, v in (data.get("phases") or {}).items()},
        )

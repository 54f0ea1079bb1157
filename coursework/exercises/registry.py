"""The registry of exercises and of their hidden cases, filled by topic modules.

``coursework.exercises.<topic>`` registers its exercises on import; looking an
id up imports its topic module on first use.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable

import torch

from coursework.exercises.records import Case, CheckError, Exercise

# modules of coursework.exercises that hold the check machinery, not a topic
SHARED_MODULES = frozenset(
    {
        "core",
        "records",
        "registry",
        "compare",
        "tracebacks",
        "printing",
        "hinting",
        "tracking",
    }
)

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


def hidden_cases(exercise_id: str, device: torch.device) -> list[Case]:
    """The hidden cases of an exercise for ``device`` (empty when none)."""
    return [c for make in _HIDDEN.get(exercise_id, []) for c in make(device)]


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
    """Topic modules that define exercises (every module but the shared ones)."""
    import coursework.exercises as pkg

    return sorted(
        m.name
        for m in pkgutil.iter_modules(pkg.__path__)
        if m.name not in SHARED_MODULES
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

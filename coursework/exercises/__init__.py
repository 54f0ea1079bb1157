"""Exercises and their checks, one module per notebook topic.

``check("vae.reparameterize", reparameterize)`` under an exercise compares the
student's function with the package's reference on several cases and, when a
case fails, prints the first hint; ``hint("vae.reparameterize")`` prints the
next one. ``progress()`` shows every exercise's latest verdict.
"""

from coursework.exercises.core import (
    Case,
    CheckError,
    CheckResult,
    Exercise,
    ExerciseIncomplete,
    check,
    exercises_for,
    get_exercise,
    hint,
    progress,
    register,
    register_hidden,
    run_check,
)

__all__ = [
    "Case",
    "CheckError",
    "CheckResult",
    "Exercise",
    "ExerciseIncomplete",
    "check",
    "exercises_for",
    "get_exercise",
    "hint",
    "progress",
    "register",
    "register_hidden",
    "run_check",
]

"""Exercises and their checks, one module per notebook topic.

``check("vae.reparameterize", reparameterize)`` under an exercise compares the
student's function with the package's reference on several cases.
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
    "register",
    "register_hidden",
    "run_check",
]

"""Which exercises a notebook has, including the instructor's private checks.

``--checks DIR`` names a private folder of Python files; each is imported by
path (never from the student's folder) and calls
:func:`~coursework.exercises.registry.register` for new exercises or
:func:`~coursework.exercises.registry.register_hidden` for extra cases of the
package's exercises. Students never see these files: the feedback shows
hidden cases by number only. A new exercise's ``hint`` may be one string (as
checks written before hints came in steps have it) or a tuple of hints from
the idea to the formula; feedback shows the first.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import sys
from pathlib import Path

from coursework.exercises.records import Exercise
from coursework.exercises.registry import exercises_for

TOPIC_RE = re.compile(r"^\d\d_([a-z0-9_]+)$")


class ChecksError(ValueError):
    """A checks folder or file that cannot be loaded."""


def load_checks(folders: list[Path]) -> list[str]:
    """Import every ``*.py`` file in ``folders`` (sorted); return the modules' names.

    Raises:
        ChecksError: a folder is missing or a file fails to import; the message
            names the file.
    """
    names = []
    for folder in folders:
        if not folder.is_dir():
            raise ChecksError(f"--checks {folder}: not a folder of Python files")
        for path in sorted(folder.glob("*.py")):
            name = f"coursework_private_checks.{path.stem}"
            if name in sys.modules:
                names.append(name)
                continue
            spec = importlib.util.spec_from_file_location(name, path)
            if spec is None or spec.loader is None:
                raise ChecksError(f"{path}: cannot be imported")
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            try:
                spec.loader.exec_module(module)
            except Exception as exc:
                del sys.modules[name]
                raise ChecksError(f"{path}: {type(exc).__name__}: {exc}") from exc
            names.append(name)
    return names


def topic_of(notebook: str) -> str:
    """``03_vae`` -> ``vae``; an unnumbered name is taken as the topic itself."""
    match = TOPIC_RE.match(notebook)
    return match.group(1) if match else notebook


def exercises_of(topic: str) -> list[Exercise]:
    """The exercises of a topic, from the package module and any loaded checks."""
    return exercises_for(topic)

"""A student's exception in one line, pointing at the student's own code.

Frames of this package, of installed packages and of the standard library are
skipped, so the line shown is the last one the student wrote.
"""

from __future__ import annotations

import sysconfig
import traceback
from pathlib import Path

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


def student_error(exc: BaseException) -> str:
    """One line: the exception and the line of the student's code that raised it."""
    frames = traceback.extract_tb(exc.__traceback__)
    user = [f for f in frames if not _is_library(f.filename)]
    line = user[-1] if user else (frames[-1] if frames else None)
    where = f" (line {line.lineno}: `{(line.line or '').strip()}`)" if line else ""
    return f"raised {type(exc).__name__}: {exc}{where}"

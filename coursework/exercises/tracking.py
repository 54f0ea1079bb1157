"""Progress through the course: every check a student runs, kept in a small file.

:func:`~coursework.exercises.core.check` calls :func:`record_check` after each
verdict; :func:`progress` (also ``coursework.progress()``) reads the file back
and shows, per notebook, which exercises pass, fail or are not done yet, as a
table and as a figure of the whole course.

The file is JSON, ``{"format": 1, "exercises": {id: {...}}}``, at
``$COURSEWORK_PROGRESS`` or else ``~/.cache/coursework/progress.json``
(:func:`progress_path`); ``COURSEWORK_PROGRESS=off`` records nothing. It holds
only the latest verdict of each exercise, with the number of checks run.
Recording never breaks a check: a file that cannot be written warns once and
the check goes on.
"""

from __future__ import annotations

import base64
import io
import json
import os
import sys
import tempfile
import warnings
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coursework.exercises.records import PASSED, CheckResult
from coursework.exercises.registry import exercises_for

if TYPE_CHECKING:
    from matplotlib.figure import Figure

ENV_VAR = "COURSEWORK_PROGRESS"
FORMAT = 1
# The course's notebooks in order; each topic's exercises are in
# coursework/exercises/<topic>.py (tests/exercises/test_progress.py checks
# this against solutions/).
NOTEBOOKS = (
    "01_video",
    "02_autoregressive",
    "03_vae",
    "04_gan",
    "05_pretext",
    "06_multimodal",
    "07_diffusion",
)
PASS, FAIL, TODO = "pass", "fail", "not done"
SYMBOLS = {PASS: "✓", FAIL: "✗", TODO: "–"}
COLAB_DRIVE_FILE = "/content/drive/MyDrive/coursework/progress.json"

_WARNED: list[bool] = []  # one warning per process for an unwritable file


class ProgressWarning(UserWarning):
    """The progress file could not be read or written (checks still work)."""


def progress_path() -> Path | None:
    """Where progress is kept: ``$COURSEWORK_PROGRESS``, else the user's cache.

    Returns None when ``COURSEWORK_PROGRESS`` is ``off`` (record nothing).
    """
    value = os.environ.get(ENV_VAR, "").strip()
    if value.lower() == "off":
        return None
    if value:
        return Path(value).expanduser()
    return Path.home() / ".cache" / "coursework" / "progress.json"


def in_colab() -> bool:
    """True inside Google Colab, whose files vanish when its runtime ends."""
    return "google.colab" in sys.modules or "COLAB_RELEASE_TAG" in os.environ


def _warn_once(message: str) -> None:
    if not _WARNED:
        _WARNED.append(True)
        warnings.warn(message, ProgressWarning, stacklevel=3)


def load_progress(path: Path | None = None) -> dict[str, dict[str, Any]]:
    """The recorded verdicts, ``{exercise id: record}``; empty when there are none.

    A record has ``status`` (``"pass"`` or ``"fail"``), ``passed`` and
    ``cases`` (counts), ``points``, ``max_points``, ``checks`` (how many times
    it was checked) and ``when`` (UTC, ISO 8601). An unreadable file counts as
    empty and warns once.
    """
    path = progress_path() if path is None else path
    if path is None or not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        exercises = data["exercises"]
        if not isinstance(exercises, dict):
            raise TypeError("'exercises' is not an object")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        _warn_once(f"could not read the progress file {path} ({exc}); starting anew")
        return {}
    return {k: v for k, v in exercises.items() if isinstance(v, dict)}


def record_check(result: CheckResult, path: Path | None = None) -> bool:
    """Keep a check's verdict in the progress file; True when it was written.

    Never raises: any failure (a read-only folder, a full disk) warns once per
    process and returns False, so that a check always finishes.
    """
    try:
        path = progress_path() if path is None else path
        if path is None:
            return False
        records = load_progress(path)
        old = records.get(result.exercise_id, {})
        records[result.exercise_id] = {
            "status": PASS if result.status == PASSED and result.cases else FAIL,
            "passed": result.passed,
            "cases": len(result.cases),
            "points": result.points,
            "max_points": result.max_points,
            "checks": int(old.get("checks", 0)) + 1,
            "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps({"format": FORMAT, "exercises": records}, indent=1)
        # write aside, then rename: a kernel killed mid-write leaves the old file
        fd, tmp = tempfile.mkstemp(prefix=".progress-", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text + "\n")
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        return True
    except Exception as exc:  # recording must never break a check
        _warn_once(
            f"could not record this check in the progress file ({exc}); checks "
            f"still work, but progress() will not show them. Set {ENV_VAR} to a "
            "writable file, or to 'off'."
        )
        return False


@dataclass
class ExerciseProgress:
    """One exercise's status: ``pass``, ``fail`` or ``not done``, and its record."""

    exercise_id: str
    status: str
    record: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The id without its topic (``q_sample``)."""
        return self.exercise_id.split(".", 1)[1]


@dataclass
class NotebookProgress:
    """The exercises of one notebook, in the order the course registers them."""

    notebook: str
    exercises: list[ExerciseProgress]

    def count(self, status: str) -> int:
        """How many of its exercises have ``status``."""
        return sum(e.status == status for e in self.exercises)


def _topic(notebook: str) -> str:
    head, _, rest = notebook.partition("_")
    return rest if head.isdigit() and rest else notebook


def course_progress(
    path: Path | None = None, records: dict[str, dict[str, Any]] | None = None
) -> list[NotebookProgress]:
    """Every notebook's exercises with their status, the course's notebooks first.

    Exercises recorded under a topic that is not one of the course's notebooks
    (an instructor's extra checks) follow, one group per topic.

    Args:
        path: the progress file (default: :func:`progress_path`).
        records: use these records instead of reading a file.
    """
    records = load_progress(path) if records is None else records
    groups = list(NOTEBOOKS)
    known = {_topic(n) for n in NOTEBOOKS}
    groups += sorted({i.split(".", 1)[0] for i in records if "." in i} - known)
    out = []
    for notebook in groups:
        ids = [e.id for e in exercises_for(_topic(notebook))]
        ids += sorted(
            i for i in records if i.startswith(_topic(notebook) + ".") and i not in ids
        )
        rows = []
        for exercise_id in ids:
            rec = records.get(exercise_id, {})
            status = rec.get("status") if rec.get("status") in (PASS, FAIL) else TODO
            rows.append(ExerciseProgress(exercise_id, status, rec))
        out.append(NotebookProgress(notebook, rows))
    return out


def progress_summary(notebooks: list[NotebookProgress]) -> str:
    """One sentence for a title or alt text: counts of passing, failing, not done."""
    rows = [e for nb in notebooks for e in nb.exercises]
    n_pass = sum(e.status == PASS for e in rows)
    n_fail = sum(e.status == FAIL for e in rows)
    n_todo = len(rows) - n_pass - n_fail
    return (
        f"Course progress: {n_pass} of {len(rows)} exercises pass, "
        f"{n_fail} {'fails' if n_fail == 1 else 'fail'}, {n_todo} not done yet"
    )


def _when(record: dict[str, Any]) -> str:
    try:
        when = datetime.fromisoformat(str(record["when"]))
    except (KeyError, ValueError):
        return ""
    return when.astimezone().strftime("%Y-%m-%d %H:%M")


def progress_table(notebooks: list[NotebookProgress]) -> str:
    """The table :func:`progress` prints: one row per exercise of a started notebook.

    A notebook with nothing checked yet takes one line.
    """
    width = max((len(e.name) for nb in notebooks for e in nb.exercises), default=8)
    header = (
        f"{'notebook':<18} {'exercise':<{width}}  {'status':<10} {'cases':>5}  checked"
    )
    lines = [header, "-" * len(header)]
    for nb in notebooks:
        counts = (
            f"{nb.count(PASS)} pass, {nb.count(FAIL)} fail, {nb.count(TODO)} not done"
        )
        if nb.count(TODO) == len(nb.exercises):
            lines.append(f"{nb.notebook:<18} {'(' + counts + ')'}")
            continue
        lines.append(f"{nb.notebook:<18} ({counts})")
        for e in nb.exercises:
            status = f"{SYMBOLS[e.status]} {e.status}"
            cases = f"{e.record['passed']}/{e.record['cases']}" if e.record else ""
            when = _when(e.record)
            row = f"{'':<18} {e.name:<{width}}  {status:<10} {cases:>5}  {when}"
            lines.append(row.rstrip())
    return "\n".join(lines)


def where_note(path: Path | None = None) -> str:
    """Where the file lives, and in Colab how to keep it past the runtime."""
    path = progress_path() if path is None else path
    if path is None:
        return f"Progress is not recorded ({ENV_VAR}=off)."
    text = f"Progress is kept in {path} (set {ENV_VAR} to move it)."
    if in_colab() and not str(path).startswith("/content/drive"):
        text += (
            "\nIn Colab that file is deleted when the runtime ends. To keep it, run "
            "this before your checks:\n"
            "  from google.colab import drive; drive.mount('/content/drive')\n"
            f"  import os; os.environ['{ENV_VAR}'] = '{COLAB_DRIVE_FILE}'\n"
            "(or download the file from the Files panel and upload it next time)."
        )
    return text


def progress_figure(notebooks: list[NotebookProgress]) -> Figure:
    """The whole course as a grid, notebooks x exercises (plotted by the plot layer)."""
    from coursework.plot.progress import plot_progress

    return plot_progress(
        [nb.notebook for nb in notebooks],
        [[(e.name, e.status) for e in nb.exercises] for nb in notebooks],
        progress_summary(notebooks),
    )


def show_figure(fig: Figure, alt: str) -> bool:
    """Show a figure in a notebook as a PNG whose text form is ``alt``; True if shown.

    Outside a notebook kernel it does nothing and returns False. (A figure made
    without pyplot would otherwise show as ``<Figure size ...>``.)
    """
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None or not hasattr(shell, "kernel"):
        return False
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    png = base64.b64encode(buffer.getvalue()).decode("ascii")
    display({"image/png": png, "text/plain": alt}, raw=True)
    return True


def progress(notebook: str | None = None, figure: bool = True) -> None:
    """Show which exercises pass, fail or are not done: a table, then a figure.

    The verdicts are those of the checks you ran (each notebook's ``check``
    cells), read from the progress file (:func:`progress_path`). In a notebook
    the figure of the whole course follows the table; elsewhere
    ``progress_figure(course_progress())`` returns it.

    Example:
        >>> import coursework
        >>> coursework.progress()  # doctest: +SKIP

    Args:
        notebook: only this notebook in the table (``"03"``, ``"03_vae"`` or
            ``"vae"``); the figure always shows the whole course.
        figure: also show the figure (in a notebook).

    Raises:
        ValueError: no notebook matches ``notebook``.
    """
    notebooks = course_progress()
    shown = notebooks
    if notebook is not None:
        key = notebook.strip()
        shown = [
            nb
            for nb in notebooks
            if key in (nb.notebook, nb.notebook[:2], _topic(nb.notebook))
        ]
        if not shown:
            names = ", ".join(nb.notebook for nb in notebooks)
            raise ValueError(f"no notebook {notebook!r}; the notebooks are {names}")
    print(progress_summary(notebooks) + ".")
    print(where_note())
    print()
    print(progress_table(shown))
    if figure:
        fig = progress_figure(notebooks)
        show_figure(fig, progress_summary(notebooks))

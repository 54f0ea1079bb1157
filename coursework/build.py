"""Build the notebooks: one jupytext source, two notebooks.

``solutions/NN_topic.py`` (jupytext percent format) is the master copy. The
build writes ``solutions/NN_topic.ipynb`` (the solution version) and
``notebooks/NN_topic.ipynb`` (the student version), deterministically: no
outputs, cell ids derived from the position, fixed metadata.

Exercise cells carry their id in the cell header, ``# %% exercise="vae.kl"``.
Inside them, lines between ``### BEGIN SOLUTION`` and ``### END SOLUTION``
are the solution; the student version replaces them with
``raise NotImplementedError(...)`` naming the exercise. Markdown cells use
the same markers around written answers, which become a prompt.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import jupytext
import nbformat

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
# Where the course lives on GitHub: the Colab badges open notebooks from it and
# the setup cell pip-installs the package from it. Set it to your course's
# repository ("owner/name") and run the build again (README, "For instructors").
REPOSITORY = "vgssl-course/coursework"
BRANCH = "main"
ANSWER_PROMPT = "_Your answer here._"
ROOT = Path(__file__).resolve().parent.parent
_EXERCISE_RE = re.compile(r"^[a-z0-9_]+\.[a-z0-9_]+$")


def setup_source(url: str) -> str:
    """The setup cell: install the package from ``url`` when it is missing.

    Locally (package installed) it does nothing. A failed install ends in one
    line naming the address and pip's last message, not a pip traceback.
    """
    return f"""\
# Setup: on Colab this installs the course package; locally it does nothing.
import importlib.util, subprocess, sys
if importlib.util.find_spec("coursework") is None:
    class SetupFailed(Exception):
        def _render_traceback_(self):
            return [f"SetupFailed: {{self}}"]
    url = "{url}"
    pip = subprocess.run([sys.executable, "-m", "pip", "install", "-q", url],
                         capture_output=True, text=True)
    if pip.returncode != 0:
        last = (pip.stderr.strip().splitlines() or ["no message"])[-1]
        raise SetupFailed(f"could not install the course from {{url}} ({{last}})")"""


SETUP_SOURCE = setup_source(f"git+https://github.com/{REPOSITORY}@{BRANCH}")


class BuildError(ValueError):
    """A source that cannot be built; the message names the file and cell."""


@dataclass(frozen=True)
class Region:
    """One solution region: the exercise it belongs to and its text."""

    exercise: str
    text: str


def _badge(path: str) -> str:
    url = f"https://colab.research.google.com/github/{REPOSITORY}/blob/{BRANCH}/{path}"
    return f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({url})"


def _split_solution(
    source: str, cell_label: str
) -> tuple[list[str], list[tuple[int, int, str]]]:
    """Lines of a cell and its regions as (begin line, end line, indent)."""
    lines = source.split("\n")
    regions: list[tuple[int, int, str]] = []
    start: int | None = None
    indent = ""
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped == BEGIN:
            if start is not None:
                raise BuildError(f"{cell_label}: nested '{BEGIN}' at line {i + 1}")
            start, indent = i, line[: len(line) - len(line.lstrip())]
        elif stripped == END:
            if start is None:
                raise BuildError(
                    f"{cell_label}: '{END}' without '{BEGIN}' at line {i + 1}"
                )
            regions.append((start, i, indent))
            start = None
        elif BEGIN in line or END in line:
            raise BuildError(
                f"{cell_label}: solution markers must stand alone on a line"
            )
    if start is not None:
        raise BuildError(f"{cell_label}: '{BEGIN}' at line {start + 1} is never closed")
    return lines, regions


Rewrite = Callable[[str, list[str]], list[str]]


def _rewrite(
    source: str, regions: list[tuple[int, int, str]], lines: list[str], stub: Rewrite
) -> str:
    out: list[str] = []
    pos = 0
    for begin, end, indent in regions:
        out += lines[pos:begin]
        out += stub(indent, lines[begin + 1 : end])
        pos = end + 1
    out += lines[pos:]
    return "\n".join(out)


def _stub_code(exercise: str) -> Rewrite:
    def stub(indent: str, body: list[str]) -> list[str]:
        msg = f"Exercise {exercise}: replace this line with your code."
        return [f"{indent}raise NotImplementedError({msg!r})"]

    return stub


def _stub_markdown(indent: str, body: list[str]) -> list[str]:
    return [indent + ANSWER_PROMPT]


def _strip_markers(indent: str, body: list[str]) -> list[str]:
    return body


def split_notebook(
    source: Path,
) -> tuple[nbformat.NotebookNode, nbformat.NotebookNode, list[Region]]:
    """Read a source and return (solution notebook, student notebook, regions)."""
    nb = jupytext.read(source, fmt="py:percent")
    stem = source.stem
    solution = nbformat.v4.new_notebook()
    student = nbformat.v4.new_notebook()
    regions: list[Region] = []
    rel = f"{source.parent.name}/{stem}.ipynb"
    head = [
        nbformat.v4.new_markdown_cell(_badge(rel)),
        nbformat.v4.new_code_cell(SETUP_SOURCE, metadata={"coursework": "setup"}),
    ]
    for which in (solution, student):
        which.cells = copy.deepcopy(head)
    for index, cell in enumerate(nb.cells):
        label = f"{source.name}, cell {index + 1}"
        lines, found = _split_solution(cell.source, label)
        meta = dict(cell.metadata)
        exercise = meta.get("exercise")
        if exercise is not None and not _EXERCISE_RE.match(str(exercise)):
            raise BuildError(f"{label}: exercise id {exercise!r} is not like 'vae.kl'")
        if found and cell.cell_type == "code" and not exercise:
            raise BuildError(
                f"{label}: a solution region needs the exercise id in the cell header, "
                f'e.g. `# %% exercise="vae.reparameterize"`'
            )
        for begin, end, _ in found:
            regions.append(
                Region(exercise or "written answer", "\n".join(lines[begin + 1 : end]))
            )
        if cell.cell_type == "code":
            sol_src = _rewrite(cell.source, found, lines, _strip_markers)
            stu_src = _rewrite(cell.source, found, lines, _stub_code(exercise or ""))
            make = nbformat.v4.new_code_cell
        else:
            sol_src = _rewrite(cell.source, found, lines, _strip_markers)
            stu_src = _rewrite(cell.source, found, lines, _stub_markdown)
            make = nbformat.v4.new_markdown_cell
        solution.cells.append(make(sol_src, metadata=copy.deepcopy(meta)))
        student.cells.append(make(stu_src, metadata=copy.deepcopy(meta)))
    for which, version in ((solution, "solution"), (student, "student")):
        which.metadata = {
            "kernelspec": {
                "display_name": "Python 3",
                "language": "python",
                "name": "python3",
            },
            "language_info": {"name": "python"},
            "coursework": {"notebook": stem, "version": version},
        }
        for i, cell in enumerate(which.cells):
            cell.id = f"{stem.replace('_', '-')}-{i:03d}"
    # The student notebook's badge points at the student copy.
    student.cells[0].source = _badge(f"notebooks/{stem}.ipynb")
    return solution, student, regions


def dumps(nb: nbformat.NotebookNode) -> str:
    """Serialise a notebook byte-for-byte reproducibly."""
    nbformat.validate(nb)
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def leaks(student: nbformat.NotebookNode, regions: list[Region]) -> list[str]:
    """Solution text found in a student notebook: markers, or a region's code."""
    problems = []
    text = "\n".join(c.source for c in student.cells)
    if BEGIN in text or END in text:
        problems.append("contains a solution marker")
    for r in regions:
        body = "\n".join(line.strip() for line in r.text.split("\n") if line.strip())
        if len(body) >= 12 and body in "\n".join(
            line.strip() for line in text.split("\n")
        ):
            problems.append(f"contains the solution of {r.exercise}")
    return problems


def sources(root: Path = ROOT) -> list[Path]:
    """The notebook sources, in lecture order."""
    return sorted(p for p in (root / "solutions").glob("[0-9][0-9]_*.py"))


def build(root: Path = ROOT, check: bool = False) -> list[str]:
    """Write (or, with ``check``, compare) every notebook; return the problems found.

    Args:
        root: the repository root holding ``solutions/`` and ``notebooks/``.
        check: write nothing; report notebooks that differ from their source
            and student notebooks that contain solution text.
    """
    problems: list[str] = []
    (root / "notebooks").mkdir(exist_ok=True)
    for src in sources(root):
        try:
            solution, student, regions = split_notebook(src)
        except BuildError as exc:
            problems.append(str(exc))
            continue
        targets = {
            root / "solutions" / f"{src.stem}.ipynb": dumps(solution),
            root / "notebooks" / f"{src.stem}.ipynb": dumps(student),
        }
        for path, text in targets.items():
            rel = path.relative_to(root)
            if check:
                if not path.exists():
                    problems.append(f"{rel}: missing; run `python -m coursework build`")
                elif path.read_text(encoding="utf-8") != text:
                    problems.append(
                        f"{rel}: differs from {src.relative_to(root)}; "
                        "run `python -m coursework build` and commit"
                    )
            else:
                path.write_text(text, encoding="utf-8")
        committed = root / "notebooks" / f"{src.stem}.ipynb"
        if committed.exists():
            try:
                on_disk = nbformat.reads(
                    committed.read_text(encoding="utf-8"), as_version=4
                )
            except Exception as exc:  # unreadable JSON counts as a problem, not a crash
                problems.append(f"{committed.relative_to(root)}: unreadable ({exc})")
                continue
            for leak in leaks(on_disk, regions):
                problems.append(f"{committed.relative_to(root)}: {leak}")
    for nb_path in sorted((root / "notebooks").glob("*.ipynb")):
        if not (root / "solutions" / f"{nb_path.stem}.py").exists():
            problems.append(
                f"{nb_path.relative_to(root)}: no source solutions/{nb_path.stem}.py"
            )
    return problems

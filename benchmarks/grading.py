"""Benchmark the batch grader: submissions graded per minute, and what hostility costs.

Grades copies of a solution notebook with ``--jobs 1`` and ``--jobs 2`` in
the ``ci`` profile, then single submissions that carry one hostile cell each
(an endless loop, a kernel exit, a memory hog, a flood of output), and prints
a table. Uses ``solutions/03_vae.ipynb`` when it exists, else the grader's
test notebook (``tests/grading/demo``), and says which.

    .venv/bin/python benchmarks/grading.py [--copies 4]
"""

from __future__ import annotations

import argparse
import copy
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from coursework.build import dumps, split_notebook  # noqa: E402

HOSTILE = {
    "endless loop": "while True:\n    pass",
    "kernel exit": "import os\nos._exit(1)",
    "memory hog": (
        "import time\nhog = []\nfor _ in range(200):\n"
        "    hog.append(b'x' * (50 * 2**20))\n    time.sleep(0.01)"
    ),
    "output flood": "for _ in range(200):\n    print('spam' * 25_000)",
}


def pick_notebook() -> tuple[nbformat.NotebookNode, str, list[str], str]:
    """(solution notebook, name, extra grader arguments, description)."""
    real = ROOT / "solutions" / "03_vae.ipynb"
    if real.exists():
        source = real.with_suffix(".py")
        nb = split_notebook(source)[0] if source.exists() else nbformat.read(real, 4)
        return nb, "03_vae", [], "solutions/03_vae.ipynb"
    demo = ROOT / "tests" / "grading" / "demo"
    nb = split_notebook(demo / "90_demo.py")[0]
    checks = ["--checks", str(demo / "checks")]
    return nb, "90_demo", checks, "demo notebook (solutions/03_vae.ipynb not there yet)"


def with_cell(nb: nbformat.NotebookNode, source: str) -> nbformat.NotebookNode:
    """A copy of ``nb`` with ``source`` as a new cell after the setup cell."""
    nb = copy.deepcopy(nb)
    at = next(
        (i + 1 for i, c in enumerate(nb.cells) if "setup(" in c.source),
        min(3, len(nb.cells)),
    )
    nb.cells.insert(at, nbformat.v4.new_code_cell(source))
    for i, cell in enumerate(nb.cells):
        cell.id = f"bench-{i}"
    return nb


def grade(folder: Path, jobs: int, name: str, extra: list[str]) -> float:
    """Wall-clock seconds to grade ``folder``."""
    out = folder.parent / f"results-{folder.name}-{jobs}"
    command = [
        sys.executable, "-m", "coursework", "grade", str(folder), "--out", str(out),
        "--jobs", str(jobs), "--notebook", name, "--quiet", "--profile", "ci",
        "--cell-timeout", "30", "--memory-mb", "3000", *extra,
    ]  # fmt: skip
    start = time.monotonic()
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    return time.monotonic() - start


def main() -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--copies", type=int, default=4, help="submissions per batch")
    args = parser.parse_args()
    nb, name, extra, what = pick_notebook()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        batch = base / "batch"
        batch.mkdir()
        for i in range(args.copies):
            (batch / f"student{i:02d}.ipynb").write_text(dumps(nb))
        for jobs in (1, 2):
            seconds = grade(batch, jobs, name, extra)
            label = f"{args.copies} solutions, --jobs {jobs}"
            rows.append((label, seconds, args.copies))
        single = base / "clean"
        single.mkdir()
        (single / "clean.ipynb").write_text(dumps(nb))
        clean = grade(single, 1, name, extra)
        rows.append(("1 clean solution, --jobs 1", clean, 1))
        for label, source in HOSTILE.items():
            folder = base / label.replace(" ", "_")
            folder.mkdir()
            (folder / "hostile.ipynb").write_text(dumps(with_cell(nb, source)))
            seconds = grade(folder, 1, name, extra)
            rows.append((f"1 solution + {label} cell", seconds, 1))
    print(f"notebook: {what}; profile ci; machine: {_cores()} CPU cores")
    print(f"{'batch':<38} {'seconds':>8} {'per minute':>11} {'extra s':>8}")
    for label, seconds, n in rows:
        cost = f"{seconds - clean:+8.1f}" if n == 1 and "clean" not in label else ""
        print(f"{label:<38} {seconds:>8.1f} {60 * n / seconds:>11.2f} {cost:>8}")


def _cores() -> int:
    import os

    return len(os.sched_getaffinity(0))


if __name__ == "__main__":
    main()

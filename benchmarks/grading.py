"""Benchmark the batch grader: submissions graded per minute, and what hostility costs.

Grades copies of a solution notebook with ``--jobs 1`` and ``--jobs 2`` in
the ``ci`` profile, then single submissions that carry one hostile cell each
(an endless loop, a kernel exit, a memory hog, a flood of output), and prints
a table. Uses ``solutions/03_vae.ipynb`` when it exists, else the grader's
test notebook (``tests/grading/demo``), and says which.

``--isolation`` is passed to the grader (``auto`` picks the strongest OS
isolation that works here; ``process`` turns it off), so the cost of the
isolation is the difference between two runs; ``--rounds`` alternates the
settings given, round after round, so that both see the same machine load.

    .venv/bin/python benchmarks/grading.py [--copies 4] [--isolation auto process]
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


def grade(
    folder: Path, jobs: int, name: str, extra: list[str], isolation: str | None = None
) -> float:
    """Wall-clock seconds to grade ``folder`` (a fresh results folder each time)."""
    out = Path(tempfile.mkdtemp(prefix=f"results-{folder.name}-", dir=folder.parent))
    command = [
        sys.executable, "-m", "coursework", "grade", str(folder), "--out", str(out),
        "--jobs", str(jobs), "--notebook", name, "--quiet", "--profile", "ci",
        "--cell-timeout", "30", "--memory-mb", "3000", *extra,
    ]  # fmt: skip
    if isolation is not None:
        command += ["--isolation", isolation]
    start = time.monotonic()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    seconds = time.monotonic() - start
    if done.returncode != 0:
        raise SystemExit(f"grading failed:\n{done.stderr[-2000:]}")
    used = [line for line in done.stdout.splitlines() if line.startswith("isolation:")]
    if used:
        ISOLATION_SEEN.add(used[-1])
    return seconds


ISOLATION_SEEN: set[str] = set()


def main() -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--copies", type=int, default=4, help="submissions per batch")
    parser.add_argument(
        "--isolation",
        nargs="*",
        default=None,
        help="grader --isolation settings to compare (default: the grader's own)",
    )
    parser.add_argument(
        "--rounds", type=int, default=1, help="alternating rounds of the batches"
    )
    parser.add_argument(
        "--no-hostile", action="store_true", help="only the throughput batches"
    )
    args = parser.parse_args()
    nb, name, extra, what = pick_notebook()
    settings: list[str | None] = list(args.isolation) if args.isolation else [None]
    rows = []
    clean = None
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        batch = base / "batch"
        batch.mkdir()
        for i in range(args.copies):
            (batch / f"student{i:02d}.ipynb").write_text(dumps(nb))
        for round_ in range(args.rounds):
            for jobs in (1, 2):
                for iso in settings:
                    seconds = grade(batch, jobs, name, extra, iso)
                    label = f"{args.copies} solutions, --jobs {jobs}"
                    if iso is not None:
                        label += f", {iso}"
                    if args.rounds > 1:
                        label += f" (round {round_ + 1})"
                    rows.append((label, seconds, args.copies))
        if not args.no_hostile:
            single = base / "clean"
            single.mkdir()
            (single / "clean.ipynb").write_text(dumps(nb))
            clean = grade(single, 1, name, extra, settings[0])
            rows.append(("1 clean solution, --jobs 1", clean, 1))
            for label, source in HOSTILE.items():
                folder = base / label.replace(" ", "_")
                folder.mkdir()
                (folder / "hostile.ipynb").write_text(dumps(with_cell(nb, source)))
                seconds = grade(folder, 1, name, extra, settings[0])
                rows.append((f"1 solution + {label} cell", seconds, 1))
    print(f"notebook: {what}; profile ci; machine: {_cores()} CPU cores")
    for line in sorted(ISOLATION_SEEN):
        print(f"grader reported: {line}")
    print(f"{'batch':<38} {'seconds':>8} {'per minute':>11} {'extra s':>8}")
    for label, seconds, n in rows:
        hostile = n == 1 and clean is not None and "clean" not in label
        cost = f"{seconds - clean:+8.1f}" if hostile and clean is not None else ""
        print(f"{label:<38} {seconds:>8.1f} {60 * n / seconds:>11.2f} {cost:>8}")


def _cores() -> int:
    import os

    return len(os.sched_getaffinity(0))


if __name__ == "__main__":
    main()

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
import json
import os
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
    """Wall-clock seconds to grade ``folder`` (a fresh results folder each time).

    The results folder of the last run is kept in ``LAST_OUT`` (for phases()).
    """
    global LAST_OUT
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
    LAST_OUT = out
    if done.returncode != 0:
        raise SystemExit(f"grading failed:\n{done.stderr[-2000:]}")
    used = [line for line in done.stdout.splitlines() if line.startswith("isolation:")]
    if used:
        ISOLATION_SEEN.add(used[-1])
    return seconds


ISOLATION_SEEN: set[str] = set()
LAST_OUT: Path | None = None


def execute_once(nb: nbformat.NotebookNode, folder: Path) -> float:
    """Seconds to execute ``nb`` once in the ci profile, as a student's kernel would."""
    from nbclient import NotebookClient

    env = {"COURSEWORK_PROFILE": "ci", "COURSEWORK_THREADS": "1", "MPLBACKEND": "Agg"}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        client = NotebookClient(
            copy.deepcopy(nb),
            timeout=900,
            kernel_name="python3",
            allow_errors=True,
            resources={"metadata": {"path": str(folder)}},
        )
        start = time.monotonic()
        client.execute()
        return time.monotonic() - start
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def phases(out: Path) -> dict[str, float]:
    """Mean seconds per submission by phase, read from the run's state records.

    The worker times each phase of a job (``Record.phases``): reading and
    hashing the submission, copying it into its folder, starting kernels
    (with the grader's first cell, which imports PyTorch), the notebook's own
    cells, starting checks processes, the checks, the package integrity
    checks, and the clean-up; "other" is the rest of the job (loading the
    checks, reading the definitions, writing the executed notebook). The
    worker process's own start and imports are outside these figures.
    """
    rows: list[dict[str, float]] = []
    for path in (out / ".state").glob("*.json"):
        record = json.loads(json.loads(path.read_text())["record"])
        row = dict(record.get("phases") or {})
        row["other"] = record["seconds"] - sum(row.values())
        row["total"] = record["seconds"]
        rows.append(row)
    names = list(dict.fromkeys(k for row in rows for k in row))
    names.remove("total")
    names.append("total")
    n = max(1, len(rows))
    return {k: sum(row.get(k, 0.0) for row in rows) / n for k in names}


def scale(nb, base: Path, copies: int, name: str, extra: list[str]) -> None:
    """Grading against one execution, --jobs 2 against 1, and a class of 300."""
    folder = base / "scale"
    folder.mkdir()
    for i in range(copies):
        (folder / f"student{i:02d}.ipynb").write_text(dumps(nb))
    once = execute_once(nb, folder)
    one = grade(folder, 1, name, extra)
    parts = phases(LAST_OUT) if LAST_OUT else {}
    two = grade(folder, 2, name, extra)
    skipped = grade(folder, 1, name, [*extra, "--no-run"]) / copies
    per_sub = one / copies
    rate1, rate2 = 60 * copies / one, 60 * copies / two
    speedup = rate2 / rate1
    efficiency = speedup / 2  # of a second core; assumed to hold per core
    print(f"\nexecuting the notebook once (ci): {once:.1f} s")
    print(
        f"grading one submission (--jobs 1): {per_sub:.1f} s = "
        f"{per_sub / once:.2f}x one execution (target <= 1.5x)"
    )
    for phase, seconds in parts.items():
        print(f"  {phase:<14} {seconds:7.1f} s")
    print(
        f"grading one submission with --no-run (same grades, no run for the "
        f"feedback): {skipped:.1f} s = {skipped / once:.2f}x one execution"
    )
    print(
        f"--jobs 1: {rate1:.2f} per minute; --jobs 2: {rate2:.2f} per minute; "
        f"{speedup:.2f}x (target >= 1.6x)"
    )
    for label, cores in [
        ("one 16-core machine, --jobs 16", 16),
        ("a 4-node cluster of 16 cores each (Dask)", 64),
    ]:
        minutes = 300 / (rate1 * cores * efficiency)
        fast = 300 * skipped / 60 / (cores * efficiency)
        print(
            f"a class of 300 on {label}: about {minutes:.0f} min, "
            f"{fast:.1f} min with --no-run "
            f"(if each core keeps the measured {efficiency:.0%} of one)"
        )


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
    parser.add_argument(
        "--no-scale",
        action="store_true",
        help="skip the comparison with one execution and the class-of-300 estimate",
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
        if not args.no_scale:
            scale(nb, base, args.copies, name, extra)
    print(f"notebook: {what}; profile ci; machine: {_cores()} CPU cores")
    for line in sorted(ISOLATION_SEEN):
        print(f"grader reported: {line}")
    print(f"{'batch':<38} {'seconds':>8} {'per minute':>11} {'extra s':>8}")
    for label, seconds, n in rows:
        hostile = n == 1 and clean is not None and "clean" not in label
        cost = f"{seconds - clean:+8.1f}" if hostile and clean is not None else ""
        print(f"{label:<38} {seconds:>8.1f} {60 * n / seconds:>11.2f} {cost:>8}")


def _cores() -> int:
    return len(os.sched_getaffinity(0))


if __name__ == "__main__":
    main()

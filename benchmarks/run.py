"""Benchmark the notebooks: execution time per profile and the metrics they reach.

Each solution notebook is executed in a fresh kernel (nbclient) once per
profile; the figures it computes come back through ``record_metrics`` (the
``COURSEWORK_METRICS`` folder), so the numbers printed here are the numbers
the notebook showed. Results are also written to ``benchmarks/out/``.

With ``--seeds``, each notebook runs once per seed offset (``$COURSEWORK_SEED``,
added to every ``seed_everything`` call), and ``--bands`` stores the spread of
each metric over those runs as the course's reference bands,
``coursework/bands/<profile>.json`` (see :mod:`coursework.bands`), which the
notebooks' summary cells print a student's figures against.

At the end it prints the budget table: each notebook's ``cpu``-profile time
(its slowest seed) beside the ten-minute budget (``TARGET_SECONDS["cpu"]``),
with ``OVER`` on a notebook past it; the exit status is 1 when one is over,
or failed.

Usage:
    python benchmarks/run.py                     # ci and cpu profiles, all notebooks
    python benchmarks/run.py --profiles ci --notebooks 03
    python benchmarks/run.py --profiles gpu      # on a CUDA machine
    python benchmarks/run.py --profiles ci --seeds 0 1 2 --jobs 2 --bands
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import nbformat
import torch
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = {"ci": 90, "cpu": 600, "gpu": 1800}


def run_notebook(path: Path, profile: str, timeout: int, seed: int = 0) -> dict:
    """Execute one notebook in one profile and seed offset.

    Returns its name, profile, seed, seconds, status and recorded metrics.
    """
    nb = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory() as metrics_dir:
        env = dict(
            os.environ,
            COURSEWORK_PROFILE=profile,
            COURSEWORK_METRICS=metrics_dir,
            COURSEWORK_SEED=str(seed),
        )
        env.setdefault("MPLBACKEND", "Agg")
        client = NotebookClient(
            nb,
            timeout=timeout,
            kernel_name="python3",
            resources={"metadata": {"path": str(path.parent)}},
        )
        start = time.perf_counter()
        status = "ok"
        try:
            client.execute(env=env)
        except CellExecutionError as exc:
            status = f"error: {exc.ename}: {exc.evalue}"[:200]
        except TimeoutError:
            status = "timeout"
        seconds = time.perf_counter() - start
        metrics_file = Path(metrics_dir) / f"{path.stem}.json"
        metrics = json.loads(metrics_file.read_text()) if metrics_file.exists() else {}
    return {
        "notebook": path.stem,
        "profile": profile,
        "seed": seed,
        "seconds": round(seconds, 1),
        "target_seconds": TARGET_SECONDS[profile],
        "status": status,
        "metrics": metrics,
    }


# Test negative log-likelihoods of the binarised test digits (same split) from
# different notebooks: exact autoregressive likelihoods against a VAE's bound.
LIKELIHOODS = (
    ("02_autoregressive", "nll_nats_pixelcnn", "PixelCNN, exact"),
    ("02_autoregressive", "nll_nats_gated", "gated PixelCNN, exact"),
    ("02_autoregressive", "nll_nats_rowlstm", "Row LSTM, exact"),
    ("02_autoregressive", "nll_nats_gated_large", "large gated, exact"),
    ("03_vae", "iwae50", "VAE, IWAE bound k=50"),
    ("03_vae", "neg_elbo", "VAE, ELBO bound"),
)


def _compare_likelihoods(rows: list[dict]) -> None:
    """Print 02's exact NLLs beside 03's bounds, per profile, where both ran."""
    for profile in sorted({r["profile"] for r in rows}):
        found = {
            (r["notebook"], k): v
            for r in rows
            if r["profile"] == profile
            for k, v in r["metrics"].items()
        }
        lines = [
            f"    {label:<24} {found[(nb, key)]:8.2f} nats"
            for nb, key, label in LIKELIHOODS
            if (nb, key) in found
        ]
        if len({nb for nb, key, _ in LIKELIHOODS if (nb, key) in found}) == 2:
            print(f"binarised test digits, -log p(x), profile {profile}:")
            print("\n".join(lines))


def budget_table(rows: list[dict], profile: str = "cpu") -> list[str]:
    """Each notebook's time in ``profile`` beside its budget; ``OVER`` past it.

    A notebook run with several seeds shows its slowest run. Returns the lines
    (empty when no row is of that profile).
    """
    budget = TARGET_SECONDS[profile]
    slowest: dict[str, dict] = {}
    for r in (r for r in rows if r["profile"] == profile):
        known = slowest.get(r["notebook"])
        if known is None or r["seconds"] > known["seconds"]:
            slowest[r["notebook"]] = r
    if not slowest:
        return []
    lines = [f"{profile} profile against the budget of {budget} s per notebook:"]
    for name, r in slowest.items():
        over = r["seconds"] - budget
        flag = f"OVER by {over:.0f} s" if over > 0 else f"{-over:.0f} s to spare"
        if r["status"] != "ok":
            flag += f"  ({r['status']})"
        lines.append(f"    {name:<20} {r['seconds']:7.1f} s / {budget} s  {flag}")
    return lines


def _print_row(row: dict) -> None:
    within = "within" if row["seconds"] <= row["target_seconds"] else "OVER"
    print(
        f"{row['notebook']:<10} {row['profile']:<4} seed {row['seed']:<3} "
        f"{row['seconds']:8.1f} s ({within} {row['target_seconds']} s)  "
        f"{row['status']}",
        flush=True,
    )
    for k, v in sorted(row["metrics"].items()):
        print(f"    {k:<32} {v:.4f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--profiles", nargs="+", default=["ci", "cpu"])
    parser.add_argument(
        "--notebooks", nargs="+", default=None, help="numbers, e.g. 01 03"
    )
    parser.add_argument(
        "--seeds", nargs="+", type=int, default=[0],
        help="seed offsets ($COURSEWORK_SEED), one run of each notebook per seed",
    )
    parser.add_argument(
        "--jobs", type=int, default=1,
        help="notebooks run at once (each then gets one CPU thread unless "
        "$COURSEWORK_THREADS says otherwise)",
    )
    parser.add_argument(
        "--bands", action="store_true",
        help="store each metric's spread over the seeds in "
        "coursework/bands/<profile>.json (needs two seeds or more)",
    )
    parser.add_argument(
        "--from-runs", nargs="+", default=None, metavar="JSON",
        help="run nothing: make --bands from earlier outputs of this script "
        "(benchmarks/out/notebooks-*.json), e.g. seeds 0-2 and 3-4 run apart",
    )
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per cell")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "out"))
    args = parser.parse_args(argv)
    if args.from_runs:
        return _bands_from_files([Path(f) for f in args.from_runs], args.profiles)
    if args.bands and len(set(args.seeds)) < 2:
        parser.error("--bands needs two seeds or more, e.g. --seeds 0 1 2")
    paths = sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))
    if args.notebooks:
        paths = [p for p in paths if p.stem[:2] in args.notebooks]
    if not paths:
        print("no solution notebooks match", file=sys.stderr)
        return 1
    machine = f"{platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}"
    if torch.cuda.is_available():
        machine += f", {torch.cuda.get_device_name()}"
    print(f"machine: {machine}, {args.jobs} job(s) at once")
    if args.jobs > 1:
        os.environ.setdefault("COURSEWORK_THREADS", "1")
    tasks = [
        (path, profile, args.timeout, seed)
        for profile in args.profiles
        for path in paths
        for seed in args.seeds
    ]
    rows = []
    if args.jobs > 1:
        with ProcessPoolExecutor(args.jobs) as pool:
            for row in pool.map(run_notebook, *zip(*tasks)):
                _print_row(row)
                rows.append(row)
    else:
        for task in tasks:
            row = run_notebook(*task)
            _print_row(row)
            rows.append(row)
    _compare_likelihoods([r for r in rows if r["seed"] == args.seeds[0]])
    budget = budget_table(rows)
    if budget:
        print("\n".join(budget))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (out / f"notebooks-{stamp}.json").write_text(
        json.dumps({"machine": machine, "rows": rows}, indent=1)
    )
    if args.bands:
        _store_bands(rows, args.profiles, torch.__version__, machine)
    over = any(
        r["seconds"] > r["target_seconds"] for r in rows if r["profile"] == "cpu"
    )
    return 0 if all(r["status"] == "ok" for r in rows) and not over else 1


def _store_bands(
    rows: list[dict], profiles: list[str], torch_version: str, machine: str
) -> None:
    """Write the bands of each profile from the successful runs among ``rows``."""
    from coursework.bands import bands_from_runs, write_bands

    for profile in profiles:
        found = bands_from_runs(
            [r for r in rows if r["profile"] == profile and r["status"] == "ok"],
            torch_version=torch_version,
            machine=machine,
        )
        if not found:  # nothing of this profile among the runs: leave its file be
            print(f"bands: no run of {profile} with two seeds or more; nothing written")
            continue
        path = write_bands(profile, found)
        print(f"bands: {len(found)} notebook(s) of {profile} -> {path}")
        failed = [
            f"{r['notebook']} seed {r['seed']}"
            for r in rows
            if r["profile"] == profile and r["status"] != "ok"
        ]
        if failed:
            print(f"bands: left out (run failed): {', '.join(failed)}")


def _bands_from_files(files: list[Path], profiles: list[str]) -> int:
    """Bands from earlier runs' outputs; a later file's run of the same notebook,
    profile and seed replaces an earlier one. All must share one machine line
    (and so one torch)."""
    runs: dict[tuple[str, str, int], dict] = {}
    machines = set()
    for path in files:
        data = json.loads(path.read_text())
        machines.add(data["machine"])
        for row in data["rows"]:
            runs[(row["notebook"], row["profile"], row.get("seed", 0))] = row
    if len(machines) != 1:
        print(f"runs from different machines or torch versions: {sorted(machines)}",
              file=sys.stderr)
        return 1
    (machine,) = machines
    torch_version = machine.split("torch ")[-1].split(",")[0]
    _store_bands(list(runs.values()), profiles, torch_version, machine)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark the notebooks: execution time per profile and the metrics they reach.

Each solution notebook is executed in a fresh kernel (nbclient) once per
profile; the figures it computes come back through ``record_metrics`` (the
``COURSEWORK_METRICS`` folder), so the numbers printed here are the numbers
the notebook showed. Results are also written to ``benchmarks/out/``.

At the end it prints the budget table: each notebook's ``cpu``-profile time
beside the ten-minute budget (``TARGET_SECONDS["cpu"]``), with ``OVER`` on a
notebook past it; the exit status is 1 when one is over, or failed.

Usage:
    python benchmarks/run.py                     # ci and cpu profiles, all notebooks
    python benchmarks/run.py --profiles ci --notebooks 03
    python benchmarks/run.py --profiles gpu      # on a CUDA machine
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import torch
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = {"ci": 90, "cpu": 600, "gpu": 1800}


def run_notebook(path: Path, profile: str, timeout: int) -> dict:
    """Execute one notebook in one profile; return seconds, status and metrics."""
    nb = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory() as metrics_dir:
        env = dict(
            os.environ, COURSEWORK_PROFILE=profile, COURSEWORK_METRICS=metrics_dir
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

    Returns the lines (empty when no row is of that profile).
    """
    budget = TARGET_SECONDS[profile]
    mine = [r for r in rows if r["profile"] == profile]
    if not mine:
        return []
    lines = [f"{profile} profile against the budget of {budget} s per notebook:"]
    for r in mine:
        over = r["seconds"] - budget
        flag = f"OVER by {over:.0f} s" if over > 0 else f"{-over:.0f} s to spare"
        if r["status"] != "ok":
            flag += f"  ({r['status']})"
        name, seconds = r["notebook"], r["seconds"]
        lines.append(f"    {name:<20} {seconds:7.1f} s / {budget} s  {flag}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--profiles", nargs="+", default=["ci", "cpu"])
    parser.add_argument(
        "--notebooks", nargs="+", default=None, help="numbers, e.g. 01 03"
    )
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per cell")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "out"))
    args = parser.parse_args(argv)
    paths = sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))
    if args.notebooks:
        paths = [p for p in paths if p.stem[:2] in args.notebooks]
    if not paths:
        print("no solution notebooks match", file=sys.stderr)
        return 1
    machine = f"{platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}"
    if torch.cuda.is_available():
        machine += f", {torch.cuda.get_device_name()}"
    print(f"machine: {machine}")
    rows = []
    for profile in args.profiles:
        for path in paths:
            row = run_notebook(path, profile, args.timeout)
            rows.append(row)
            within = "within" if row["seconds"] <= row["target_seconds"] else "OVER"
            print(
                f"{row['notebook']:<10} {profile:<4} {row['seconds']:8.1f} s "
                f"({within} {row['target_seconds']} s)  {row['status']}"
            )
            for k, v in sorted(row["metrics"].items()):
                print(f"    {k:<32} {v:.4f}")
    _compare_likelihoods(rows)
    budget = budget_table(rows)
    if budget:
        print("\n".join(budget))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (out / f"notebooks-{stamp}.json").write_text(
        json.dumps({"machine": machine, "rows": rows}, indent=1)
    )
    over = any(
        r["seconds"] > r["target_seconds"] for r in rows if r["profile"] == "cpu"
    )
    return 0 if all(r["status"] == "ok" for r in rows) and not over else 1


if __name__ == "__main__":
    sys.exit(main())

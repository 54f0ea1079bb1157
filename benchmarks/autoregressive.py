"""Notebook 02's exact likelihoods beside notebook 03's bounds, and its sampling speed.

Executes the solution notebooks 02 (PixelRNN / PixelCNN) and 03 (VAE) in one
profile with ``benchmarks/run.py``'s runner and prints, from the metrics the
notebooks themselves recorded, the test negative log-likelihoods of the
autoregressive models (exact, nats per binarised test digit) beside the VAE's
negative ELBO and negative IWAE bound with K = 50 (upper bounds on the same
quantity, same test digits), and the naive and cached sampling times.

Usage:
    python benchmarks/autoregressive.py               # cpu profile
    python benchmarks/autoregressive.py --profile ci
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _runner():
    spec = importlib.util.spec_from_file_location(
        "bench_run", ROOT / "benchmarks/run.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module.run_notebook


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--profile", default="cpu", choices=["ci", "cpu", "gpu"])
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per cell")
    args = parser.parse_args(argv)
    run_notebook = _runner()
    rows = {
        stem: run_notebook(
            ROOT / "solutions" / f"{stem}.ipynb", args.profile, args.timeout
        )
        for stem in ("02_autoregressive", "03_vae")
    }
    for row in rows.values():
        print(f"{row['notebook']:<18} {row['seconds']:7.1f} s  {row['status']}")
    ar, vae = rows["02_autoregressive"]["metrics"], rows["03_vae"]["metrics"]
    table = [
        ("PixelCNN (exact)", ar.get("nll_nats_pixelcnn")),
        ("gated PixelCNN (exact)", ar.get("nll_nats_gated")),
        ("Row LSTM (exact)", ar.get("nll_nats_rowlstm")),
        ("VAE, -IWAE bound K=50", vae.get("iwae50")),
        ("VAE, -ELBO", vae.get("neg_elbo")),
    ]
    print(f"\n-log p(x) on the binarised test digits, nats per image ({args.profile}):")
    for name, value in table:
        shown = "missing" if value is None else f"{value:8.2f}"
        print(f"  {name:<26}{shown}")
    if "sampling_speedup" in ar:
        print(
            "\nsampling 64 images on the CPU: "
            f"naive {ar['sampling_seconds_naive']:.1f} s, "
            f"cached {ar['sampling_seconds_cached']:.1f} s "
            f"({ar['sampling_speedup']:.1f}x faster)"
        )
    return 0 if all(r["status"] == "ok" for r in rows.values()) else 1


if __name__ == "__main__":
    sys.exit(main())

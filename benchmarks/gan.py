"""Stacked 2-D GANs against the same GANs trained one after another.

Notebook 04 trains every seed of a mode-collapse table as one stacked model
(``coursework.gan.batched``). This script measures what that buys: the time
to train ``M`` copies together against ``M`` single-copy runs in sequence,
with the same loop, sizes and number of steps, and what the stack costs in
units of one copy's run (1 would mean the copies come for free).

It also splits a step's time into a fixed part that every run pays once
(Python, the optimisers, kernel launches) and the part each copy adds (its
arithmetic): ``t(M) = fixed + M * per_copy``, from the one-copy and the
``M``-copy times. Stacking removes ``M - 1`` fixed parts; the copies come
nearly for free only where ``per_copy`` is small beside ``fixed``, as on a GPU
for models this small, not on a CPU, where the arithmetic itself is the cost.

Usage:
    python benchmarks/gan.py                 # CPU, and CUDA when available
    python benchmarks/gan.py --copies 10 --steps 300 --devices cpu
"""

from __future__ import annotations

import argparse
import json
import time

import torch

from coursework.data.mixtures import ring
from coursework.gan.batched import Discriminator2D, Generator2D
from coursework.gan.training import standard, train_gan, wasserstein_gp


def _batches(copies: int, batch: int, device: torch.device):
    mix = ring()
    while True:
        yield (mix.sample(copies * batch).to(device),)


def train(copies: int, steps: int, batch: int, hidden: int, device, variant: str):
    """Train ``copies`` stacked GANs for ``steps``; return the seconds it took."""
    torch.manual_seed(0)
    g = Generator2D(copies, hidden=hidden).to(device)
    d = Discriminator2D(copies, hidden=hidden).to(device)
    objective, k = (wasserstein_gp(), 3) if variant == "wgan_gp" else (standard(), 1)
    opt_g = torch.optim.Adam(g.parameters(), lr=1e-3, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d.parameters(), lr=1e-3, betas=(0.5, 0.999))
    batches = _batches(copies, batch, device)
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    train_gan(g, d, batches, objective, opt_g, opt_d, steps, k=k, progress=False)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--copies", type=int, default=10, help="seeds x mixtures (at least 2)"
    )
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--variants", nargs="+", default=["gan", "wgan_gp"])
    parser.add_argument("--devices", nargs="+", default=None)
    args = parser.parse_args(argv)
    if args.copies < 2:
        parser.error("--copies must be at least 2 to compare a stack with one copy")
    devices = args.devices or ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    rows = []
    for name in devices:
        device = torch.device(name)
        for variant in args.variants:
            train(args.copies, 5, args.batch, args.hidden, device, variant)  # warm-up
            stacked = train(
                args.copies, args.steps, args.batch, args.hidden, device, variant
            )
            single = sum(
                train(1, args.steps, args.batch, args.hidden, device, variant)
                for _ in range(args.copies)
            )
            one_run = single / args.copies
            # t(M) = fixed + M * per_copy, per step, from t(1) and t(M)
            per_copy = (stacked - one_run) / (args.copies - 1) / args.steps
            fixed = one_run / args.steps - per_copy
            rows.append(
                {
                    "device": name,
                    "variant": variant,
                    "copies": args.copies,
                    "steps": args.steps,
                    "stacked_s": round(stacked, 2),
                    "one_after_another_s": round(single, 2),
                    "speedup": round(single / stacked, 2),
                    # what the whole stack costs, in units of one copy's run
                    "stacked_in_single_runs": round(stacked / one_run, 2),
                    "fixed_ms_per_step": round(1000 * fixed, 3),
                    "per_copy_ms_per_step": round(1000 * per_copy, 3),
                }
            )
            print(json.dumps(rows[-1]), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

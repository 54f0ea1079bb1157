"""Samples per second of notebook 07's samplers, and its training throughput.

The U-Net of notebook 07 at a profile's sizes: samples per second for DDPM
(all ``T`` steps), DDIM with 10 steps and the flow sampler with 10 Euler
steps, each drawing one batch of ``--samples`` images (the loops run over
Python integers, so the device is synchronised once, at the end), and
training images per second of the noise-prediction step (with mixed
precision on CUDA, as ``coursework.train.fit`` does). Untrained weights: the
cost of a step does not depend on what the network has learnt.

Usage:
    python benchmarks/diffusion.py                       # cpu profile sizes
    python benchmarks/diffusion.py --profile gpu --devices cuda
"""

from __future__ import annotations

import argparse
import json
import time

import torch

from coursework.diffusion import (
    DiffusionObjective,
    Predictor,
    UNet,
    ddim_sample,
    ddpm_sample,
    euler_sample,
    linear_schedule,
)
from coursework.runtime import get_profile
from coursework.train import autocast


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def _timed(fn, device: torch.device) -> float:
    _sync(device)
    start = time.perf_counter()
    fn()
    _sync(device)
    return time.perf_counter() - start


def train_throughput(model, schedule, batch: int, steps: int, device) -> float:
    """Training images per second of the noise-prediction step."""
    objective = DiffusionObjective(schedule.to(device), model.null_label, 0.2)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    size = model.inp.in_channels, model.image_size, model.image_size
    x = torch.randn(batch, *size, device=device)
    y = torch.randint(10, (batch,), device=device)

    def run() -> None:
        for _ in range(steps):
            with autocast(device):
                loss = objective(model, (x, y))["loss"]
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()

    return batch * steps / _timed(run, device)


def bench(prof, device: torch.device, samples: int, train_steps: int) -> dict:
    """One row: samples per second of each sampler, training images per second."""
    torch.manual_seed(0)
    model = UNet(prof.image_size, 1, prof.diffusion_width, num_classes=10).to(device)
    schedule = linear_schedule(prof.diffusion_T).to(device)
    predict = Predictor(model, null_label=model.null_label)
    z = torch.randn(samples, 1, prof.image_size, prof.image_size, device=device)
    samplers = {
        "ddpm": lambda: ddpm_sample(predict, z, schedule),
        "ddim_10": lambda: ddim_sample(predict, z, schedule, min(10, schedule.T)),
        "flow_10": lambda: euler_sample(predict, z, 10),
    }
    samplers["ddim_10"]()  # warm-up
    row: dict = {
        "device": device.type,
        "profile": prof.name,
        "T": schedule.T,
        "width": prof.diffusion_width,
        "image_size": prof.image_size,
    }
    for key, fn in samplers.items():
        row[f"{key}_samples_per_s"] = round(samples / _timed(fn, device), 2)
    images = train_throughput(model, schedule, prof.batch_size, train_steps, device)
    row["train_images_per_s"] = round(images, 1)
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--profile", default="cpu")
    parser.add_argument("--samples", type=int, default=64)
    parser.add_argument("--train-steps", type=int, default=10)
    parser.add_argument("--devices", nargs="+", default=None)
    args = parser.parse_args(argv)
    prof = get_profile(args.profile)
    devices = args.devices or ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    for name in devices:
        row = bench(prof, torch.device(name), args.samples, args.train_steps)
        print(json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

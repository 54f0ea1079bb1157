"""How far DDIM falls behind the full DDPM chain in notebook 07, seed by seed.

Trains notebook 07's digit model with its recipe (v prediction, the moving
average, the warm-up, 8 x 8 digits, ``profile.diffusion_steps`` steps; or
``--steps``) once per seed, then judges samplers of the same network with the
course's digit judge, every one from the same noise:

- DDPM's ancestral chain, twice (the second with other noise: how far two
  draws of one sampler differ);
- DDIM (Song, Meng & Ermon, ICLR 2021) with 10, 25, 50 and all ``T`` steps
  (the last is the probability-flow ODE's limit), with the sub-sequence
  spread evenly (``linear``), quadratically (their appendix D.2, used for
  CIFAR-10), or ``trailing`` (Lin et al., "Common Diffusion Noise Schedules
  and Sample Steps Are Flawed", WACV 2024: no evaluation at the last index);
- DDIM's ``eta`` (0 deterministic, 1 DDPM's variance on the sub-sequence);
- DPM-Solver++(2M) (Lu et al. 2022, arXiv:2211.01095), the second-order
  multistep step, with the same spacings.

Every line is JSON (``--out`` appends). Models are cached in ``--cache``.

    .venv/bin/python benchmarks/ddim_gap.py --profile cpu --seeds 0 1 2 \\
        --threads 1 --out /tmp/ddim_gap.jsonl
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from coursework.classifier import digit_judge  # noqa: E402
from coursework.data import load_images  # noqa: E402
from coursework.diffusion import (  # noqa: E402
    Predictor,
    UNet,
    ddim_sample,
    ddpm_sample,
    dpm_solver_2m_sample,
    linear_schedule,
    to_symmetric,
)
from coursework.diffusion.recipes import (  # noqa: E402
    EMA,
    DenoisingObjective,
    NoisePrediction,
    attach_recipes,
)
from coursework.runtime import get_profile, seed_everything, set_threads  # noqa: E402
from coursework.train import TensorLoader, fit  # noqa: E402

SPACINGS = ("linear", "quadratic", "trailing")  # ddim_timesteps' sub-sequences
# (sampler, spacing, steps, eta); steps None means all T
VARIANTS = [
    ("ddim", "linear", None, 0.0),
    *[("ddim", s, k, 0.0) for s in SPACINGS for k in (10, 25, 50)],
    *[
        ("ddim", s, k, e)
        for s in ("linear", "quadratic")
        for k in (10, 50)
        for e in (0.5, 1.0)
    ],
    *[("2m", s, k, 0.0) for s in SPACINGS for k in (10, 25, 50)],
]


def samplers(predict, z, sched):
    """(name, samples) for DDPM twice and every variant, from the noise z."""
    yield "ddpm", ddpm_sample(predict, z, sched)
    yield "ddpm other noise", ddpm_sample(predict, torch.randn_like(z), sched)
    for kind, space, k, eta in VARIANTS:
        name = f"{kind} {space} {k or 'T'} eta {eta:g}"
        if kind == "ddim":
            g = torch.Generator().manual_seed(7)  # eta > 0: the same z every time
            yield (
                name,
                ddim_sample(predict, z, sched, k or sched.T, eta, g, spacing=space),
            )
        else:
            yield name, dpm_solver_2m_sample(predict, z, sched, k, spacing=space)


def train(seed: int, profile, cache: Path):
    """Notebook 07's digit model and its moving average (cached per seed)."""
    path = cache / f"{profile.name}_seed{seed}_steps{profile.diffusion_steps}.pt"
    if path.exists():
        return torch.load(path, weights_only=False)
    small, y = load_images(profile, "train", image_size=8)
    data = to_symmetric(torch.round(small.clamp(0, 1) * 255), 256)
    sched = linear_schedule(profile.diffusion_T)
    seed_everything(seed)
    net = UNet(8, 1, profile.diffusion_width, num_classes=10)
    loader = TensorLoader(data, y, batch_size=profile.batch_size)
    epochs = max(4, math.ceil(profile.diffusion_steps / len(loader)))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    ema = EMA(net, 0.999)
    attach_recipes(opt, net, ema, 100)
    objective = DenoisingObjective(sched, "v", None, net.null_label, 0.2)
    start = time.perf_counter()
    fit(net, loader, objective, opt, epochs, grad_clip=1.0, progress=False)
    out = {"seconds": time.perf_counter() - start, "model": ema.model}
    torch.save(out, path)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--profile", default="cpu")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--steps", type=int, default=None, help="training steps")
    parser.add_argument("--out", default=None)
    parser.add_argument("--threads", default=None)
    parser.add_argument("--cache", default="/tmp/ddim_gap")
    args = parser.parse_args()
    set_threads(args.threads)
    profile = get_profile(args.profile)
    if args.steps:
        profile = profile.replace(diffusion_steps=args.steps)
    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    x_tr, y_tr = load_images(profile, "train")
    x_te, y_te = load_images(profile, "test")
    judge = digit_judge(profile, x_tr, y_tr, x_te, y_te, progress=False)
    n, size = judge.n_samples, profile.image_size

    def unit(x):
        x = ((x + 1) / 2).clamp(0, 1)
        x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
        return x.clamp(0, 1)

    def emit(record):
        line = json.dumps(record)
        print(line, flush=True)
        if args.out:
            with open(args.out, "a") as f:
                f.write(line + "\n")

    emit({"sampler": "real (held out)", "fd": round(judge(x_te[:n]).fd, 2), "n": n})
    sched = linear_schedule(profile.diffusion_T)
    for seed in args.seeds:
        trained = train(seed, profile, cache)
        model = trained["model"]
        predict = NoisePrediction(
            Predictor(model, null_label=model.null_label), sched, "v", clip=True
        )
        seed_everything(seed)
        z = torch.randn(n, 1, 8, 8)
        base = None
        for name, x in samplers(predict, z, sched):
            r = judge(unit(x))
            base = base or r.fd
            emit(
                {
                    "seed": seed,
                    "train_steps": profile.diffusion_steps,
                    "train_s": round(trained["seconds"], 1),
                    "sampler": name,
                    "fd": round(r.fd, 2),
                    "vs_ddpm": round(r.fd / base, 3),
                    "precision": round(r.precision, 3),
                    "recall": round(r.recall, 3),
                }
            )


if __name__ == "__main__":
    main()

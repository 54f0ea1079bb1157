"""How far DDIM falls behind the full DDPM chain in notebook 07, seed by seed.

Trains notebook 07's digit model (its recipe: v prediction, a moving average
of the weights, a warm-up, 8 x 8 digits, ``profile.diffusion_steps`` steps)
once per seed, keeps several moving averages at once, and judges samplers of
the DDIM family (Song, Meng & Ermon, ICLR 2021) against DDPM's ancestral
chain with the course's digit judge, the same noise for every sampler:

- the spacing of DDIM's sub-sequence: ``linear`` (evenly spread) or
  ``quadratic`` (their appendix D.2, used for CIFAR-10: denser at low noise);
- ``eta`` (0: deterministic; 1: DDPM's variance on the sub-sequence);
- clipping the predicted ``x0`` or not;
- the moving average's decay.

A second draw of DDPM with other noise says how much Fréchet distance moves
between two sets of the same size from the same model (the ratio's noise).

    .venv/bin/python benchmarks/ddim_gap.py --profile cpu --seeds 0 1 2 \\
        --out /tmp/ddim_gap.jsonl
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from coursework.classifier import digit_judge  # noqa: E402
from coursework.data import load_images  # noqa: E402
from coursework.diffusion import (  # noqa: E402
    Predictor,
    UNet,
    ddim_step,
    ddpm_sample,
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

DECAYS = (0.999,)


def spacing(T: int, steps: int, kind: str) -> list[int]:  # noqa: N803
    """DDIM's sub-sequence, last first: evenly spread or quadratic in the index."""
    if kind == "linear":
        taus = torch.linspace(0, T - 1, steps)
    elif kind == "quadratic":
        taus = torch.linspace(0, math.sqrt(T - 1), steps) ** 2
    else:
        raise ValueError(kind)
    return sorted(set(taus.round().long().tolist()), reverse=True)


@torch.no_grad()
def ddim(predict, z, sched, taus, eta=0.0, seed=7):
    g = torch.Generator().manual_seed(seed)
    x = z
    for i, t in enumerate(taus):
        t_prev = taus[i + 1] if i + 1 < len(taus) else -1
        time_in = torch.full((x.shape[0],), t / sched.T)
        noise = torch.randn(x.shape, generator=g) if eta > 0 else None
        x = ddim_step(x, predict(x, time_in), t, t_prev, sched, eta, noise)
    return x


def train(seed: int, profile, cache: Path) -> dict:
    steps = profile.diffusion_steps
    path = cache / f"{profile.name}_seed{seed}.pt"
    if steps != 5000:
        path = cache / f"{profile.name}_seed{seed}_steps{steps}.pt"
    if path.exists():
        return torch.load(path, weights_only=False)
    seed_everything(seed)
    small, y = load_images(profile, "train", image_size=8)
    data = to_symmetric(torch.round(small.clamp(0, 1) * 255), 256)
    sched = linear_schedule(profile.diffusion_T)
    seed_everything(seed)
    net = UNet(8, 1, profile.diffusion_width, num_classes=10)
    loader = TensorLoader(data, y, batch_size=profile.batch_size)
    epochs = max(4, math.ceil(profile.diffusion_steps / len(loader)))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    emas = {d: EMA(net, d) for d in DECAYS}
    attach_recipes(opt, net, emas[DECAYS[0]], 100)
    for d in DECAYS[1:]:
        attach_recipes(opt, net, emas[d], 0)
    objective = DenoisingObjective(sched, "v", None, net.null_label, 0.2)
    start = time.perf_counter()
    fit(net, loader, objective, opt, epochs, grad_clip=1.0, progress=False)
    out = {
        "seconds": time.perf_counter() - start,
        "live": net.eval(),
        **{d: e.model for d, e in emas.items()},
    }
    torch.save(out, path)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--profile", default="cpu")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--out", default=None)
    parser.add_argument("--threads", default=None)
    parser.add_argument("--cache", default="/tmp/ddim_gap")
    parser.add_argument("--steps", type=int, default=None)
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
    n = judge.n_samples
    size = profile.image_size

    def unit(x):
        x = ((x + 1) / 2).clamp(0, 1)
        x = torch.nn.functional.interpolate(
            x, size=(size, size), mode="bilinear", align_corners=False
        )
        return x.clamp(0, 1)

    def emit(rec):
        line = json.dumps(rec)
        print(line, flush=True)
        if args.out:
            with open(args.out, "a") as f:
                f.write(line + "\n")

    emit({"seed": None, "sampler": "real", "fd": round(judge(x_te[:n]).fd, 2)})
    for seed in args.seeds:
        models = train(seed, profile, cache)
        sched = linear_schedule(profile.diffusion_T)
        T = sched.T  # noqa: N806
        for decay in DECAYS:
            model = models[decay]
            for clip in (True,):
                predict = NoisePrediction(
                    Predictor(model, null_label=model.null_label), sched, "v", clip
                )
                seed_everything(seed)
                z = torch.randn(n, 1, 8, 8)
                runs = {}
                runs["ddpm"] = lambda: ddpm_sample(predict, z, sched)
                runs["ddpm_other_noise"] = lambda: ddpm_sample(
                    predict, torch.randn(n, 1, 8, 8), sched
                )
                for kind, k, eta in [
                    ("linear", 10, 0.0), ("linear", 25, 0.0), ("linear", 50, 0.0),
                    ("linear", T, 0.0), ("quadratic", 10, 0.0),
                    ("quadratic", 50, 0.5), ("quadratic", 25, 0.5),
                    ("quadratic", 10, 0.5), ("linear", 50, 0.2),
                    ("linear", 50, 0.3), ("quadratic", 50, 0.3),
                ]:
                    if True:
                            runs[f"ddim{k}_{kind}_eta{eta}"] = (
                                lambda k=k, kind=kind, eta=eta: ddim(
                                    predict, z, sched, spacing(T, k, kind), eta
                                )
                            )
                for name, fn in runs.items():
                    r = judge(unit(fn()))
                    emit(
                        {
                            "seed": seed,
                            "decay": decay,
                            "clip": clip,
                            "sampler": name,
                            "steps": profile.diffusion_steps,
                            "fd": round(r.fd, 2),
                            "p": round(r.precision, 3),
                            "r": round(r.recall, 3),
                        }
                    )


if __name__ == "__main__":
    main()

"""What each small-budget recipe buys notebook 07's digit diffusion model.

Trains the U-Net of notebook 07 with one recipe at a time and judges DDPM
(all ``T`` steps), DDIM-10 and DDIM-50 samples with the course's digit judge
(``coursework.classifier.DigitJudge``: 04's classifier recipe, every held-out
digit's worth of samples against the training digits). Recipes: training at
the data's own 8 x 8 resolution (samples upsampled as the data are), a
moving average of the weights, x0 or v prediction, Min-SNR loss weighting,
clipping x0 while sampling, a learning-rate warm-up, the cosine schedule,
fewer steps T, width against optimisation steps. Prints one JSON line per
recipe (and appends it to ``--out``).

Usage:
    python benchmarks/diffusion_recipes.py --recipes base,res8,res8_ema
    python benchmarks/diffusion_recipes.py --list
"""

from __future__ import annotations

import argparse
import json
import math
import time

import torch
import torch.nn.functional as F

from coursework.classifier import digit_judge
from coursework.data import load_images
from coursework.diffusion import (
    Predictor,
    UNet,
    cosine_schedule,
    ddim_sample,
    ddpm_sample,
    linear_schedule,
    to_symmetric,
)
from coursework.diffusion.recipes import (
    EMA,
    DenoisingObjective,
    NoisePrediction,
    attach_recipes,
)
from coursework.runtime import (
    get_profile,
    record_metrics,
    seed_everything,
    set_threads,
    setup,
)
from coursework.train import TensorLoader, fit

BASE = dict(
    size=28,
    width=16,
    steps=400,
    T=200,
    schedule="linear",
    prediction="eps",
    gamma=None,
    ema=None,
    warmup=0,
    lr=1e-3,
    clip=False,
    batch=64,
)
RECIPES = {
    "base": {},
    "res8": dict(size=8),
    "res8_ema": dict(size=8, ema=0.995),
    "res8_clip": dict(size=8, clip=True),
    "res8_v": dict(size=8, prediction="v"),
    "res8_x0": dict(size=8, prediction="x0"),
    "res8_minsnr": dict(size=8, gamma=5.0),
    "res8_v_minsnr": dict(size=8, prediction="v", gamma=5.0),
    "res8_warmup": dict(size=8, warmup=100),
    "res8_cosine": dict(size=8, schedule="cosine"),
    "res8_T100": dict(size=8, T=100),
    "res8_w32": dict(size=8, width=32),
    "res8_2000": dict(size=8, steps=2000),
    "res8_4000": dict(size=8, steps=4000),
    "all8_2000": dict(
        size=8, steps=2000, ema=0.995, prediction="v", clip=True, warmup=100
    ),
    "all8_4000": dict(
        size=8, steps=4000, ema=0.999, prediction="v", clip=True, warmup=100
    ),
    "all8_4000_w32": dict(
        size=8, steps=4000, ema=0.999, prediction="v", clip=True, warmup=100, width=32
    ),
}


def upsample(x: torch.Tensor, size: int) -> torch.Tensor:
    """[-1, 1] samples at any side -> [0, 1] at ``size``, as load_digits does."""
    x = ((x + 1) / 2).clamp(0, 1)
    if x.shape[-1] != size:
        x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
    return x.clamp(0, 1)


def run(name: str, cfg: dict, judge, profile, device) -> dict:
    seed_everything(0)
    x, y = load_images("digits", "train", image_size=cfg["size"], device=device)
    data = to_symmetric(torch.round(x * 255), 256)
    sched = (linear_schedule if cfg["schedule"] == "linear" else cosine_schedule)(
        cfg["T"]
    ).to(device)
    net = UNet(cfg["size"], 1, cfg["width"], num_classes=10).to(device)
    loader = TensorLoader(data, y, batch_size=cfg["batch"])
    epochs = math.ceil(cfg["steps"] / len(loader))
    opt = torch.optim.Adam(net.parameters(), lr=cfg["lr"])
    ema = EMA(net, cfg["ema"]) if cfg["ema"] else None
    attach_recipes(opt, net, ema, cfg["warmup"])
    objective = DenoisingObjective(
        sched, cfg["prediction"], cfg["gamma"], net.null_label, 0.2
    )
    start = time.perf_counter()
    hist = fit(net, loader, objective, opt, epochs, grad_clip=1.0, progress=False)
    seconds = time.perf_counter() - start
    model = ema.model if ema else net
    predict = NoisePrediction(
        Predictor(model, null_label=model.null_label),
        sched,
        cfg["prediction"],
        cfg["clip"],
    )
    seed_everything(1)
    z = torch.randn(judge.n_samples, 1, cfg["size"], cfg["size"], device=device)
    out = {
        "recipe": name,
        **cfg,
        "train_s": round(seconds, 1),
        "loss": round(hist.train["loss"][-1], 4),
    }
    for label, fn in [
        ("ddpm", lambda: ddpm_sample(predict, z, sched)),
        ("ddim10", lambda: ddim_sample(predict, z, sched, 10)),
        ("ddim50", lambda: ddim_sample(predict, z, sched, min(50, cfg["T"]))),
    ]:
        r = judge(upsample(fn(), profile.image_size))
        out[f"fd_{label}"] = round(r.fd, 1)
        out[f"p_{label}"] = round(r.precision, 2)
        out[f"r_{label}"] = round(r.recall, 2)
    return out


def _record(result: dict, profile) -> None:
    """Keep one recipe's figures where notebook 07 reads them (``07_recipes``)."""
    name = result["recipe"]
    if name.startswith("real"):
        return
    keys = ["size", "steps", "train_s"] + [
        f"{m}_{s}" for m in ("fd", "p", "r") for s in ("ddpm", "ddim10", "ddim50")
    ]
    values = {f"{name}/{k}": result[k] for k in keys}
    values["judge_samples"] = result["judge_samples"]
    record_metrics("07_recipes", **values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--recipes", default="base,res8")
    parser.add_argument("--profile", default="cpu")
    parser.add_argument("--out", default=None)
    parser.add_argument("--list", action="store_true")
    parser.add_argument("--threads", default=None)
    parser.add_argument(
        "--record",
        action="store_true",
        help="record each recipe's figures for notebook 07 (as 07_recipes)",
    )
    parser.add_argument(
        "--record-jsonl",
        default=None,
        help="only record the lines of an earlier --out file, then stop",
    )
    args = parser.parse_args()
    if args.list:
        for k, v in RECIPES.items():
            print(k, v)
        return
    set_threads(args.threads)
    profile = get_profile(args.profile)
    if args.record or args.record_jsonl:
        setup(args.profile)  # record_metrics writes under this profile
        set_threads(args.threads)
    if args.record_jsonl:
        n = None  # earlier files name the judged count on their "real" lines
        with open(args.record_jsonl) as f:
            for line in f:
                result = json.loads(line)
                n = result.get("n", n)
                result.setdefault("judge_samples", n)
                _record(result, profile)
        return
    device = torch.device("cpu")
    x_tr, y_tr = load_images(profile, "train", device=device)
    x_te, y_te = load_images(profile, "test", device=device)
    cache = f"/tmp/digit_judge_{profile.name}.pt"
    try:
        judge = torch.load(cache, weights_only=False)
    except (OSError, EOFError):
        judge = digit_judge(profile, x_tr, y_tr, x_te, y_te, progress=False)
        torch.save(judge, cache)
    real = judge(x_te)
    real_line = json.dumps(
        {
            "recipe": "real (held out)",
            "fd": round(real.fd, 1),
            "p": round(real.precision, 2),
            "r": round(real.recall, 2),
            "n": judge.n_samples,
        }
    )
    print(real_line, flush=True)
    if args.out:
        with open(args.out, "a") as f:
            f.write(real_line + "\n")
    for name in args.recipes.split(","):
        cfg = {**BASE, **RECIPES[name]}
        result = run(name, cfg, judge, profile, device)
        line = json.dumps(result)
        print(line, flush=True)
        if args.record:
            _record(result, profile)
        if args.out:
            with open(args.out, "a") as f:
                f.write(line + "\n")


if __name__ == "__main__":
    main()

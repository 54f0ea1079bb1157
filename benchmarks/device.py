"""The GPU measurement, prepared: one command, a fixed time budget, one table.

Run it the moment a CUDA machine is at hand (no internet needed: every input
is generated here or by the package). Each part has its own time budget, so
the whole run takes a known time: about eight minutes on CUDA; with ``--cpu``
(a quarter of each batch) about two minutes of CPU time, longer on a shared
machine, since every measurement takes at least one step. It prints one table
and writes it, with the raw rows as JSON, to
``benchmarks/out/device-<cuda|cpu>.{md,json}``.

Parts:

1. ``notebook``: each notebook's main model as the ``gpu`` profile builds it
   (full width, full batch), trained for as many steps as its budget allows
   on generated data of the profile's shapes: seconds per 100 steps, peak GPU
   memory, and that model's full ``gpu``-profile training time, extrapolated
   from its step count (one model's training, not the whole notebook).
2. ``loop``: the training loop's throughput in float32, under autocast
   (mixed precision), with ``channels_last`` and with ``torch.compile``, on
   two convolutional entries.
3. ``gan2d``: the stacked 2-D GAN table of notebook 04 against single-copy
   runs (``benchmarks/gan.py``), in units of one copy's run (1: free).
4. ``sampler``: the PixelCNN's cached sampler against the naive one.
5. ``sync``: host synchronisations inside training steps, counted with
   ``torch.cuda.set_sync_debug_mode("warn")`` (CUDA only).

What the course keeps: autocast on CUDA (bfloat16, float16 with a gradient
scaler on GPUs without bfloat16), in :mod:`coursework.train`; neither
``channels_last`` nor ``torch.compile``, which are measured here so that the
CUDA table can decide (adopt one where it gives at least 1.2x on both loop
entries, compile time included in a notebook's budget). On the CPU autocast
is slower (bfloat16 is emulated on CPUs without it) and stays off by default.

Adding a notebook (e.g. ``diffusion``) is one function decorated with
``@entry("07_diffusion")`` that returns a :class:`Workload`: its main model,
its loss as the notebook trains it, an endless iterator of batches, and its
full ``gpu``-profile step count. Every part that loops over ``ENTRIES``
(notebook, sync) picks it up; add its name to ``LOOP_ENTRIES`` for the loop.

Usage:
    python benchmarks/device.py            # CUDA, about 8 minutes
    python benchmarks/device.py --cpu      # the same table on the CPU
    python benchmarks/device.py --only notebook sampler
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))  # benchmarks/gan.py

from coursework.runtime import Profile, get_profile, set_threads  # noqa: E402
from coursework.train import amp_dtype, train_epoch  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"

# Seconds per part, and per measurement within it: {part: (cuda, cpu)}.
BUDGETS = {
    "notebook": (20.0, 4.0),  # per notebook
    "loop": (12.0, 3.0),  # per entry and setting
    "gan2d": (45.0, 15.0),
    "sampler": (30.0, 12.0),
    "sync": (20.0, 0.0),
}
LOOP_ENTRIES = ("02_autoregressive", "05_pretext")


@dataclass
class Workload:
    """One notebook's main model and its training step.

    Attributes:
        model: on the device, as the ``gpu`` profile builds it.
        loss_fn: ``(model, batch) -> loss`` as the notebook trains it, or None
            when ``step`` trains by itself (the GANs).
        batches: an endless iterator of batches on the device.
        full_steps: optimiser steps of this model's full ``gpu``-profile run.
        what: the model, in a few words.
        images: the inputs are (B, C, H, W) images (``channels_last`` applies).
        step: a custom ``step(n, amp)`` that trains ``n`` steps (GANs).
    """

    model: nn.Module
    loss_fn: Callable | None
    batches: Iterator
    full_steps: int
    what: str
    images: bool = False
    step: Callable[[int, bool | None], None] | None = None
    optimizer: torch.optim.Optimizer | None = field(default=None, repr=False)

    def train(self, n: int, amp: bool | None) -> None:
        """``n`` optimiser steps."""
        if self.step is not None:
            self.step(n, amp)
            return
        if self.optimizer is None:
            self.optimizer = torch.optim.Adam(self.model.parameters(), lr=1e-4)
        loader = [next(self.batches) for _ in range(n)]
        train_epoch(self.model, loader, self.loss_fn, self.optimizer, amp=amp)


ENTRIES: dict[str, Callable[[Profile, torch.device], Workload]] = {}


def entry(name: str):
    """Register ``fn(profile, device) -> Workload`` as notebook ``name``."""

    def register(fn):
        ENTRIES[name] = fn
        return fn

    return register


# --cpu trains on a quarter of each batch, to fit its two minutes; its per-step
# times are then scaled up by 4 for the extrapolation (time ~ batch on a CPU).
BATCH_SCALE = {"cuda": 1.0, "cpu": 0.25}
batch_scale = 1.0


def scaled(batch: int) -> int:
    """The batch this run trains on: the profile's, times ``batch_scale``."""
    return max(2, round(batch * batch_scale))


def endless(*tensors: torch.Tensor, batch: int) -> Iterator[tuple[torch.Tensor, ...]]:
    """Random minibatches of ``tensors`` (already on the device), forever.

    ``batch`` is the profile's; the run draws :func:`scaled` of it.
    """
    batch = scaled(batch)
    n = tensors[0].shape[0]
    while True:
        idx = torch.randint(0, n, (batch,), device=tensors[0].device)
        yield tuple(t[idx] for t in tensors)


def steps_per_epoch(n: int, batch: int) -> int:
    return max(1, n // batch)


# --- one entry per notebook, with the sizes the notebook derives from the profile


@entry("01_video")
def video_3d(p: Profile, device: torch.device) -> Workload:
    from coursework.data.video import make_actions
    from coursework.video.models import build_model
    from coursework.video.training import clip_loss

    frames, stride = max(2, p.frames // 2), 2  # as notebook 01
    length, width = p.frames + p.frames // 2, max(4, p.width // 32)
    batch, epochs = max(8, p.batch_size // 2), max(1, p.epochs // 3)
    per_class = max(1, 2 * batch // 8)
    x, y = make_actions(per_class, length, p.frame_size, seed=0, device=device)
    model = build_model("3d", (3, frames, p.frame_size, p.frame_size), 8, width)
    n_train = 8 * p.n_videos
    return Workload(
        model.to(device),
        clip_loss(frames, stride),
        endless(x, y, batch=batch),
        epochs * steps_per_epoch(n_train, batch),
        f"3D CNN, {frames}x{p.frame_size}^2 clips, width {width}",
    )


def _digits(p: Profile, n: int, device: torch.device) -> torch.Tensor:
    """Binary images of MNIST's shape (the real ones need a download)."""
    g = torch.Generator().manual_seed(0)
    side = 28 if p.image_dataset == "mnist" else p.image_size
    return (torch.rand(n, 1, side, side, generator=g) > 0.8).float().to(device)


@entry("02_autoregressive")
def gated_pixelcnn(p: Profile, device: torch.device) -> Workload:
    from coursework.autoregressive import GatedPixelCNN, Likelihood, image_nll, to_unit

    width = p.width // 8  # as notebook 02
    gated_width = 2 * width // 3
    binary = Likelihood("softmax", levels=2)
    x = _digits(p, 4 * p.batch_size, device).to(torch.uint8)

    def loss(model, batch):
        values = batch[0].long()
        params = model(to_unit(values, binary.levels))
        nll = image_nll(binary.log_prob(params.float(), values))
        return nll.mean() / values[0].numel()

    model = GatedPixelCNN(1, binary.levels, gated_width, 6).to(device)
    epochs = max(1, p.epochs // 6)
    return Workload(
        model,
        loss,
        endless(x, batch=p.batch_size),
        epochs * steps_per_epoch(p.n_train, p.batch_size),
        f"gated PixelCNN, 6 blocks, width {gated_width}",
        images=True,
    )


@entry("03_vae")
def vae(p: Profile, device: torch.device) -> Workload:
    from coursework.vae.losses import elbo
    from coursework.vae.models import VAE

    x = _digits(p, 4 * p.batch_size, device)

    def loss(model, batch):
        logits, mu, logvar, _ = model(batch[0])
        return -elbo(batch[0], logits.float(), mu.float(), logvar.float()).mean()

    model = VAE(tuple(x.shape[1:]), 16, [p.width, p.width]).to(device)
    return Workload(
        model,
        loss,
        endless(x, batch=p.batch_size),
        p.epochs * steps_per_epoch(p.n_train, p.batch_size),
        f"MLP VAE, hidden {p.width}x2, latent 16",
    )


@entry("04_gan")
def dcgan(p: Profile, device: torch.device) -> Workload:
    from coursework.gan.models import DCGANDiscriminator, DCGANGenerator
    from coursework.gan.training import standard, train_gan

    width, latent = max(8, 3 * p.width // 32), 32  # as notebook 04
    side = 28 if p.image_dataset == "mnist" else p.image_size
    x = _digits(p, 4 * p.batch_size, device)
    g = DCGANGenerator(latent, side, 1, width, 0).to(device)
    d = DCGANDiscriminator(side, 1, width, "batch", False, 1, 0).to(device)
    opt_g = torch.optim.Adam(g.parameters(), lr=5e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d.parameters(), lr=5e-4, betas=(0.5, 0.999))
    batches = endless(x, batch=p.batch_size)

    def step(n: int, amp: bool | None) -> None:
        train_gan(g, d, batches, standard(), opt_g, opt_d, n, amp=amp, progress=False)

    return Workload(
        nn.ModuleList([g, d]),
        None,
        batches,
        p.steps // 2,
        f"DCGAN, width {width}, one D and one G update per step",
        step=step,
    )


@entry("05_pretext")
def rotation(p: Profile, device: torch.device) -> Workload:
    from coursework.pretext.backbone import Backbone, PretextNet
    from coursework.pretext.heads import LinearHead
    from coursework.pretext.rotation import rotate_batch

    side, width = 8 * (p.image_size // 8), max(8, p.width // 16)  # as notebook 05
    g = torch.Generator().manual_seed(0)
    x = torch.rand(4 * p.batch_size, 3, side, side, generator=g).to(device)

    def loss(model, batch):
        x_rot, labels = rotate_batch(batch[0][: max(1, batch[0].shape[0] // 4)])
        return F.cross_entropy(model(x_rot).float(), labels)

    model = PretextNet(Backbone(width), LinearHead(4 * width, 4)).to(device)
    n_train = min(p.n_train, 50_000)  # CIFAR-10 holds 50,000 training images
    return Workload(
        model,
        loss,
        endless(x, batch=p.batch_size),
        max(2, p.epochs // 2) * steps_per_epoch(n_train, p.batch_size),
        f"rotation pretext, backbone width {width}, {side}^2 RGB",
        images=True,
    )


@entry("06_multimodal")
def audio_visual(p: Profile, device: torch.device) -> Workload:
    from coursework.data.audiovisual import make_clips
    from coursework.multimodal import (
        AudioVisual,
        crop_frames,
        crop_spectrogram,
        info_nce,
        log_mel_spectrogram,
        mel_filterbank,
        random_starts,
    )

    window, width = max(4, p.frames // 4), max(8, p.width // 16)  # as notebook 06
    n_fft, n_mels, per_frame = 512, 32, 4
    clips = make_clips(2 * scaled(p.batch_size), p.frames, p.frame_size, device=device)
    hop = int(clips.sample_rate / clips.fps) // per_frame
    bank = mel_filterbank(n_mels, n_fft, clips.sample_rate).to(device)
    spec = log_mel_spectrogram(clips.audio, bank, n_fft, hop)

    def loss(model, batch):
        videos, s = batch
        start = random_starts(videos.shape[0], p.frames, window, device)
        v = crop_frames(videos, start, window)
        a = crop_spectrogram(s, start, window, per_frame)
        return info_nce(*model(v, a), 0.1)

    model = AudioVisual(n_mels, width, 4 * width).to(device)
    return Workload(
        model,
        loss,
        endless(clips.videos, spec, batch=p.batch_size),
        max(2, p.epochs // 4) * steps_per_epoch(8 * p.n_videos, p.batch_size),
        f"audio-visual towers, width {width}, {window}-frame windows",
    )


@entry("07_diffusion")
def ddpm_unet(p: Profile, device: torch.device) -> Workload:
    from coursework.diffusion import DiffusionObjective, UNet, linear_schedule

    x = 2 * _digits(p, 4 * p.batch_size, device) - 1  # images in [-1, 1]
    y = torch.arange(x.shape[0], device=device) % 10
    model = UNet(x.shape[-1], 1, p.diffusion_width, num_classes=10).to(device)
    objective = DiffusionObjective(
        linear_schedule(p.diffusion_T).to(device), model.null_label, 0.2
    )
    return Workload(
        model,
        objective,
        endless(x, y, batch=p.batch_size),
        p.diffusion_steps,
        f"class-conditional U-Net, width {p.diffusion_width}, T = {p.diffusion_T}",
        images=True,
    )


# --- measuring


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def timed_steps(work: Workload, device, budget: float, amp: bool | None) -> dict:
    """Warm up, then train in rounds until ``budget`` seconds are spent."""
    work.train(2 if device.type == "cuda" else 1, amp)  # allocator, autotune, compile
    sync(device)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    steps, spent, n = 0, 0.0, 1
    while spent < budget:
        start = time.perf_counter()
        work.train(n, amp)
        sync(device)
        spent += time.perf_counter() - start
        steps += n
        per_step = spent / steps
        n = max(1, min(200, int((budget - spent) / per_step)))
        if spent + per_step > budget:
            break
    peak = torch.cuda.max_memory_allocated() / 2**20 if device.type == "cuda" else None
    return {"steps": steps, "seconds": spent, "per_step": spent / steps, "peak": peak}


Row = dict[str, object]


def row(part: str, case: str, measure: str, value: object, note: str = "") -> Row:
    return {
        "part": part,
        "case": case,
        "measure": measure,
        "value": value,
        "note": note,
    }


def fmt(value: object) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


def part_notebooks(device, budget, profile, amp) -> list[Row]:
    rows = []
    for name, make in ENTRIES.items():
        torch.manual_seed(0)
        work = make(profile, device)
        n_params = sum(p.numel() for p in work.model.parameters())
        t = timed_steps(work, device, budget, amp)
        full = work.full_steps * t["per_step"] / batch_scale
        note = f"{work.what}; {n_params / 1e6:.2f}M weights; {t['steps']} steps timed"
        if batch_scale != 1:
            note += f" at batch x{batch_scale:g}"
        rows += [
            row("notebook", name, "s / 100 steps", 100 * t["per_step"], note),
            row("notebook", name, "peak GPU MiB", t["peak"] or float("nan")),
            row(
                "notebook",
                name,
                "full gpu profile, min",
                full / 60,
                f"{work.full_steps} steps of this model",
            ),
        ]
        del work
        if device.type == "cuda":
            torch.cuda.empty_cache()
    return rows


def part_loop(device, budget, profile, compile_: bool) -> list[Row]:
    """float32, autocast, autocast + channels_last, autocast + torch.compile."""
    rows = []
    dtype = str(amp_dtype(device)).replace("torch.", "")
    for name in LOOP_ENTRIES:
        settings = [("float32", False, False, False), (dtype, True, False, False)]
        settings.append((f"{dtype} + channels_last", True, True, False))
        if compile_:
            settings.append((f"{dtype} + torch.compile", True, False, True))
        base = None
        for label, amp, channels_last, compiled in settings:
            torch.manual_seed(0)
            work = ENTRIES[name](profile, device)
            if channels_last:
                work.model.to(memory_format=torch.channels_last)
                inner = work.batches
                work.batches = (
                    tuple(
                        b.contiguous(memory_format=torch.channels_last)
                        if b.dim() == 4
                        else b
                        for b in batch
                    )
                    for batch in inner
                )
            if compiled:
                work.model = torch.compile(work.model)
            start = time.perf_counter()
            t = timed_steps(work, device, budget, amp)
            setup = time.perf_counter() - start - t["seconds"]
            base = base or t["per_step"]
            note = f"x{base / t['per_step']:.2f} vs float32"
            if compiled:
                note += f"; warm-up incl. compiling {setup:.0f} s"
            rows.append(
                row("loop", f"{name}: {label}", "steps / s", 1 / t["per_step"], note)
            )
    if not compile_:
        rows.append(
            row(
                "loop",
                "torch.compile",
                "steps / s",
                float("nan"),
                "skipped (--no-compile, the default on the CPU)",
            )
        )
    return rows


def part_gan2d(device, budget) -> list[Row]:
    from gan import train as train_2d  # benchmarks/gan.py

    copies, batch, hidden = 10, 256, 64
    train_2d(copies, 3, batch, hidden, device, "gan")  # warm-up
    probe = train_2d(1, 10, batch, hidden, device, "gan") / 10
    # stacked (1 run) + single copies (copies runs) share the budget
    steps = max(10, int(budget / (probe * (1 + copies) * 2)))
    stacked = train_2d(copies, steps, batch, hidden, device, "gan")
    single = sum(
        train_2d(1, steps, batch, hidden, device, "gan") for _ in range(copies)
    )
    one = single / copies
    return [
        row(
            "gan2d",
            f"{copies} copies stacked",
            "in single-copy runs",
            stacked / one,
            f"{steps} steps; 1 = the copies come free, {copies} = no gain",
        ),
        row(
            "gan2d",
            f"{copies} copies stacked",
            "speed-up",
            single / stacked,
            "against the copies one after another",
        ),
    ]


def part_sampler(device, budget, profile) -> list[Row]:
    """Whole images with the cache; the naive sampler on as many pixels as fit.

    The naive sampler costs one full forward pass per pixel, so its time for a
    whole image is its time per pixel times the pixels; it runs on the last
    ``m`` pixels of the image (``first_pixel``), ``m`` chosen by the budget.
    When ``m`` is the whole image, both samplers must draw the same samples.
    """
    from coursework.autoregressive import (
        GatedPixelCNN,
        Likelihood,
        sample_cached,
        sample_naive,
    )

    width = 2 * (profile.width // 8) // 3
    side = 28 if profile.image_dataset == "mnist" else profile.image_size
    torch.manual_seed(0)
    model = GatedPixelCNN(1, 2, width, 6).to(device).eval()
    lik = Likelihood("softmax", levels=2)
    n = 64 if device.type == "cuda" else 1
    noise = torch.rand(n, 1, side, side, device=device)
    pixels = side * side

    def clock(fn, *args, **kwargs):
        sync(device)
        start = time.perf_counter()
        out = fn(*args, **kwargs)
        sync(device)
        return out, time.perf_counter() - start

    with torch.no_grad():
        sample_cached(model, noise[:, :, :4, :4], lik)  # warm-up
        cached, t_cached = clock(sample_cached, model, noise, lik)
        _, t_pass = clock(model, noise)  # one forward pass ~ one naive pixel
        m = max(1, min(pixels, int(0.5 * budget / max(t_pass, 1e-6))))
        start = torch.zeros_like(cached)
        naive, t_part = clock(
            sample_naive, model, noise, lik, start=start, first_pixel=pixels - m
        )
    t_naive = t_part * pixels / m
    note = f"naive timed on {m} of {pixels} pixels" if m < pixels else "both whole"
    rows = [
        row(
            "sampler",
            f"cached, {n} images {side}^2",
            "s",
            t_cached,
            f"gated PixelCNN, width {width}",
        ),
        row("sampler", f"naive, {n} images {side}^2", "s", t_naive, note),
        row("sampler", "naive / cached", "ratio", t_naive / t_cached, ""),
    ]
    if m == pixels:
        rows[-1]["note"] = f"same samples: {bool(torch.equal(naive, cached))}"
    return rows


def _count_syncs(work: Workload, steps: int) -> tuple[int, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torch.cuda.set_sync_debug_mode("warn")
        try:
            work.train(steps, None)
            torch.cuda.synchronize()
        finally:
            torch.cuda.set_sync_debug_mode("default")
    return len(caught), [str(w.message).split("\n")[0][:60] for w in caught]


def part_sync(device, profile) -> list[Row]:
    """Synchronisations per step: (count over 4 steps - count over 1) / 3.

    A call's fixed reads (the loop reads its running sums once per epoch,
    ``train_gan`` its losses once per run) cancel in the difference.
    """
    if device.type != "cuda":
        return [
            row(
                "sync",
                "training steps",
                "syncs / step",
                float("nan"),
                "skipped: set_sync_debug_mode needs CUDA",
            )
        ]
    rows = []
    for name, make in ENTRIES.items():
        work = make(profile, device)
        work.train(2, None)  # warm-up outside the check
        one, _ = _count_syncs(work, 1)
        four, where = _count_syncs(work, 4)
        rows.append(
            row(
                "sync",
                name,
                "syncs / step",
                (four - one) / 3,
                f"{one} per 1-step call: " + "; ".join(sorted(set(where)))[:100],
            )
        )
        del work
    return rows


PARTS = ("notebook", "loop", "gan2d", "sampler", "sync")


def table(rows: list[Row]) -> str:
    head = ("part", "case", "measure", "value", "note")
    cells = [[fmt(r[k]) for k in head] for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(head)]
    lines = ["| " + " | ".join(h.ljust(w) for h, w in zip(head, widths)) + " |"]
    lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    lines += [
        "| " + " | ".join(c.ljust(w) for c, w in zip(cs, widths)) + " |" for cs in cells
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cpu", action="store_true", help="measure the CPU")
    parser.add_argument("--only", nargs="+", choices=PARTS, default=list(PARTS))
    parser.add_argument(
        "--compile",
        dest="compile_",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="torch.compile rows (default: CUDA only)",
    )
    args = parser.parse_args(argv)
    if not args.cpu and not torch.cuda.is_available():
        parser.error("no CUDA device here; run with --cpu for the CPU table")
    device = torch.device("cpu" if args.cpu else "cuda")
    global batch_scale
    batch_scale = BATCH_SCALE[device.type]
    col = 1 if args.cpu else 0
    budget = {k: v[col] for k, v in BUDGETS.items()}
    profile = get_profile("gpu")  # the gpu profile's models, on either device
    set_threads()  # $COURSEWORK_THREADS: on a shared CPU, 1 is much faster than 2
    compile_ = (not args.cpu) if args.compile_ is None else args.compile_
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    name = (
        torch.cuda.get_device_name() if device.type == "cuda" else platform.processor()
    )
    print(
        f"device {device} ({name or platform.machine()}), torch {torch.__version__}, "
        f"{torch.get_num_threads()} CPU threads; budgets {budget}",
        flush=True,
    )
    rows: list[Row] = []
    started = time.perf_counter()
    for part in args.only:
        start = time.perf_counter()
        if part == "notebook":
            new = part_notebooks(device, budget[part], profile, None)
        elif part == "loop":
            new = part_loop(device, budget[part], profile, compile_)
        elif part == "gan2d":
            new = part_gan2d(device, budget[part])
        elif part == "sampler":
            new = part_sampler(device, budget[part], profile)
        else:
            new = part_sync(device, profile)
        rows += new
        print(f"[{part}: {time.perf_counter() - start:.0f} s]", flush=True)
        print(table(new), flush=True)
    total = time.perf_counter() - started
    text = table(rows)
    print(f"\nAll parts, {total:.0f} s on {device} ({name}):\n{text}")
    OUT.mkdir(exist_ok=True)
    stem = OUT / f"device-{device.type}"
    stem.with_suffix(".md").write_text(
        f"# benchmarks/device.py on {device} ({name}), torch {torch.__version__}, "
        f"{total:.0f} s\n\n{text}\n"
    )
    stem.with_suffix(".json").write_text(json.dumps(rows, indent=1, default=str))
    print(f"written: {stem}.md, {stem}.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

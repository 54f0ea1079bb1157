"""Why do notebook 05's video pretext tasks probe below a random backbone?

Reproduces section 10's setting of notebook 05 (the generated action videos,
the same backbone, budget and linear probe on ``T_PROBE`` evenly spaced
frames) at a profile's sizes and measures what could explain it:

- **raw pixels**: a linear probe on the frames' pixels, whole and average-
  pooled to 8x8; if it matches a backbone the probe task needs no learned
  features at all;
- **what the probe sees**: the backbone's features pooled to 1x1 (the
  notebook's probe), to a 2x2 grid (which keeps where the object is), and
  every block's (``all_blocks``, an earlier layer too);
- **the pretext task itself**: its accuracy on test videos (chance: 1/2 for
  shuffle & learn, 1/12 for sorting), at the notebook's frame stride and a
  larger one (frames 2 apart differ by about one pixel of motion);
- **the budget**: the probe after each of ``--budgets`` times the notebook's
  budget (default 1, 2 and 4), for any of the notebook's six video tasks
  (``--tasks``: shuffle & learn, odd-one-out, arrow of time, sorting,
  slowness, frame prediction, each as notebook 05 trains it);
- **a larger probe training set** (``--probe-videos 4``: four times the
  labelled videos for the probe, the pretext tasks unchanged).

The numbers come from seed ``--seed`` (default 0; an offset as the
notebook's ``$COURSEWORK_SEED``); the figures go to ``--out`` as JSON and are
printed. ``--record`` also records the notebook's probe at each budget for
notebook 05's budget curve (as ``05_video_budget`` of the profile, each key
under ``seed<n>/``; section 10c draws the seeds recorded):

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/video_pretext.py --profile cpu \\
        --threads 1 --strides notebook --budgets 1,2,4,8 --pools 1 --tasks \\
        shuffle_learn,sorting,slowness,arrow_of_time,frame_prediction,odd_one_out \\
        --record --out /tmp/vp.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from coursework.classifier import classification_loss  # noqa: E402
from coursework.data.video import CLASSES, MOTION_PAIRS, make_actions  # noqa: E402
from coursework.metrics import pair_accuracy  # noqa: E402
from coursework.pretext import (  # noqa: E402
    Backbone,
    PretextNet,
    SetEmbedding,
    SetHead,
    arrow_of_time_batch,
    frozen_features,
    gather_frames,
    linear_probe,
    odd_one_out_batch,
    random_clips,
    shuffle_learn_batch,
    slow_steady_loss,
    slowness_batch,
    sorting_class,
    spaced_frames,
)
from coursework.pretext.prediction import (  # noqa: E402
    FramePredictor,
    next_frame_batch,
    next_frame_loss,
)
from coursework.runtime import (  # noqa: E402
    get_profile,
    record_metrics,
    seed_everything,
    set_threads,
    setup,
)
from coursework.train import TensorLoader, evaluate, fit  # noqa: E402

TASKS = (
    "shuffle_learn",
    "odd_one_out",
    "arrow_of_time",
    "sorting",
    "slowness",
    "frame_prediction",
)
# Notebook 05's task settings (section 10): clip lengths, and slowness's own stride.
T_CLIP, N_CLIPS, T_ODD, T_SORT, PAST, SLOW_STRIDE, EMBED = 4, 3, 3, 4, 2, 2, 32
RECORD_AS = "05_video_budget"


def task_model(task: str, width: int, stride: int):
    """A fresh model and loss for ``task``, as notebook 05 trains it."""
    if task == "frame_prediction":

        def loss_fn(m, b):
            past, nxt = next_frame_batch(b[0], PAST, stride)
            return next_frame_loss(m(past), nxt)

        return FramePredictor(Backbone(width), PAST), loss_fn
    if task == "shuffle_learn":

        def loss_fn(m, b):
            x, y = shuffle_learn_batch(b[0], stride)
            return classification_loss(m(x), y)

        return PretextNet(Backbone(width), SetHead(4 * width, 3, 2)), loss_fn
    if task == "odd_one_out":

        def loss_fn(m, b):
            x, y = odd_one_out_batch(b[0], N_CLIPS, T_ODD, stride)
            return classification_loss(m(x), y)

        head = SetHead(4 * width, N_CLIPS * T_ODD, N_CLIPS)
        return PretextNet(Backbone(width), head), loss_fn
    if task == "arrow_of_time":

        def loss_fn(m, b):
            x, y = arrow_of_time_batch(b[0], T_CLIP, stride)
            return classification_loss(m(x), y)

        return PretextNet(Backbone(width), SetHead(4 * width, T_CLIP, 2)), loss_fn
    if task == "sorting":

        def loss_fn(m, b):
            videos = b[0]
            idx = random_clips(videos, T_SORT, stride)
            order = torch.rand(idx.shape).argsort(1)
            clips = gather_frames(videos, idx.gather(1, order))
            return classification_loss(m(clips), sorting_class(order))

        return PretextNet(Backbone(width), SetHead(4 * width, T_SORT, 12)), loss_fn
    if task == "slowness":

        def loss_fn(m, b):
            z = m(slowness_batch(b[0], SLOW_STRIDE)).float()
            seq, neg = z[:, :3], z[:, 3:]
            d_seq = (seq[:, 1] - seq[:, 0]).norm(dim=-1)
            near = d_seq < (neg[:, 1] - neg[:, 0]).norm(dim=-1)
            return {
                "loss": slow_steady_loss(seq, neg, 1.0, 1.0),
                "acc": near.float().mean(),
            }

        return PretextNet(Backbone(width), SetEmbedding(4 * width, EMBED)), loss_fn
    raise ValueError(f"unknown task {task!r}; choose from {', '.join(TASKS)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--profile", default="cpu")
    parser.add_argument(
        "--strides",
        default="2,6",
        help="frame strides; 'notebook' is the notebook's STRIDE (a quarter of a "
        "video); slowness always takes frames 2 apart, as in the notebook",
    )
    parser.add_argument(
        "--budgets",
        default="1,2,4",
        help="multiples of the notebook's pretraining budget at which to probe",
    )
    parser.add_argument("--tasks", default="shuffle_learn,sorting,frame_prediction")
    parser.add_argument(
        "--pools",
        default="1,2,all",
        help="what the probe sees: 1 (the notebook's probe), 2 (a 2x2 grid), all "
        "(every block)",
    )
    parser.add_argument(
        "--probe-videos",
        type=int,
        default=1,
        help="train the probe on this many times the profile's videos (the "
        "pretext tasks keep the profile's)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed offset, as the notebook's $COURSEWORK_SEED (the videos stay fixed)",
    )
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--out", default=None)
    parser.add_argument(
        "--record",
        action="store_true",
        help=f"record the notebook's probe (pool 1) at each budget for notebook 05 "
        f"(as {RECORD_AS}); needs --probe-videos 1 and a single stride",
    )
    args = parser.parse_args()
    os.environ["COURSEWORK_SEED"] = str(args.seed)  # added to every seed_everything
    if args.record:
        setup(args.profile)  # record_metrics writes under this profile
    set_threads(args.threads)
    profile = get_profile(args.profile)
    device = torch.device("cpu")
    width = max(8, profile.width // 16)
    epochs = max(2, profile.epochs // 3)
    batch = profile.batch_size // 2
    probe_epochs = profile.epochs
    length = profile.frames + profile.frames // 2
    notebook_stride = max(2, length // 4)
    strides = [
        notebook_stride if s == "notebook" else int(s) for s in args.strides.split(",")
    ]
    budgets = sorted({int(b) for b in args.budgets.split(",")})
    pools = args.pools.split(",")
    if args.record and (
        args.probe_videos != 1 or len(strides) != 1 or "1" not in pools
    ):
        parser.error("--record needs --probe-videos 1, one stride and pool 1")
    v_train, y_train = make_actions(
        profile.n_videos, length, profile.frame_size, seed=0, device=device
    )
    v_test, y_test = make_actions(
        max(4, profile.n_videos // 2), length, profile.frame_size, seed=1, device=device
    )
    p_train, p_test = spaced_frames(v_train, 4), spaced_frames(v_test, 4)
    if args.probe_videos > 1:  # more labelled videos for the probe only
        v_more, y_train = make_actions(
            profile.n_videos * args.probe_videos,
            length,
            profile.frame_size,
            seed=2,
            device=device,
        )
        p_train = spaced_frames(v_more, 4)
    out: dict[str, float] = {}
    recorded: dict[str, float] = {}
    steps_per_budget = epochs * (len(v_train) // batch)
    out["steps_per_budget"] = recorded["steps_per_budget"] = steps_per_budget
    recorded["stride"] = strides[0]

    def probe(name: str, f_train: torch.Tensor, f_test: torch.Tensor) -> float:
        seed_everything(0)
        acc, lin = linear_probe(
            f_train, y_train, f_test, y_test, len(CLASSES), probe_epochs
        )
        with torch.no_grad():
            pred = lin(f_test).argmax(1)
        pairs = float(pair_accuracy(pred, y_test, MOTION_PAIRS))
        out[f"probe_{name}"], out[f"pairs_{name}"] = acc, pairs
        print(f"{name:<40} probe {acc:.3f}  within pairs {pairs:.3f}", flush=True)
        return acc

    def probe_backbone(name: str, backbone: torch.nn.Module) -> float | None:
        first = None
        for pool in pools:
            suffix, kw = {
                "1": ("", {}),
                "2": ("_pool2", {"pool": 2}),
                "all": ("_all", {"all_blocks": True}),
            }[pool]
            acc = probe(
                name + suffix,
                frozen_features(backbone, p_train, **kw),
                frozen_features(backbone, p_test, **kw),
            )
            if pool == "1":
                first = acc
        return first

    recorded[f"seed{args.seed}/probe/raw_pixels"] = probe(
        "raw_pixels", p_train.flatten(1), p_test.flatten(1)
    )
    recorded[f"seed{args.seed}/probe/raw_pixels_8x8"] = probe(
        "raw_pixels_8x8",
        F.adaptive_avg_pool2d(p_train.flatten(0, 1), 8).view(len(p_train), -1),
        F.adaptive_avg_pool2d(p_test.flatten(0, 1), 8).view(len(p_test), -1),
    )
    seed_everything(0)
    recorded[f"seed{args.seed}/probe/random"] = probe_backbone(
        "random", Backbone(width).to(device)
    )

    for task in args.tasks.split(","):
        for stride in strides:
            seed_everything(0)
            model, loss_fn = task_model(task, width, stride)
            model = model.to(device)
            opt = torch.optim.Adam(model.parameters(), lr=2e-3)
            loader = TensorLoader(v_train, batch_size=batch, drop_last=True)
            start = time.perf_counter()
            for r in range(1, max(budgets) + 1):
                fit(model, loader, loss_fn, opt, epochs=epochs, progress=False)
                if r not in budgets:
                    continue
                name = f"{task}_stride{stride}_x{r}"
                seed_everything(1)
                logs = evaluate(
                    model, TensorLoader(v_test, batch_size=64, shuffle=False), loss_fn
                )
                key = "acc" if "acc" in logs else "loss"
                out[f"pretext_{key}_{name}"] = logs[key]
                recorded[f"seed{args.seed}/pretext_{key}/{task}/x{r}"] = logs[key]
                print(
                    f"{name}: pretext {key} {logs[key]:.4f} "
                    f"({time.perf_counter() - start:.0f} s so far, "
                    f"{r * steps_per_budget} steps)",
                    flush=True,
                )
                acc = probe_backbone(name, model.backbone)
                if acc is not None:
                    recorded[f"seed{args.seed}/probe/{task}/x{r}"] = acc
                if args.out:  # keep what is measured if the run is stopped
                    Path(args.out).write_text(json.dumps(out, indent=1))
                if args.record:
                    record_metrics(RECORD_AS, **recorded)
    if args.out:
        Path(args.out).write_text(json.dumps(out, indent=1))
    if args.record:
        record_metrics(RECORD_AS, **recorded)


if __name__ == "__main__":
    main()

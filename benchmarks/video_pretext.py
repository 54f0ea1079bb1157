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
- **the budget**: the probe after 1, 2 and 4 times the notebook's budget;
- **frame prediction** (``coursework.pretext.prediction``) beside them;
- **a larger probe training set** (``--probe-videos 4``: four times the
  labelled videos for the probe, the pretext tasks unchanged).

Every number comes from seed 0; the figures go to ``--out`` as JSON and are
printed.

    .venv/bin/python benchmarks/video_pretext.py --profile cpu --out /tmp/vp.json
"""

from __future__ import annotations

import argparse
import json
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
    SetHead,
    frozen_features,
    gather_frames,
    linear_probe,
    random_clips,
    shuffle_learn_batch,
    sorting_class,
    spaced_frames,
)
from coursework.pretext.prediction import (  # noqa: E402
    FramePredictor,
    next_frame_batch,
    next_frame_loss,
)
from coursework.runtime import get_profile, seed_everything, set_threads  # noqa: E402
from coursework.train import TensorLoader, evaluate, fit  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--profile", default="cpu")
    parser.add_argument("--strides", default="2,6")
    parser.add_argument("--rounds", type=int, default=4, help="budget multiples")
    parser.add_argument("--tasks", default="shuffle_learn,sorting,frame_prediction")
    parser.add_argument(
        "--probe-videos",
        type=int,
        default=1,
        help="train the probe on this many times the profile's videos (the "
        "pretext tasks keep the profile's)",
    )
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    set_threads()
    profile = get_profile(args.profile)
    device = torch.device("cpu")
    width = max(8, profile.width // 16)
    epochs = max(2, profile.epochs // 3)
    batch = profile.batch_size // 2
    probe_epochs = profile.epochs
    length = profile.frames + profile.frames // 2
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

    def probe(name: str, f_train: torch.Tensor, f_test: torch.Tensor) -> None:
        seed_everything(0)
        acc, lin = linear_probe(
            f_train, y_train, f_test, y_test, len(CLASSES), probe_epochs
        )
        with torch.no_grad():
            pred = lin(f_test).argmax(1)
        pairs = float(pair_accuracy(pred, y_test, MOTION_PAIRS))
        out[f"probe_{name}"], out[f"pairs_{name}"] = acc, pairs
        print(f"{name:<40} probe {acc:.3f}  within pairs {pairs:.3f}", flush=True)

    def probe_backbone(name: str, backbone: torch.nn.Module) -> None:
        for suffix, kw in [
            ("", {}),
            ("_pool2", {"pool": 2}),
            ("_all", {"all_blocks": True}),
        ]:
            probe(
                name + suffix,
                frozen_features(backbone, p_train, **kw),
                frozen_features(backbone, p_test, **kw),
            )

    probe("raw_pixels", p_train.flatten(1), p_test.flatten(1))
    probe(
        "raw_pixels_8x8",
        F.adaptive_avg_pool2d(p_train.flatten(0, 1), 8).view(len(p_train), -1),
        F.adaptive_avg_pool2d(p_test.flatten(0, 1), 8).view(len(p_test), -1),
    )
    seed_everything(0)
    probe_backbone("random", Backbone(width).to(device))

    def sorting_loss(model, b, stride):
        videos = b[0]
        idx = random_clips(videos, 4, stride)
        order = torch.rand(idx.shape).argsort(1)
        clips = gather_frames(videos, idx.gather(1, order))
        return classification_loss(model(clips), sorting_class(order))

    for task in args.tasks.split(","):
        for stride in [int(s) for s in args.strides.split(",")]:
            seed_everything(0)
            if task == "frame_prediction":
                model = FramePredictor(Backbone(width), 2).to(device)

                def loss_fn(m, b, stride=stride):
                    past, nxt = next_frame_batch(b[0], 2, stride)
                    return next_frame_loss(m(past), nxt)

            elif task == "shuffle_learn":
                model = PretextNet(Backbone(width), SetHead(4 * width, 3, 2))

                def loss_fn(m, b, stride=stride):
                    x, y = shuffle_learn_batch(b[0], stride)
                    return classification_loss(m(x), y)

            else:
                model = PretextNet(Backbone(width), SetHead(4 * width, 4, 12))

                def loss_fn(m, b, stride=stride):
                    return sorting_loss(m, b, stride)

            opt = torch.optim.Adam(model.parameters(), lr=2e-3)
            loader = TensorLoader(v_train, batch_size=batch, drop_last=True)
            for r in range(1, args.rounds + 1):
                if r not in (1, 2, 4) and r != args.rounds:
                    fit(model, loader, loss_fn, opt, epochs=epochs, progress=False)
                    continue
                start = time.perf_counter()
                fit(model, loader, loss_fn, opt, epochs=epochs, progress=False)
                name = f"{task}_stride{stride}_x{r}"
                seed_everything(1)
                logs = evaluate(
                    model, TensorLoader(v_test, batch_size=64, shuffle=False), loss_fn
                )
                key = "acc" if "acc" in logs else "loss"
                out[f"pretext_{key}_{name}"] = logs[key]
                print(
                    f"{name}: pretext {key} {logs[key]:.4f} "
                    f"({time.perf_counter() - start:.0f} s, "
                    f"{r * epochs * len(loader)} steps)",
                    flush=True,
                )
                probe_backbone(name, model.backbone)
    if args.out:
        Path(args.out).write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()

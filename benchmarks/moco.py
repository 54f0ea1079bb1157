"""Why does notebook 05's MoCo fine-tune below a random start, and what fixes it?

Reproduces section 9's MoCo of notebook 05 (the generated objects, the same
backbone, projection head, augmentations, queue, momentum, budget and
``transfer``: a linear probe on all labels and fine-tuning on ``FEW``) at a
profile's sizes, and measures the remedies the field uses, one at a time:

- ``shuffle_bn_2``, ``shuffle_bn_4``: shuffling BN (He et al., MoCo, CVPR 2020,
  section 3.3) on one device: queries in 2 or 4 sub-batches, keys in as many
  sub-batches of a random order of the batch (``MoCo(bn_groups=...)``), so
  a key's BatchNorm statistics come from other images than its query's;
- ``ghost_bn_4``: the control: queries and keys both in the same 4
  consecutive sub-batches, not shuffled (smaller BatchNorm batches alone);
- ``key_eval``: the key encoder in eval mode (running statistics, copied
  from the query encoder), so a key depends on its image alone;
- ``shuffle_bn_4_x4``: shuffling BN with four times the budget, trained in
  rounds with a probe between them, as section 11's probe curve does;
- ``momentum_0.999``: the paper's default momentum (the notebook takes 0.99);
- ``queue_128``: a shorter queue (the notebook keeps 8 batches);

and, for every pretrained backbone and the random one, fine-tuning with a
smaller learning rate (``finetune_lr``) beside the notebook's 1e-3, and
(``--lpft``) fine-tuning from the linear probe's layer instead of a fresh
one ("LP-FT", Kumar et al., ICLR 2022, arXiv:2202.10054: a random head's
first gradients distort the pretrained features).

For each it prints the pretext accuracy in training (train mode, what the
loss sees: a shortcut shows as a near-perfect one) and on test images (eval
mode, as the notebook's ``pretext_accuracy``), the probe and the fine-tuned
accuracies. Seeds are the notebook's offsets (``$COURSEWORK_SEED``): seed 0
reproduces the notebook's default run.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/moco.py --profile cpu \\
        --threads 1 --seeds 0 1 2 --out /tmp/moco.json
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

from notebook05 import notebook05, print_means  # noqa: E402  (benchmarks/, beside this script)

from coursework.classifier import classification_loss  # noqa: E402
from coursework.pretext import (  # noqa: E402
    Backbone,
    MLPHead,
    MoCo,
    PretextNet,
    augment,
    enqueue,
    finetune,
    frozen_features,
    grouped_forward,
    linear_probe,
    moco_logits,
    random_resized_crop,
)
from coursework.pretext.transfer import probe_as_linear  # noqa: E402
from coursework.runtime import get_profile, seed_everything, set_threads  # noqa: E402
from coursework.train import TensorLoader, evaluate, fit  # noqa: E402

# Notebook 05's settings (sections 1 and 9).
LR, PROJ, MOCO_TAU = 2e-3, 32, 0.2
CONTRASTIVE_COLOUR, CONTRASTIVE_GREY = 0.25, 0.0

VARIANTS: dict[str, dict] = {
    "notebook": {},
    "shuffle_bn_2": {"bn_groups": 2},
    "shuffle_bn_4": {"bn_groups": 4},
    "ghost_bn_4": {"bn_groups": 4, "shuffle": False},
    "key_eval": {"key_eval": True},
    "shuffle_bn_4_x4": {"bn_groups": 4, "budget": 4},
    "momentum_0.999": {"momentum": 0.999},
    "queue_128": {"queue": 128},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--profile", default="cpu")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument(
        "--finetune-lrs",
        default="1e-3,1e-4",
        help="fine-tuning learning rates (the notebook's is 1e-3)",
    )
    parser.add_argument(
        "--lpft", action="store_true", help="also fine-tune from the probe's layer"
    )
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    set_threads(args.threads)
    profile = get_profile(args.profile)
    device = torch.device("cpu")
    nb = notebook05(profile, device)
    width, epochs, batch, k = nb.width, nb.epochs, nb.batch, nb.k
    probe_epochs, few = nb.probe_epochs, nb.few
    finetune_epochs, finetune_batch = nb.finetune_epochs, nb.finetune_batch
    x_train, y_train, x_test, y_test = nb.x_train, nb.y_train, nb.x_test, nb.y_test
    lrs = [float(v) for v in args.finetune_lrs.split(",")]
    x_few, y_few = x_train[:few], y_train[:few]

    def transfer(backbone) -> dict[str, float]:
        """The notebook's transfer: probe (seed 0), then fine-tuning per lr."""
        out = {}
        seed_everything(0)
        f_train = frozen_features(backbone, x_train)
        f_test = frozen_features(backbone, x_test)
        out["probe"], probe = linear_probe(
            f_train, y_train, f_test, y_test, k, probe_epochs
        )
        state = torch.get_rng_state()  # each lr starts where the notebook's does
        runs = [(f"finetune_lr{lr:g}", lr, False) for lr in lrs]
        if args.lpft:
            runs.append(("finetune_lpft", lrs[0], True))
        for key, lr, lpft in runs:
            torch.set_rng_state(state)
            # the layer is made here, as in the notebook's finetune_from_probe
            head = probe_as_linear(probe) if lpft else None
            out[key] = finetune(
                backbone,
                x_few,
                y_few,
                x_test,
                y_test,
                k,
                finetune_epochs,
                batch_size=finetune_batch,
                lr=lr,
                augment=lambda x: random_resized_crop(x, (0.6, 1.0)),
                head=head,
            )
        return out

    def moco_run(
        bn_groups=1, shuffle=True, key_eval=False, momentum=0.99, queue=None, budget=1
    ):
        queue = queue or min(8 * batch, profile.n_train // 2)

        def moco_loss(model, b):
            x = b[0]
            model.momentum_update()
            views = [
                augment(x, strength=CONTRASTIVE_COLOUR, p_grey=CONTRASTIVE_GREY)
                for _ in "qk"
            ]
            if key_eval:
                model.encoder_k.eval()
            q = model(views[0])
            if shuffle:
                key = model.keys(views[1])
            else:  # the same sub-batches as the queries
                with torch.no_grad():
                    key = F.normalize(
                        grouped_forward(model.encoder_k, views[1], bn_groups), dim=1
                    )
            logits = moco_logits(q.float(), key.float(), model.queue, MOCO_TAU)
            model.queue, model.ptr = enqueue(model.queue, key, model.ptr)
            target = torch.zeros(x.shape[0], dtype=torch.long, device=x.device)
            return classification_loss(logits, target)

        seed_everything(0)
        model = MoCo(
            PretextNet(Backbone(width), MLPHead(4 * width, 4 * width, PROJ)),
            PROJ,
            queue,
            momentum,
            bn_groups=bn_groups,
        ).to(device)
        start = time.perf_counter()
        optimizer = torch.optim.Adam(model.encoder_q.parameters(), lr=LR)
        loader = TensorLoader(x_train, batch_size=batch, drop_last=True)
        for r in range(1, budget + 1):  # in rounds, as the notebook's probe curve
            hist = fit(model, loader, moco_loss, optimizer, epochs, progress=False)
            if r < budget:  # the curve probes after each round (seed 0), then goes on
                seed_everything(0)
                backbone = model.encoder_q.backbone
                linear_probe(
                    frozen_features(backbone, x_train),
                    y_train,
                    frozen_features(backbone, x_test),
                    y_test,
                    k,
                    probe_epochs,
                )
        train_s = time.perf_counter() - start
        seed_everything(1)
        test_acc = evaluate(
            model, TensorLoader(x_test, batch_size=batch, shuffle=False), moco_loss
        )["acc"]
        return model.encoder_q.backbone, {
            "pretext_train_acc": hist.last("acc"),
            "pretext_test_acc": test_acc,
            "train_s": train_s,
        }

    rows: dict[str, list[dict[str, float]]] = {}
    for seed in args.seeds:
        os.environ["COURSEWORK_SEED"] = str(seed)  # the notebook's seed offset
        seed_everything(0)
        rows.setdefault("random", []).append(
            {"seed": seed, **transfer(Backbone(width).to(device))}
        )
        print(f"seed {seed} random: {rows['random'][-1]}", flush=True)
        for name in args.variants.split(","):
            backbone, row = moco_run(**VARIANTS[name])
            row.update(seed=seed, **transfer(backbone))
            rows.setdefault(name, []).append(row)
            print(
                f"seed {seed} {name}: "
                + ", ".join(f"{key} {v:.3f}" for key, v in row.items()),
                flush=True,
            )
            if args.out:
                Path(args.out).write_text(json.dumps(rows, indent=1))
    keys = [key for key in rows["random"][0] if key != "seed"]
    keys = ["pretext_train_acc", "pretext_test_acc", *keys, "train_s"]
    print(f"\nmeans over seeds {args.seeds} (profile {profile.name})")
    print_means(rows, keys, "variant", 16, 20)


if __name__ == "__main__":
    main()

"""Why do some of notebook 05's backbones fine-tune below training from scratch?

Issue 32: on few labels (``FEW``), colourisation, DeepCluster, exemplar CNNs
and the masked autoencoders fine-tune below a random start, even from their
own linear probe (LP-FT). This reproduces their pretraining as notebook 05
trains them (the generated objects, the same backbone, heads, budget and
seeds) and the notebook's transfer (``train_probe`` then
``few_label_finetune``, from the same random state), and measures, one at a
time, what could explain the deficit and what the field does about it:

- **the starts** (``--starts``): ``random`` (training from scratch, the
  notebook's baseline, colour input), ``random_grey`` (the same on the grey
  input that colourisation's backbone sees: the fair control, as Zhang,
  Isola & Efros, "Colorful Image Colorization", ECCV 2016, feed the L
  channel alone for their representation-learning tests),
  ``colorization`` (grey input, as the notebook), ``colorization_colour``
  (its backbone given colour input, BatchNorm statistics re-estimated on
  colour), ``deepcluster``, ``exemplar``, ``random_vit``, ``mae_25``,
  ``mae_50``, ``mae_75``;
- **the fine-tuning** (``--variants``): ``fresh`` (a fresh linear layer,
  the notebook's fine-tune column), ``lpft`` (from the probe, the
  notebook's LP-FT column), ``*_dlr`` (discriminative fine-tuning: the
  backbone at ``lr / --dlr-factor``, the head at ``lr``; Howard & Ruder,
  "Universal Language Model Fine-tuning", ACL 2018, arXiv:1801.06146),
  ``lpft_bn_eval`` (BatchNorm kept in eval mode while fine-tuning,
  ``finetune(keep_bn_stats=True)``: the pretrained running statistics
  normalise, as the probe saw them),
  ``lpft_bn_reest`` (the running statistics re-estimated on the fine-tuning
  input, all training images unlabelled, before the probe and LP-FT),
  ``*_x2`` (twice the fine-tuning epochs, the same for every start).

Every figure is a test accuracy on the notebook's test split (``--split val``:
on held-out training images instead, the probe trained without them, to
choose a setting without looking at the test split); seeds are the
notebook's offsets (``$COURSEWORK_SEED``), seed 0 reproduces the notebook's
default run (checked for the random backbones, DeepCluster, exemplar and the
masked autoencoders; the notebook makes colourisation's pretext head before
seeding, from a state its earlier sections leave, so here it is made after
``seed_everything(1)``: its figures are another draw of the same recipe). Rows go to
``--out`` as JSON lines, means are printed.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/finetune_deficit.py \\
        --profile cpu --threads 1 --seeds 0 1 2 --out /tmp/ft.jsonl
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
from torch import nn

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from notebook05 import notebook05, print_means  # noqa: E402  (benchmarks/, beside this script)

from coursework.classifier import classification_loss  # noqa: E402
from coursework.pretext import (  # noqa: E402
    Backbone,
    DenseHead,
    LinearHead,
    MaskedAutoencoder,
    PretextNet,
    ViTEncoder,
    ab_bins,
    augment,
    cluster_weights,
    finetune,
    frozen_features,
    kmeans,
    linear_probe,
    masked_patch_loss,
    prepare_features,
    probe_as_linear,
    random_resized_crop,
    rebalance_weights,
    reestimate_bn,
    rgb_to_lab,
    to_grey,
)
from coursework.pretext.color import quantize_ab  # noqa: E402
from coursework.runtime import get_profile, seed_everything, set_threads  # noqa: E402
from coursework.train import TensorLoader, fit  # noqa: E402

# Notebook 05's settings (sections 1, 2, 8 and 9b).
LR, SEED_REPEATS, PATCH, VIT_DEPTH = 2e-3, 4, 4, 2
STARTS = "random,random_grey,colorization,colorization_colour,deepcluster,exemplar"
VARIANTS = "fresh,lpft,fresh_dlr,lpft_dlr,lpft_bn_eval,lpft_bn_reest,fresh_x2,lpft_x2"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--profile", default="cpu")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--starts", default=STARTS)
    parser.add_argument("--variants", default=VARIANTS)
    parser.add_argument("--dlr-factor", type=float, default=10.0)
    parser.add_argument(
        "--split",
        choices=("test", "val"),
        default="test",
        help="evaluate on the notebook's test split, or (val) on the last n_test "
        "training images, held out from the probe and the few labels, to choose "
        "a setting without the test split",
    )
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--out", default=None, help="JSON lines, one per run")
    args = parser.parse_args()
    set_threads(args.threads)
    profile = get_profile(args.profile)
    device = torch.device("cpu")
    nb = notebook05(profile, device)
    s, width, epochs, batch, k = nb.s, nb.width, nb.epochs, nb.batch, nb.k
    probe_epochs, few = nb.probe_epochs, nb.few
    finetune_epochs, finetune_batch = nb.finetune_epochs, nb.finetune_batch
    x_train, y_train, x_test, y_test = nb.x_train, nb.y_train, nb.x_test, nb.y_test
    x_few, y_few = x_train[:few], y_train[:few]
    x_probe, y_probe, x_eval, y_eval = x_train, y_train, x_test, y_test
    if args.split == "val":  # the last n_test training images, held out
        n_val = profile.n_test
        x_probe, y_probe = x_train[:-n_val], y_train[:-n_val]
        x_eval, y_eval = x_train[-n_val:], y_train[-n_val:]

    def light_augment(x):
        return random_resized_crop(x, (0.6, 1.0))

    def pretrain(model, loss_fn, data=None, n_epochs=epochs):
        fit(
            model,
            TensorLoader(*(data or (x_train,)), batch_size=batch, drop_last=True),
            loss_fn,
            torch.optim.Adam(model.parameters(), lr=LR),
            epochs=n_epochs,
            progress=False,
        )
        return model

    # section 6: colourisation, its bins from the training images
    centres, counts = ab_bins(rgb_to_lab(x_train)[:, 1:], grid=10.0)
    bin_weights = rebalance_weights(counts, lam=0.5)

    def colorization_loss(model, b):
        lab = rgb_to_lab(b[0])
        grey = (lab[:, :1] / 100).expand(-1, 3, -1, -1)
        bins = quantize_ab(F.avg_pool2d(lab[:, 1:], 4), centres)
        return classification_loss(model(grey), bins, weight=bin_weights)

    def colorization():
        # the notebook makes the head before seeding, from an RNG state that
        # depends on its earlier sections; here from a seeded one of its own
        seed_everything(1)
        head = DenseHead(4 * width, centres.shape[0], scale=1)
        seed_everything(0)
        return pretrain(PretextNet(Backbone(width), head), colorization_loss).backbone

    def deepcluster():  # section 8
        rounds, n_clusters = min(4, epochs), 4 * k
        seed_everything(0)
        net = PretextNet(Backbone(width), LinearHead(4 * width, n_clusters))
        for r in range(rounds):
            feats = prepare_features(frozen_features(net.backbone, x_train))
            pseudo, _ = kmeans(feats, n_clusters, iters=20, seed=r)
            weights = cluster_weights(pseudo, n_clusters)
            net.head.reset_parameters()

            def loss(model, b, weights=weights):
                return classification_loss(
                    model(light_augment(b[0])), b[1], weight=weights
                )

            n_epochs = epochs // rounds + int(r < epochs % rounds)
            pretrain(net, loss, (x_train, pseudo), n_epochs)
        return net.backbone

    def exemplar():  # section 2
        n_seeds = max(k, profile.n_train // SEED_REPEATS)
        seeds = x_train[:n_seeds].repeat(SEED_REPEATS, 1, 1, 1)
        ids = torch.arange(n_seeds).repeat(SEED_REPEATS)
        seed_everything(0)  # the notebook's cell before: two augmented views shown
        augment(x_train[:8]), augment(x_train[:8])
        head = LinearHead(4 * width, n_seeds)  # made before seeding, as there
        seed_everything(0)
        net = PretextNet(Backbone(width), head)

        def loss(model, b):
            return classification_loss(model(augment(b[0])), b[1])

        return pretrain(net, loss, (seeds, ids)).backbone

    def vit():
        return ViTEncoder(s, PATCH, 4 * width, VIT_DEPTH)

    def mae(ratio):  # section 9b
        seed_everything(0)
        model = MaskedAutoencoder(vit(), ratio)

        def loss(model, b):
            pred, target, mask = model(b[0])
            return masked_patch_loss(pred.float(), target, mask)

        return pretrain(model, loss).backbone

    def random_cnn():
        seed_everything(0)
        return Backbone(width)

    def random_vit():
        seed_everything(0)
        return vit()

    def start(name):
        """(backbone, transform) of a start, as the notebook transfers it."""
        if name in ("random", "random_grey"):
            return random_cnn(), (to_grey if name == "random_grey" else None)
        if name == "colorization":
            return colorization(), to_grey
        if name == "colorization_colour":
            return reestimate_bn(colorization(), x_train), None
        if name.startswith("mae_"):
            return mae(int(name[4:]) / 100), None
        return {"deepcluster": deepcluster, "exemplar": exemplar}.get(
            name, random_vit
        )(), None

    def transfer(backbone, transform, variants):
        """The notebook's probe (seed 0), then each fine-tuning from its state."""
        seed_everything(0)
        f_train = frozen_features(backbone, x_probe, transform=transform)
        f_test = frozen_features(backbone, x_eval, transform=transform)
        out = {}
        out["probe"], probe = linear_probe(
            f_train, y_probe, f_test, y_eval, k, probe_epochs
        )
        state = torch.get_rng_state()
        for v in variants:
            bb, head = backbone, None
            if "bn_reest" in v:  # its own probe, on the re-estimated statistics
                bb = reestimate_bn(backbone, x_train, transform)
                seed_everything(0)
                out["probe_bn_reest"], re_probe = linear_probe(
                    frozen_features(bb, x_probe, transform=transform),
                    y_probe,
                    frozen_features(bb, x_eval, transform=transform),
                    y_eval,
                    k,
                    probe_epochs,
                )
                head = probe_as_linear(re_probe)
            torch.set_rng_state(state)
            if v.startswith("lpft") and head is None:
                head = probe_as_linear(probe)
            out[v] = finetune(
                bb,
                x_few,
                y_few,
                x_eval,
                y_eval,
                k,
                finetune_epochs * (2 if "x2" in v else 1),
                batch_size=finetune_batch,
                transform=transform,
                augment=light_augment,
                head=head,
                backbone_lr=1e-3 / args.dlr_factor if "dlr" in v else None,
                keep_bn_stats="bn_eval" in v,
            )
        return out

    variants = args.variants.split(",")
    rows: dict[str, list[dict[str, float]]] = {}
    for seed in args.seeds:
        os.environ["COURSEWORK_SEED"] = str(seed)  # the notebook's seed offset
        for name in args.starts.split(","):
            t0 = time.perf_counter()
            backbone, transform = start(name)
            has_bn = any(isinstance(m, nn.BatchNorm2d) for m in backbone.modules())
            row = transfer(
                backbone, transform, [v for v in variants if has_bn or "bn_" not in v]
            )
            row.update(start=name, seed=seed, seconds=time.perf_counter() - t0)
            row["split"] = args.split
            rows.setdefault(name, []).append(row)
            shown = {k: v for k, v in row.items() if k not in ("start", "split")}
            print(
                f"seed {seed} {name}: "
                + ", ".join(f"{key} {v:.3f}" for key, v in shown.items()),
                flush=True,
            )
            if args.out:
                with open(args.out, "a") as f:
                    f.write(json.dumps(row) + "\n")
    keys = ["probe", "probe_bn_reest", *variants]
    print(f"\nmeans over seeds {args.seeds} (profile {profile.name})")
    print_means(rows, keys, "start", 20, 14)


if __name__ == "__main__":
    main()

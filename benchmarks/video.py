"""Benchmark of the video package: every model's accuracy and training time, flow
end-point error and localisation mAP, on the synthetic data of one profile.

    python benchmarks/video.py                 # the cpu profile (about ten minutes)
    python benchmarks/video.py --profile ci    # a quick smoke run

It uses the package's functions only (not the notebook) and prints one table.
"""

from __future__ import annotations

import argparse
import time

import torch

from coursework.data.video import (
    APPEARANCE_CLASSES,
    MOTION_CLASSES,
    make_actions,
    make_moving_digits,
    make_untrimmed,
)
from coursework.runtime import get_device, get_profile, seed_everything
from coursework.train import TensorLoader, fit
from coursework.video.clips import clip_span, predict_averaged, sample_clip, to_float
from coursework.video.flops import model_cost
from coursework.video.flow import clip_flow, horn_schunck
from coursework.video.localization import (
    detect,
    sliding_windows,
    window_clips,
    window_labels,
)
from coursework.video.metrics import endpoint_error, group_accuracy, temporal_map
from coursework.video.models import MODELS, build_model
from coursework.video.recurrent import CNNLSTM
from coursework.video.training import clip_loss, frame_loss, fused_two_stream_loss
from coursework.video.two_stream import TwoStream


def _train(model, loader, loss_fn, epochs, lr=3e-3):
    seed_everything(0)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs)
    start = time.perf_counter()
    fit(model, loader, loss_fn, opt, epochs, scheduler=sched, progress=False)
    return time.perf_counter() - start


def _row(pred, y, seconds, params, macs):
    return {
        "acc": float((pred == y).float().mean()),
        "motion": float(group_accuracy(pred, y, MOTION_CLASSES)),
        "appearance": float(group_accuracy(pred, y, APPEARANCE_CLASSES)),
        "seconds": seconds,
        "params": params,
        "macs": macs,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profile", default="cpu")
    args = parser.parse_args(argv)
    p = get_profile(args.profile)
    device = get_device()
    t, stride = max(2, p.frames // 2), 2
    length, s = p.frames + p.frames // 2, p.frame_size
    width, epochs = max(4, p.width // 32), max(1, p.epochs // 3)
    batch = max(8, p.batch_size // 2)
    train_x, train_y = make_actions(p.n_videos, length, s, seed=0, device=device)
    test_x, test_y = make_actions(max(4, p.n_videos // 2), length, s, 1, device)
    k, in_shape = 8, (3, t, s, s)
    loader = TensorLoader(train_x, train_y, batch_size=batch, seed=0)
    rows: dict[str, dict[str, float]] = {}
    trained = {}
    for name in MODELS:
        model = build_model(name, in_shape, k, width).to(device)
        loss = frame_loss() if name == "single_frame" else clip_loss(t, stride)
        seconds = _train(model, loader, loss, epochs)
        pred = predict_averaged(model, test_x, t, stride, 5).argmax(-1)
        rows[name] = _row(pred, test_y, seconds, *model_cost(model))
        trained[name] = model
    model = CNNLSTM(in_shape, k, width).to(device)
    seconds = _train(model, loader, clip_loss(t, stride), epochs)
    pred = predict_averaged(model, test_x, t, stride, 5).argmax(-1)
    n_params = sum(q.numel() for q in model.parameters())
    rows["cnn_lstm"] = _row(pred, test_y, seconds, n_params, float("nan"))
    # two-stream on the middle clip, with Horn-Schunck flow
    mid = (length - clip_span(t, stride)) // 2

    def middle(v):
        return sample_clip(v, torch.full((v.shape[0],), mid, device=device), t, stride)

    start = time.perf_counter()
    tr_c, te_c = middle(train_x), middle(test_x)
    tr_f = clip_flow(to_float(tr_c), alpha=0.1, iterations=40)
    te_f = clip_flow(to_float(te_c), alpha=0.1, iterations=40)
    model = TwoStream((3, s, s), t - 1, k, width).to(device)
    two_loader = TensorLoader(tr_c, tr_f, train_y, batch_size=batch, seed=0)
    _train(model, two_loader, fused_two_stream_loss, epochs)
    seconds = time.perf_counter() - start  # flow included
    model.eval()
    with torch.no_grad():
        pred = model(to_float(te_c), te_f).argmax(-1)
    macs = model_cost(model.spatial)[1] + model_cost(model.temporal)[1]
    n_params = sum(q.numel() for q in model.parameters())
    rows["two_stream"] = _row(pred, test_y, seconds, n_params, macs)
    # flow end-point error on moving digits with known flow
    md, _, true_flow, valid = make_moving_digits(max(8, p.n_videos // 4), 2, s, seed=1)
    est = horn_schunck(md[:, 0, 0], md[:, 1, 0], alpha=0.1, iterations=200)
    epe = float(endpoint_error(est, true_flow[:, 0], valid[:, 0]))
    zero = float(endpoint_error(torch.zeros_like(est), true_flow[:, 0], valid[:, 0]))
    # localisation: windows classified by a fine-tuned 3D CNN, NMS, mAP
    long_len, min_seg = 4 * p.frames, max(4, p.frames // 2)
    n_long, slot = max(4, p.n_videos // 4), 4 * p.frames // 3
    lt_x, lt_seg = make_untrimmed(n_long, long_len, s, min_segment=min_seg, seed=2)
    le_x, le_seg = make_untrimmed(n_long, long_len, s, min_segment=min_seg, seed=3)
    sizes = sorted({min_seg, (min_seg + int(0.9 * slot)) // 2, int(0.9 * slot)})
    windows = sliding_windows(long_len, sizes, max(1, min_seg // 4))
    clips = window_clips(lt_x.to(device), windows, t).flatten(0, 1)
    labels = window_labels(windows, lt_seg, k).flatten().to(device)
    localiser = build_model("3d", in_shape, k + 1, width).to(device)
    localiser.trunk.load_state_dict(trained["3d"].trunk.state_dict())
    loc_loader = TensorLoader(clips, labels, batch_size=batch, seed=0)
    loc_seconds = _train(
        localiser, loc_loader, clip_loss(t, 1), max(1, epochs // 2), 2e-3
    )
    det = detect(localiser, le_x.to(device), windows, t, k)
    maps = {thr: temporal_map(det, list(le_seg), k, thr) for thr in (0.3, 0.5, 0.7)}

    print(
        f"profile {p.name}: {len(train_y)} training videos, clips {in_shape}, "
        f"width {width}, {epochs} epochs, device {device}"
    )
    print(
        f"{'model':<14}{'acc':>7}{'motion':>8}{'appear':>8}{'params':>10}"
        f"{'MMACs':>9}{'train s':>9}"
    )
    for name, r in rows.items():
        macs = "-" if r["macs"] != r["macs"] else f"{r['macs'] / 1e6:.1f}"
        print(
            f"{name:<14}{r['acc']:>7.3f}{r['motion']:>8.3f}{r['appearance']:>8.3f}"
            f"{int(r['params']):>10,}{macs:>9}{r['seconds']:>9.1f}"
        )
    print(f"flow EPE on moving digits: {epe:.3f} px (zero flow {zero:.3f} px)")
    print(
        f"localisation ({loc_seconds:.1f} s): "
        + ", ".join(f"mAP@{thr} {m:.3f}" for thr, m in maps.items())
    )


if __name__ == "__main__":
    main()

"""Figures of notebook 05: tiles, ab bins, the results table, neighbours, tracking."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from coursework.plot.alttext import set_alt
from coursework.plot.core import image_grid, show_images
from coursework.plot.style import ACCENT, REFERENCE


def plot_tiles(
    images: torch.Tensor,
    corners: torch.Tensor,
    tile: int,
    shuffled: torch.Tensor | None = None,
    title: str | None = None,
) -> Figure:
    """Images (B, C, S, S) with the tiles cut at ``corners`` (B, N, 2) outlined.

    With two corners per image (relative position) the first is white and the
    second red; with ``shuffled`` tiles (B, N, C, t, t) a second row shows the
    puzzle as the network sees it, tile after tile on a grid.
    """
    b, n = corners.shape[:2]
    rows = 2 if shuffled is not None else 1
    fig, axes = plt.subplots(rows, b, figsize=(1.6 * b, 1.6 * rows), squeeze=False)
    pair = n == 2
    set_alt(
        fig,
        (f"{title}: " if title else "")
        + f"{b} images with the {n} tiles cut from each outlined"
        + (" (the first white, the second vermillion)" if pair else "")
        + ("; below each, its tiles in shuffled order" if shuffled is not None else ""),
    )
    for i in range(b):
        ax = axes[0, i]
        ax.imshow(images[i].detach().float().cpu().permute(1, 2, 0).clamp(0, 1).numpy())
        for j in range(n):
            r, c = corners[i, j].tolist()
            colour = ACCENT if (pair and j == 1) else "white"
            ax.add_patch(
                Rectangle((c - 0.5, r - 0.5), tile, tile, fill=False, ec=colour, lw=1.2)
            )
        ax.set_axis_off()
        if shuffled is not None:
            side = int(round(n**0.5))
            show_images(shuffled[i], nrow=side, ax=axes[1, i])
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_ab_bins(
    centres: torch.Tensor, counts: torch.Tensor, weights: torch.Tensor
) -> Figure:
    """The occupied ab bins: their colour at L = 60, how common they are, and
    the rebalancing weight each gets."""
    from coursework.pretext.color import lab_to_rgb

    c = centres.detach().float().cpu()
    lab = torch.cat([torch.full((len(c), 1), 60.0), c], 1).T.reshape(1, 3, 1, -1)
    rgb = lab_to_rgb(lab)[0, :, 0].T.numpy()  # (Q, 3)
    p = (counts.double() / counts.sum()).cpu().numpy()
    fig, axes = plt.subplots(1, 2, figsize=(8, 3.6))
    set_alt(
        fig,
        f"The {len(c)} occupied ab colour bins as squares in the a-b plane, each in "
        "its colour at lightness 60: on the left sized by how common the bin is, "
        "on the right by its rebalancing weight (rare colours weigh more)",
    )
    for ax, value, label in [
        (axes[0], np.log10(p), "log10 frequency p~"),
        (axes[1], weights.detach().cpu().numpy(), "rebalancing weight w"),
    ]:
        ax.scatter(
            c[:, 1],
            c[:, 0],
            c=rgb,
            s=20 + 60 * (value - value.min()) / (np.ptp(value) + 1e-9),
            marker="s",
        )
        ax.set_xlabel("b")
        ax.set_ylabel("a")
        ax.set_title(f"ab bins, size = {label}", fontsize=9)
        ax.set_aspect("equal")
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def plot_results(
    results: Mapping[str, Mapping[str, float]],
    methods: Sequence[str],
    chance: float | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Grouped bars: linear-probe and fine-tune accuracy per method."""
    x = np.arange(len(methods))
    probe = [results[m]["probe"] for m in methods]
    tuned = [results[m]["finetune"] for m in methods]
    if ax is None:
        fig, ax = plt.subplots(figsize=(max(6, 0.7 * len(methods) + 2), 3.8))
        set_alt(
            fig,
            "Grouped bar chart of test accuracy per method, linear probe (plain "
            "bar) beside fine-tuned with few labels (hatched bar): "
            + "; ".join(
                f"{m} {p:.2f} and {t:.2f}" for m, p, t in zip(methods, probe, tuned)
            )
            + (f"; chance {chance:.2f}" if chance is not None else ""),
        )
    ax.bar(x - 0.2, probe, 0.4, color="C0", label="linear probe (frozen, all labels)")
    ax.bar(
        x + 0.2, tuned, 0.4, color="C1", hatch="//", edgecolor="white",
        label="fine-tuned (few labels)",
    )
    if "random" in methods:
        ax.axhline(results["random"]["probe"], color="C0", ls=":", lw=1)
        ax.axhline(results["random"]["finetune"], color="C1", ls="-.", lw=1)
    if chance is not None:
        ax.axhline(chance, color=REFERENCE, lw=0.8, ls="--", label="chance")
    ax.set_xticks(x, methods, rotation=45, ha="right")
    ax.set_ylabel("test accuracy")
    ax.set_ylim(0, 1)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.grid(axis="y", alpha=0.3)
    return ax


def show_neighbours(
    queries: torch.Tensor, neighbours: torch.Tensor, title: str | None = None
) -> Axes:
    """One row per query (Q, C, H, W): the query, then its neighbours (Q, k, ...)."""
    q, k = neighbours.shape[:2]
    rows = torch.cat([queries[:, None], neighbours], 1).flatten(0, 1)  # (Q*(k+1), ...)
    fig, ax = plt.subplots(figsize=(0.7 * (k + 1) + 0.5, 0.7 * q + 0.5))
    set_alt(
        fig,
        (f"{title}: " if title else "")
        + f"{q} query images, one per row, each followed by its {k} nearest "
        "neighbours",
    )
    ax.imshow(image_grid(rows, nrow=k + 1))
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize=9)
    return ax


def plot_tracking_iou(
    curves: Mapping[str, torch.Tensor], ax: Axes | None = None
) -> Axes:
    """Mask IoU against frame index, one line per tracking method.

    Args:
        curves: method -> (L,) mean IoU per frame (frame 0 is the given mask).
    """
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.5, 3.6))
        set_alt(
            fig,
            "Line chart of the mean mask IoU against the frame index for "
            + ", ".join(curves)
            + "; at the last frame: "
            + "; ".join(f"{m} {float(c[-1]):.2f}" for m, c in curves.items()),
        )
    markers = "osd^v"
    for i, (name, curve) in enumerate(curves.items()):
        ax.plot(curve.cpu().numpy(), marker=markers[i % 5], ms=3, label=name)
    ax.set_xlabel("frame")
    ax.set_ylabel("mask IoU (mean over objects and clips)")
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return ax


def show_tracked_masks(
    frames: torch.Tensor,
    masks: Mapping[str, torch.Tensor],
    steps: Sequence[int],
) -> Figure:
    """One row per method: frames ``steps`` of a clip with the mask outlines.

    Args:
        frames: (L, 3, H, W) one clip, uint8 or in [0, 1].
        masks: method -> (L, H, W) long label maps (0 background).
        steps: the frame indices to show.
    """
    x = frames.float() / 255 if frames.dtype == torch.uint8 else frames.float()
    rows, cols = len(masks), len(steps)
    fig, axes = plt.subplots(
        rows, cols, figsize=(1.3 * cols + 0.8, 1.3 * rows + 0.3), squeeze=False
    )
    set_alt(
        fig,
        f"A grid of frames {', '.join(map(str, steps))} of one generated clip, one "
        f"row per method ({', '.join(masks)}), each frame with the outlines of the "
        "object masks that method carried from frame 0",
    )
    for r, (name, lab) in enumerate(masks.items()):
        n_objects = int(max(lab.max(), 1))
        for c, t in enumerate(steps):
            ax = axes[r, c]
            ax.imshow(x[t].permute(1, 2, 0).cpu().numpy())
            for k in range(1, n_objects + 1):
                m = (lab[t] == k).float().cpu().numpy()
                if m.any() and not m.all():
                    ax.contour(m, levels=[0.5], colors=[f"C{k % 10}"], linewidths=1.2)
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title(f"frame {t}", fontsize=8)
            if c == 0:
                ax.set_ylabel(name, fontsize=8)
    fig.tight_layout()
    return fig

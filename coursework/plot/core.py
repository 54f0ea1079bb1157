"""Figures every notebook uses: image grids and training curves.

Plotting lives here only; models and losses never import it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from torchvision.utils import make_grid

from coursework.plot.alttext import set_alt
from coursework.train import History

# A notebook draws figures at matplotlib's 100 dpi, cropped to their content,
# and shrinks any wider than its output area, about 800 px on a laptop
# screen or the course site.
NOTEBOOK_DPI = 100
NOTEBOOK_WIDTH_PX = 800


def frames_rgb(clip: torch.Tensor) -> np.ndarray:
    """A clip for imshow: (T, C, H, W) uint8 or float -> (T, H, W, 3) in [0, 1].

    Grey frames (C = 1) are repeated to RGB.
    """
    x = clip.detach().cpu()
    x = x.float() / 255.0 if x.dtype == torch.uint8 else x.float()
    if x.shape[1] == 1:
        x = x.expand(-1, 3, -1, -1)
    return x.clamp(0, 1).permute(0, 2, 3, 1).numpy()  # (T, H, W, 3)


def image_grid(images: torch.Tensor, nrow: int = 8, padding: int = 1) -> np.ndarray:
    """Tile images (N, C, H, W) in [0, 1] into one (H', W', C) array for ``imshow``."""
    grid = make_grid(
        images.detach().float().cpu().clamp(0, 1),
        nrow=nrow,
        padding=padding,
        pad_value=0.5,
    )
    return grid.permute(1, 2, 0).numpy()  # (H', W', C)


def show_images(
    images: torch.Tensor,
    nrow: int = 8,
    title: str | None = None,
    ax: Axes | None = None,
    scale: float = 0.6,
) -> Axes:
    """Show a batch of images (N, C, H, W) in [0, 1] as one grid."""
    grid = image_grid(images, nrow)
    if ax is None:
        rows = -(-images.shape[0] // nrow)
        fig, ax = plt.subplots(
            figsize=(scale * min(nrow, images.shape[0]) + 0.5, scale * rows + 0.5)
        )
        what = f": {title}" if title else ""
        set_alt(fig, f"A grid of {images.shape[0]} images, {nrow} per row{what}")
    if grid.shape[-1] == 1 or images.shape[1] == 1:
        ax.imshow(grid[..., 0], cmap="gray", vmin=0, vmax=1)
    else:
        ax.imshow(grid)
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return ax


def compare_rows(
    rows: Mapping[str, torch.Tensor], nrow: int | None = None, scale: float = 0.6
) -> Figure:
    """One labelled row per entry, e.g. ``{"input": x, "reconstruction": x_hat}``."""
    n = nrow or max(r.shape[0] for r in rows.values())
    fig, axes = plt.subplots(
        len(rows), 1, figsize=(scale * n + 1.5, scale * len(rows) + 0.6), squeeze=False
    )
    set_alt(
        fig,
        f"Rows of {n} images side by side, one row each for: "
        + ", ".join(rows) + ".",
    )
    for ax, (label, imgs) in zip(axes[:, 0], rows.items()):
        show_images(imgs[:n], nrow=n, ax=ax)
        ax.set_axis_on()
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_ylabel(label, rotation=0, ha="right", va="center")
        for spine in ax.spines.values():
            spine.set_visible(False)
    fig.tight_layout()
    return fig


def plot_history(
    histories: History | Mapping[str, History],
    keys: Sequence[str] = ("loss",),
    ax: Axes | None = None,
    title: str | None = None,
    logy: bool = False,
) -> Axes:
    """Training (solid) and validation (dashed) curves per epoch, one or more runs."""
    if isinstance(histories, History):
        histories = {"": histories}
    if ax is None:
        fig, ax = plt.subplots(figsize=(6, 3.5))
        runs = ", ".join(n for n in histories if n) or "one run"
        set_alt(
            fig,
            f"Line chart of {', '.join(keys)} per epoch for {runs}: training as a "
            "solid line, validation dashed"
            + (f"; {title}" if title else "") + (", log scale" if logy else ""),
        )
    for name, hist in histories.items():
        for key in keys:
            label = " ".join(p for p in (name, key) if p)
            if key in hist.train:
                line = ax.plot(
                    range(1, len(hist.train[key]) + 1),
                    hist.train[key],
                    label=f"{label} (train)",
                )[0]
                if key in hist.val:
                    ax.plot(
                        range(1, len(hist.val[key]) + 1),
                        hist.val[key],
                        "--",
                        color=line.get_color(),
                        label=f"{label} (val)",
                    )
    ax.set_xlabel("epoch")
    if logy:
        ax.set_yscale("log")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    if title:
        ax.set_title(title)
    return ax


def confusion_matrix(
    y_true: torch.Tensor,
    y_pred: torch.Tensor,
    classes: Sequence[str],
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Row-normalised confusion matrix (true class by row)."""
    k = len(classes)
    counts = (
        torch.bincount(y_true.cpu() * k + y_pred.cpu(), minlength=k * k)
        .view(k, k)
        .float()
    )
    rates = counts / counts.sum(1, keepdim=True).clamp(min=1)
    if ax is None:
        fig, ax = plt.subplots(figsize=(0.45 * k + 2, 0.45 * k + 1.5))
        hits = float(counts.diagonal().sum() / counts.sum().clamp(min=1))
        set_alt(
            fig,
            f"Confusion matrix of {k} classes ({', '.join(map(str, classes))}): true "
            "class by row, predicted class by column, darker for a larger share of "
            f"the row; {hits:.0%} of the examples lie on the diagonal"
            + (f"; {title}" if title else ""),
        )
    ax.imshow(rates.numpy(), cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(k), classes, rotation=90, fontsize=7)
    ax.set_yticks(range(k), classes, fontsize=7)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    if title:
        ax.set_title(title)
    return ax


class ImageSize(NamedTuple):
    """How large a notebook shows one image axes, in screen pixels."""

    label: str
    width: float
    height: float
    zoom: float  # screen pixels per pixel of the image array


def image_axes_sizes(fig: Figure, width_px: int = NOTEBOOK_WIDTH_PX) -> list[ImageSize]:
    """How large a notebook shows each image of ``fig``.

    The figure is drawn at :data:`NOTEBOOK_DPI` and cropped to its content
    (``bbox_inches="tight"``, as the inline backend does); if that is wider
    than ``width_px``, the notebook scales it down to fit. Only axes that
    show an image (``imshow``) are listed, labelled by their title or y label.
    """
    fig.set_dpi(NOTEBOOK_DPI)
    fig.canvas.draw()
    tight = fig.get_tightbbox(fig.canvas.get_renderer())  # inches
    scale = min(1.0, width_px / (tight.width * NOTEBOOK_DPI))
    sizes = []
    for ax in fig.axes:
        if not ax.images:
            continue
        box = ax.get_window_extent()  # pixels, after the aspect is applied
        x0, x1 = sorted(ax.get_xlim())
        columns = ax.images[0].get_array().shape[1]
        left, right = ax.images[0].get_extent()[:2]
        # data units per image column, then screen pixels per data unit
        per_column = abs(right - left) / columns
        zoom = box.width * scale / (x1 - x0) * per_column
        label = ax.get_title() or ax.get_ylabel() or ax.get_title(loc="left")
        sizes.append(ImageSize(label, box.width * scale, box.height * scale, zoom))
    return sizes

"""Figures of notebook 02: masks, receptive fields, filmstrips, bar charts, pmfs.

Plotting lives here only; :mod:`coursework.autoregressive` never imports it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure

from coursework.plot.core import show_images

# 0: not seen, 1: seen, 2: the output pixel, 3: blind spot
FIELD_COLOURS = ListedColormap(["#f2f2f2", "#3b6fb6", "#d62728", "#ff9f1c"])


def plot_masks(masks: Mapping[str, torch.Tensor], scale: float = 2.2) -> Figure:
    """Draw 2-D 0/1 masks side by side, with their entries written in."""
    fig, axes = plt.subplots(
        1, len(masks), figsize=(scale * len(masks), scale + 0.9), squeeze=False
    )
    for ax, (name, m) in zip(axes[0], masks.items()):
        m = m.detach().cpu().float()
        ax.imshow(m.numpy(), cmap="Blues", vmin=0, vmax=1.4)
        for (r, c), v in np.ndenumerate(m.numpy()):
            ax.text(c, r, f"{v:g}", ha="center", va="center", fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(name, fontsize=9)
    fig.tight_layout()
    return fig


def field_image(
    field: torch.Tensor, pixel: tuple[int, int], blind: torch.Tensor | None = None
) -> np.ndarray:
    """Codes 0-3 for :data:`FIELD_COLOURS` from a field (H, W) and its blind spot."""
    img = (field.detach().cpu() != 0).long()
    if blind is not None:
        img[blind.cpu()] = 3
    img[pixel] = 2
    return img.numpy()


def plot_receptive_fields(
    fields: Mapping[str, torch.Tensor],
    pixel: tuple[int, int],
    blind: Mapping[str, torch.Tensor] | None = None,
    axes: Sequence[Axes] | None = None,
) -> Sequence[Axes]:
    """Receptive-field maps side by side: seen (blue), output (red), blind (orange)."""
    if axes is None:
        _, axes = plt.subplots(1, len(fields), figsize=(3.3 * len(fields), 3.6))
        axes = np.atleast_1d(axes)
    for ax, (name, field) in zip(axes, fields.items()):
        spot = None if blind is None else blind.get(name)
        ax.imshow(field_image(field, pixel, spot), cmap=FIELD_COLOURS, vmin=0, vmax=3)
        title = name
        if spot is not None:
            title += f"\nblind spot: {int(spot.sum())} pixels"
        ax.set_title(title, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    return axes


def filmstrip(
    images: torch.Tensor, steps: Sequence[int], rows: int = 4, scale: float = 0.9
) -> Figure:
    """Finished samples (N, C, H, W) in [0, 1] shown after ``t`` pixels, for each t.

    A sample after ``t`` steps is the finished sample with the pixels from
    raster index ``t`` on not drawn yet (shown as grey).
    """
    n, _, h, w = images.shape
    order = torch.arange(h * w, device=images.device).view(1, 1, h, w)
    fig, axes = plt.subplots(
        1, len(steps), figsize=(scale * len(steps) + 0.5, scale * rows + 0.6)
    )
    for ax, t in zip(np.atleast_1d(axes), steps):
        frame = torch.where(
            order < t, images[:rows], torch.full_like(images[:rows], 0.5)
        )
        show_images(frame, nrow=1, ax=ax)
        ax.set_title(f"{t} px", fontsize=8)
    fig.tight_layout()
    return fig


def plot_bars(
    values: Mapping[str, float],
    ylabel: str,
    title: str | None = None,
    ax: Axes | None = None,
    fmt: str = "{:.3f}",
) -> Axes:
    """A bar per entry, with its value written on top."""
    if ax is None:
        _, ax = plt.subplots(figsize=(1.3 * len(values) + 1.5, 3.2))
    names, heights = list(values), [float(v) for v in values.values()]
    bars = ax.bar(range(len(names)), heights, color="#3b6fb6")
    for bar, v in zip(bars, heights):
        ax.text(
            bar.get_x() + bar.get_width() / 2,
            bar.get_height(),
            fmt.format(v),
            ha="center",
            va="bottom",
            fontsize=8,
        )
    ax.set_xticks(range(len(names)), names, rotation=20, ha="right", fontsize=8)
    ax.set_ylabel(ylabel)
    ax.set_ylim(0, 1.15 * max(heights + [1e-9]))
    if title:
        ax.set_title(title)
    return ax


def plot_pmfs(
    pmfs: Mapping[str, torch.Tensor],
    true_value: int | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Probability mass functions over the values of one sub-pixel."""
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3))
    for name, p in pmfs.items():
        p = p.detach().cpu().float()
        ax.plot(range(len(p)), p.numpy(), label=name, lw=1.2)
    if true_value is not None:
        ax.axvline(true_value, color="k", ls="--", lw=0.8, label="true value")
    ax.set_xlabel("value")
    ax.set_ylabel("probability")
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    return ax

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

from coursework.plot.alttext import set_alt
from coursework.plot.core import show_images
from coursework.plot.style import OKABE_ITO

# 0: not seen, 1: seen, 2: the output pixel, 3: blind spot (Okabe-Ito: they stay
# apart in lightness too, for readers who do not tell red from green)
FIELD_COLOURS = ListedColormap(
    ["#f2f2f2", OKABE_ITO["blue"], OKABE_ITO["vermillion"], OKABE_ITO["orange"]]
)


def plot_masks(masks: Mapping[str, torch.Tensor], scale: float = 2.2) -> Figure:
    """Draw 2-D 0/1 masks side by side, with their entries written in."""
    fig, axes = plt.subplots(
        1, len(masks), figsize=(scale * len(masks), scale + 0.9), squeeze=False
    )
    set_alt(
        fig,
        "Masks drawn as grids with each entry (0 or 1) written in, side by side: "
        + ", ".join(masks),
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
        fig, axes = plt.subplots(1, len(fields), figsize=(3.3 * len(fields), 3.6))
        axes = np.atleast_1d(axes)
        spots = [
            f"{name}: {int(blind[name].sum())} blind pixels"
            for name in fields
            if blind is not None and name in blind
        ]
        set_alt(
            fig,
            f"Receptive fields of the output pixel at row {pixel[0]}, column "
            f"{pixel[1]}, for {', '.join(fields)}: pixels it sees in blue, the "
            "pixel itself in vermillion, a blind spot it cannot see in orange"
            + (f" ({'; '.join(spots)})" if spots else ""),
        )
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
    set_alt(
        fig,
        f"{rows} samples drawn pixel by pixel in raster order, shown after "
        + ", ".join(map(str, steps)) + " pixels; pixels not drawn yet are grey",
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
    names, heights = list(values), [float(v) for v in values.values()]
    if ax is None:
        fig, ax = plt.subplots(figsize=(1.3 * len(values) + 1.5, 3.2))
        set_alt(
            fig,
            f"Bar chart of {ylabel}" + (f", {title}" if title else "") + ": "
            + "; ".join(f"{n} {fmt.format(v)}" for n, v in zip(names, heights)),
        )
    bars = ax.bar(range(len(names)), heights, color=OKABE_ITO["blue"])
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
        fig, ax = plt.subplots(figsize=(7, 3))
        set_alt(
            fig,
            "Line chart of the probability of each value of one sub-pixel under "
            + ", ".join(pmfs)
            + ("" if true_value is None else f"; the true value {true_value} dashed")
            + (f"; {title}" if title else ""),
        )
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

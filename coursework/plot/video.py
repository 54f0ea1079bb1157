"""Figures for video: clip animations, flow colour wheel, flow fields, timelines.

Flow colour coding as in Baker et al., "A Database and Evaluation Methodology
for Optical Flow" (IJCV 2011): hue is the direction of motion, saturation
its magnitude.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib import animation
from matplotlib.colors import hsv_to_rgb
from matplotlib.figure import Figure

from coursework.plot.alttext import set_alt
from coursework.plot.core import frames_rgb
from coursework.plot.style import PALETTE


def animate_clips(
    clips: torch.Tensor,
    titles: Sequence[str] | None = None,
    fps: int = 8,
    scale: float = 1.3,
) -> str:
    """Animate clips (N, T, C, H, W) side by side; returns the HTML of the player.

    Show it with ``IPython.display.HTML(animate_clips(...))``.
    """
    n, t = clips.shape[:2]
    frames = [frames_rgb(c) for c in clips]
    fig, axes = plt.subplots(1, n, figsize=(scale * n, scale + 0.3), squeeze=False)
    images = []
    for i, ax in enumerate(axes[0]):
        images.append(ax.imshow(frames[i][0], interpolation="nearest"))
        ax.set_axis_off()
        if titles is not None:
            ax.set_title(titles[i], fontsize=7)

    def draw(k: int) -> list:
        for img, f in zip(images, frames):
            img.set_data(f[k])
        return images

    anim = animation.FuncAnimation(fig, draw, frames=t, interval=1000 / fps)
    html = anim.to_jshtml(default_mode="loop")
    plt.close(fig)
    named = f" ({', '.join(titles)})" if titles is not None else ""
    text = f"Animation of {n} clips side by side{named}, {t} frames each, looping"
    # the player's one <img> shows the frames; it gets the alt text
    return html.replace("<img ", f'<img alt="{escape(text, quote=True)}" ', 1)


def filmstrip(
    clips: torch.Tensor, titles: Sequence[str] | None = None, scale: float = 0.8
) -> Figure:
    """Every frame of a few clips (N, T, C, H, W), one row per clip."""
    n, t = clips.shape[:2]
    fig, axes = plt.subplots(n, t, figsize=(scale * t, scale * n + 0.2), squeeze=False)
    named = f": {', '.join(titles)}" if titles is not None else ""
    set_alt(fig, f"Every frame of {n} clips, {t} frames a row, one row per clip{named}")
    for i in range(n):
        frames = frames_rgb(clips[i])
        for k in range(t):
            axes[i, k].imshow(frames[k], interpolation="nearest")
            axes[i, k].set_axis_off()
        if titles is not None:
            axes[i, 0].set_title(titles[i], fontsize=7, loc="left")
    fig.tight_layout(pad=0.2)
    return fig


def flow_to_rgb(flow: torch.Tensor, max_norm: float | None = None) -> np.ndarray:
    """Colour-code a flow (2, H, W): hue = direction, saturation = speed.

    Returns an (H, W, 3) array in [0, 1]; ``max_norm`` sets full saturation
    (default: the largest speed in the field).
    """
    u, v = flow.detach().cpu().double()
    mag = torch.sqrt(u**2 + v**2)
    norm = float(mag.max()) if max_norm is None else max_norm
    hue = (torch.atan2(-v, -u) / (2 * np.pi) + 0.5) % 1.0  # angle -> [0, 1)
    sat = (mag / max(norm, 1e-9)).clamp(0, 1)
    hsv = torch.stack([hue, sat, torch.ones_like(sat)], -1).numpy()
    return hsv_to_rgb(hsv)


def colour_wheel(size: int = 64) -> np.ndarray:
    """The legend of :func:`flow_to_rgb`: the colour of every flow in a disk."""
    r = torch.linspace(-1, 1, size, dtype=torch.float64)
    v, u = torch.meshgrid(r, r, indexing="ij")
    rgb = flow_to_rgb(torch.stack([u, v]), max_norm=1.0)
    rgb[(u**2 + v**2).numpy() > 1] = 1.0
    return rgb


def show_flow(
    frame1: torch.Tensor,
    frame2: torch.Tensor,
    flow: torch.Tensor,
    title: str = "",
    max_norm: float | None = None,
) -> Figure:
    """Two frames (C, H, W), the flow's colour coding, its u and v, and the wheel."""
    fig, ax = plt.subplots(1, 6, figsize=(11, 2.2))
    set_alt(
        fig,
        (f"{title}: " if title else "")
        + "optical flow between two frames: frame t, frame t+1, the flow coloured "
        "by direction (hue) and speed (saturation), its horizontal component u and "
        "vertical component v (red positive, blue negative), and the colour wheel",
    )
    for a, img, name in ((ax[0], frame1, "frame t"), (ax[1], frame2, "frame t+1")):
        a.imshow(frames_rgb(img[None])[0], interpolation="nearest")
        a.set_title(name, fontsize=8)
    ax[2].imshow(flow_to_rgb(flow, max_norm))
    ax[2].set_title("flow (colour)", fontsize=8)
    lim = float(flow.abs().max()) or 1.0
    for a, comp, name in ((ax[3], 0, "horizontal u"), (ax[4], 1, "vertical v")):
        a.imshow(flow[comp].detach().cpu().numpy(), cmap="RdBu_r", vmin=-lim, vmax=lim)
        a.set_title(name, fontsize=8)
    ax[5].imshow(colour_wheel())
    ax[5].set_title("colour wheel", fontsize=8)
    for a in ax:
        a.set_axis_off()
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig


def plot_timeline(
    length: int,
    ground_truth: torch.Tensor,
    detections: torch.Tensor,
    classes: Sequence[str],
    top: int = 6,
    ax: plt.Axes | None = None,
) -> plt.Axes:
    """Ground-truth segments (G, 3) above the ``top`` best detections (D, 4)."""
    if ax is None:
        fig, ax = plt.subplots(figsize=(9, 1.8))
        truth = [classes[int(k)] for _, _, k in ground_truth.tolist() if k >= 0]
        set_alt(
            fig,
            f"Timeline of {length} frames: the true action segments "
            f"({', '.join(truth) or 'none'}) on the upper row, the {top} "
            "highest-scoring detections below, darker for a higher score, "
            "coloured by class",
        )

    def cmap(k: int) -> str:
        return PALETTE[k % len(PALETTE)]

    for s, e, k in ground_truth.tolist():
        if k >= 0:
            ax.barh(1, e - s, left=s, color=cmap(int(k)), height=0.6)
            ax.text(s, 1, classes[int(k)], fontsize=7, va="center")
    best = detections[detections[:, 3].argsort(descending=True)][:top]
    for s, e, k, score in best.tolist():
        ax.barh(
            0, e - s, left=s, color=cmap(int(k)), height=0.6, alpha=0.3 + 0.7 * score
        )
    ax.set_yticks([0, 1], ["detected", "true"])
    ax.set_xlim(0, length)
    ax.set_xlabel("frame")
    return ax

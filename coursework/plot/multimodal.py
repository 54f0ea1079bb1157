"""Figures for audio-visual clips: frames beside their sound, filters, heatmaps.

Plotting lives here only; models and losses never import it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from coursework.plot.alttext import set_alt
from coursework.plot.core import frames_rgb
from coursework.plot.style import ACCENT, OKABE_ITO, REFERENCE


def show_clip(
    frames: torch.Tensor,
    audio: torch.Tensor,
    sample_rate: int,
    fps: float,
    onsets: torch.Tensor | None = None,
    spec: torch.Tensor | None = None,
    title: str | None = None,
) -> Figure:
    """A clip's frames above its waveform (bounces marked) and its log-mel spectrogram.

    Args:
        frames: (T, 3, S, S) uint8 or float.
        audio: (L,) waveform.
        sample_rate: audio samples per second.
        fps: video frames per second.
        onsets: bounce times in seconds (E,), NaN for padding.
        spec: log-mel spectrogram (M, F) of the same clip.
        title: figure title.
    """
    t = frames.shape[0]
    rows = 3 if spec is not None else 2
    fig = plt.figure(figsize=(max(6.0, 0.7 * t), 1.1 + 1.4 * (rows - 1)))
    bounces = 0 if onsets is None else int((onsets == onsets).sum())
    set_alt(
        fig,
        (f"{title}: " if title else "")
        + f"a clip's {t} frames in a row, above its waveform"
        + (f" with its {bounces} bounces marked by vertical lines" if bounces else "")
        + (
            " and its log-mel spectrogram (time across, mel band up)"
            if spec is not None
            else ""
        ),
    )
    grid = fig.add_gridspec(rows, t, height_ratios=[1.0] + [1.3] * (rows - 1))
    images = frames_rgb(frames)
    for k in range(t):
        ax = fig.add_subplot(grid[0, k])
        ax.imshow(images[k], interpolation="nearest")
        ax.set_axis_off()
        ax.set_title(f"{k / fps:.2f}s", fontsize=6)
    wave = audio.detach().float().cpu().numpy()
    seconds = np.arange(wave.shape[0]) / sample_rate
    ax = fig.add_subplot(grid[1, :])
    ax.plot(seconds, wave, lw=0.4, color="k")
    ax.set_xlim(0, wave.shape[0] / sample_rate)
    ax.set_ylabel("waveform", fontsize=8)
    if onsets is not None:
        for o in onsets.detach().cpu().tolist():
            if o == o:  # not NaN
                ax.axvline(o, color=ACCENT, lw=0.8, ls="--", alpha=0.9)
    if spec is not None:
        ax.set_xticks([])
        ax = fig.add_subplot(grid[2, :])
        s = spec.detach().float().cpu().numpy()
        ax.imshow(
            s,
            origin="lower",
            aspect="auto",
            cmap="magma",
            extent=(0, wave.shape[0] / sample_rate, 0, s.shape[0]),
        )
        ax.set_ylabel("mel band", fontsize=8)
    ax.set_xlabel("seconds")
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout(pad=0.3)
    return fig


def plot_filterbank(
    filterbank: torch.Tensor, sample_rate: int, ax: Axes | None = None
) -> Axes:
    """Every triangle of a mel filterbank (K, M) against frequency in Hz."""
    fb = filterbank.detach().float().cpu().numpy()
    freqs = np.linspace(0, sample_rate / 2, fb.shape[0])
    if ax is None:
        fig, ax = plt.subplots(figsize=(7, 2.4))
        set_alt(
            fig,
            f"The {fb.shape[1]} triangular mel filters against frequency from 0 to "
            f"{sample_rate // 2} Hz: narrow at low frequencies, wider and further "
            "apart at high ones",
        )
    # the filters are one family: one colour, no markers
    ax.plot(freqs, fb, lw=0.8, color="C0", ls="-", marker="")
    ax.set_xlabel("frequency (Hz)")
    ax.set_ylabel("weight")
    ax.set_title(f"{fb.shape[1]} mel filters")
    return ax


def plot_similarity(
    similarity: torch.Tensor,
    labels: torch.Tensor | None = None,
    names: Sequence[str] | None = None,
    ax: Axes | None = None,
    title: str = "similarity (rows: video, columns: audio)",
) -> Axes:
    """A similarity matrix, rows and columns sorted by ``labels`` when given."""
    s = similarity.detach().float().cpu()
    if labels is not None:
        order = torch.argsort(labels.cpu(), stable=True)
        s = s[order][:, order]
    if ax is None:
        fig, ax = plt.subplots(figsize=(3.6, 3.2))
        diagonal = float(s.diagonal().mean() - s.mean())
        set_alt(
            fig,
            f"Heat map of a {s.shape[0]} by {s.shape[1]} {title}, brighter for more "
            f"similar; the diagonal (matching pairs) is {diagonal:+.2f} above the "
            "mean" + (", grouped by class" if labels is not None else ""),
        )
    im = ax.imshow(s.numpy(), cmap="viridis")
    plt.colorbar(im, ax=ax, fraction=0.046)
    if labels is not None and names is not None:
        counts = torch.bincount(labels.cpu(), minlength=len(names)).cumsum(0)
        for c in counts[:-1].tolist():
            ax.axhline(c - 0.5, color="w", lw=0.5)
            ax.axvline(c - 0.5, color="w", lw=0.5)
    ax.set_title(title, fontsize=8)
    ax.set_xticks([])
    ax.set_yticks([])
    return ax


def plot_heatmaps(
    frames: torch.Tensor,
    heatmap: torch.Tensor,
    centre: torch.Tensor | None = None,
    peaks: torch.Tensor | None = None,
    axes: Sequence[Axes] | None = None,
    title: str | None = None,
) -> Sequence[Axes]:
    """Frames (T, 3, S, S) with a heatmap (T, h, w) over them.

    The true centre of the sounding object is a white ring, the heatmap's
    peak a sky-blue cross (both (T, 2) in [0, 1] when given).
    """
    t = frames.shape[0]
    if axes is None:
        fig, axes = plt.subplots(1, t, figsize=(1.1 * t, 1.3), squeeze=False)
        axes = axes[0]
        set_alt(fig, (f"{title}: " if title else "") + _heatmap_words(t, centre, peaks))
    images = frames_rgb(frames)
    s = images.shape[1]
    heat = heatmap.detach().float().cpu().numpy()
    lo, hi = float(heat.min()), float(heat.max())
    for k, ax in enumerate(axes):
        ax.imshow(images[k], interpolation="nearest")
        ax.imshow(
            heat[k], cmap="inferno", alpha=0.45, extent=(0, s, s, 0), vmin=lo, vmax=hi,
            interpolation="bilinear",
        )
        if centre is not None:
            x, y = (centre[k].detach().cpu() * s).tolist()
            ax.plot(x, y, "o", mfc="none", mec="w", ms=7, mew=1.2)
        if peaks is not None:
            x, y = (peaks[k].detach().cpu() * s).tolist()
            ax.plot(x, y, "+", color=OKABE_ITO["sky blue"], ms=8, mew=1.5)
        ax.set_xlim(0, s)
        ax.set_ylim(s, 0)
        ax.set_axis_off()
    if title:
        # a caption above the row, left-aligned, that may run over the other
        # frames; kept out of the layout so that it cannot shrink the frames
        text = axes[0].text(0, 1.04, title, transform=axes[0].transAxes, fontsize=8,
                            va="bottom", ha="left", clip_on=False)
        text.set_in_layout(False)
    return axes


def _heatmap_words(t: int, centre: object, peaks: object) -> str:
    return (
        f"{t} frames, each under a heat map of where the sound seems to come from"
        + (
            ", the true centre of the sounding object a white ring"
            if centre is not None
            else ""
        )
        + (", the heat map's peak a sky-blue cross" if peaks is not None else "")
    )


def plot_localisation(
    frames: torch.Tensor,
    heatmaps: torch.Tensor,
    centres: torch.Tensor | None = None,
    peaks: torch.Tensor | None = None,
    captions: Sequence[str] | None = None,
    frame_inches: float = 1.6,
) -> Figure:
    """One row per clip: its frames under their heatmaps, its caption above.

    Each frame is ``frame_inches`` wide (about 115 pixels at the 72 dpi of an
    inline notebook figure) whatever the length of the captions.

    Args:
        frames: (N, T, 3, S, S) clips.
        heatmaps: (N, T, h, w) similarity maps.
        centres: (N, T, 2) true centres in [0, 1], drawn as white rings.
        peaks: (N, T, 2) heatmap peaks in [0, 1], drawn as sky-blue crosses.
        captions: N captions, one above each row.
        frame_inches: side of one frame in inches.
    """
    n, t = frames.shape[:2]
    caption_inches = 0.25 if captions is not None else 0.05
    row_inches = frame_inches + caption_inches
    width, height = frame_inches * t + 0.1, row_inches * n
    fig, axes = plt.subplots(n, t, figsize=(width, height), squeeze=False)
    set_alt(
        fig,
        f"{n} clips, one per row: " + _heatmap_words(t, centres, peaks)
        + (f". Captions: {'; '.join(captions)}" if captions is not None else ""),
    )
    fig.subplots_adjust(
        left=0.05 / width, right=1 - 0.05 / width,
        bottom=0.02 / height, top=1 - caption_inches / height,
        wspace=0.04, hspace=caption_inches / frame_inches,
    )
    for i, row in enumerate(axes):
        plot_heatmaps(
            frames[i], heatmaps[i],
            None if centres is None else centres[i],
            None if peaks is None else peaks[i],
            axes=row, title=None if captions is None else captions[i],
        )
    return fig


def plot_scores(
    scores: Mapping[str, float],
    chance: float | None = None,
    ax: Axes | None = None,
    title: str = "",
    ylabel: str = "accuracy",
) -> Axes:
    """A bar per named score, with the chance level as a dashed line."""
    names, values = list(scores), list(scores.values())
    if ax is None:
        fig, ax = plt.subplots(figsize=(1.0 + 0.8 * len(scores), 2.6))
        set_alt(
            fig,
            f"Bar chart of {ylabel}" + (f", {title}" if title else "") + ": "
            + "; ".join(f"{n} {v:.2f}" for n, v in zip(names, values))
            + (f"; chance {chance:.2f} (dashed)" if chance is not None else ""),
        )
    bars = ax.bar(range(len(values)), values, color="C0")
    for bar, v in zip(bars, values):
        ax.text(bar.get_x() + bar.get_width() / 2, v, f"{v:.2f}", ha="center",
                va="bottom", fontsize=7)
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels(names, rotation=30, ha="right", fontsize=8)
    if chance is not None:
        ax.axhline(chance, ls="--", color=REFERENCE, lw=1, label="chance")
        ax.legend(fontsize=7, loc="lower right")
    ax.set_ylim(0, 1.05)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, fontsize=9)
    return ax


__all__ = [
    "plot_filterbank",
    "plot_heatmaps",
    "plot_localisation",
    "plot_scores",
    "plot_similarity",
    "show_clip",
]

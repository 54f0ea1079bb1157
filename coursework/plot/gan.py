"""Figures of notebook 04: 1-D discriminators, generator losses, 2-D samples.

Plotting lives here only; :mod:`coursework.gan` never imports it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from coursework.plot.alttext import set_alt
from coursework.plot.style import ACCENT, REFERENCE


def plot_generator_losses(ax: Sequence[Axes] | None = None) -> Sequence[Axes]:
    """The two generator losses as functions of ``D(G(z))``, and their slopes.

    Left: ``log(1 - D)`` (saturating) and ``-log D`` (non-saturating). Right:
    their derivatives with respect to the logit ``l`` of ``D = sigmoid(l)``,
    computed with autograd: ``-D`` and ``D - 1``.
    """
    if ax is None:
        fig, ax = plt.subplots(1, 2, figsize=(10, 3.5))
        set_alt(
            fig,
            "Two line charts against D(G(z)) from 0 to 1. Left: the saturating "
            "generator loss log(1 - D(G(z))) and the non-saturating -log D(G(z)). "
            "Right: their slopes with respect to the discriminator's logit, -D and "
            "D - 1: near D(G(z)) = 0 (shaded, early in training) the saturating "
            "slope vanishes while the non-saturating one is near -1",
        )
    logit = torch.linspace(-8, 8, 400, dtype=torch.float64, requires_grad=True)
    curves = {
        r"saturating $\log(1 - D(G(z)))$": lambda d: torch.log1p(-d),
        r"non-saturating $-\log D(G(z))$": lambda d: -torch.log(d),
    }
    for label, fn in curves.items():
        d = torch.sigmoid(logit)
        loss = fn(d)
        (grad,) = torch.autograd.grad(loss.sum(), logit)
        ax[0].plot(d.detach(), loss.detach(), label=label)
        ax[1].plot(d.detach(), grad, label=label)
    ax[0].set_ylabel("generator loss (minimised)")
    ax[1].set_ylabel("d loss / d logit")
    for a in ax:
        a.set_xlabel(r"$D(G(z))$")
        a.axvspan(0, 0.1, color=REFERENCE, alpha=0.15)
        a.grid(alpha=0.3)
    ax[0].legend(fontsize=8)
    ax[0].set_ylim(-5, 5)
    ax[1].set_title("early in training D(G(z)) ~ 0 (shaded)")
    return ax


def plot_mixture_samples(
    rows: Mapping[str, Mapping[int, torch.Tensor]],
    centers: torch.Tensor,
    limit: float | None = None,
    scale: float = 2.0,
) -> Figure:
    """Scatter plots of 2-D samples over the true mode centres.

    Args:
        rows: ``{label: {step: samples (N, 2)}}``, one row of panels per label.
        centers: the mode centres (K, 2), drawn as red crosses.
        limit: half-width of every panel (default: from the centres).
    """
    steps = sorted({s for r in rows.values() for s in r})
    lim = limit or float(centers.abs().max()) * 1.5
    fig, axes = plt.subplots(
        len(rows),
        len(steps),
        figsize=(scale * len(steps), scale * len(rows)),
        squeeze=False,
    )
    set_alt(
        fig,
        f"Scatter plots of 2-D samples over the {len(centers)} true mode centres "
        f"(crosses): one row each for {', '.join(rows)}; one column per training "
        f"step ({', '.join(map(str, steps))})",
    )
    c = centers.cpu().numpy()
    for i, (label, snaps) in enumerate(rows.items()):
        for j, step in enumerate(steps):
            ax = axes[i, j]
            if step in snaps:
                x = snaps[step].detach().cpu().numpy()
                ax.scatter(x[:, 0], x[:, 1], s=1, alpha=0.3, color="C0")
            ax.scatter(c[:, 0], c[:, 1], marker="x", color=ACCENT, s=12)
            ax.set_xlim(-lim, lim)
            ax.set_ylim(-lim, lim)
            ax.set_xticks([])
            ax.set_yticks([])
            if i == 0:
                ax.set_title(f"step {step}", fontsize=9)
            if j == 0:
                ax.set_ylabel(label, fontsize=9)
    fig.tight_layout()
    return fig


def smooth(values: Sequence[float], window: int) -> np.ndarray:
    """Running mean over ``window`` steps (the first values average fewer)."""
    v = np.asarray(values, dtype=float)
    window = max(1, min(window, len(v)))
    c = np.cumsum(np.insert(v, 0, 0.0))
    out = (c[window:] - c[:-window]) / window
    head = c[1:window] / np.arange(1, window)
    return np.concatenate([head, out])


def plot_gan_losses(
    histories: Mapping[str, object], window: int = 25, title: str | None = None
) -> Figure:
    """D and G losses per step (running mean), one panel per run.

    Args:
        histories: ``{label: GANHistory}``.
    """
    n = len(histories)
    fig, axes = plt.subplots(1, n, figsize=(3.2 * n, 2.8), squeeze=False)
    set_alt(
        fig,
        (f"{title}: " if title else "")
        + "line charts of the discriminator (D, solid) and generator (G, dashed) "
        f"losses per generator step, running mean over {window} steps, one panel "
        f"each for {', '.join(histories)}",
    )
    for ax, (label, h) in zip(axes[0], histories.items()):
        ax.plot(smooth(h.d_loss, window), "-", color="C0", label="D")
        ax.plot(smooth(h.g_loss, window), "--", color="C1", label="G")
        ax.set_title(label, fontsize=9)
        ax.set_xlabel("generator step")
        ax.grid(alpha=0.3)
    axes[0, 0].legend(fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_class_histograms(
    histograms: Mapping[str, torch.Tensor], classes: Sequence[str] | None = None
) -> Figure:
    """One bar chart of the predicted-class shares per row of a table."""
    n = len(histograms)
    cols = min(n, 4)
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3 * cols, 2.2 * rows), squeeze=False)
    set_alt(
        fig,
        "Bar charts of the share of samples classified as each class, one each "
        f"for {', '.join(histograms)}; a dashed line marks the uniform share",
    )
    for ax in axes.flat[n:]:
        ax.set_axis_off()
    for ax, (label, hist) in zip(axes.flat, histograms.items()):
        k = hist.numel()
        ax.bar(range(k), hist.cpu().numpy())
        ax.axhline(1 / k, color=REFERENCE, ls="--", lw=1)
        ax.set_xticks(range(k), classes or range(k), fontsize=7)
        ax.set_title(label, fontsize=9)
        ax.set_ylim(0, max(0.35, float(hist.max()) * 1.1))
    fig.tight_layout()
    return fig

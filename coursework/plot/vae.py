"""Figures of notebook 03: latent traversals, the 2-D manifold, factor heatmaps.

Plotting lives here only; the models and losses in :mod:`coursework.vae`
never import it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import matplotlib.pyplot as plt
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from coursework.plot.alttext import set_alt
from coursework.plot.core import show_images

Decode = Callable[[torch.Tensor], torch.Tensor]


@torch.no_grad()
def traversal_images(
    decode: Decode, z0: torch.Tensor, dims: Sequence[int], values: torch.Tensor
) -> torch.Tensor:
    """Decode ``z0`` with one latent dim at a time swept over ``values``.

    Args:
        decode: maps codes (N, D) to images (N, C, H, W) in [0, 1].
        z0: the base code (D,).
        dims: latent dims to sweep, one row each.
        values: (V,) values each swept dim takes.

    Returns:
        (len(dims) * V, C, H, W), row by row.
    """
    v = values.to(z0.device, z0.dtype)
    z = z0.expand(len(dims), len(v), z0.shape[-1]).clone()  # (rows, V, D)
    for row, d in enumerate(dims):
        z[row, :, d] = v
    return decode(z.reshape(-1, z0.shape[-1]))  # (rows * V, C, H, W)


def plot_traversals(
    decode: Decode,
    z0: torch.Tensor,
    dims: Sequence[int],
    span: float = 3.0,
    steps: int = 9,
    labels: Sequence[str] | None = None,
    title: str | None = None,
) -> Figure:
    """One row per latent dim: ``z0`` with that dim swept over ``[-span, span]``."""
    values = torch.linspace(-span, span, steps)
    imgs = traversal_images(decode, z0, dims, values).cpu()
    fig, axes = plt.subplots(
        len(dims), 1, figsize=(0.6 * steps + 1.5, 0.65 * len(dims) + 0.6), squeeze=False
    )
    names = labels or [f"z[{d}]" for d in dims]
    set_alt(
        fig,
        f"Latent traversals: one row per latent ({', '.join(names)}), each row the "
        f"decoded image as that latent goes from {-span:g} to {span:g} in {steps} "
        "steps with the others fixed" + (f"; {title}" if title else ""),
    )
    for row, ax in enumerate(axes[:, 0]):
        show_images(imgs[row * steps : (row + 1) * steps], nrow=steps, ax=ax)
        ax.set_axis_on()
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_ylabel(names[row], rotation=0, ha="right", va="center")
        for spine in ax.spines.values():
            spine.set_visible(False)
    fig.suptitle(title or f"latent traversals, values from {-span:g} to {span:g}")
    fig.tight_layout()
    return fig


@torch.no_grad()
def plot_manifold(
    decode: Decode, n: int = 15, quantile: float = 0.95, ax: Axes | None = None
) -> Axes:
    """Decode a 2-D grid of standard-normal quantiles (Kingma & Welling, fig. 4).

    The grid points are ``Phi^{-1}(u)`` for ``u`` evenly spaced in
    ``[1 - quantile, quantile]``, so equal steps in the grid are equal steps
    in prior probability mass.
    """
    u = torch.linspace(1 - quantile, quantile, n)
    z1 = torch.distributions.Normal(0.0, 1.0).icdf(u)  # (n,)
    zy, zx = torch.meshgrid(z1.flip(0), z1, indexing="ij")  # (n, n), z_2 upwards
    z = torch.stack([zx, zy], -1).reshape(-1, 2)  # (n*n, 2)
    imgs = decode(z).cpu()
    if ax is None:  # one tile per grid point: about 50 px each in a notebook
        fig, ax = plt.subplots(figsize=(0.7 * n, 0.7 * n))
        set_alt(
            fig,
            f"A {n} by {n} grid of images decoded from a grid of 2-D latent codes, "
            "evenly spaced in prior probability: neighbouring images change smoothly",
        )
    show_images(imgs, nrow=n, ax=ax, title="decoded grid of prior quantiles")
    return ax


def plot_factor_heatmap(
    mi: torch.Tensor,
    factor_names: Sequence[str],
    ax: Axes | None = None,
    title: str | None = None,
    vmax: float | None = None,
) -> Axes:
    """Heatmap of a (D, F) latent-by-factor score, e.g. normalised mutual info.

    Pass the same ``vmax`` to heatmaps that are to be compared side by side.
    """
    if ax is None:
        fig, ax = plt.subplots(
            figsize=(0.7 * len(factor_names) + 1.5, 0.35 * mi.shape[0] + 1)
        )
        set_alt(
            fig,
            f"Heat map of {title or 'scores'} between {mi.shape[0]} latents (rows) "
            f"and the factors {', '.join(factor_names)} (columns), each value "
            "written in its cell",
        )
    im = ax.imshow(
        mi.cpu().numpy(),
        cmap="viridis",
        vmin=0,
        vmax=vmax or max(float(mi.max()), 1e-6),
    )
    ax.set_xticks(range(len(factor_names)), factor_names, rotation=45)
    ax.set_yticks(range(mi.shape[0]), [f"z[{j}]" for j in range(mi.shape[0])])
    for (j, f), v in zip(
        [(j, f) for j in range(mi.shape[0]) for f in range(mi.shape[1])], mi.flatten()
    ):
        ax.text(
            f,
            j,
            f"{float(v):.2f}",
            ha="center",
            va="center",
            fontsize=7,
            color="white" if v < 0.5 * (vmax or mi.max()) else "black",
        )
    ax.figure.colorbar(im, ax=ax, fraction=0.05)
    if title:
        ax.set_title(title)
    return ax


def plot_spread(
    samples: dict[str, torch.Tensor], xlabel: str, ax: Axes | None = None
) -> Figure:
    """Horizontal box plots, one row per named set of repeated estimates."""
    import matplotlib

    if ax is None:
        fig, ax = plt.subplots(figsize=(7, 0.5 + 0.6 * len(samples)))
        set_alt(
            fig,
            f"Box plots of repeated estimates of {xlabel}, one row each for "
            + ", ".join(samples),
        )
    # ``vert`` is deprecated from Matplotlib 3.10, which has ``orientation``
    version = tuple(int(p) for p in matplotlib.__version__.split(".")[:2])
    horizontal = (
        {"orientation": "horizontal"} if version >= (3, 10) else {"vert": False}
    )
    ax.boxplot([s.detach().cpu().numpy() for s in samples.values()], **horizontal)
    ax.set_yticks(range(1, len(samples) + 1), list(samples))
    ax.set_xlabel(xlabel)
    ax.figure.tight_layout()
    return ax.figure

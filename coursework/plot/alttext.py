"""Alt text for every figure the course draws, carried into the notebook output.

A figure's alt text is set where the figure is made, with :func:`set_alt` (or
:func:`alt` for the current figure); a figure without one is described from its
own titles, axis labels and legend by :func:`describe_figure`, so no figure is
shown without a text alternative. :func:`install` (run on importing
:mod:`coursework.plot` inside IPython) registers a display formatter that puts
the text in the output's metadata, ``{"image/png": {"alt": ...}}``, whichever
way the figure is shown: ``plt.show()``, the figures flushed at the end of a
cell, ``display(fig)`` or an interactive explorer's output. The course site
(``docs/_ext/coursesite.py``) writes it into the page's ``<img alt>``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import PathCollection
from matplotlib.container import BarContainer
from matplotlib.figure import Figure, SubFigure

ALT_ATTR = "_coursework_alt"
#: The mime types whose output metadata get the alt text.
IMAGE_MIMES = ("image/png", "image/svg+xml")
_MATH_COMMAND = re.compile(r"\\([A-Za-z]+)")
_MAX_TITLES = 6


def _figure_of(target: Figure | Axes | Iterable[Axes] | np.ndarray | None) -> Figure:
    import matplotlib.pyplot as plt

    if target is None:
        return plt.gcf()
    if isinstance(target, Figure):
        return target
    if isinstance(target, SubFigure):
        return target.figure  # type: ignore[return-value]
    if isinstance(target, Axes):
        return target.figure  # type: ignore[return-value]
    first = next(iter(np.asarray(target, dtype=object).flat))
    return _figure_of(first)


def set_alt(
    target: Figure | Axes | Iterable[Axes] | np.ndarray | None, text: str
) -> Figure:
    """Give a figure its alt text: what it shows, in a sentence or two.

    Args:
        target: the figure, one of its axes, an array of its axes, or ``None``
            for pyplot's current figure.
        text: the description; it must say what the figure shows (not
            "figure" or "plot").

    Returns:
        The figure.

    Raises:
        ValueError: the text is empty.
    """
    text = " ".join(text.split())
    if not text:
        raise ValueError("alt text must say what the figure shows; got nothing")
    text = text[0].upper() + text[1:]  # a sentence, however it was put together
    fig = _figure_of(target)
    setattr(fig, ALT_ATTR, text)
    return fig


def alt(text: str) -> Figure:
    """Set the alt text of pyplot's current figure (before ``plt.show()``)."""
    return set_alt(None, text)


def _plain(text: str) -> str:
    """Label text without mathtext markup: ``$\\log D$`` -> ``log D``."""
    text = _MATH_COMMAND.sub(r"\1", text.replace("$", ""))
    return " ".join(text.replace("{", "").replace("}", "").split())


def _is_colorbar(ax: Axes) -> bool:
    return ax.get_label() == "<colorbar>" or hasattr(ax, "_colorbar")


def describe_axes(ax: Axes) -> str:
    """One panel in words: its kind, title, axes and legend entries."""
    title = _plain(ax.get_title() or ax.get_title(loc="left"))
    if ax.images and not title:
        title = _plain(ax.get_ylabel())
    kinds = []
    if ax.images:
        kinds.append("image")
    bars = [c for c in ax.containers if isinstance(c, BarContainer)]
    if bars:
        kinds.append("bar chart")
    if any(len(line.get_xdata()) > 2 for line in ax.get_lines()):
        kinds.append("line chart")
    if any(isinstance(c, PathCollection) for c in ax.collections):
        kinds.append("scatter plot")
    words = " and ".join(kinds) or "panel"
    parts = [f"{words} '{title}'" if title else words]
    if not ax.images:
        x, y = _plain(ax.get_xlabel()), _plain(ax.get_ylabel())
        if x and y:
            parts.append(f"{y} against {x}")
        elif x or y:
            parts.append(f"axis: {x or y}")
    labels = [
        _plain(label)
        for label in ax.get_legend_handles_labels()[1]
        if label and not label.startswith("_")
    ]
    if labels:
        parts.append("showing " + ", ".join(dict.fromkeys(labels)))
    return ", ".join(parts)


def describe_figure(fig: Figure) -> str:
    """A figure in words, read from its own titles, labels and legends.

    The fallback for a figure made without :func:`set_alt`: e.g. "2 panels:
    line chart 'loss', loss against epoch, showing train, val; image 'samples'".
    """
    axes = [ax for ax in fig.axes if ax.get_visible() and not _is_colorbar(ax)]
    suptitle = getattr(fig, "_suptitle", None)
    head = _plain(suptitle.get_text()) if suptitle is not None else ""
    if not axes:
        return head or "An empty figure"
    panels = [describe_axes(ax) for ax in axes]
    if len(panels) == 1:
        body = panels[0]
    elif all(ax.images for ax in axes):
        titles = [
            t for t in (_plain(ax.get_title() or ax.get_ylabel()) for ax in axes) if t
        ]
        titles = list(dict.fromkeys(titles))
        more = len(titles) - _MAX_TITLES
        named = ", ".join(titles[:_MAX_TITLES])
        if more > 0:
            named += f" and {more} more"
        body = f"{len(axes)} image panels" + (f" labelled {named}" if titles else "")
    else:
        unique = list(dict.fromkeys(panels))
        body = f"{len(axes)} panels: " + "; ".join(unique[:_MAX_TITLES])
        if len(unique) > _MAX_TITLES:
            body += f"; and {len(unique) - _MAX_TITLES} more"
    text = f"{head}: {body}" if head else body
    return text[0].upper() + text[1:]


def figure_alt(fig: Figure) -> str:
    """The alt text of ``fig``: the one set with :func:`set_alt`, else described."""
    return getattr(fig, ALT_ATTR, None) or describe_figure(fig)


def alt_metadata(fig: Figure) -> tuple[dict, dict]:
    """A mime-bundle printer: no data, and the alt text as each image's metadata.

    IPython's display merges this metadata with the image the inline backend
    draws, so the notebook output reads ``{"image/png": {"alt": ...}}``.
    """
    text = figure_alt(fig)
    return {}, {mime: {"alt": text} for mime in IMAGE_MIMES}


def install() -> bool:
    """Register :func:`alt_metadata` for figures in the running IPython, if any.

    Returns:
        Whether an IPython shell was found (nothing to do outside one).
    """
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None:
        return False
    shell.display_formatter.mimebundle_formatter.for_type(Figure, alt_metadata)
    return True

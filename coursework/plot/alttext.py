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

JupyterLab (4.6, its ``renderImage``), Colab and VS Code draw an ``image/png``
output as an ``<img>`` with no ``alt``, whatever its metadata says. So the same
output also carries the picture as ``text/html``, an ``<img alt=...>`` of the
same PNG (drawn once): a live notebook, which is trusted, shows that one and a
screen reader reads the text; an untrusted notebook falls back to the plain
PNG, and the site prefers the PNG too (``nb_mime_priority_overrides``).
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

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


def image_html(png: bytes | str, text: str, width: int | None = None) -> str:
    """An ``<img>`` of a PNG (raw bytes or base64) with ``text`` as its alt text.

    The background is white, as the PNG renderer gives a figure that needs one
    (the course's figures are drawn for a light page).
    """
    data = png if isinstance(png, str) else base64.b64encode(png).decode("ascii")
    size = f' width="{int(width)}"' if width else ""
    alt_attr = html.escape(text, quote=True)
    return (
        f'<img src="data:image/png;base64,{data}" alt="{alt_attr}"{size} '
        'style="background-color: white">'
    )


_ONCE = "_coursework_png_once"


def _png_once(original: Callable[[Figure], Any]) -> Callable[[Figure], Any]:
    """Wrap the shell's PNG printer: reuse the PNG :func:`alt_bundle` just drew
    (one drawing per display), and keep the alt text in retina metadata."""

    def printer(fig: Figure) -> Any:
        made = fig.__dict__.pop(_ONCE, None)
        if made is None:
            made = original(fig)
        if isinstance(made, tuple):  # retina: (png, {"width": ..., "height": ...})
            image, extra = made
            return image, {**(extra or {}), "alt": figure_alt(fig)}
        return made

    printer.original = original  # type: ignore[attr-defined]
    return printer


def alt_bundle(fig: Figure, png: Any = None) -> tuple[dict, dict]:
    """A mime-bundle printer: the alt text as metadata, and the figure as an
    ``<img alt>`` in ``text/html``.

    Args:
        fig: the figure being displayed.
        png: the shell's ``image/png`` formatter (it follows the inline
            backend's settings, retina included). Without one, or without a
            PNG printer for figures in it (e.g. the figure format is SVG), only
            the metadata of :func:`alt_metadata` is returned.

    Returns:
        ``(data, metadata)``: ``{"text/html": "<img alt=...>"}`` and
        ``{"image/png": {"alt": ...}}``; IPython adds the ``image/png`` itself,
        from the same drawing where :func:`install` wrapped its printer.
    """
    data, metadata = alt_metadata(fig)
    try:
        printer = png.lookup(fig) if png is not None else None
    except KeyError:
        printer = None
    if printer is None:
        return data, metadata
    made = getattr(printer, "original", printer)(fig)
    if made is None:
        return data, metadata
    if hasattr(printer, "original"):
        setattr(fig, _ONCE, made)  # the PNG printer, called next, reuses it
    image, extra = made if isinstance(made, tuple) else (made, {})
    text = metadata["image/png"]["alt"]
    html_img = image_html(image, text, (extra or {}).get("width"))
    return {"text/html": html_img}, metadata


def install() -> bool:
    """Register :func:`alt_bundle` for figures in the running IPython, if any,
    and wrap its PNG printer for figures with :func:`_png_once`.

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
    import matplotlib.pyplot  # noqa: F401  (the inline backend registers its printers)

    formatter = shell.display_formatter
    png = formatter.formatters.get("image/png")
    if png is not None:
        try:
            original = png.lookup_by_type(Figure)
        except KeyError:
            original = None
        if original is not None and not hasattr(original, "original"):
            png.for_type(Figure, _png_once(original))
    formatter.mimebundle_formatter.for_type(Figure, partial(alt_bundle, png=png))
    return True

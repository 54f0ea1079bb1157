"""The figure of ``coursework.progress()``: the course's exercises as a grid.

One row per notebook, one square per exercise. A status is told by three
things at once, so that it never rests on colour alone: a colour from the
Okabe-Ito palette (safe for the common colour-vision deficiencies), a symbol
(✓, ✗, –) and a fill pattern (solid, hatched, empty with a dashed edge).
"""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

# Okabe & Ito (2008): blue and orange stay distinct in every common form of
# colour blindness; "not done" is a light grey outline.
STYLES: dict[str, dict[str, str]] = {
    "pass": {"color": "#0072B2", "hatch": "", "symbol": "✓", "text": "white"},
    "fail": {"color": "#E69F00", "hatch": "///", "symbol": "✗", "text": "black"},
    "not done": {"color": "#F2F2F2", "hatch": "", "symbol": "–", "text": "#444444"},
}
LEGEND = {"pass": "✓ passes", "fail": "✗ fails (hatched)", "not done": "– not done"}


def _short(name: str, width: int = 14) -> str:
    """An exercise name on at most two lines, split at underscores."""
    if len(name) <= width:
        return name
    parts = name.split("_")
    first = parts[0]
    for i in range(1, len(parts)):
        if len("_".join(parts[: i + 1])) > width:
            break
        first = "_".join(parts[: i + 1])
    rest = name[len(first) :]
    rest = rest if len(rest) <= width + 3 else rest[: width + 2] + "…"
    return f"{first}\n{rest}" if rest else first


def plot_progress(
    notebooks: Sequence[str],
    statuses: Sequence[Sequence[tuple[str, str]]],
    title: str,
) -> Figure:
    """A grid of notebooks (rows) x exercises (squares), one style per status.

    Args:
        notebooks: the row labels, e.g. ``"01_video"``.
        statuses: per notebook, ``(exercise name, status)`` pairs with status
            ``"pass"``, ``"fail"`` or ``"not done"``.
        title: the figure's title, written to serve as its alt text (what the
            figure shows, in words: how many pass, fail, are not done).

    Returns:
        A Figure made without pyplot (a notebook shows a returned figure once).
    """
    n_rows = len(notebooks)
    n_cols = max((len(s) for s in statuses), default=1) or 1
    fig = Figure(figsize=(1.1 * n_cols + 1.6, 0.72 * n_rows + 1.4), dpi=100)
    ax = fig.add_subplot()
    for r, row in enumerate(statuses):
        for c, (name, status) in enumerate(row):
            style = STYLES[status]
            y = n_rows - 1 - r
            ax.add_patch(
                Rectangle(
                    (c + 0.04, y + 0.06),
                    0.92,
                    0.88,
                    facecolor=style["color"],
                    edgecolor="#333333" if status != "not done" else "#999999",
                    linestyle="-" if status != "not done" else "--",
                    hatch=style["hatch"],
                    linewidth=0.8,
                )
            )
            # on a hatched square the text sits on a solid patch of its colour
            box = (
                {"facecolor": style["color"], "edgecolor": "none", "pad": 0.6}
                if style["hatch"]
                else None
            )
            ax.text(
                c + 0.5,
                y + 0.66,
                style["symbol"],
                ha="center",
                va="center",
                fontsize=12,
                color=style["text"],
                fontweight="bold",
                bbox=box,
            )
            ax.text(
                c + 0.5,
                y + 0.3,
                _short(name),
                ha="center",
                va="center",
                fontsize=7,
                color=style["text"],
                linespacing=1.0,
                bbox=box,
            )
    ax.set_xlim(0, n_cols)
    ax.set_ylim(0, n_rows)
    ax.set_yticks([n_rows - 1 - r + 0.5 for r in range(n_rows)], list(notebooks))
    ax.set_xticks([])
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_aspect("auto")
    ax.set_title(title, fontsize=10)
    handles = [
        Patch(
            facecolor=STYLES[s]["color"],
            hatch=STYLES[s]["hatch"],
            edgecolor="#333333" if s != "not done" else "#999999",
            linestyle="-" if s != "not done" else "--",
            label=LEGEND[s],
        )
        for s in STYLES
    ]
    ax.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.02),
        ncol=3,
        frameon=False,
        fontsize=8,
    )
    fig.tight_layout()
    return fig

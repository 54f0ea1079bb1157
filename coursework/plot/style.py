"""The course's figure style, set in one place: a colour-blind safe palette, and
lines that differ by line style and marker as well as by colour.

The palette is Okabe and Ito's (2008), which stays distinct under the common
forms of colour blindness; yellow, faint on white, comes last. Each line of a
plot cycles through colour, line style and marker together, so two lines never
differ by colour alone (markers are spaced along a line, not on every point).
Importing :mod:`coursework.plot` applies it (:func:`apply_style`); sequential
data use the ``viridis`` or grey colour maps, which are safe as they are.
"""

from __future__ import annotations

import matplotlib as mpl
from cycler import cycler

#: Okabe-Ito colours by name.
OKABE_ITO: dict[str, str] = {
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "bluish green": "#009E73",
    "reddish purple": "#CC79A7",
    "orange": "#E69F00",
    "sky blue": "#56B4E9",
    "black": "#000000",
    "yellow": "#F0E442",
}
#: The palette in the order lines and bars take it (``C0`` ... ``C7``).
PALETTE: tuple[str, ...] = tuple(OKABE_ITO.values())
#: Line styles and markers, one per palette entry, taken together with it.
LINESTYLES: tuple[str, ...] = ("-", "--", ":", "-.", "-", "--", ":", "-.")
MARKERS: tuple[str, ...] = ("o", "s", "^", "D", "v", "P", "X", "*")
#: Marked points and reference lines (true centres, chance levels).
ACCENT = OKABE_ITO["vermillion"]
REFERENCE = "#666666"
#: The colour map of sequential values (heat maps, similarities).
SEQUENTIAL_CMAP = "viridis"


def style_cycle() -> cycler:
    """The property cycle: colour, line style and marker advance together."""
    return (
        cycler(color=list(PALETTE))
        + cycler(linestyle=list(LINESTYLES))
        + cycler(marker=list(MARKERS))
        # A float spaces markers evenly along a line, however many points it has.
        + cycler(markevery=[0.1] * len(PALETTE))
    )


def apply_style() -> None:
    """Set matplotlib's defaults to the course's style (idempotent)."""
    mpl.rcParams["axes.prop_cycle"] = style_cycle()
    mpl.rcParams["lines.markersize"] = 4
    mpl.rcParams["image.cmap"] = SEQUENTIAL_CMAP

"""Figures, one module per family: ``core`` (grids, curves), and one per topic.

Importing this package applies the course's colour-blind safe style
(:mod:`coursework.plot.style`) and, inside IPython, puts every figure's alt text
into its output (:mod:`coursework.plot.alttext`).
"""

from coursework.plot import alttext as _alt
from coursework.plot.alttext import alt, describe_figure, figure_alt, set_alt
from coursework.plot.core import (
    compare_rows,
    confusion_matrix,
    frames_rgb,
    image_grid,
    plot_history,
    show_images,
)
from coursework.plot.style import PALETTE, apply_style

apply_style()
_alt.install()

__all__ = [
    "PALETTE",
    "alt",
    "apply_style",
    "compare_rows",
    "confusion_matrix",
    "describe_figure",
    "figure_alt",
    "frames_rgb",
    "image_grid",
    "plot_history",
    "set_alt",
    "show_images",
]

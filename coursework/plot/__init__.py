"""Figures, one module per family: ``core`` (grids, curves), and one per topic."""

from coursework.plot.core import (
    compare_rows,
    confusion_matrix,
    frames_rgb,
    image_grid,
    plot_history,
    show_images,
)

__all__ = [
    "compare_rows",
    "confusion_matrix",
    "frames_rgb",
    "image_grid",
    "plot_history",
    "show_images",
]

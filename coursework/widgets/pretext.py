"""A colourisation explorer: a test image and the temperature of the annealed mean.

``colorization_explorer`` always draws a static figure (a few images at a few
temperatures, so the notebook reads the same headless or without a kernel)
and, when ipywidgets is importable, returns a live widget with two sliders.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import matplotlib.pyplot as plt
import torch
from IPython.display import display

from coursework.plot.alttext import set_alt
from coursework.plot.core import compare_rows, show_images
from coursework.pretext.color import to_grey

Colorize = Callable[[torch.Tensor, float], torch.Tensor]


class ColorizationExplorer:
    """Sliders for the image index and the temperature; shows grey, colour, truth.

    Args:
        colorize: ``(images (N, 3, H, W), temperature) -> colourised images``.
        images: test images (N, 3, H, W) in [0, 1].
    """

    def __init__(self, colorize: Colorize, images: torch.Tensor) -> None:
        import ipywidgets as widgets

        self.colorize = colorize
        self.images = images
        self.index = widgets.IntSlider(
            value=0,
            min=0,
            max=images.shape[0] - 1,
            description="image",
            continuous_update=False,
        )
        self.temperature = widgets.FloatLogSlider(
            value=0.38,
            base=10,
            min=-2,
            max=0,
            step=0.05,
            description="T",
            continuous_update=False,
        )
        self.output = widgets.Output()
        for s in (self.index, self.temperature):
            s.observe(self._redraw, names="value")
        self.widget = widgets.VBox([self.index, self.temperature, self.output])
        self._redraw()

    @torch.no_grad()
    def panels(self) -> torch.Tensor:
        """Grey input, colourised and true image (3, 3, H, W) for the current choice."""
        x = self.images[self.index.value : self.index.value + 1]
        out = self.colorize(x, float(self.temperature.value))
        return torch.cat([to_grey(x), out.to(x), x]).cpu()

    def _redraw(self, change: object = None) -> None:
        panels = self.panels()
        with self.output:
            self.output.clear_output(wait=True)
            fig, ax = plt.subplots(figsize=(4, 1.6))
            show_images(panels, nrow=3, ax=ax, title="grey | coloured | truth")
            set_alt(
                fig,
                "Three versions of one image side by side: the grey input, the "
                "model's colouring of it, and its true colours",
            )
            display(fig)
            plt.close(fig)


def colorization_explorer(
    colorize: Colorize,
    images: torch.Tensor,
    temperatures: Sequence[float] = (1.0, 0.38, 0.05),
    n_static: int = 8,
    interactive: bool = True,
) -> ColorizationExplorer | None:
    """Draw the static figure, then build the live explorer when possible.

    Returns:
        The :class:`ColorizationExplorer` (display ``.widget``), or None when
        ``interactive`` is False or ipywidgets is not installed.
    """
    shown = images[:n_static]
    with torch.no_grad():
        rows = {"grey": to_grey(shown)}
        for t in temperatures:
            rows[f"T = {t:g}"] = colorize(shown, t)
        rows["truth"] = shown
    compare_rows(rows)
    plt.show()
    if not interactive:
        return None
    try:
        return ColorizationExplorer(colorize, images)
    except ImportError:
        return None

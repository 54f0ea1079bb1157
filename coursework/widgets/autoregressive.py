"""Pick a pixel, see its receptive field under several autoregressive models.

``receptive_field_explorer`` always draws the maps for one pixel first (so
the notebook reads the same headless, under nbval, or in a viewer without a
kernel) and, when ipywidgets is importable, returns a live explorer whose
row and column sliders redraw the maps of every model for the chosen pixel.
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import torch
from IPython.display import display
from torch import nn

from coursework.autoregressive.receptive_field import architecture_field, blind_spot
from coursework.plot.autoregressive import plot_receptive_fields


def fields_at(
    models: Mapping[str, nn.Module],
    image_shape: tuple[int, int, int],
    pixel: tuple[int, int],
) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """Each model's receptive field (H, W, bool) at ``pixel`` and its blind spot.

    The field of output channel 0 over all input channels, from the
    architecture (:func:`architecture_field`), so training cannot change it.
    """
    fields, blind = {}, {}
    for name, model in models.items():
        f = architecture_field(model, image_shape, pixel).any(0)
        fields[name], blind[name] = f, blind_spot(f, pixel)
    return fields, blind


def draw(models, image_shape, pixel) -> None:
    """The maps of every model at ``pixel``, side by side."""
    fields, blind = fields_at(models, image_shape, pixel)
    plot_receptive_fields(fields, pixel, blind)
    plt.suptitle(f"receptive field of pixel {pixel}", fontsize=10)
    plt.tight_layout()


class FieldExplorer:
    """Row and column sliders; the maps of every model for that pixel.

    Args:
        models: name -> model mapping (N, C, H, W) to (N, P, C, H, W).
        image_shape: (C, H, W).
        pixel: the first pixel shown.
    """

    def __init__(self, models, image_shape, pixel) -> None:
        import ipywidgets as widgets

        self.models, self.image_shape = models, image_shape
        _, h, w = image_shape
        self.row = widgets.IntSlider(pixel[0], 0, h - 1, description="row")
        self.col = widgets.IntSlider(pixel[1], 0, w - 1, description="column")
        self.output = widgets.Output()
        for s in (self.row, self.col):
            s.observe(self._redraw, names="value")
        self.widget = widgets.VBox([widgets.HBox([self.row, self.col]), self.output])
        self._redraw()

    @property
    def pixel(self) -> tuple[int, int]:
        """The chosen (row, column)."""
        return (int(self.row.value), int(self.col.value))

    def _redraw(self, change: object = None) -> None:
        with self.output:
            self.output.clear_output(wait=True)
            draw(self.models, self.image_shape, self.pixel)
            fig = plt.gcf()
            display(fig)
            plt.close(fig)


def receptive_field_explorer(
    models: Mapping[str, nn.Module],
    image_shape: tuple[int, int, int],
    pixel: tuple[int, int] | None = None,
    interactive: bool = True,
) -> FieldExplorer | None:
    """Draw the maps at ``pixel`` (default: the centre) and build the live explorer.

    Returns:
        The :class:`FieldExplorer` (display ``.widget``), or None when
        ``interactive`` is False or ipywidgets is not installed.
    """
    _, h, w = image_shape
    pixel = pixel or (h // 2, w // 2)
    draw(models, image_shape, pixel)
    plt.show()
    if not interactive:
        return None
    try:
        return FieldExplorer(models, image_shape, pixel)
    except ImportError:
        return None

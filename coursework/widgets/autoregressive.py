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

from coursework.autoregressive.receptive_field import blind_spot, receptive_field
from coursework.plot.autoregressive import plot_receptive_fields


def fields_at(
    models: Mapping[str, nn.Module],
    image_shape: tuple[int, int, int],
    pixel: tuple[int, int],
    device: torch.device | str | None = None,
) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """Each model's receptive field (H, W) at ``pixel`` (channel 0) and blind spot."""
    fields, blind = {}, {}
    for name, model in models.items():
        f = receptive_field(model, image_shape, pixel, device=device).sum(0).cpu()
        fields[name], blind[name] = f, blind_spot(f, pixel)
    return fields, blind


def draw(models, image_shape, pixel, device=None) -> None:
    """The maps of every model at ``pixel``, side by side."""
    fields, blind = fields_at(models, image_shape, pixel, device)
    plot_receptive_fields(fields, pixel, blind)
    plt.suptitle(f"receptive field of pixel {pixel}", fontsize=10)
    plt.tight_layout()


class FieldExplorer:
    """Row and column sliders; the maps of every model for that pixel.

    Args:
        models: name -> model mapping (N, C, H, W) to (N, P, C, H, W).
        image_shape: (C, H, W).
        pixel: the first pixel shown.
        device: where the models live.
    """

    def __init__(self, models, image_shape, pixel, device=None) -> None:
        import ipywidgets as widgets

        self.models, self.image_shape, self.device = models, image_shape, device
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
            draw(self.models, self.image_shape, self.pixel, self.device)
            fig = plt.gcf()
            display(fig)
            plt.close(fig)


def receptive_field_explorer(
    models: Mapping[str, nn.Module],
    image_shape: tuple[int, int, int],
    pixel: tuple[int, int] | None = None,
    device: torch.device | str | None = None,
    interactive: bool = True,
) -> FieldExplorer | None:
    """Draw the maps at ``pixel`` (default: the centre) and build the live explorer.

    Returns:
        The :class:`FieldExplorer` (display ``.widget``), or None when
        ``interactive`` is False or ipywidgets is not installed.
    """
    _, h, w = image_shape
    pixel = pixel or (h // 2, w // 2)
    draw(models, image_shape, pixel, device)
    plt.show()
    if not interactive:
        return None
    try:
        return FieldExplorer(models, image_shape, pixel, device)
    except ImportError:
        return None

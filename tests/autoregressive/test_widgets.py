"""The receptive-field explorer and the figures build and draw without a display."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import torch

from coursework.autoregressive.masks import causal_mask
from coursework.autoregressive.models import GatedPixelCNN, PixelCNN
from coursework.plot.autoregressive import (
    filmstrip,
    plot_bars,
    plot_masks,
    plot_pmfs,
    plot_receptive_fields,
)
from coursework.widgets.autoregressive import (
    FieldExplorer,
    fields_at,
    receptive_field_explorer,
)


def _models():
    torch.manual_seed(0)
    return {"PixelCNN": PixelCNN(1, 2, 8, 3, 3), "gated": GatedPixelCNN(1, 2, 8, 3, 3)}


def test_explorer_builds_headless_and_follows_its_sliders() -> None:
    explorer = receptive_field_explorer(_models(), (1, 9, 9))
    assert isinstance(explorer, FieldExplorer)
    assert explorer.pixel == (4, 4)
    explorer.row.value, explorer.col.value = 6, 2
    assert explorer.pixel == (6, 2)
    plt.close("all")


def test_static_mode_and_fields() -> None:
    assert receptive_field_explorer(_models(), (1, 9, 9), interactive=False) is None
    fields, blind = fields_at(_models(), (1, 9, 9), (6, 4))
    assert int(blind["PixelCNN"].sum()) == 3  # three 3x3 layers: 3 * 2 / 2
    assert int(blind["gated"].sum()) == 0
    assert fields["PixelCNN"][6, 5] == 0 and fields["PixelCNN"][6, 3] != 0
    plt.close("all")


def test_figures_draw() -> None:
    fig = plot_masks({"A": causal_mask(1, 1, 3, "A")[0, 0]})
    assert fig.axes[0].images
    axes = plot_receptive_fields(
        {"a": torch.ones(4, 4)}, (2, 2), {"a": torch.zeros(4, 4, dtype=torch.bool)}
    )
    assert axes[0].images
    fig = filmstrip(torch.rand(4, 1, 5, 5), [0, 10, 25], rows=2)
    assert len(fig.axes) == 3
    assert plot_bars({"a": 1.0, "b": 2.0}, "bits").patches
    assert plot_pmfs({"p": torch.ones(4) / 4}, true_value=2).lines
    plt.close("all")

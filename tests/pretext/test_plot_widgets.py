"""Figures and the colourisation explorer draw headless."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import torch

from coursework.plot.pretext import (
    plot_ab_bins,
    plot_results,
    plot_tiles,
    show_neighbours,
)
from coursework.pretext.tiles import extract_tiles
from coursework.widgets.pretext import ColorizationExplorer, colorization_explorer


def _colorize(x, t):
    return x.flip(1) * t  # any map from images to images


def test_explorer_builds_and_follows_its_sliders() -> None:
    images = torch.rand(5, 3, 8, 8)
    explorer = colorization_explorer(_colorize, images, temperatures=(1.0, 0.5))
    assert isinstance(explorer, ColorizationExplorer)
    explorer.index.value = 3
    explorer.temperature.value = 0.1
    panels = explorer.panels()
    assert panels.shape == (3, 3, 8, 8)
    assert torch.allclose(panels[2], images[3])
    assert torch.allclose(panels[1], _colorize(images[3:4], 0.1)[0], atol=1e-6)
    assert colorization_explorer(_colorize, images, interactive=False) is None


def test_figures_draw() -> None:
    torch.manual_seed(0)
    x = torch.rand(3, 3, 24, 24)
    tiles, corners = extract_tiles(x, 4, 2, 1)
    assert plot_tiles(x, corners, 4, shuffled=tiles).axes
    assert plot_tiles(x, corners[:, :2], 4).axes
    centres = torch.tensor([[0.0, 0.0], [10.0, 20.0], [-30.0, 5.0]])
    assert plot_ab_bins(centres, torch.tensor([5, 3, 1]), torch.ones(3)).axes
    results = {m: {"probe": 0.5, "finetune": 0.4} for m in ("random", "rotation")}
    assert plot_results(results, ["random", "rotation"], chance=0.1).patches
    assert show_neighbours(x[:2], x[None].expand(2, -1, -1, -1, -1)).images


def test_tracking_figures_draw_with_alt_text() -> None:
    from coursework.plot.alttext import ALT_ATTR
    from coursework.plot.pretext import plot_tracking_iou, show_tracked_masks

    curves = {"identity": torch.linspace(1, 0.2, 5), "colour": torch.ones(5)}
    ax = plot_tracking_iou(curves)
    assert len(ax.lines) == 2
    assert "colour 1.00" in getattr(ax.figure, ALT_ATTR)
    frames = torch.rand(5, 3, 8, 8)
    lab = torch.zeros(5, 8, 8, dtype=torch.long)
    lab[:, 2:5, 2:5] = 1
    fig = show_tracked_masks(frames, {"truth": lab, "flow": lab}, [0, 4])
    assert len(fig.axes) == 4
    assert "frames 0, 4" in getattr(fig, ALT_ATTR)

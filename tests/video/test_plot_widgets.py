"""Video figures and the frame scrubber render headless."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from matplotlib.colors import rgb_to_hsv  # noqa: E402

from coursework.plot.video import (  # noqa: E402
    animate_clips,
    colour_wheel,
    filmstrip,
    flow_to_rgb,
    plot_timeline,
    show_flow,
)
from coursework.widgets.video import frame_scrubber  # noqa: E402


def test_flow_colours_encode_direction_and_speed():
    flow = torch.zeros(2, 1, 4)
    flow[:, 0, 0] = torch.tensor([1.0, 0.0])  # right
    flow[:, 0, 1] = torch.tensor([-1.0, 0.0])  # left
    flow[:, 0, 2] = torch.tensor([0.5, 0.0])  # right, slower
    hsv = rgb_to_hsv(flow_to_rgb(flow))
    assert abs(hsv[0, 0, 0] - hsv[0, 1, 0]) > 0.4  # opposite directions, far hues
    assert np.isclose(hsv[0, 0, 0], hsv[0, 2, 0])  # same direction, same hue
    assert hsv[0, 2, 1] < hsv[0, 0, 1]  # slower: less saturated
    assert np.allclose(hsv[0, 3, 1], 0.0)  # no motion: white
    assert colour_wheel(16).shape == (16, 16, 3)


def test_animation_and_static_figures():
    clips = torch.randint(0, 255, (2, 3, 3, 8, 8), dtype=torch.uint8)
    html = animate_clips(clips, ["a", "b"])
    assert "<script" in html and "animation" in html.lower()
    assert len(filmstrip(clips).axes) == 6
    fig = show_flow(torch.rand(3, 8, 8), torch.rand(3, 8, 8), torch.randn(2, 8, 8))
    assert len(fig.axes) == 6
    ax = plot_timeline(
        20,
        torch.tensor([[2, 8, 0], [-1, -1, -1]]),
        torch.tensor([[2.0, 9.0, 0.0, 0.8]]),
        ["a", "b"],
    )
    assert ax.get_xlim() == (0.0, 20.0)


def test_frame_scrubber_widget_and_static_fallback():
    videos = torch.rand(3, 5, 1, 8, 8)
    box = frame_scrubber(videos, ["x", "y", "z"])
    assert box.__class__.__name__ == "VBox"
    sliders = [w for w in box.children[0].children if hasattr(w, "max")]
    assert [s.max for s in sliders] == [2, 4, 4]
    fig = frame_scrubber(videos, static=True)
    assert len(fig.axes) == 3 * 5

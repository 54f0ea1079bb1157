"""Frame-scrubbing explorer for clips: a slider over time (and over videos).

Headless (tests, nbval, a static viewer) or with ``static=True`` it draws a
plain filmstrip instead, so a notebook runs anywhere.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import torch

from coursework.plot.alttext import set_alt
from coursework.plot.core import frames_rgb
from coursework.plot.video import filmstrip


def _draw(videos: torch.Tensor, index: int, frame: int, titles: Sequence[str] | None):
    fig, ax = plt.subplots(figsize=(2.6, 2.8))
    ax.imshow(frames_rgb(videos[index, frame : frame + 1])[0], interpolation="nearest")
    name = titles[index] if titles is not None else f"video {index}"
    ax.set_title(f"{name}: frame {frame}", fontsize=8)
    ax.set_axis_off()
    set_alt(fig, f"Frame {frame} of {name}")
    plt.show()


def frame_scrubber(
    videos: torch.Tensor,
    titles: Sequence[str] | None = None,
    static: bool = False,
):
    """An ipywidgets explorer: pick a video and scrub through its frames.

    Args:
        videos: (N, T, C, H, W), uint8 or float in [0, 1].
        titles: one label per video.
        static: draw a filmstrip of the first videos instead of widgets.

    Returns:
        The widget (display it), or the filmstrip figure when static or when
        ipywidgets is not installed.
    """
    try:
        import ipywidgets as widgets
    except ImportError:
        static = True
    if static:
        return filmstrip(videos[: min(4, len(videos))], titles)
    video = widgets.IntSlider(0, 0, len(videos) - 1, description="video")
    frame = widgets.IntSlider(0, 0, videos.shape[1] - 1, description="frame")
    play = widgets.Play(value=0, min=0, max=videos.shape[1] - 1, interval=150)
    widgets.jslink((play, "value"), (frame, "value"))
    out = widgets.interactive_output(
        lambda v, f: _draw(videos, v, f, titles), {"v": video, "f": frame}
    )
    return widgets.VBox([widgets.HBox([video, play, frame]), out])

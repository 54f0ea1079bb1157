"""A clip explorer: pick a clip, hear it, and see where the model hears it from.

Always draws the chosen clip's frames with the localisation heatmap over them
and shows an audio player (``IPython.display.Audio``), so the notebook reads
the same headless, under nbval, or in a viewer without a kernel; with
ipywidgets it also returns a dropdown that redraws both for another clip.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import torch
from IPython.display import Audio, display

from coursework.plot.multimodal import plot_localisation


class ClipExplorer:
    """A dropdown over clips; shows the heatmap over the frames and plays the audio.

    Args:
        frames: (N, T, 3, S, S) uint8 or float frames.
        audio: (N, L) waveforms of the same span.
        heatmaps: (N, T, h, w) localisation heatmaps.
        sample_rate: audio samples per second.
        captions: one label per clip.
        centres: the sounding object's centres (N, T, 2), drawn when given.
    """

    def __init__(
        self,
        frames: torch.Tensor,
        audio: torch.Tensor,
        heatmaps: torch.Tensor,
        sample_rate: int,
        captions: Sequence[str],
        centres: torch.Tensor | None = None,
    ) -> None:
        import ipywidgets as widgets

        self.frames, self.audio, self.heatmaps = frames, audio, heatmaps
        self.sample_rate, self.captions, self.centres = sample_rate, captions, centres
        options = [(f"{i}: {c}", i) for i, c in enumerate(captions)]
        self.choice = widgets.Dropdown(options=options, value=0, description="clip")
        self.choice.layout.width = "32em"
        self.output = widgets.Output()
        self.choice.observe(self._redraw, names="value")
        self.widget = widgets.VBox([self.choice, self.output])
        self._redraw()

    def _redraw(self, change: object = None) -> None:
        with self.output:
            self.output.clear_output(wait=True)
            show_clip_heatmap(
                self.frames, self.audio, self.heatmaps, self.sample_rate,
                self.captions, self.choice.value, self.centres,
            )


def show_clip_heatmap(
    frames: torch.Tensor,
    audio: torch.Tensor,
    heatmaps: torch.Tensor,
    sample_rate: int,
    captions: Sequence[str],
    index: int,
    centres: torch.Tensor | None = None,
) -> None:
    """Draw clip ``index`` with its heatmap and display an audio player for it."""
    if not 0 <= index < frames.shape[0]:
        raise IndexError(f"clip {index} does not exist; pick 0..{frames.shape[0] - 1}")
    one = slice(index, index + 1)
    fig = plot_localisation(
        frames[one], heatmaps[one], None if centres is None else centres[one],
        captions=[captions[index]],
    )
    display(fig)
    plt.close(fig)
    display(Audio(audio[index].detach().float().cpu().numpy(), rate=sample_rate))


def clip_explorer(
    frames: torch.Tensor,
    audio: torch.Tensor,
    heatmaps: torch.Tensor,
    sample_rate: int,
    captions: Sequence[str],
    centres: torch.Tensor | None = None,
    interactive: bool = True,
) -> ClipExplorer | None:
    """Show the first clip (figure and player) and build the dropdown explorer.

    Returns:
        The :class:`ClipExplorer` (display ``.widget``), or None when
        ``interactive`` is False or ipywidgets is not installed.
    """
    show_clip_heatmap(frames, audio, heatmaps, sample_rate, captions, 0, centres)
    if not interactive:
        return None
    try:
        return ClipExplorer(frames, audio, heatmaps, sample_rate, captions, centres)
    except ImportError:
        return None


__all__ = ["ClipExplorer", "clip_explorer", "show_clip_heatmap"]

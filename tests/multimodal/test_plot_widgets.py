"""Audio-visual figures and the clip explorer render headless."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from coursework.data.audiovisual import make_clips  # noqa: E402
from coursework.multimodal.audio import log_mel_spectrogram, mel_filterbank  # noqa: E402
from coursework.plot.multimodal import (  # noqa: E402
    plot_filterbank,
    plot_heatmaps,
    plot_localisation,
    plot_scores,
    plot_similarity,
    show_clip,
)
from coursework.widgets.multimodal import (  # noqa: E402
    ClipExplorer,
    clip_explorer,
    show_clip_heatmap,
)


@pytest.fixture(scope="module")
def clips():
    return make_clips(4, 4, 16, seed=0)


def test_figures(clips) -> None:
    fb = mel_filterbank(8, 256, clips.sample_rate)
    spec = log_mel_spectrogram(clips.audio, fb, 256, 250)
    fig = show_clip(clips.videos[0], clips.audio[0], clips.sample_rate, clips.fps,
                    onsets=clips.onsets[0], spec=spec[0], title="x")
    assert len(fig.axes) == 4 + 2  # frames, waveform, spectrogram
    red = [ln for ln in fig.axes[4].lines if ln.get_color() == "tab:red"]
    assert len(red) == int((~clips.onsets[0].isnan()).sum())
    plt.close(fig)
    ax = plot_filterbank(fb, clips.sample_rate)
    assert len(ax.lines) == 8
    sim = torch.randn(4, 4)
    ax = plot_similarity(sim, clips.kind, ["a", "b", "c", "d"])
    shown = ax.images[0].get_array()
    order = torch.argsort(clips.kind, stable=True)
    assert torch.allclose(torch.tensor(shown.data), sim[order][:, order])
    heat = torch.rand(4, 2, 2)
    axes = plot_heatmaps(clips.videos[0], heat, clips.position[0], clips.position[0])
    assert len(axes) == 4
    ax = plot_scores({"a": 0.5, "b": 0.75}, chance=0.25)
    assert [p.get_height() for p in ax.patches] == [0.5, 0.75]
    plt.close("all")


def test_explorer_static_and_live(clips, capsys) -> None:
    heat = torch.rand(4, 4, 2, 2)
    assert clip_explorer(clips.videos, clips.audio, heat, clips.sample_rate,
                         clips.captions, interactive=False) is None
    out = capsys.readouterr().out
    assert "Audio" in out  # the player was displayed
    explorer = ClipExplorer(clips.videos, clips.audio, heat, clips.sample_rate,
                            clips.captions, clips.position)
    explorer.choice.value = 2
    assert explorer.choice.value == 2 and len(explorer.choice.options) == 4
    with pytest.raises(IndexError, match="pick"):
        show_clip_heatmap(clips.videos, clips.audio, heat, clips.sample_rate,
                          clips.captions, 9)
    plt.close("all")


def test_localisation_frames_read_at_notebook_width() -> None:
    """Long captions must not shrink the frames: each image axis stays at least
    100 pixels wide and tall at the 72 dpi of an inline figure."""
    clips = make_clips(4, 4, 16, seed=3)
    heat = torch.rand(4, 4, 4, 4)
    captions = [c + ", and a long tail that runs on and on" for c in clips.captions]
    fig = plot_localisation(clips.videos, heat, clips.position, clips.position,
                            captions=captions)
    fig.set_dpi(72)
    fig.canvas.draw()
    assert len(fig.axes) == 16
    for ax in fig.axes:
        box = ax.get_window_extent()
        assert box.width >= 100 and box.height >= 100, (box.width, box.height)
    # the caption of a row sits between that row and the one above it
    texts = [t for ax in fig.axes for t in ax.texts]
    assert [t.get_text() for t in texts] == captions
    renderer = fig.canvas.get_renderer()
    for row in range(1, 4):
        caption = texts[row].get_window_extent(renderer)
        above = fig.axes[4 * (row - 1)].get_window_extent()
        assert caption.y1 <= above.y0 + 1
    plt.close(fig)

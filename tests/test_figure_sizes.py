"""Every image the plot package draws is large enough to read in a notebook.

Each figure is drawn with arguments of the size the notebooks use (the `cpu`
profile's), then measured as a notebook shows it: at 100 dpi, cropped to its
content, and scaled down to fit an output area 800 px wide
(:func:`coursework.plot.core.image_axes_sizes`). Every image must be at
least ``MIN_IMAGE`` px on its shorter side: an image axes, or for a grid of
tiles in one axes, each tile. This catches figures whose images shrink to
thumbnails, e.g. when long titles squeeze ``tight_layout``.
"""

from __future__ import annotations

import importlib
import inspect

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

import coursework.plot.video as plot_video  # noqa: E402
from coursework.data.video import CLASSES as VIDEO_CLASSES  # noqa: E402
from coursework.plot import compare_rows, confusion_matrix, show_images  # noqa: E402
from coursework.plot.autoregressive import (  # noqa: E402
    filmstrip as sample_filmstrip,
)
from coursework.plot.autoregressive import (  # noqa: E402
    plot_masks,
    plot_receptive_fields,
)
from coursework.plot.core import NOTEBOOK_WIDTH_PX, image_axes_sizes  # noqa: E402
from coursework.plot.multimodal import (  # noqa: E402
    plot_heatmaps,
    plot_similarity,
    show_clip,
)
from coursework.plot.pretext import (  # noqa: E402
    plot_tiles,
    show_neighbours,
    show_tracked_masks,
)
from coursework.plot.vae import (  # noqa: E402
    plot_factor_heatmap,
    plot_manifold,
    plot_traversals,
)

MIN_IMAGE = 40  # px: the shorter side of an image (or of one tile of a grid)

g = torch.Generator().manual_seed(0)
CLASSES = list(VIDEO_CLASSES)  # the generated videos' class names


def rand(*shape: int) -> torch.Tensor:
    return torch.rand(*shape, generator=g)


def decode(z: torch.Tensor) -> torch.Tensor:
    return torch.sigmoid(z.sum(1)[:, None, None, None] + rand(len(z), 1, 28, 28))


def _animation() -> None:
    """animate_clips closes its figure after rendering: keep it open here."""
    close = plot_video.plt.close
    plot_video.plt.close = lambda fig=None: None
    try:
        plot_video.animate_clips(
            torch.randint(0, 255, (8, 4, 3, 32, 32), dtype=torch.uint8), CLASSES
        )
    finally:
        plot_video.plt.close = close


def _mask(k: int) -> torch.Tensor:
    return (torch.arange(k * k) < k * k // 2).float().view(k, k)


def _field() -> torch.Tensor:
    f = torch.zeros(28, 28)
    f[7:15, 4:20] = 1.0
    return f


# (name, draw, tile side in image pixels for grids or None)
CASES = [
    (
        "core.show_images: 32 digits, 16 a row",
        lambda: show_images(rand(32, 1, 28, 28), nrow=16),
        28,
    ),
    (
        "core.show_images: 10 rows of 8",
        lambda: show_images(rand(80, 1, 28, 28), nrow=8),
        28,
    ),
    (
        "core.show_images: RGB shapes",
        lambda: show_images(rand(16, 3, 14, 14), nrow=16),
        14,
    ),
    (
        "core.compare_rows: 12 digits",
        lambda: compare_rows(
            {"input": rand(12, 1, 28, 28), "reconstruction p(x|z)": rand(12, 1, 28, 28)}
        ),
        28,
    ),
    (
        "core.compare_rows: 5 models x 16",
        lambda: compare_rows({f"model {i}": rand(16, 1, 28, 28) for i in range(5)}),
        28,
    ),
    (
        "core.confusion_matrix: 8 classes",
        lambda: confusion_matrix(
            torch.randint(0, 8, (96,), generator=g),
            torch.randint(0, 8, (96,), generator=g),
            CLASSES,
            title="single frame",
        ),
        None,
    ),
    (
        "video.filmstrip: 8 clips of 12 frames",
        lambda: plot_video.filmstrip(rand(8, 12, 3, 32, 32), CLASSES, scale=0.7),
        None,
    ),
    (
        "video.show_flow: a 32 x 32 pair",
        lambda: plot_video.show_flow(
            rand(3, 32, 32), rand(3, 32, 32), torch.randn(2, 32, 32), "move left"
        ),
        None,
    ),
    ("video.animate_clips: 8 clips", _animation, None),
    (
        "autoregressive.plot_masks: four masks",
        lambda: plot_masks(
            {
                "type A, 5x5": _mask(5),
                "type B, 5x5": _mask(5),
                "centre, A, RGB\n(rows: out R,G,B)": _mask(3),
                "centre, B, RGB\n(rows: out R,G,B)": _mask(3),
            }
        ),
        None,
    ),
    (
        "autoregressive.plot_receptive_fields: two models",
        lambda: plot_receptive_fields(
            {"PixelCNN": _field(), "gated PixelCNN": _field()},
            (14, 14),
            {"PixelCNN": _field() > 0, "gated PixelCNN": _field() > 0},
        ),
        None,
    ),
    (
        "autoregressive.filmstrip: 7 steps, 4 rows",
        lambda: sample_filmstrip(
            rand(16, 1, 28, 28), [78, 196, 314, 431, 549, 666, 784]
        ),
        28,
    ),
    (
        "vae.plot_traversals: 5 dims x 9 steps",
        lambda: plot_traversals(
            decode,
            torch.zeros(10),
            [0, 1, 2, 3, 4],
            labels=[f"z[{i}] ~ scale" for i in range(5)],
        ),
        28,
    ),
    ("vae.plot_manifold: 15 x 15", lambda: plot_manifold(decode, n=15), 28),
    (
        "vae.plot_factor_heatmap: 10 x 5",
        lambda: plot_factor_heatmap(
            rand(10, 5), ("shape", "scale", "rotation", "x", "y"), title="MIG"
        ),
        None,
    ),
    (
        "pretext.plot_tiles: 6 images, two tiles",
        lambda: plot_tiles(
            rand(6, 3, 28, 28), torch.randint(0, 19, (6, 2, 2), generator=g), 9
        ),
        None,
    ),
    (
        "pretext.plot_tiles: 4 puzzles of 9 tiles",
        lambda: plot_tiles(
            rand(4, 3, 28, 28),
            torch.randint(0, 20, (4, 9, 2), generator=g),
            8,
            shuffled=rand(4, 9, 3, 8, 8),
            title="tiles and the shuffled puzzle",
        ),
        None,
    ),
    (
        "pretext.show_neighbours: 6 queries x 5",
        lambda: show_neighbours(
            rand(6, 3, 28, 28), rand(6, 5, 3, 28, 28), title="rotation: nearest"
        ),
        28,
    ),
    (
        "pretext.show_tracked_masks: 4 methods x 5 frames",
        lambda: show_tracked_masks(
            rand(16, 3, 32, 32),
            {
                m: torch.randint(0, 3, (16, 32, 32), generator=g)
                for m in ("truth", "identity", "flow", "colour")
            },
            [0, 3, 7, 11, 15],
        ),
        None,
    ),
    (
        "multimodal.show_clip: 16 frames",
        lambda: show_clip(
            rand(16, 3, 32, 32),
            torch.randn(16000, generator=g),
            16000,
            8.0,
            spec=rand(40, 100),
            title="a red ball bounces off the left wall, a low thud",
        ),
        None,
    ),
    (
        "multimodal.plot_heatmaps: 8 frames",
        lambda: plot_heatmaps(
            rand(8, 3, 32, 32), rand(8, 4, 4), title="a ball: heatmap"
        ),
        None,
    ),
    (
        "multimodal.plot_similarity: 48 clips",
        lambda: plot_similarity(
            torch.randn(48, 48, generator=g),
            torch.randint(0, 4, (48,), generator=g),
            ["ball", "drum", "bird", "car"],
        ),
        None,
    ),
]


def teardown_function():
    plt.close("all")


@pytest.mark.parametrize(
    "draw, tile", [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_every_image_is_readable_at_notebook_width(draw, tile):
    plt.close("all")
    draw()
    sizes = [s for n in plt.get_fignums() for s in image_axes_sizes(plt.figure(n))]
    assert sizes, "the figure draws no image"
    if tile is None:  # one image per axes
        shown = [min(s.width, s.height) for s in sizes]
    else:  # a grid of tiles of `tile` image pixels in one axes
        shown = [s.zoom * tile for s in sizes]
    assert min(shown) >= MIN_IMAGE, (
        f"images of {min(shown):.0f} px (under {MIN_IMAGE}) in a notebook "
        f"{NOTEBOOK_WIDTH_PX} px wide: {sizes}"
    )


def test_the_measure_sees_a_thumbnail_and_the_shrinking():
    """The measure itself: exact on one image, halved on a figure twice too wide."""
    fig, ax = plt.subplots(figsize=(4, 4))
    ax.imshow(rand(32, 32).numpy())
    (one,) = image_axes_sizes(fig)
    assert one.width > 200 and one.zoom * 32 == pytest.approx(one.width)
    fig, axes = plt.subplots(1, 4, figsize=(16, 4))  # 1600 px: too wide
    for a in axes:
        a.imshow(rand(8, 8).numpy())
    raw = axes[0].get_window_extent().width  # at 100 dpi, before the notebook fits it
    shown = image_axes_sizes(fig)[0].width
    assert shown < NOTEBOOK_WIDTH_PX / 4 < raw and shown > 0.45 * raw
    fig, axes = plt.subplots(1, 40, figsize=(8, 2))
    for a in axes:
        a.imshow(rand(8, 8).numpy())
    assert max(s.width for s in image_axes_sizes(fig)) < MIN_IMAGE


def test_every_plot_function_that_draws_an_image_is_measured():
    """A new figure in the plot package joins CASES, or this test fails."""
    modules = ["core", "video", "autoregressive", "vae", "pretext", "gan", "multimodal"]
    drawing = []
    for name in modules:
        module = importlib.import_module(f"coursework.plot.{name}")
        for fname, fn in inspect.getmembers(module, inspect.isfunction):
            source = inspect.getsource(fn) if fn.__module__ == module.__name__ else ""
            if "imshow(" in source or "show_images(" in source:
                drawing.append(f"{name}.{fname}")
    assert "multimodal.plot_heatmaps" in drawing and "core.show_images" in drawing
    measured = {case[0].split(":")[0] for case in CASES}
    assert sorted(set(drawing) - measured) == []

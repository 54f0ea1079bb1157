"""The latent explorer builds and draws without a display."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import torch

from coursework.plot.vae import plot_factor_heatmap, plot_manifold, traversal_images
from coursework.vae.models import VAE
from coursework.widgets.vae import LatentExplorer, latent_explorer


def _decode():
    torch.manual_seed(0)
    model = VAE((1, 6, 6), 3, [8])
    return lambda z: torch.sigmoid(model.decode(z))


def test_explorer_builds_headless_and_follows_its_sliders() -> None:
    explorer = latent_explorer(_decode(), torch.zeros(3), dims=[0, 2], steps=5)
    assert isinstance(explorer, LatentExplorer)
    assert len(explorer.sliders) == 2
    explorer.sliders[1].value = 1.5
    z = explorer.code()
    assert z[2] == 1.5 and z[0] == 0 and z[1] == 0
    assert explorer.image().shape == (1, 6, 6)


def test_static_only_mode_and_traversal_rows() -> None:
    assert latent_explorer(_decode(), torch.zeros(3), [1], interactive=False) is None
    values = torch.linspace(-1, 1, 4)
    imgs = traversal_images(_decode(), torch.zeros(3), [0, 1], values)
    assert imgs.shape == (8, 1, 6, 6)


def test_manifold_and_heatmap_draw() -> None:
    torch.manual_seed(0)
    model = VAE((1, 6, 6), 2, [8])
    ax = plot_manifold(lambda z: torch.sigmoid(model.decode(z)), n=4)
    assert ax.images
    ax = plot_factor_heatmap(torch.rand(3, 2), ["a", "b"])
    assert ax.images


def test_spread_plot_draws_one_horizontal_box_per_set_without_warnings() -> None:
    import warnings

    from coursework.plot.vae import plot_spread

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. Matplotlib's deprecation of ``vert``
        fig = plot_spread({"a": torch.randn(20), "b": torch.randn(20) + 5}, "nats")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b"]
    # horizontal: the values lie along x (set "b" is centred near 5), sets along y
    xs = [float(x) for line in ax.lines for x in line.get_xdata()]
    ys = [float(y) for line in ax.lines for y in line.get_ydata()]
    assert max(xs) > 3 and max(ys) < 3

"""Every model, every flag: shapes, and causality checked with gradients.

The output at sub-pixel (c, i, j) must have zero gradient with respect to
every input at or after (i, j, c) in raster-then-colour order, and a non-zero
gradient with respect to its nearest earlier neighbour.
"""

from __future__ import annotations

import pytest
import torch

from coursework.autoregressive.models import GatedPixelCNN, PixelCNN, PixelRNN

H = W = 5


def _builders():
    return {
        "PixelCNN": lambda c: PixelCNN(c, 3, 12, n_layers=3, first_kernel=3),
        "PixelCNN 5x5 first": lambda c: PixelCNN(c, 2, 12, n_layers=2, first_kernel=5),
        "gated": lambda c: GatedPixelCNN(c, 3, 12, n_layers=3, first_kernel=3),
        "conditional gated": lambda c: GatedPixelCNN(c, 2, 12, n_layers=2, n_classes=4),
        "Row LSTM": lambda c: PixelRNN(c, 3, 12, n_layers=2, first_kernel=3),
    }


def _forward(model, x):
    if getattr(model, "n_classes", 0):
        return model(x, torch.arange(x.shape[0]) % model.n_classes)
    return model(x)


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("name", list(_builders()))
def test_output_depends_only_on_earlier_sub_pixels(name: str, channels: int) -> None:
    torch.manual_seed(0)
    model = _builders()[name](channels).double()
    # wide inputs, so that no ReLU is off for every one of them
    x = 3 * torch.randn(16, channels, H, W, dtype=torch.float64)
    x.requires_grad_(True)
    out = _forward(model, x)
    n_params = out.shape[1]
    assert out.shape == (16, n_params, channels, H, W)
    assert torch.isfinite(out).all()
    order = lambda c, i, j: (i * W + j) * channels + c  # noqa: E731
    for i in range(H):
        for j in range(W):
            for c in range(channels):
                (grad,) = torch.autograd.grad(
                    out[:, :, c, i, j].sum(), x, retain_graph=True
                )
                dep = grad.abs().sum(0)  # (C, H, W)
                p = order(c, i, j)
                for cc in range(channels):
                    for ii in range(H):
                        for jj in range(W):
                            if order(cc, ii, jj) >= p:
                                assert dep[cc, ii, jj] == 0, (
                                    name,
                                    (c, i, j),
                                    (cc, ii, jj),
                                )
                # and it does see its neighbours: the earlier colours of its
                # own pixel, else the pixel to the left, else the one above
                if c > 0:
                    assert dep[c - 1, i, j] > 0, (name, (c, i, j))
                elif j > 0:
                    assert dep[0, i, j - 1] > 0, (name, (c, i, j))
                elif i > 0:
                    assert dep[0, i - 1, j] > 0, (name, (c, i, j))


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("name", ["PixelCNN", "gated", "conditional gated"])
def test_the_activation_cache_gives_the_full_outputs(name: str, channels: int) -> None:
    """Row by row, pixel by pixel, the cache reproduces forward's every output."""
    torch.manual_seed(1)
    model = _builders()[name](channels).double()
    x = torch.rand(2, channels, 6, 7, dtype=torch.float64)
    y = torch.tensor([1, 3])
    cond = getattr(model, "n_classes", 0)
    extra = (y,) if cond else ()
    full = model(x, *extra)  # (B, P, C, H, W)
    cache = model.start_cache(x)
    for i in range(6):
        model.cache_row(cache, i, *extra)
        for j in range(7):
            out = model.cache_pixel(cache, i, j, *extra)
            assert out.shape == full.shape[:3]
            assert torch.allclose(out, full[..., i, j]), (i, j)


def test_width_must_fit_the_colour_groups() -> None:
    with pytest.raises(ValueError, match="multiple"):
        PixelCNN(3, 2, width=8)

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


@pytest.mark.parametrize("name", ["PixelCNN", "gated", "conditional gated"])
def test_window_mode_gives_the_full_outputs(name: str) -> None:
    torch.manual_seed(1)
    model = _builders()[name](3).double()
    x = torch.rand(2, 3, 6, 7, dtype=torch.float64)
    y = torch.tensor([1, 3])
    cond = getattr(model, "n_classes", 0)
    full = model(x, y) if cond else model(x)
    r = model.reach
    padded = torch.nn.functional.pad(x, (r, r, r, 0))
    inside = torch.nn.functional.pad(
        torch.ones(1, 1, 6, 7, dtype=x.dtype), (r, r, r, 0)
    )
    for i, j in [(0, 0), (3, 4), (5, 6), (2, 0)]:
        crop = (..., slice(i, i + r + 1), slice(j, j + 2 * r + 1))
        args = (padded[crop], inside[crop]) + ((y,) if cond else ())
        win = model.window(*args)
        assert win.shape == (2, full.shape[1], 3, 1, 1)
        assert torch.allclose(win[..., 0, 0], full[..., i, j])


def test_width_must_fit_the_colour_groups() -> None:
    with pytest.raises(ValueError, match="multiple"):
        PixelCNN(3, 2, width=8)

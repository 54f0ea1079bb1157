"""Networks: shapes, finite outputs, time and label conditioning, the null class."""

from __future__ import annotations

import math

import pytest
import torch

from coursework.diffusion.guidance import Predictor, cfg_combine, drop_labels
from coursework.diffusion.models import (
    MLPDenoiser,
    UNet,
    fourier_features,
    time_embedding,
)


def test_time_embedding_is_sin_cos_of_scaled_time():
    e = time_embedding(torch.tensor([0.0, 0.5]), 8)
    assert e.shape == (2, 8)
    torch.testing.assert_close(e[0], torch.tensor([0.0] * 4 + [1.0] * 4))
    # first frequency is 1: sin(1000 * 0.5), cos(1000 * 0.5)
    assert e[1, 0].item() == pytest.approx(torch.tensor(500.0).sin().item(), abs=1e-4)
    with pytest.raises(ValueError, match="even"):
        time_embedding(torch.zeros(1), 7)


@pytest.mark.parametrize("size,classes", [(16, None), (28, 10), (8, 3)])
def test_unet_shapes_and_conditioning(size, classes):
    torch.manual_seed(0)
    net = UNet(size, channels=1, width=8, num_classes=classes)
    x = torch.randn(3, 1, size, size)
    t = torch.tensor([0.1, 0.5, 0.9])
    y = torch.tensor([0, 1, 2]) if classes else None
    out = net(x, t, y)
    assert out.shape == x.shape and torch.isfinite(out).all()
    # the output depends on the time input
    assert not torch.allclose(out, net(x, t.flip(0), y))
    if classes:
        null = torch.full((3,), net.null_label)
        torch.testing.assert_close(net(x, t), net(x, t, null))  # y=None is null
        assert not torch.allclose(out, net(x, t, null))


def test_unet_refuses_sizes_it_cannot_halve_twice():
    with pytest.raises(ValueError, match="divisible by 4"):
        UNet(30)


def test_mlp_denoiser_shapes():
    net = MLPDenoiser(2, hidden=16, depth=2)
    out = net(torch.randn(5, 2), torch.rand(5))
    assert out.shape == (5, 2)


def test_guided_predictor_batches_cond_and_uncond_in_one_pass():
    torch.manual_seed(1)
    net = UNet(8, width=8, num_classes=4)
    x, t = torch.randn(2, 1, 8, 8), torch.tensor([0.3, 0.7])
    y = torch.tensor([1, 3])
    null = torch.full((2,), 4)
    expected = cfg_combine(net(x, t, y), net(x, t, null), 2.0)
    torch.testing.assert_close(Predictor(net, y, 2.0, net.null_label)(x, t), expected)
    torch.testing.assert_close(Predictor(net, y, 0.0, 4)(x, t), net(x, t, y))
    torch.testing.assert_close(Predictor(net, None, 0.0, 4)(x, t), net(x, t, null))


def test_drop_labels_rate():
    g = torch.Generator().manual_seed(0)
    y = torch.zeros(100_000, dtype=torch.long)
    out = drop_labels(y, 0.2, 10, g)
    assert set(out.unique().tolist()) == {0, 10}
    assert (out == 10).float().mean().item() == pytest.approx(0.2, abs=0.01)


def test_fourier_features_match_a_loop_on_values_and_gradients():
    torch.manual_seed(0)
    x = torch.randn(4, 2, dtype=torch.float64, requires_grad=True)
    freqs = torch.randn(2, 3, dtype=torch.float64)
    out = fourier_features(x, freqs)
    rows = []
    for i in range(4):
        angles = [
            2 * math.pi * sum(x[i, d] * freqs[d, j] for d in range(2)) for j in range(3)
        ]
        rows.append(torch.stack([a.sin() for a in angles] + [a.cos() for a in angles]))
    expected = torch.stack(rows)
    torch.testing.assert_close(out, expected)
    g_out, g_ref = (
        torch.autograd.grad(v.pow(2).sum() + v[:, 0].sum(), x)[0]
        for v in (out, expected)
    )
    torch.testing.assert_close(g_out, g_ref)


def test_mlp_denoiser_with_fourier_features():
    torch.manual_seed(0)
    net = MLPDenoiser(2, hidden=16, depth=2, fourier_scale=2.0, n_fourier=5)
    assert net.frequencies.shape == (2, 5)
    assert "frequencies" in net.state_dict()  # saved and moved with the model
    x, t = torch.randn(5, 2), torch.rand(5)
    out = net(x, t)
    assert out.shape == (5, 2) and torch.isfinite(out).all()
    # the first layer sees [x, sin, cos, time embedding]
    assert net.net[0].in_features == 2 + 2 * 5 + 16
    # the features are the ones fourier_features computes from the buffer
    feats = fourier_features(x, net.frequencies)
    expected = net.net(torch.cat([x, feats, net.embed(t)], 1))
    torch.testing.assert_close(out, expected)
    # fourier_scale sets the spread of the frequencies
    torch.manual_seed(1)
    wide = MLPDenoiser(2, fourier_scale=10.0, n_fourier=2000)
    assert wide.frequencies.std().item() == pytest.approx(10.0, rel=0.05)
    assert MLPDenoiser(2).frequencies is None


def test_mlp_denoiser_refuses_a_non_positive_fourier_scale():
    with pytest.raises(ValueError, match="fourier_scale must be positive"):
        MLPDenoiser(2, fourier_scale=0.0)

"""Sampling: the inverse-CDF step, and the cached sampler equals the naive one."""

from __future__ import annotations

import pytest
import torch

from coursework.autoregressive.losses import Likelihood
from coursework.autoregressive.models import GatedPixelCNN, PixelCNN, PixelRNN
from coursework.autoregressive.sampling import sample_cached, sample_naive, sample_step


def _step_loop(probs: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """Walk the CDF value by value until it passes u."""
    out = []
    for p, v in zip(probs.tolist(), u.tolist()):
        total, value = 0.0, 0
        while value < len(p) - 1 and total + p[value] <= v:
            total += p[value]
            value += 1
        out.append(value)
    return torch.tensor(out)


def test_sample_step_matches_the_loop_and_the_frequencies() -> None:
    g = torch.Generator().manual_seed(0)
    probs = torch.softmax(torch.randn(200, 7, generator=g, dtype=torch.float64), -1)
    u = torch.rand(200, generator=g, dtype=torch.float64)
    got = sample_step(probs, u)
    assert got.dtype == torch.long
    assert torch.equal(got, _step_loop(probs, u))
    # with many draws from one distribution, frequencies approach it
    p = torch.tensor([[0.1, 0.6, 0.3]], dtype=torch.float64).expand(20000, 3)
    draws = sample_step(p, torch.rand(20000, generator=g, dtype=torch.float64))
    freq = torch.bincount(draws, minlength=3).double() / 20000
    assert torch.allclose(freq, p[0], atol=0.015)
    # rounding: a CDF that ends below u still gives a valid value
    assert sample_step(torch.tensor([[0.5, 0.4999]]), torch.tensor([0.99995])) == 1


def _models():
    torch.manual_seed(0)
    return {
        "PixelCNN, binary": (PixelCNN(1, 2, 8, 3), Likelihood("softmax", 2), None),
        "PixelCNN, RGB 4 levels": (
            PixelCNN(3, 4, 6, 2),
            Likelihood("softmax", 4),
            None,
        ),
        "PixelCNN, logistic": (
            PixelCNN(1, 6, 8, 2),
            Likelihood("logistic", 256, n_mix=2),
            None,
        ),
        "gated": (GatedPixelCNN(1, 2, 8, 3), Likelihood("softmax", 2), None),
        "conditional gated": (
            GatedPixelCNN(1, 2, 8, 2, n_classes=3),
            Likelihood("softmax", 2),
            torch.tensor([0, 1, 2, 1]),
        ),
    }


@pytest.mark.parametrize("name", list(_models()))
def test_cached_sampler_equals_the_naive_sampler_bit_for_bit(name: str) -> None:
    model, lik, y = _models()[name]
    model.eval()
    channels = model.head.channels
    noise = torch.rand(4, channels, 7, 6, generator=torch.Generator().manual_seed(1))
    naive = sample_naive(model, noise, lik, y=y)
    cached = sample_cached(model, noise, lik, y=y)
    assert naive.dtype == torch.long and naive.shape == noise.shape
    assert torch.equal(naive, cached)
    assert 0 <= int(naive.min()) and int(naive.max()) < lik.levels
    assert len(torch.unique(naive)) > 1  # not a constant image


def test_completions_keep_the_given_pixels() -> None:
    model, lik, _ = _models()["PixelCNN, binary"]
    start = torch.randint(
        0, 2, (3, 1, 6, 6), generator=torch.Generator().manual_seed(2)
    )
    noise = torch.rand(3, 1, 6, 6, generator=torch.Generator().manual_seed(3))
    first = 14
    naive = sample_naive(model, noise, lik, start=start, first_pixel=first)
    cached = sample_cached(model, noise, lik, start=start, first_pixel=first)
    assert torch.equal(naive, cached)
    assert torch.equal(naive.flatten(1)[:, :first], start.flatten(1)[:, :first])


def test_sampler_errors_are_clear() -> None:
    model, lik, _ = _models()["PixelCNN, binary"]
    with pytest.raises(ValueError, match="noise"):
        sample_naive(model, torch.rand(2, 4, 4), lik)
    with pytest.raises(ValueError, match="start"):
        sample_cached(model, torch.rand(2, 1, 4, 4), lik, start=torch.zeros(1, 1, 4, 4))
    with pytest.raises(TypeError, match="sample_naive"):
        sample_cached(PixelRNN(1, 2, 4), torch.rand(1, 1, 3, 3), lik)

"""Nats and bits per dimension, and discrete values."""

from __future__ import annotations

import math

import pytest
import torch

from coursework.autoregressive.likelihood import (
    bits_per_dim,
    nats_per_image,
    quantize,
    to_unit,
)


def test_known_conversions() -> None:
    # a fair coin per binary pixel: n ln 2 nats is exactly 1 bit per dimension
    assert bits_per_dim(784 * math.log(2), 784) == pytest.approx(1.0)
    # uniform over 256 values: 8 bits per dimension
    assert bits_per_dim(3 * 32 * 32 * math.log(256), 3 * 32 * 32) == pytest.approx(8.0)
    nats = torch.tensor([0.0, 10.0, 123.4], dtype=torch.float64)
    bits = bits_per_dim(nats, 64)
    loop = torch.tensor(
        [v / math.log(2) / 64 for v in nats.tolist()], dtype=torch.float64
    )
    assert torch.allclose(bits, loop)
    assert torch.allclose(nats_per_image(bits, 64), nats)


def test_bad_dimension_count() -> None:
    with pytest.raises(ValueError, match="C\\*H\\*W"):
        bits_per_dim(1.0, 0)


def test_quantize_round_trip() -> None:
    v = torch.arange(256)
    assert torch.equal(quantize(to_unit(v, 256), 256), v)
    assert torch.equal(
        quantize(torch.tensor([0.0, 0.49, 0.51, 1.0]), 2), torch.tensor([0, 0, 1, 1])
    )
    with pytest.raises(ValueError, match="levels"):
        quantize(torch.zeros(1), 1)

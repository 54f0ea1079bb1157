"""The activation cache: its windows are the slices a zero-padded image gives."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from coursework.autoregressive.cache import ActivationCache


def _image() -> torch.Tensor:
    return torch.arange(2 * 3 * 4 * 5, dtype=torch.float64).view(2, 3, 4, 5) + 1


def test_windows_read_zeros_outside_the_image() -> None:
    x = _image()
    cache = ActivationCache.of(x, pad=2)
    assert cache.image.shape == (2, 3, 4 + 2, 5 + 4)
    assert cache.width == 5
    # explicit reference: zero-pad every side, then slice rows i-rows+1..i
    ref = F.pad(x, (2, 2, 2, 2))
    for i in range(4):
        for j in range(5):
            got = cache.window(cache.image, i, j, rows=2, radius=1)
            want = ref[:, :, i + 2 - 1 : i + 3, j + 2 - 1 : j + 4]
            assert torch.equal(got, want), (i, j)
        got_row = cache.row(cache.image, i, rows=3, radius=2)
        assert torch.equal(got_row, ref[:, :, i : i + 3, :])
    corner = cache.window(cache.image, 0, 0, 3, 2)  # two rows above the image
    assert torch.equal(corner[:, :, :2], torch.zeros(2, 3, 2, 5, dtype=x.dtype))


def test_buffers_are_written_where_they_are_read() -> None:
    cache = ActivationCache.of(_image(), pad=1)
    (first, second) = cache.add("h", [4, 6])
    assert first.shape == (2, 4, 5, 7) and second.shape == (2, 6, 5, 7)
    assert cache.layers["h"][1] is second
    value = torch.randn(2, 4, dtype=torch.float64)
    cache.put(first, 2, 3, value)
    assert torch.equal(cache.window(first, 2, 3, 1, 0)[:, :, 0, 0], value)
    assert first.abs().sum() == value.abs().sum()  # nothing else written
    row = torch.randn(2, 6, 5, dtype=torch.float64)
    cache.put_row(second, 1, row)
    assert torch.equal(cache.row(second, 1, 1, 0)[:, :, 0], row)
    drawn = torch.tensor([0.25, 0.75], dtype=torch.float64)
    cache.set_value(2, 3, 4, drawn)
    assert torch.equal(cache.window(cache.image, 3, 4, 1, 0)[:, 2, 0, 0], drawn)

"""Generated scenes: shapes, balance, determinism, and the structure they promise."""

from __future__ import annotations

import time

import pytest
import torch

from coursework.data.scenes import KINDS, SCENE_CLASSES, make_scenes, render_scenes
from coursework.pretext.color import rgb_to_lab


def test_shapes_range_balance_and_determinism() -> None:
    x, y = make_scenes(80, 24, seed=3)
    assert x.shape == (80, 3, 24, 24) and x.dtype == torch.float32
    assert y.shape == (80,) and y.dtype == torch.long
    assert 0 <= x.min() and x.max() <= 1
    assert torch.bincount(y, minlength=8).tolist() == [10] * 8
    x2, y2 = make_scenes(80, 24, seed=3)
    assert torch.equal(x, x2) and torch.equal(y, y2)
    assert not torch.equal(x, make_scenes(80, 24, seed=4)[0])
    assert len(SCENE_CLASSES) == 2 * len(KINDS) == 8


def test_fast() -> None:
    start = time.perf_counter()
    make_scenes(2000, 32)
    assert time.perf_counter() - start < 10


def test_sky_is_up_and_blue_ground_is_down_and_not() -> None:
    x, _ = make_scenes(200, 24, seed=0)
    lab = rgb_to_lab(x)
    b_top, b_bottom = lab[:, 2, :3].mean(), lab[:, 2, -3:].mean()
    assert b_top < -15 and b_bottom > 0  # blue (b < 0) above, not blue below
    # the sky is smooth, the ground is striped: more vertical variation below
    diff = (x[:, :, 1:] - x[:, :, :-1]).abs()
    assert diff[:, :, -6:].mean() > 2 * diff[:, :, 1:4].mean()


def test_the_object_is_in_its_place() -> None:
    g = torch.Generator().manual_seed(0)
    labels = torch.tensor([0, 4] * 50)  # disk in the sky, disk on the ground
    with_obj = render_scenes(labels, 32, g)
    g = torch.Generator().manual_seed(0)
    # the same random draws with another kind change only the object's pixels
    other = render_scenes(labels + 1, 32, g)
    changed = (with_obj - other).abs().amax(1) > 0.05  # (N, S, S)
    rows = torch.arange(32).view(1, 32, 1).float()
    centre = (changed * rows).sum((1, 2)) / changed.sum((1, 2)).clamp(min=1)
    assert centre[labels == 0].mean() < 14 < centre[labels == 4].mean()


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="n >= 8"):
        make_scenes(3)
    with pytest.raises(ValueError, match="image_size"):
        make_scenes(16, 4)

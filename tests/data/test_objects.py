"""Generated objects: shapes, balance, determinism, and the structure they promise."""

from __future__ import annotations

import time

import pytest
import torch

from coursework.data.objects import (
    OBJECT_CLASSES,
    _level,
    make_objects,
    render_objects,
)


def test_shapes_range_balance_and_determinism() -> None:
    x, y = make_objects(80, 24, seed=3)
    assert x.shape == (80, 3, 24, 24) and x.dtype == torch.float32
    assert y.shape == (80,) and y.dtype == torch.long
    assert 0 <= x.min() and x.max() <= 1
    assert torch.bincount(y, minlength=8).tolist() == [10] * 8
    x2, y2 = make_objects(80, 24, seed=3)
    assert torch.equal(x, x2) and torch.equal(y, y2)
    assert not torch.equal(x, make_objects(80, 24, seed=4)[0])
    assert len(OBJECT_CLASSES) == 8


def test_fast() -> None:
    start = time.perf_counter()
    make_objects(2000, 32)
    assert time.perf_counter() - start < 10


@pytest.mark.parametrize(
    ("shape", "inside", "outside"),
    [
        (0, [(0.9, -0.9)], [(1.1, 0.0)]),  # box: corners in
        (1, [(0.7, 0.7)], [(0.8, 0.8)]),  # ellipse: corners out
        (2, [(0.0, -0.9), (0.9, 0.9)], [(0.5, -0.5), (0.0, 1.1)]),  # apex up
        (3, [(0.0, -0.9), (0.9, -0.1)], [(0.0, 0.1)]),  # dome: flat side down
        (4, [(0.0, 0.9), (0.9, 0.1)], [(0.0, -0.1)]),  # bowl: flat side up
    ],
)
def test_part_shapes(shape, inside, outside) -> None:
    def level(u, v):
        t = torch.tensor([shape])
        return float(_level(t, torch.tensor([[[u]]]), torch.tensor([[[v]]])))

    for u, v in inside:
        assert level(u, v) < 1, (u, v)
    for u, v in outside:
        assert level(u, v) > 1, (u, v)


def _object_masks(kind: int, n: int = 200, size: int = 32) -> torch.Tensor:
    """Where the object is: pixels that change when it is drawn another kind."""
    labels = torch.full((n,), kind)
    a = render_objects(labels, size, torch.Generator().manual_seed(0))
    b = render_objects((labels + 1) % 8, size, torch.Generator().manual_seed(0))
    c = render_objects((labels + 2) % 8, size, torch.Generator().manual_seed(0))
    return ((a - b).abs().amax(1) > 0.02) | ((a - c).abs().amax(1) > 0.02)


def test_the_kind_changes_only_the_object() -> None:
    labels = torch.arange(8).repeat(10)
    a = render_objects(labels, 32, torch.Generator().manual_seed(1))
    b = render_objects((labels + 1) % 8, 32, torch.Generator().manual_seed(1))
    changed = (a - b).abs().amax(1) > 0.02  # (N, S, S)
    share = changed.float().mean((1, 2))
    assert (share > 0.05).all() and (share < 0.7).all()
    # the corners of the picture are background, the same for both kinds
    assert not changed[:, [0, 0, -1, -1], [0, -1, 0, -1]].any()


def test_objects_stand_upright_and_the_background_has_no_up() -> None:
    # each kind's average outline is mirror-symmetric (random left-right
    # mirroring) but not up-down symmetric: its parts have a fixed layout
    for kind in range(8):
        m = _object_masks(kind).float().mean(0)  # (S, S)
        left_right = (m - m.flip(1)).abs().mean()
        up_down = (m - m.flip(0)).abs().mean()
        assert up_down > 3 * left_right, OBJECT_CLASSES[kind]
    # over many pictures the background is as bright at the top as at the bottom
    x, _ = make_objects(800, 32, seed=5)
    top, bottom = x[:, :, :3].mean(), x[:, :, -3:].mean()
    assert abs(float(top - bottom)) < 0.02


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="n >= 8"):
        make_objects(3)
    with pytest.raises(ValueError, match="image_size"):
        make_objects(16, 4)

"""Tiles: gathered tiles equal slices; relative-position labels match the corners."""

from __future__ import annotations

import pytest
import torch

from coursework.pretext.tiles import (
    NEIGHBOUR_OFFSETS,
    NEIGHBOURS,
    extract_tiles,
    gather_tiles,
    jigsaw_batch,
    largest_tile,
    relative_position_batch,
    shuffle_tiles,
    tile_corners,
)


def test_gather_matches_slicing() -> None:
    torch.manual_seed(0)
    x = torch.rand(3, 2, 12, 12)
    corners = torch.randint(0, 8, (3, 5, 2))
    tiles = gather_tiles(x, corners, 4)
    assert tiles.shape == (3, 5, 2, 4, 4)
    for b in range(3):
        for t in range(5):
            r, c = corners[b, t].tolist()
            assert torch.equal(tiles[b, t], x[b, :, r : r + 4, c : c + 4])


@pytest.mark.parametrize("gap,jitter", [(2, 1), (0, 0), (1, 2)])
def test_grid_tiles_stay_in_their_cells(gap, jitter) -> None:
    torch.manual_seed(1)
    size = 24
    tile = largest_tile(size, gap, jitter)
    corners = tile_corners(50, size, tile, gap, jitter)
    cell = tile + gap + 2 * jitter
    assert corners.min() >= 0 and corners.max() + tile <= size
    for t in range(9):
        r, c = corners[:, t, 0], corners[:, t, 1]
        base_r = (size - 3 * cell) // 2 + (t // 3) * cell + gap // 2 + jitter
        base_c = (size - 3 * cell) // 2 + (t % 3) * cell + gap // 2 + jitter
        assert ((r - base_r).abs() <= jitter).all() and (
            (c - base_c).abs() <= jitter
        ).all()
    # neighbouring tiles never touch when there is a gap
    if gap > 0:
        dist = corners[:, 1, 1] - (corners[:, 0, 1] + tile)
        assert (dist >= gap).all()


def test_relative_position_labels_match_where_the_patches_were_taken() -> None:
    torch.manual_seed(2)
    x = torch.rand(200, 3, 24, 24)
    tile, gap, jitter = 4, 2, 1
    pairs, labels, corners = relative_position_batch(x, tile, gap, jitter)
    assert pairs.shape == (200, 2, 3, 4, 4) and labels.min() >= 0 and labels.max() < 8
    cell = tile + gap + 2 * jitter
    for b in range(200):
        # the first patch is the centre cell, the second the labelled neighbour
        offset = NEIGHBOUR_OFFSETS[int(labels[b])]
        delta = (corners[b, 1] - corners[b, 0]).tolist()
        for axis in range(2):
            assert abs(delta[axis] - offset[axis] * cell) <= 2 * jitter
        r, c = corners[b, 1].tolist()
        assert torch.equal(pairs[b, 1], x[b, :, r : r + tile, c : c + tile])
    assert set(labels.tolist()) == set(range(8))
    assert NEIGHBOURS == (0, 1, 2, 3, 5, 6, 7, 8)


def test_shuffle_tiles_matches_a_loop_and_jigsaw_labels() -> None:
    torch.manual_seed(3)
    tiles = torch.rand(4, 9, 1, 2, 2, dtype=torch.float64, requires_grad=True)
    perms = torch.stack([torch.randperm(9) for _ in range(5)])
    index = torch.tensor([4, 0, 2, 2])
    out = shuffle_tiles(tiles, perms, index)
    for b in range(4):
        for i in range(9):
            assert torch.equal(out[b, i], tiles[b, perms[index[b], i]])
    out.sum().backward()
    assert torch.allclose(tiles.grad, torch.ones_like(tiles))
    x = torch.rand(6, 3, 24, 24)
    shuffled, labels = jigsaw_batch(x, perms, 4, 2, 1)
    assert shuffled.shape == (6, 9, 3, 4, 4) and labels.max() < 5


def test_tiles_that_do_not_fit_are_refused() -> None:
    with pytest.raises(ValueError, match="px"):
        largest_tile(8, 2, 1)
    with pytest.raises(ValueError, match="grid"):
        extract_tiles(torch.zeros(1, 3, 12, 12), 4, 2, 1)

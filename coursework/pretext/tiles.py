"""Tiles and patches: the 3x3 grid of relative position and of the jigsaw.

Doersch, Gupta & Efros, "Unsupervised Visual Representation Learning by
Context Prediction" (ICCV 2015, arXiv:1505.05192): take a patch and one of
its 8 neighbours, and predict where the neighbour is. A **gap** between the
patches and a random **jitter** of each patch stop the network from solving
the task with low-level shortcuts (lines and textures that continue across a
shared border) instead of understanding the content.

Noroozi & Favaro (ECCV 2016, arXiv:1603.09246) cut the same 3x3 grid, shuffle
the tiles by one of a fixed set of permutations, and predict which one.

Everything is batched: one index tensor per image and tile, gathered at once.
"""

from __future__ import annotations

import torch

# the 8 neighbours of the centre tile (index 4 of the 3x3 grid), in reading
# order; relative-position label k means "the neighbour is tile NEIGHBOURS[k]"
NEIGHBOURS = (0, 1, 2, 3, 5, 6, 7, 8)
# (row, column) offset of neighbour k from the centre
NEIGHBOUR_OFFSETS = tuple((t // 3 - 1, t % 3 - 1) for t in NEIGHBOURS)


def largest_tile(image_size: int, gap: int, jitter: int, grid: int = 3) -> int:
    """The largest tile side for which a grid of cells (tile + gap + 2 jitter) fits."""
    tile = image_size // grid - gap - 2 * jitter
    if tile < 2:
        raise ValueError(
            f"tiles of {image_size}px images with gap {gap} and jitter {jitter} "
            f"would be {tile}px; use a smaller gap/jitter or larger images"
        )
    return tile


def tile_corners(
    batch: int,
    image_size: int,
    tile: int,
    gap: int,
    jitter: int,
    grid: int = 3,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """Top-left corners (B, grid*grid, 2) (row, column) of jittered tiles.

    The grid's cells have side ``cell = tile + gap + 2 jitter`` and are centred
    in the image; cell ``t`` (reading order) starts at ``(t // grid, t % grid)
    * cell``, its tile ``gap // 2 + jitter`` further in, then moved by a random
    offset in ``[-jitter, jitter]`` per tile and axis (torch's global RNG).
    Neighbouring tiles are therefore between ``gap`` and ``gap + 4 jitter``
    pixels apart.
    """
    cell = tile + gap + 2 * jitter
    if grid * cell > image_size:
        raise ValueError(
            f"a {grid}x{grid} grid of {tile}px tiles with gap {gap} and jitter "
            f"{jitter} needs {grid * cell}px; the images have {image_size}px"
        )
    offset = (image_size - grid * cell) // 2
    t = torch.arange(grid * grid, device=device)
    base = torch.stack([t // grid, t % grid], -1) * cell + offset + gap // 2 + jitter
    shift = torch.randint(-jitter, jitter + 1, (batch, grid * grid, 2), device=device)
    return base + shift  # (B, N, 2)


def gather_tiles(x: torch.Tensor, corners: torch.Tensor, size: int) -> torch.Tensor:
    """Cut square tiles of side ``size`` at ``corners`` from every image.

    Args:
        x: images (B, C, H, W).
        corners: (B, N, 2) long top-left (row, column) of each tile.
        size: tile side.

    Returns:
        tiles (B, N, C, size, size).
    """
    b = x.shape[0]
    r = torch.arange(size, device=x.device)
    rows = corners[..., 0, None] + r  # (B, N, size)
    cols = corners[..., 1, None] + r
    bi = torch.arange(b, device=x.device).view(b, 1, 1, 1)
    # advanced indices (B, N, size, size) around a slice: result (B, N, s, s, C)
    tiles = x[bi, :, rows[..., :, None], cols[..., None, :]]
    return tiles.permute(0, 1, 4, 2, 3)  # (B, N, C, s, s)


def extract_tiles(
    x: torch.Tensor, tile: int, gap: int, jitter: int, grid: int = 3
) -> tuple[torch.Tensor, torch.Tensor]:
    """The grid x grid jittered tiles of every image, in reading order.

    Returns:
        ``(tiles, corners)``: (B, grid^2, C, t, t) and their corners (B, grid^2, 2).
    """
    if x.shape[-1] != x.shape[-2]:
        raise ValueError(f"extract_tiles needs square images; got {tuple(x.shape)}")
    corners = tile_corners(x.shape[0], x.shape[-1], tile, gap, jitter, grid, x.device)
    return gather_tiles(x, corners, tile), corners


def relative_position_batch(
    x: torch.Tensor, tile: int, gap: int, jitter: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Pairs (centre patch, one random neighbour) and the neighbour's position.

    Args:
        x: images (B, C, S, S).
        tile: side of a patch.
        gap: pixels between neighbouring patches.
        jitter: maximal random shift of each patch, per axis.

    Returns:
        ``(pairs, labels, corners)``: patches (B, 2, C, t, t) (centre first),
        labels (B,) in 0..7 indexing :data:`NEIGHBOURS`, and the corners
        (B, 2, 2) the two patches were cut at.
    """
    b = x.shape[0]
    corners = tile_corners(b, x.shape[-1], tile, gap, jitter, device=x.device)
    # corners (B, 9, 2)
    labels = torch.randint(0, 8, (b,), device=x.device)
    neighbour = torch.tensor(NEIGHBOURS, device=x.device)[labels]  # (B,)
    which = torch.stack([torch.full_like(neighbour, 4), neighbour], 1)  # (B, 2)
    pair_corners = corners.gather(1, which[..., None].expand(b, 2, 2))
    return gather_tiles(x, pair_corners, tile), labels, pair_corners


def shuffle_tiles(
    tiles: torch.Tensor, permutations: torch.Tensor, index: torch.Tensor
) -> torch.Tensor:
    """Reorder each image's tiles by its permutation: out[b, i] = tiles[b, p[i]].

    Args:
        tiles: (B, N, C, t, t).
        permutations: (P, N) long, the permutation set.
        index: (B,) long, which permutation each image gets (its jigsaw label).

    Returns:
        (B, N, C, t, t), position ``i`` holding tile ``permutations[index[b], i]``.
    """
    order = permutations.to(tiles.device)[index]  # (B, N)
    shape = order.shape + (1,) * (tiles.dim() - 2)
    return tiles.gather(1, order.view(shape).expand_as(tiles))


def jigsaw_batch(
    x: torch.Tensor, permutations: torch.Tensor, tile: int, gap: int, jitter: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Shuffled 3x3 tiles and the index of the permutation used.

    Returns:
        ``(tiles, labels)``: (B, 9, C, t, t) and (B,) long in [0, P).
    """
    tiles, _ = extract_tiles(x, tile, gap, jitter)
    labels = torch.randint(0, permutations.shape[0], (x.shape[0],), device=x.device)
    return shuffle_tiles(tiles, permutations, labels), labels

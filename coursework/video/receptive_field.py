"""Receptive fields of late fusion, early fusion and 3D CNNs, layer by layer.

The comparison table of the lecture (Johnson, after Karpathy et al. 2014 and
Tran et al. 2015, arXiv:1412.0767): on a 3 x 20 x 64 x 64 clip, late fusion
sees one frame until the global pool, early fusion sees all 20 frames after
its first layer, and a 3D CNN grows its temporal receptive field slowly,
exactly like its spatial one ("slow fusion").

Per dimension, with ``r`` the receptive field and ``j`` the jump (the
distance in input pixels between neighbouring outputs):

    r_out = r_in + (k - 1) * j_in,      j_out = j_in * s
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from coursework.video.layers import (
    EarlyFusion,
    Shape,
    Spec,
    describe,
    kernel_stride,
    output_shape,
)

RFUpdate = Callable[[int, int, int, int], tuple[int, int]]


def rf_update(rf: int, jump: int, kernel: int, stride: int) -> tuple[int, int]:
    """One layer of receptive-field arithmetic along one dimension.

    Args:
        rf: receptive field of the input, in input pixels (or frames).
        jump: distance in input pixels between two neighbouring input positions.
        kernel: the layer's kernel size.
        stride: the layer's stride.

    Returns:
        ``(rf_out, jump_out)``.
    """
    # r_out = r_in + (k - 1) j_in ;  j_out = j_in s
    return rf + (kernel - 1) * jump, jump * stride


@dataclass(frozen=True)
class Row:
    """One row of the table: layer name, output size, receptive field (T, H, W)."""

    layer: str
    size: tuple[int, ...]
    rf: tuple[int, int, int]


def receptive_field_table(
    specs: Sequence[Spec], in_shape: Shape, update: RFUpdate = rf_update
) -> list[Row]:
    """Walk ``specs`` from ``in_shape`` and report each output size and receptive field.

    Sizes are written as the lecture does: (C, T, H, W), or (C, H, W) once
    early fusion has folded time into channels. A receptive field never
    exceeds the input.

    Args:
        specs: the layers (see :mod:`coursework.video.layers`).
        in_shape: the input (C, T, H, W).
        update: the per-dimension rule (e.g. your own ``rf_update``).
    """
    shape = tuple(in_shape)
    rf, jump = [1, 1, 1], [1, 1, 1]
    folded = False
    rows = [Row("Input", shape, (1, 1, 1))]
    for spec in specs:
        kernel, stride = kernel_stride(spec, shape)
        name = describe(spec, shape)
        for d in range(3):
            rf[d], jump[d] = update(rf[d], jump[d], kernel[d], stride[d])
            rf[d] = min(rf[d], in_shape[d + 1])
        shape = output_shape(spec, shape)
        folded = folded or isinstance(spec, EarlyFusion)
        size = (shape[0], *shape[2:]) if folded else shape
        rows.append(Row(name, size, tuple(rf)))
    return rows


def format_table(rows: Sequence[Row]) -> str:
    """The table as aligned text, sizes and receptive fields written 12x20x64x64."""
    lines = [f"{'layer':<26}{'size (C x T x H x W)':<22}receptive field (T x H x W)"]
    for r in rows:
        size = "x".join(map(str, r.size))
        lines.append(f"{r.layer:<26}{size:<22}{'x'.join(map(str, r.rf))}")
    return "\n".join(lines)

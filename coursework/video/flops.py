"""Parameters and multiply-adds of a video network, counted from its layer specs.

Tran et al. (2015, arXiv:1412.0767) and the lecture: 3D CNNs are expensive.
A k x k x k convolution costs k times a k x k one at every position, and it
keeps the time axis, so it runs at T times as many positions as a 2D network
applied to one frame. Counted per layer:

    params = C_out (C_in kt kh kw + 1) [+ 2 C_out for BatchNorm]
    MACs   = C_out T' H' W' C_in kt kh kw

(one multiply-add per weight per output position; FLOPs ~ 2 MACs).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from torch import nn

from coursework.video.layers import (
    Conv,
    EarlyFusion,
    NonLocal,
    Shape,
    Spec,
    describe,
    output_shape,
)


@dataclass(frozen=True)
class Cost:
    """One layer: its name, output (C, T, H, W), parameters and multiply-adds."""

    layer: str
    shape: Shape
    params: int
    macs: int


def layer_costs(
    specs: Sequence[Spec], in_shape: Shape, batch_norm: bool = True
) -> list[Cost]:
    """Cost of each layer of ``specs`` on one clip of ``in_shape`` (C, T, H, W)."""
    shape, rows = tuple(in_shape), []
    for spec in specs:
        out = output_shape(spec, shape)
        c_in, t_in = shape[0], shape[1]
        positions = out[1] * out[2] * out[3]
        params = macs = 0
        if isinstance(spec, (Conv, EarlyFusion)):
            if isinstance(spec, Conv):
                taps = c_in * spec.kernel[0] * spec.kernel[1] * spec.kernel[2]
            else:
                taps = c_in * t_in * spec.kernel[0] * spec.kernel[1]
            params = out[0] * (taps + 1) + (2 * out[0] if batch_norm else 0)
            macs = out[0] * positions * taps
        elif isinstance(spec, NonLocal):
            inner = max(1, c_in // spec.reduction)
            n = shape[1] * shape[2] * shape[3]
            params = 3 * (c_in * inner + inner) + inner * c_in + c_in
            # theta, phi, g, W_z (1x1x1) + the N x N affinities and their use
            macs = 4 * n * c_in * inner + 2 * n * n * inner
        rows.append(Cost(describe(spec, shape), out, params, macs))
        shape = out
    return rows


def model_cost(model: nn.Module) -> tuple[int, int]:
    """(parameters, multiply-adds per clip) of a :class:`VideoNet`: trunk + head."""
    rows = layer_costs(model.specs, model.in_shape)
    params = sum(r.params for r in rows)
    macs = sum(r.macs for r in rows)
    t_out = rows[-1].shape[1] if rows else model.in_shape[1]
    for layer in model.head.modules():
        if isinstance(layer, nn.Linear):
            params += layer.weight.numel() + layer.bias.numel()
            # the frame head runs once per frame
            times = t_out if getattr(model.head, "per_frame", False) else 1
            macs += layer.weight.numel() * times
    return params, macs


def format_costs(rows: Sequence[Cost]) -> str:
    """Aligned text: layer, output size, parameters, multiply-adds."""
    lines = [f"{'layer':<26}{'output':<18}{'params':>12}{'MACs':>16}"]
    for r in rows:
        size = "x".join(map(str, r.shape))
        lines.append(f"{r.layer:<26}{size:<18}{r.params:>12,}{r.macs:>16,}")
    total_p = sum(r.params for r in rows)
    total_m = sum(r.macs for r in rows)
    lines.append(f"{'total':<44}{total_p:>12,}{total_m:>16,}")
    return "\n".join(lines)

"""Parameters and multiply-adds of a video network, counted from its layer specs.

Tran et al. (2015, arXiv:1412.0767) and the lecture: 3D CNNs are expensive.
A k x k x k convolution costs k times a k x k one at every position, and it
keeps the time axis, so it runs at T times as many positions as a 2D network
applied to one frame. Counted per layer:

    params = C_out (C_in kt kh kw + 1) [+ 2 C_out for BatchNorm]
    MACs   = C_out T' H' W' C_in kt kh kw

(one multiply-add per weight per output position; FLOPs ~ 2 MACs). The
lecture's cost slide (AlexNet 0.7, VGG-16 13.6, C3D 39.5 "GFLOP") counts
multiply-adds, so its numbers compare with MACs here. :func:`alexnet_specs`
and :func:`vgg16_specs` describe its two image networks for the same counter:
Krizhevsky et al., "ImageNet Classification with Deep Convolutional Neural
Networks" (NeurIPS 2012), in the single-tower form with 64-192-384-256-256
channels; Simonyan & Zisserman, "Very Deep Convolutional Networks for
Large-Scale Image Recognition" (ICLR 2015, arXiv:1409.1556), configuration D.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from torch import nn

from coursework.video.layers import (
    Conv,
    Dense,
    EarlyFusion,
    NonLocal,
    Shape,
    Spec,
    StridedConv,
    StridedPool,
    conv2d,
    describe,
    output_shape,
    pool2d,
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
        if isinstance(spec, (Conv, EarlyFusion, StridedConv)):
            if isinstance(spec, Conv):
                taps = c_in * spec.kernel[0] * spec.kernel[1] * spec.kernel[2]
            elif isinstance(spec, StridedConv):
                taps = c_in * spec.size * spec.size
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
        elif isinstance(spec, Dense):
            n_in = shape[0] * shape[1] * shape[2] * shape[3]
            params, macs = spec.features * (n_in + 1), spec.features * n_in
        rows.append(Cost(describe(spec, shape), out, params, macs))
        shape = out
    return rows


def alexnet_specs(num_classes: int = 1000) -> list[Spec]:
    """AlexNet on a 3 x 227 x 227 image (T = 1), as on the lecture's slides.

    conv1 11x11/4 (pad 2), pool 3x3/2, conv2 5x5 (pad 2), pool, conv3-5 3x3,
    pool, then fc6, fc7 (4096) and fc8.
    """
    return [
        StridedConv(64, 11, stride=4, padding=2),
        StridedPool(3, 2),
        StridedConv(192, 5, padding=2),
        StridedPool(3, 2),
        StridedConv(384, 3, padding=1),
        StridedConv(256, 3, padding=1),
        StridedConv(256, 3, padding=1),
        StridedPool(3, 2),
        Dense(4096),
        Dense(4096),
        Dense(num_classes),
    ]


def vgg16_specs(num_classes: int = 1000) -> list[Spec]:
    """VGG-16 on a 3 x 224 x 224 image (T = 1): 13 "same" 3x3 convs, 5 pools, 3 FC."""
    specs: list[Spec] = []
    for channels, repeat in ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3)):
        specs += [conv2d(channels) for _ in range(repeat)] + [pool2d(2)]
    return specs + [Dense(4096), Dense(4096), Dense(num_classes)]


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

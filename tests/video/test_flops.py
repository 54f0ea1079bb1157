"""The FLOP counter on the lecture's image networks, against a hook count."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from coursework.video.flops import alexnet_specs, layer_costs, vgg16_specs
from coursework.video.layers import (
    Conv,
    Dense,
    Pool,
    Spec,
    StridedConv,
    StridedPool,
    kernel_stride,
    output_shape,
)


def _module(specs: list[Spec], channels: int) -> nn.Sequential:
    """A plain 2D network for T = 1 images, built independently of the counter."""
    layers: list[nn.Module] = []
    for spec in specs:
        if isinstance(spec, Conv):
            k = spec.kernel[1]
            layers += [nn.Conv2d(channels, spec.channels, k, padding=k // 2)]
            channels = spec.channels
        elif isinstance(spec, StridedConv):
            layers += [
                nn.Conv2d(channels, spec.channels, spec.size, spec.stride, spec.padding)
            ]
            channels = spec.channels
        elif isinstance(spec, Pool):
            layers += [nn.MaxPool2d(spec.kernel[1])]
        elif isinstance(spec, StridedPool):
            layers += [nn.MaxPool2d(spec.size, spec.stride)]
        elif isinstance(spec, Dense):
            layers += [nn.Flatten(), nn.LazyLinear(spec.features)]
    return nn.Sequential(*layers)


def _hooked(model: nn.Module, x: torch.Tensor) -> tuple[int, int]:
    """(multiply-adds, output elements of the last layer) by forward hooks."""
    total = 0

    def hook(mod, inp, out):
        nonlocal total
        if isinstance(mod, nn.Conv2d):
            total += out.numel() * mod.weight[0].numel()
        elif isinstance(mod, nn.Linear):
            total += out.numel() * mod.in_features

    handles = [m.register_forward_hook(hook) for m in model.modules()]
    with torch.no_grad():
        out = model(x)
    for h in handles:
        h.remove()
    return total, out.numel()


@pytest.mark.parametrize(
    "specs, size",
    [(alexnet_specs(10), 227), (alexnet_specs(10), 99), (vgg16_specs(10), 64)],
)
def test_image_networks_match_a_hook_count(specs, size):
    model = _module(specs, 3)
    macs, n_out = _hooked(model, torch.zeros(1, 3, size, size))
    rows = layer_costs(specs, (3, 1, size, size), batch_norm=False)
    assert sum(r.macs for r in rows) == macs
    assert sum(r.params for r in rows) == sum(p.numel() for p in model.parameters())
    assert rows[-1].shape == (n_out, 1, 1, 1)


def test_known_counts_at_the_lecture_sizes():
    alex = layer_costs(alexnet_specs(), (3, 1, 227, 227), batch_norm=False)
    # conv1: 64 x 56 x 56 outputs, 3 x 11 x 11 taps each
    assert alex[0].shape == (64, 1, 56, 56) and alex[0].macs == 64 * 56**2 * 363
    assert sum(r.params for r in alex) == 61_100_840  # torchvision's AlexNet
    vgg = layer_costs(vgg16_specs(), (3, 1, 224, 224), batch_norm=False)
    conv = sum(r.macs for r in vgg if r.layer.startswith("Conv"))
    plan = [(224, 3, 64), (224, 64, 64), (112, 64, 128), (112, 128, 128)]
    plan += [(56, 128, 256)] + [(56, 256, 256)] * 2
    plan += [(28, 256, 512)] + [(28, 512, 512)] * 2 + [(14, 512, 512)] * 3
    assert conv == sum(s * s * c_out * c_in * 9 for s, c_in, c_out in plan)
    assert sum(r.params for r in vgg) == 138_357_544  # the paper's 138 M


def test_strided_specs_shapes_and_fields():
    assert output_shape(StridedConv(8, 3, 2, 1), (3, 1, 9, 9)) == (8, 1, 5, 5)
    assert output_shape(StridedPool(3, 2), (4, 2, 13, 13)) == (4, 2, 6, 6)
    assert output_shape(Dense(7), (4, 2, 3, 3)) == (7, 1, 1, 1)
    assert kernel_stride(StridedConv(8, 11, 4), (3, 1, 227, 227)) == (
        (1, 11, 11),
        (1, 4, 4),
    )
    with pytest.raises(ValueError, match="does not fit"):
        output_shape(StridedPool(5, 2), (4, 1, 3, 3))

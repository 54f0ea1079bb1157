"""Every model variant: shapes, finite outputs, and how it depends on time."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from coursework.video.attention import NonLocalBlock
from coursework.video.flops import layer_costs, model_cost
from coursework.video.layers import conv3d, pool3d
from coursework.video.models import (
    MODELS,
    LateFCHead,
    PoolHead,
    VideoNet,
    build_model,
    build_trunk,
    frame_trunk,
)
from coursework.video.receptive_field import receptive_field_table
from coursework.video.recurrent import CNNLSTM
from coursework.video.two_stream import TwoStream

SHAPE = (3, 8, 16, 16)  # (C, T, H, W)
K = 5


def _clips(b: int = 2, seed: int = 0, dtype=torch.float32) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    c, t, h, w = SHAPE
    return torch.rand(b, t, c, h, w, generator=g, dtype=dtype)


def _model(name: str) -> nn.Module:
    torch.manual_seed(0)
    model = build_model(name, SHAPE, K, width=4, hidden=16)
    for m in model.modules():
        if isinstance(m, NonLocalBlock):  # make the block's effect visible
            nn.init.normal_(m.w_z.weight, std=0.5)
    return model.eval().double()


def _frame_grad(model: nn.Module, fn, t_out: int) -> torch.Tensor:
    """|d fn(x)[..., t_out, ...] / d x| summed per input frame: (T,)."""
    x = _clips(dtype=torch.float64).requires_grad_(True)
    fn(model, x)[t_out].sum().backward()
    return x.grad.abs().sum(dim=(0, 2, 3, 4))


@pytest.mark.parametrize("name", MODELS)
def test_shapes_finite_and_costs(name):
    model = _model(name)
    out = model(_clips(dtype=torch.float64))
    assert out.shape == (2, K) and torch.isfinite(out).all()
    params, _ = model_cost(model)
    assert params == sum(p.numel() for p in model.parameters())


def _hooked_macs(model: nn.Module, x: torch.Tensor) -> int:
    """Slow count: one multiply-add per weight per output position, per clip."""
    total = 0

    def hook(mod, inp, out):
        nonlocal total
        if isinstance(mod, (nn.Conv2d, nn.Conv3d)):
            taps = mod.weight[0].numel()
            total += out.numel() * taps
        elif isinstance(mod, nn.Linear):
            total += out.numel() * mod.in_features

    handles = [m.register_forward_hook(hook) for m in model.modules()]
    model(x)
    for h in handles:
        h.remove()
    return total // x.shape[0]


@pytest.mark.parametrize("name", [m for m in MODELS if m != "3d_nonlocal"])
def test_macs_match_a_hook_count(name):
    model = _model(name)
    assert model_cost(model)[1] == _hooked_macs(model, _clips(3, dtype=torch.float64))


def test_3d_costs_more_than_2d_on_the_same_clip():
    """The lecture's point: a 3x3x3 conv costs 3x a per-frame 3x3 conv."""
    three = layer_costs([conv3d(64)], (64, 16, 56, 56))[0].macs
    two = layer_costs([conv3d(64, time=1)], (64, 16, 56, 56))[0].macs
    assert three == 3 * two


@pytest.mark.parametrize("name", ["single_frame", "late_fc", "late_pool"])
def test_per_frame_features_see_only_their_frame(name):
    model = _model(name)
    for t in range(SHAPE[1]):
        g = _frame_grad(model, lambda m, x: m.features(x).transpose(0, 2), t)
        assert g[t] > 0 and torch.count_nonzero(g) == 1


def test_single_frame_logits_see_only_their_frame():
    model = _model("single_frame")
    g = _frame_grad(model, lambda m, x: m.frame_logits(x).transpose(0, 1), 3)
    assert g[3] > 0 and torch.count_nonzero(g) == 1


@pytest.mark.parametrize("name", ["single_frame", "late_pool"])
def test_bag_of_frames_models_ignore_order(name):
    model, x = _model(name), _clips(dtype=torch.float64)
    perm = torch.randperm(SHAPE[1], generator=torch.Generator().manual_seed(1))
    assert torch.allclose(model(x), model(x[:, perm]))


@pytest.mark.parametrize("name", ["late_fc", "early", "3d", "c3d", "3d_nonlocal"])
def test_temporal_models_depend_on_order_and_on_every_frame(name):
    model, x = _model(name), _clips(dtype=torch.float64)
    # float64: an order-blind model gives the same numbers to ~1e-16
    with torch.no_grad():
        assert float((model(x) - model(x.flip(1))).abs().max()) > 1e-12
    x.requires_grad_(True)
    model(x).sum().backward()
    assert bool((x.grad.abs().sum(dim=(0, 2, 3, 4)) > 0).all())


def test_3d_cnn_temporal_receptive_field_matches_the_table():
    """Features at time t after conv-pool-conv depend on exactly the frames the
    receptive-field calculator predicts."""
    specs = [conv3d(4), pool3d(2), conv3d(4)]
    shape = (3, 16, 16, 16)
    rf_t = receptive_field_table(specs, shape)[-1].rf[0]
    torch.manual_seed(0)
    net = VideoNet(specs, shape, K).double().eval()
    x = torch.rand(1, 16, 3, 16, 16, dtype=torch.float64, requires_grad=True)
    net.features(x)[:, :, 4].sum().backward()
    seen = (x.grad.abs().sum(dim=(0, 2, 3, 4)) > 0).nonzero().flatten()
    assert int(seen.max() - seen.min() + 1) == rf_t


def test_early_fusion_first_layer_sees_every_frame():
    model = _model("early")
    x = _clips(dtype=torch.float64).requires_grad_(True)
    model.trunk[0](x.transpose(1, 2))[..., 8, 8].sum().backward()
    assert bool((x.grad.abs().sum(dim=(0, 2, 3, 4)) > 0).all())


def test_early_fusion_wrong_clip_length_is_a_clear_error():
    with pytest.raises(ValueError, match="built for 8 frames"):
        _model("early")(torch.rand(1, 4, 3, 16, 16, dtype=torch.float64))


def test_non_local_block_starts_as_identity_and_then_mixes_all_positions():
    block = NonLocalBlock(6).double()
    x = torch.rand(2, 6, 3, 4, 4, dtype=torch.float64, requires_grad=True)
    assert torch.equal(block(x), x)
    nn.init.normal_(block.w_z.weight)
    block(x)[0, :, 0, 0, 0].sum().backward()
    moved = x.grad[0].abs().sum(0)  # (T, H, W)
    assert bool((moved > 0).all()) and float(x.grad[1].abs().sum()) == 0.0
    a = block.attention(x)
    assert a.shape == (2, 48, 48)
    assert torch.allclose(a.sum(-1), torch.ones(2, 48, dtype=torch.float64))


def test_two_stream_shapes_fusion_and_spatial_stream_uses_the_middle_frame():
    torch.manual_seed(0)
    model = TwoStream((3, 16, 16), 7, K, width=4, hidden=8).double().eval()
    clips = _clips(dtype=torch.float64).requires_grad_(True)
    flows = torch.randn(2, 7, 2, 16, 16, dtype=torch.float64)
    rgb, flow = model.streams(clips, flows)
    assert rgb.shape == flow.shape == (2, K)
    fused = model(clips, flows)
    assert torch.allclose(fused.exp().sum(-1), torch.ones(2, dtype=torch.float64))
    expected = torch.log((rgb.softmax(-1) + flow.softmax(-1)) / 2)
    assert torch.allclose(fused, expected)
    rgb.sum().backward()
    g = clips.grad.abs().sum(dim=(0, 2, 3, 4))
    assert g[4] > 0 and torch.count_nonzero(g) == 1


def test_cnn_lstm_shapes_and_order_dependence():
    torch.manual_seed(0)
    model = CNNLSTM(SHAPE, K, width=4, hidden=8).double().eval()
    x = _clips(dtype=torch.float64).requires_grad_(True)
    out = model(x)
    assert out.shape == (2, K) and torch.isfinite(out).all()
    assert not torch.allclose(out, model(x.flip(1)))
    out.sum().backward()
    assert bool((x.grad.abs().sum(dim=(0, 2, 3, 4)) > 0).all())


def test_unknown_model_and_head_are_clear_errors():
    with pytest.raises(ValueError, match="unknown model"):
        build_model("4d", SHAPE, K, 4)
    with pytest.raises(TypeError, match="head builder such as PoolHead"):
        VideoNet([conv3d(4)], SHAPE, K, head="mean")
    with pytest.raises(TypeError, match="not an instance"):
        VideoNet([conv3d(4)], SHAPE, K, head=PoolHead((4, 8, 16, 16), K, 8))


class _MaxHead(nn.Module):
    """A head of one's own: max over time and space, then linear."""

    def __init__(self, shape, num_classes, hidden):
        super().__init__()
        self.linear = nn.Linear(shape[0], num_classes)

    def forward(self, features):
        return self.linear(features.amax(dim=(2, 3, 4)))


def test_heads_are_passed_in_as_builders_given_the_trunk_shape():
    torch.manual_seed(0)
    specs = [conv3d(4), pool3d(2)]
    net = VideoNet(specs, SHAPE, K, head=_MaxHead)
    assert isinstance(net.head, _MaxHead) and net.head.linear.in_features == 4
    assert net(_clips()).shape == (2, K)
    late = VideoNet(frame_trunk(4), SHAPE, K, head=LateFCHead, hidden=8)
    assert late.head.mlp[0].in_features == 16 * SHAPE[1]  # 4c channels x T frames


def test_the_frame_trunk_is_shared_by_every_frame_model():
    trunk = frame_trunk(4)
    assert build_model("single_frame", SHAPE, K, 4).specs == tuple(trunk)
    assert build_model("early", SHAPE, K, 4).specs[1:] == tuple(trunk[1:])
    stream = TwoStream((3, 16, 16), 7, K, width=4)
    assert stream.spatial.specs == tuple(trunk)
    assert stream.temporal.specs[1:] == tuple(trunk[1:])
    lstm = CNNLSTM(SHAPE, K, width=4)
    built, _ = build_trunk(trunk, SHAPE)
    assert [type(m) for m in lstm.cnn] == [type(m) for m in built]


def test_frame_head_macs_count_every_frame():
    torch.manual_seed(0)
    single = build_model("single_frame", SHAPE, K, 4)
    params, macs = model_cost(single)
    trunk_macs = sum(r.macs for r in layer_costs(single.specs, SHAPE))
    assert macs - trunk_macs == 16 * K * SHAPE[1]  # 4c features -> K, per frame

"""The one backbone with every kind of head; transfer helpers."""

from __future__ import annotations

import copy

import pytest
import torch
from torch.nn import BatchNorm2d

from coursework.classifier import classification_loss
from coursework.pretext.backbone import Backbone, PretextNet
from coursework.pretext.heads import Decoder, DenseHead, LinearHead, MLPHead, SetHead
from coursework.pretext.transfer import (
    Classifier,
    finetune,
    frozen_features,
    linear_probe,
    probe_as_linear,
    reestimate_bn,
)


@pytest.mark.parametrize(
    "head,inputs,shape",
    [
        (LinearHead(32, 4), (5, 3, 16, 16), (5, 4)),
        (MLPHead(32, 16, 8), (5, 3, 16, 16), (5, 8)),
        (SetHead(32, 9, 7), (5, 9, 3, 4, 4), (5, 7)),
        (DenseHead(32, 11, scale=1), (5, 3, 16, 16), (5, 11, 4, 4)),
        (DenseHead(32, 2, scale=4), (5, 3, 16, 16), (5, 2, 16, 16)),
        (Decoder(32), (5, 3, 16, 16), (5, 3, 16, 16)),
    ],
)
def test_every_head_on_the_one_backbone(head, inputs, shape) -> None:
    torch.manual_seed(0)
    model = PretextNet(Backbone(8), head)
    out = model(torch.rand(*inputs))
    assert out.shape == shape and torch.isfinite(out).all()
    out.float().sum().backward()
    assert all(p.grad is not None for p in model.backbone.parameters())


def test_set_head_sees_the_order_of_its_elements() -> None:
    torch.manual_seed(1)
    model = PretextNet(Backbone(8), SetHead(32, 3, 2)).eval()
    x = torch.rand(2, 3, 3, 8, 8)
    assert not torch.allclose(model(x), model(x.flip(1)))
    with pytest.raises(ValueError, match="set head"):
        model(torch.rand(2, 3, 8, 8))


def test_classification_loss_and_pooling() -> None:
    logits = torch.tensor([[2.0, 0.0], [0.0, 2.0]])
    logs = classification_loss(logits, torch.tensor([0, 0]))
    assert logs["acc"] == 0.5
    assert Backbone(8)(torch.rand(3, 3, 8, 8), pool=2).shape == (3, 128)


def test_probe_and_finetune_learn_a_separable_problem() -> None:
    torch.manual_seed(2)
    y = torch.arange(2).repeat(40)
    f = torch.randn(80, 6) + 3 * y[:, None].float()
    acc, probe = linear_probe(f[:60], y[:60], f[60:], y[60:], 2, epochs=30)
    assert acc > 0.9
    x = torch.rand(80, 3, 8, 8) * 0.2 + y.view(-1, 1, 1, 1) * torch.tensor(
        [0.8, 0.0, 0.0]
    ).view(1, 3, 1, 1)
    tuned = finetune(
        Backbone(4), x[:60], y[:60], x[60:], y[60:], 2, epochs=10, batch_size=8
    )
    assert tuned > 0.9
    frames = frozen_features(Backbone(4), torch.rand(5, 3, 3, 8, 8))
    assert frames.shape == (5, 3 * 16)


def test_all_blocks_concatenates_every_depth() -> None:
    torch.manual_seed(3)
    bb = Backbone(4).eval()
    x = torch.rand(2, 3, 8, 8)
    f = bb(x, all_blocks=True)
    assert f.shape == (2, 4 + 8 + 16 + 16)
    assert torch.allclose(f[:, -16:], bb(x))
    assert frozen_features(bb, x, all_blocks=True).shape == (2, 44)


def test_probe_as_linear_computes_what_the_probe_computes() -> None:
    g = torch.Generator().manual_seed(0)
    f = torch.randn(40, 6, generator=g) * 3 + 1  # features far from standardised
    y = (f[:, 0] > 1).long()
    _, probe = linear_probe(f[:30], y[:30], f[30:], y[30:], 2, epochs=5)
    layer = probe_as_linear(probe)
    assert isinstance(layer, torch.nn.Linear)
    torch.testing.assert_close(layer(f), probe(f))
    # by hand: standardise with the training statistics, then the probe's layer
    w, b = probe.linear.weight, probe.linear.bias
    by_hand = ((f - f[:30].mean(0)) / f[:30].std(0)) @ w.T + b
    torch.testing.assert_close(layer(f), by_hand.detach())


def test_finetune_starts_from_the_head_it_is_given() -> None:
    """With no training (0 epochs) the fine-tuned model is backbone + the given head."""
    torch.manual_seed(0)
    bb = Backbone(4).eval()
    x = torch.rand(64, 3, 16, 16)
    head = torch.nn.Linear(bb.out_channels, 2)
    with torch.no_grad():
        pred = head(bb(x)).argmax(1)
    # labels that the given head gets right on 48 images and wrong on 16
    y = torch.where(torch.arange(64) < 48, pred, 1 - pred)
    assert finetune(bb, x, y, x, y, 2, epochs=0, head=head) == pytest.approx(0.75)
    # a fresh head (the default) is another layer: not these predictions
    fresh = [finetune(bb, x, y, x, y, 2, epochs=0) for _ in range(3)]
    assert any(f != pytest.approx(0.75) for f in fresh)


def test_finetune_backbone_lr_gives_the_backbone_its_own_rate(monkeypatch) -> None:
    """One full-batch step: Adam's first step moves a parameter by about its
    group's lr (its update is lr * g / (|g| + eps)), so the backbone moves by
    ``backbone_lr`` and the linear layer by ``lr``."""
    made = []

    class SpyAdam(torch.optim.Adam):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr(torch.optim, "Adam", SpyAdam)
    torch.manual_seed(4)
    bb = Backbone(4)
    x, y = torch.rand(16, 3, 8, 8), torch.arange(2).repeat(8)
    head = torch.nn.Linear(bb.out_channels, 2)
    finetune(
        bb, x, y, x, y, 2, epochs=1, batch_size=16, lr=1e-2, head=head, backbone_lr=1e-4
    )
    (opt,) = made
    groups = [(g["lr"], g["params"]) for g in opt.param_groups]
    assert [lr for lr, _ in groups] == [1e-4, 1e-2]
    before = [*bb.parameters(), *head.parameters()]
    after = [*groups[0][1], *groups[1][1]]
    assert len(after) == len(before)
    rates = [1e-4] * len(list(bb.parameters())) + [1e-2] * 2
    for p0, p1, lr in zip(before, after, rates, strict=True):
        step = (p1.detach() - p0.detach()).abs()
        moved = step > 0  # a zero gradient leaves a parameter where it was
        assert moved.any()
        torch.testing.assert_close(
            step[moved], torch.full_like(step[moved], lr), rtol=0.05, atol=0
        )


def test_finetune_backbone_lr_equal_to_lr_is_the_default() -> None:
    x, y = torch.rand(24, 3, 8, 8), torch.arange(2).repeat(12)
    out = []
    for backbone_lr in (None, 1e-3):
        torch.manual_seed(5)
        bb = Backbone(4)
        out.append(
            finetune(bb, x, y, x, y, 2, epochs=2, batch_size=8, backbone_lr=backbone_lr)
        )
    assert out[0] == out[1]


def test_reestimate_bn_takes_the_statistics_of_the_new_inputs() -> None:
    """The first BatchNorm's statistics are the per-channel mean and (unbiased)
    variance of the first convolution's outputs over every input, however
    batched in equal batches; the weights are those of the original."""
    torch.manual_seed(6)
    bb = Backbone(4)
    x = torch.rand(50, 3, 8, 8) * 2 + 1  # far from what the statistics start at
    out = reestimate_bn(bb, x, transform=lambda t: t.flip(1), batch_size=10)
    with torch.no_grad():
        h = bb.blocks[0][0](x.flip(1))  # (N, C, H, W)
    bn = out.blocks[0][1]
    per_channel = h.transpose(0, 1).flatten(1)
    torch.testing.assert_close(bn.running_mean, per_channel.mean(1))
    # batches of 10 average their unbiased variances: close to the whole set's
    torch.testing.assert_close(bn.running_var, per_channel.var(1), rtol=0.05, atol=0)
    assert not out.training and bb.blocks[0][1].running_mean.abs().max() == 0
    for p0, p1 in zip(bb.parameters(), out.parameters(), strict=True):
        assert torch.equal(p0, p1)


def test_keep_bn_stats_keeps_the_running_statistics_while_fine_tuning() -> None:
    torch.manual_seed(7)
    bb = Backbone(4)
    x = torch.rand(32, 3, 8, 8) * 3  # far from the statistics it starts with
    model = Classifier(copy.deepcopy(bb), bb.out_channels, 2, keep_bn_stats=True)
    model.train()
    assert model.training and model.linear.training
    assert not any(m.training for m in model.modules() if isinstance(m, BatchNorm2d))
    before = copy.deepcopy(model.state_dict())
    out_train = model(x)
    # the reference: the same model in eval mode; nothing it keeps has moved
    torch.testing.assert_close(out_train, model.eval()(x))
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k]), k
    # end to end: with lr 0 the only change fine-tuning could make is to the
    # statistics; kept, the predictions are the given head's (as at 0 epochs)
    bb.eval()
    head = torch.nn.Linear(bb.out_channels, 2)
    with torch.no_grad():
        pred = head(bb(x)).argmax(1)
    y = torch.where(torch.arange(32) < 24, pred, 1 - pred)
    kept = finetune(bb, x, y, x, y, 2, epochs=20, lr=0.0, head=head, keep_bn_stats=True)
    assert kept == pytest.approx(0.75)
    moved = finetune(bb, x, y, x, y, 2, epochs=20, lr=0.0, head=head)
    assert moved != pytest.approx(0.75)  # batch statistics replaced the running ones

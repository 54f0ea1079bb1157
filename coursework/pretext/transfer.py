"""Transfer: a frozen backbone with a linear probe, and fine-tuning with few labels.

The evaluation protocol of the self-supervised literature (e.g. Gidaris et
al. 2018, Table 1; Kolesnikov, Zhai & Beyer, "Revisiting Self-Supervised
Visual Representation Learning", CVPR 2019, arXiv:1901.09005): freeze the
pretrained backbone and train a linear classifier on its features with every
label; and, separately, fine-tune the whole network with few labels.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import torch
from torch import nn

from coursework import metrics
from coursework.classifier import classification_loss, supervised_loss
from coursework.train import TensorLoader, fit


@torch.no_grad()
def frozen_features(
    backbone: nn.Module,
    x: torch.Tensor,
    batch_size: int = 256,
    transform: Callable[[torch.Tensor], torch.Tensor] | None = None,
    pool: int = 1,
    all_blocks: bool = False,
) -> torch.Tensor:
    """Frozen features of images (N, C, H, W), or of frame sets (N, T, C, H, W).

    Frame sets give the frames' features concatenated in order (N, T * D).
    ``transform`` maps a batch first (e.g. to grey for colourisation);
    ``pool`` and ``all_blocks`` go to the backbone.
    """
    was_training = backbone.training
    backbone.eval()
    out = []
    for i in range(0, x.shape[0], batch_size):
        xb = x[i : i + batch_size]
        xb = transform(xb) if transform is not None else xb
        if xb.dim() == 5:
            b, t = xb.shape[:2]
            out.append(backbone(xb.flatten(0, 1), pool, all_blocks).view(b, -1))
        else:
            out.append(backbone(xb, pool, all_blocks))
    backbone.train(was_training)
    return torch.cat(out).float()


class LinearProbe(nn.Module):
    """Standardise frozen features with training statistics, then one linear layer."""

    def __init__(self, mean: torch.Tensor, std: torch.Tensor, classes: int) -> None:
        super().__init__()
        self.register_buffer("mean", mean)
        self.register_buffer("std", std)
        self.linear = nn.Linear(mean.numel(), classes)

    def forward(self, f: torch.Tensor) -> torch.Tensor:
        return self.linear((f - self.mean) / self.std)


def linear_probe(
    f_train: torch.Tensor,
    y_train: torch.Tensor,
    f_test: torch.Tensor,
    y_test: torch.Tensor,
    classes: int,
    epochs: int,
    batch_size: int = 128,
    lr: float = 1e-2,
    weight_decay: float = 1e-4,
    desc: str = "linear probe",
) -> tuple[float, LinearProbe]:
    """Train a linear classifier on frozen features; return test accuracy and it."""
    probe = LinearProbe(f_train.mean(0), f_train.std(0).clamp(min=1e-6), classes)
    probe = probe.to(f_train.device)
    fit(
        probe,
        TensorLoader(f_train, y_train, batch_size=batch_size),
        supervised_loss,
        torch.optim.Adam(probe.parameters(), lr=lr, weight_decay=weight_decay),
        epochs=epochs,
        desc=desc,
        progress=False,
    )
    with torch.no_grad():
        acc = metrics.accuracy(probe(f_test), y_test)
    return float(acc), probe


def probe_as_linear(probe: LinearProbe) -> nn.Linear:
    """A linear layer computing what ``probe`` does, its standardisation folded in.

    ``probe(f) = W (f - mean) / std + b = (W / std) f + (b - W (mean / std))``.
    """
    w = probe.linear.weight.detach() / probe.std
    b = probe.linear.bias.detach() - w @ probe.mean
    out = nn.Linear(w.shape[1], w.shape[0]).to(w.device)
    with torch.no_grad():
        out.weight.copy_(w)
        out.bias.copy_(b)
    return out


@torch.no_grad()
def reestimate_bn(
    backbone: nn.Module,
    x: torch.Tensor,
    transform: Callable[[torch.Tensor], torch.Tensor] | None = None,
    batch_size: int = 256,
) -> nn.Module:
    """A copy of ``backbone`` whose BatchNorm running statistics are those of ``x``.

    Each BatchNorm layer's statistics are reset and averaged over all of ``x``
    (through ``transform``), e.g. to use a backbone on inputs other than those
    it was trained on (colour images for one trained on grey ones), as
    "AdaBN" does for a new domain (Li et al., "Revisiting Batch Normalization
    For Practical Domain Adaptation", 2016, arXiv:1603.04779). The weights
    are unchanged; the copy is returned in eval mode.
    """
    out = copy.deepcopy(backbone)
    for m in out.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.reset_running_stats()
            m.momentum = None  # a cumulative average over the batches
    out.train()
    for i in range(0, x.shape[0], batch_size):
        xb = x[i : i + batch_size]
        out(transform(xb) if transform is not None else xb)
    return out.eval()


class Classifier(nn.Module):
    """A backbone and a linear layer on its pooled features, all trainable.

    ``keep_bn_stats``: the backbone's BatchNorm layers stay in eval mode,
    normalising with their running statistics, which stay fixed (their scale
    and shift still train), also when the model is put in training mode.
    """

    def __init__(
        self, backbone: nn.Module, dim: int, classes: int, keep_bn_stats: bool = False
    ) -> None:
        super().__init__()
        self.backbone = backbone
        self.linear = nn.Linear(dim, classes)
        self.keep_bn_stats = keep_bn_stats

    def train(self, mode: bool = True) -> Classifier:
        super().train(mode)
        if self.keep_bn_stats:
            for m in self.backbone.modules():
                if isinstance(m, nn.modules.batchnorm._BatchNorm):
                    m.eval()
        return self

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(self.backbone(x))


def finetune(
    backbone: nn.Module,
    x_train: torch.Tensor,
    y_train: torch.Tensor,
    x_test: torch.Tensor,
    y_test: torch.Tensor,
    classes: int,
    epochs: int,
    batch_size: int = 64,
    lr: float = 1e-3,
    transform: Callable[[torch.Tensor], torch.Tensor] | None = None,
    augment: Callable[[torch.Tensor], torch.Tensor] | None = None,
    desc: str = "fine-tune",
    head: nn.Linear | None = None,
    backbone_lr: float | None = None,
    keep_bn_stats: bool = False,
) -> float:
    """Fine-tune a copy of ``backbone`` and a new linear layer; return test accuracy.

    ``transform`` maps every batch, training and test (e.g. the grey
    conversion a colourisation backbone needs); ``augment`` maps training
    batches only. ``head``: a linear layer on the pooled features to start
    from (a copy is trained), e.g. :func:`probe_as_linear` of a linear probe
    trained first on the frozen features ("LP-FT", Kumar et al., ICLR 2022,
    arXiv:2202.10054); by default a fresh one. ``backbone_lr``: the
    backbone's own learning rate, the linear layer keeping ``lr``
    ("discriminative fine-tuning", Howard & Ruder, "Universal Language Model
    Fine-tuning for Text Classification", ACL 2018, arXiv:1801.06146: lower
    rates for the pretrained layers, e.g. ``lr / 10``); by default ``lr`` for
    all. ``keep_bn_stats``: BatchNorm normalises with the backbone's running
    statistics throughout, kept fixed, instead of each training batch's
    (see :class:`Classifier`): the features a probe was trained on stay
    what the fine-tuned layer first sees, not the statistics of a few small
    augmented batches ("frozen BN", usual where fine-tuning batches are
    small, as for detectors; discussed by He, Girshick & Dollár,
    "Rethinking ImageNet Pre-training", ICCV 2019, arXiv:1811.08883).
    """
    model = Classifier(
        copy.deepcopy(backbone), backbone.out_channels, classes, keep_bn_stats
    )
    if head is not None:
        model.linear.load_state_dict(head.state_dict())
    model = model.to(x_train.device)

    def loss(m: nn.Module, batch: tuple[torch.Tensor, ...]):
        xb = augment(batch[0]) if augment is not None else batch[0]
        xb = transform(xb) if transform is not None else xb
        return classification_loss(m(xb), batch[1])

    fit(
        model,
        TensorLoader(x_train, y_train, batch_size=batch_size),
        loss,
        torch.optim.Adam(
            model.parameters()
            if backbone_lr is None
            else [
                {"params": model.backbone.parameters(), "lr": backbone_lr},
                {"params": model.linear.parameters()},
            ],
            lr=lr,
        ),
        epochs=epochs,
        desc=desc,
        progress=False,
    )
    model.eval()
    with torch.no_grad():
        correct = 0
        for i in range(0, x_test.shape[0], 256):
            xb = x_test[i : i + 256]
            xb = transform(xb) if transform is not None else xb
            correct = correct + metrics.correct(model(xb), y_test[i : i + 256])
    return float(correct) / x_test.shape[0]

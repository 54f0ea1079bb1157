"""Classifier-free guidance: one network, conditional and unconditional.

Ho & Salimans, "Classifier-Free Diffusion Guidance" (NeurIPS 2021 workshop,
arXiv:2207.12598). Training replaces the label by a null token with
probability ``p_uncond``, so one network learns ``eps(z, c)`` and ``eps(z)``;
sampling uses their eq. 6,
``eps~(z, c) = (1 + w) eps(z, c) - w eps(z)``: ``w = 0`` is the plain
conditional model, larger ``w`` trades diversity for fidelity.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from coursework.train import autocast


def cfg_combine(
    cond: torch.Tensor, uncond: torch.Tensor, w: float | torch.Tensor
) -> torch.Tensor:
    """Guided prediction ``(1 + w) cond - w uncond`` (Ho & Salimans eq. 6).

    Shape: cond, uncond (B, ...); w a number or broadcastable tensor.
    """
    return (1 + w) * cond - w * uncond


def drop_labels(
    y: torch.Tensor, p: float, null_label: int, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Replace each label by ``null_label`` with probability ``p``: (B,) long."""
    keep = torch.rand(y.shape, generator=generator, device=y.device) >= p
    return torch.where(keep, y, torch.full_like(y, null_label))


@dataclass
class Predictor:
    """``(x, time) -> output`` of a network, optionally conditioned and guided.

    Conditional and unconditional outputs come from one batched forward pass
    (the inputs stacked), under mixed precision on CUDA.

    Attributes:
        model: a network ``model(x, time, y)``.
        labels: the requested classes (B,), or ``None`` for the null label.
        w: the guidance weight (0 = no guidance).
        null_label: the label that means "no class" (``None``: unconditional net).
        combine: ``(cond, uncond, w) -> guided``, e.g. a notebook's own version.
    """

    model: nn.Module
    labels: torch.Tensor | None = None
    w: float = 0.0
    null_label: int | None = None
    combine: Callable[..., torch.Tensor] = cfg_combine

    def _net(self, x: torch.Tensor, time: torch.Tensor, y: torch.Tensor | None):
        with autocast(x.device):
            return self.model(x, time, y).to(x.dtype)

    def __call__(self, x: torch.Tensor, time: torch.Tensor) -> torch.Tensor:
        if self.null_label is None:
            return self._net(x, time, None)
        null = torch.full((x.shape[0],), self.null_label, device=x.device)
        if self.labels is None:
            return self._net(x, time, null)
        labels = self.labels.to(x.device)
        if self.w == 0:
            return self._net(x, time, labels)
        both = self._net(
            torch.cat([x, x]), torch.cat([time, time]), torch.cat([labels, null])
        )
        cond, uncond = both.chunk(2)
        return self.combine(cond, uncond, self.w)

"""Training objectives for ``coursework.train.fit``: a batch in, a loss dict out.

Each draws its own random times and noise on the batch's device, and, for a
conditional model, replaces labels by the null class with probability
``p_uncond`` (Ho & Salimans 2022, arXiv:2207.12598, Algorithm 1).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from coursework.diffusion.flow import flow_matching_loss
from coursework.diffusion.guidance import drop_labels
from coursework.diffusion.losses import noise_prediction_loss
from coursework.diffusion.schedules import Schedule


def _labels(batch: tuple[torch.Tensor, ...], null_label: int | None, p: float):
    if null_label is None or len(batch) < 2:
        return None
    return drop_labels(batch[1], p, null_label)


@dataclass
class DiffusionObjective:
    """DDPM's Algorithm 1: uniform ``t``, Gaussian noise, ``L_simple``.

    Attributes:
        schedule: the forward process.
        null_label: the model's null class (conditional models), else ``None``.
        p_uncond: probability of dropping a label.
    """

    schedule: Schedule
    null_label: int | None = None
    p_uncond: float = 0.1

    def __call__(self, model: nn.Module, batch: tuple[torch.Tensor, ...]) -> dict:
        x0 = batch[0]
        t = torch.randint(self.schedule.T, (x0.shape[0],), device=x0.device)
        noise = torch.randn_like(x0)
        y = _labels(batch, self.null_label, self.p_uncond)
        alpha_bar = self.schedule.alpha_bar.to(x0.device)
        return {"loss": noise_prediction_loss(model, x0, t, noise, alpha_bar, y)}


@dataclass
class FlowObjective:
    """Conditional flow matching with ``t ~ U[0, 1]`` and ``x_0 ~ N(0, I)``."""

    null_label: int | None = None
    p_uncond: float = 0.1

    def __call__(self, model: nn.Module, batch: tuple[torch.Tensor, ...]) -> dict:
        x1 = batch[0]
        x0 = torch.randn_like(x1)
        t = torch.rand(x1.shape[0], device=x1.device)
        y = _labels(batch, self.null_label, self.p_uncond)
        return {"loss": flow_matching_loss(model, x0, x1, t, y)}

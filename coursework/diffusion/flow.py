"""Flow matching with the straight-line (rectified-flow) path.

Lipman et al., "Flow Matching for Generative Modeling" (ICLR 2023,
arXiv:2210.02747) and Liu, Gong & Liu, "Flow Straight and Fast: Learning to
Generate and Transfer Data with Rectified Flow" (ICLR 2023, arXiv:2209.03003).
Noise ``x_0 ~ N(0, I)`` and data ``x_1`` are joined by ``x_t = (1 - t) x_0 + t
x_1``; a network ``v_theta(x_t, t)`` regresses the path's velocity
``x_1 - x_0`` (Liu et al. eq. 1; Lipman et al.'s conditional flow matching
with sigma_min = 0). Sampling integrates ``dx/dt = v_theta(x, t)`` from
``t = 0`` to 1, here with Euler steps.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn
from tqdm.auto import tqdm


def flow_interpolant(
    x0: torch.Tensor, x1: torch.Tensor, t: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """The point on the straight path at time ``t`` and its velocity target.

    Args:
        x0: noise (B, ...).
        x1: data, same shape.
        t: times in [0, 1], shape (B,).

    Returns:
        ``x_t = (1 - t) x0 + t x1`` and ``v = x1 - x0``, both shaped like ``x0``.
    """
    tt = t.view(-1, *([1] * (x0.dim() - 1))).to(x0.dtype)  # (B, 1, ..., 1)
    return (1 - tt) * x0 + tt * x1, x1 - x0


def flow_matching_loss(
    model: nn.Module,
    x0: torch.Tensor,
    x1: torch.Tensor,
    t: torch.Tensor,
    y: torch.Tensor | None = None,
) -> torch.Tensor:
    """``E ||v_theta(x_t, t) - (x1 - x0)||^2``, the mean over every entry: a scalar."""
    xt, target = flow_interpolant(x0, x1, t)
    return (model(xt, t.to(x0.dtype), y) - target).pow(2).mean()


@torch.no_grad()
def euler_sample(
    predict: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    x0: torch.Tensor,
    steps: int,
    progress: bool = False,
) -> torch.Tensor:
    """Euler steps of ``dx/dt = v(x, t)`` from ``x0`` at t = 0 to t = 1."""
    if steps < 1:
        raise ValueError(f"the flow sampler needs steps >= 1; got {steps}")
    x, dt = x0, 1.0 / steps
    for i in tqdm(range(steps), desc=f"flow-{steps}", disable=not progress):
        time = torch.full((x.shape[0],), i * dt, device=x.device, dtype=x.dtype)
        # x_{t + dt} = x_t + dt v(x_t, t)
        x = x + dt * predict(x, time)
    return x

"""Small-budget recipes for diffusion and flow models, each a few lines.

* **Parameterisations.** The network may predict the noise ``eps`` (Ho et
  al. 2020), the clean data ``x0``, or the velocity
  ``v = sqrt(ab) eps - sqrt(1 - ab) x0`` (Salimans & Ho, "Progressive
  Distillation for Fast Sampling of Diffusion Models", ICLR 2022,
  arXiv:2202.00512, section 4). With ``x_t = sqrt(ab) x0 + sqrt(1 - ab) eps``
  each converts to the others: ``eps = sqrt(ab) v + sqrt(1 - ab) x_t`` and
  ``x0 = sqrt(ab) x_t - sqrt(1 - ab) v``. The samplers take ``eps``;
  :class:`NoisePrediction` converts, and may clip ``x0`` to the data's range
  (Ho et al.'s code clips in the ancestral sampler; DDIM's ``clip_sample``).
* **Loss weighting by SNR.** Min-SNR-gamma (Hang et al., "Efficient Diffusion
  Training via Min-SNR Weighting Strategy", ICCV 2023, arXiv:2303.09556)
  weights the loss of step ``t`` so that, measured in ``x0``, it is
  ``min(SNR_t, gamma)``: ``min(SNR, gamma) / SNR`` for ``eps``,
  ``min(SNR, gamma) / (SNR + 1)`` for ``v`` and ``min(SNR, gamma)`` for ``x0``.
* **A moving average of the weights** (EMA; Ho et al. 2020 sample with a
  decay of 0.9999; Karras et al., "Analyzing and Improving the Training
  Dynamics of Diffusion Models", CVPR 2024, arXiv:2312.02696, study it) and a
  **linear learning-rate warm-up**, attached to any optimizer as a step hook,
  so ``coursework.train.fit`` is unchanged.
* **Reflow** (Liu, Gong & Liu, "Flow Straight and Fast", ICLR 2023,
  arXiv:2209.03003, section 2.2): pairs ``(z, ODE(z))`` drawn from a trained
  flow become the couplings of a new flow, whose paths are straighter; their
  **straightness** is ``S = int_0^1 E ||(X_1 - X_0) - v(X_t, t)||^2 dt``
  (their eq. 6), 0 for straight paths.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from coursework.diffusion.guidance import drop_labels
from coursework.diffusion.schedules import Schedule, at, snr

PREDICTIONS = ("eps", "x0", "v")


def _labels_or_none(
    batch: tuple[torch.Tensor, ...], null_label: int | None, p: float
) -> torch.Tensor | None:
    """The batch's labels, each dropped to the null class with probability p."""
    if null_label is None or len(batch) < 2:
        return None
    return drop_labels(batch[1], p, null_label)


def v_target(x0: torch.Tensor, eps: torch.Tensor, alpha_bar_t: torch.Tensor):
    """``v = sqrt(ab) eps - sqrt(1 - ab) x0`` (Salimans & Ho 2022, eq. after 4).

    ``alpha_bar_t`` broadcasts against ``x0`` (e.g. (B, 1, 1, 1)).
    """
    return alpha_bar_t.sqrt() * eps - (1 - alpha_bar_t).sqrt() * x0


def to_eps(
    xt: torch.Tensor, out: torch.Tensor, alpha_bar_t: torch.Tensor, prediction: str
) -> torch.Tensor:
    """The noise ``eps`` implied by a network output of kind ``prediction``.

    ``eps``: itself; ``x0``: ``(x_t - sqrt(ab) x0) / sqrt(1 - ab)``;
    ``v``: ``sqrt(ab) v + sqrt(1 - ab) x_t``. ``alpha_bar_t`` broadcasts.
    """
    if prediction == "eps":
        return out
    if prediction == "x0":
        return (xt - alpha_bar_t.sqrt() * out) / (1 - alpha_bar_t).sqrt()
    if prediction == "v":
        return alpha_bar_t.sqrt() * out + (1 - alpha_bar_t).sqrt() * xt
    raise ValueError(f"prediction must be one of {PREDICTIONS}; got {prediction!r}")


def to_x0(
    xt: torch.Tensor, out: torch.Tensor, alpha_bar_t: torch.Tensor, prediction: str
) -> torch.Tensor:
    """The clean data ``x0`` implied by a network output of kind ``prediction``."""
    if prediction == "x0":
        return out
    if prediction == "v":
        return alpha_bar_t.sqrt() * xt - (1 - alpha_bar_t).sqrt() * out
    if prediction == "eps":
        return (xt - (1 - alpha_bar_t).sqrt() * out) / alpha_bar_t.sqrt()
    raise ValueError(f"prediction must be one of {PREDICTIONS}; got {prediction!r}")


def min_snr_weight(
    snr_t: torch.Tensor, prediction: str, gamma: float | None = 5.0
) -> torch.Tensor:
    """Min-SNR-gamma weights (Hang et al. 2023, eq. 9 and their Table 1): (B,).

    ``gamma=None`` gives ones (no weighting).
    """
    if gamma is None:
        return torch.ones_like(snr_t)
    clipped = snr_t.clamp(max=gamma)
    if prediction == "eps":
        return clipped / snr_t
    if prediction == "v":
        return clipped / (snr_t + 1)
    if prediction == "x0":
        return clipped
    raise ValueError(f"prediction must be one of {PREDICTIONS}; got {prediction!r}")


@dataclass
class DenoisingObjective:
    """DDPM's Algorithm 1 with a choice of target and of weighting.

    The loss is the per-example mean squared error against ``eps``, ``x0`` or
    ``v``, times :func:`min_snr_weight` (``gamma=None``: unweighted, which for
    ``eps`` is DDPM's ``L_simple``), averaged over the batch. For ``fit``:
    ``objective(model, (x0, y))`` or ``objective(model, (x0,))``.

    Attributes:
        schedule: the forward process.
        prediction: ``"eps"``, ``"x0"`` or ``"v"``.
        gamma: the Min-SNR cap, or ``None``.
        null_label: a conditional model's null class (labels dropped with
            probability ``p_uncond`` per example), else ``None``.
        p_uncond: probability of dropping a label.
    """

    schedule: Schedule
    prediction: str = "eps"
    gamma: float | None = None
    null_label: int | None = None
    p_uncond: float = 0.2

    def __call__(self, model: nn.Module, batch: tuple[torch.Tensor, ...]) -> dict:
        x0 = batch[0]
        T = self.schedule.T  # noqa: N806
        t = torch.randint(T, (x0.shape[0],), device=x0.device)
        eps = torch.randn_like(x0)
        ab = at(self.schedule.alpha_bar.to(x0.device), t, x0)  # (B, 1, ...)
        xt = ab.sqrt() * x0 + (1 - ab).sqrt() * eps
        y = _labels_or_none(batch, self.null_label, self.p_uncond)
        out = model(xt, t.to(x0.dtype) / T, y)
        target = {"eps": eps, "x0": x0}.get(self.prediction)
        if target is None:
            target = v_target(x0, eps, ab)
        diff = out - target
        diff = diff.to(torch.promote_types(diff.dtype, torch.float32))
        per_example = diff.pow(2).flatten(1).mean(1)  # (B,)
        weight = min_snr_weight(
            snr(self.schedule.alpha_bar.to(x0.device))[t].to(diff.dtype),
            self.prediction,
            self.gamma,
        )
        return {"loss": (weight * per_example).mean()}


@dataclass
class NoisePrediction:
    """Wrap ``predict(x_t, time) -> output`` into a noise predictor for the samplers.

    Converts an ``x0`` or ``v`` output to ``eps`` (:func:`to_eps`); with
    ``clip``, clips the implied ``x0`` to [-1, 1] and returns the ``eps`` that
    goes with the clipped ``x0``, so that DDPM's and DDIM's steps both use it.

    Attributes:
        predict: the network's output at ``(x_t, t / T)``.
        schedule: the forward process (``time * T`` rounds to the index).
        prediction: what ``predict`` returns.
        clip: clip ``x0`` to [-1, 1].
    """

    predict: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    schedule: Schedule
    prediction: str = "eps"
    clip: bool = False

    def __call__(self, x: torch.Tensor, time: torch.Tensor) -> torch.Tensor:
        t = (time * self.schedule.T).round().long()
        ab = at(self.schedule.alpha_bar.to(x.device), t, x)
        out = self.predict(x, time)
        if not self.clip:
            return to_eps(x, out, ab, self.prediction)
        x0 = to_x0(x, out, ab, self.prediction).clamp(-1, 1)
        return to_eps(x, x0, ab, "x0")


class EMA:
    """An exponential moving average of a model's weights (Polyak averaging).

    ``ema.model`` is a frozen copy; :meth:`update` moves every floating
    parameter and buffer towards the live model's:
    ``p_ema <- d p_ema + (1 - d) p`` with ``d = min(decay, (1 + n) / (10 + n))``
    after ``n`` updates (the warm-up of TensorFlow's ExponentialMovingAverage,
    so early averages are not dominated by the random initialisation). All
    on the device, with no host synchronisation.
    """

    def __init__(self, model: nn.Module, decay: float = 0.999) -> None:
        self.model = copy.deepcopy(model).eval().requires_grad_(False)
        self.decay = decay
        self.updates = 0

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        d = min(self.decay, (1 + self.updates) / (10 + self.updates))
        self.updates += 1
        mine = [
            t
            for t in [*self.model.parameters(), *self.model.buffers()]
            if t.is_floating_point()
        ]
        theirs = [
            t.detach()
            for t in [*model.parameters(), *model.buffers()]
            if t.is_floating_point()
        ]
        torch._foreach_lerp_(mine, theirs, 1 - d)


def attach_recipes(
    optimizer: torch.optim.Optimizer,
    model: nn.Module,
    ema: EMA | None = None,
    warmup_steps: int = 0,
) -> torch.optim.lr_scheduler.LambdaLR | None:
    """After every optimizer step: update ``ema`` and the warm-up's learning rate.

    The warm-up scales the learning rate by ``min(1, (n + 1) / warmup_steps)``
    at step ``n`` (Goyal et al. 2017, arXiv:1706.02677). Returns its scheduler.
    """
    scheduler = None
    if warmup_steps > 0:
        scheduler = torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda n: min(1.0, (n + 1) / warmup_steps)
        )

    def hook(opt, args, kwargs) -> None:
        if ema is not None:
            ema.update(model)
        if scheduler is not None:
            scheduler.step()

    optimizer.register_step_post_hook(hook)
    return scheduler


@torch.no_grad()
def euler_path(
    predict: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    x0: torch.Tensor,
    steps: int,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Euler's method from ``x0`` at t = 0 to t = 1, and the path's straightness.

    Returns ``(x1, S)``: the endpoint, like ``x0``, and the Euler estimate of
    Liu et al.'s straightness (eq. 6), ``mean_i E ||(x1 - x0) - v_i||^2``
    averaged over dimensions too (a scalar tensor, on the device).
    """
    if steps < 1:
        raise ValueError(f"the flow sampler needs steps >= 1; got {steps}")
    x, dt, velocities = x0, 1.0 / steps, []
    for i in range(steps):
        time = torch.full((x.shape[0],), i * dt, device=x.device, dtype=x.dtype)
        v = predict(x, time)
        velocities.append(v)
        x = x + dt * v
    chord = x - x0  # the straight line's velocity over [0, 1]
    s = torch.stack([(chord - v).pow(2).mean() for v in velocities]).mean()
    return x, s


@dataclass
class ReflowObjective:
    """Flow matching on fixed couplings ``(z, x1)``: a batch is ``(z, x1)``.

    Liu et al.'s reflow (Algorithm 1, k = 2): the pairs come from simulating
    the first flow's ODE, ``x1 = ODE(z)``, instead of independent noise and data.
    """

    def __call__(self, model: nn.Module, batch: tuple[torch.Tensor, ...]) -> dict:
        z, x1 = batch[0], batch[1]
        t = torch.rand(z.shape[0], device=z.device)
        tt = t.view(-1, *[1] * (z.dim() - 1)).to(z.dtype)
        xt = (1 - tt) * z + tt * x1
        return {"loss": (model(xt, t.to(z.dtype)) - (x1 - z)).pow(2).mean()}


def velocity(
    x0: torch.Tensor, noise: torch.Tensor, t: torch.Tensor, alpha_bar: torch.Tensor
) -> torch.Tensor:
    """The v-prediction target at step indices ``t`` (B,): like ``x0``.

    ``v = sqrt(ab_t) eps - sqrt(1 - ab_t) x0`` (Salimans & Ho 2022, section 4),
    the derivative of ``x_t = cos(phi) x0 + sin(phi) eps`` in the angle
    ``phi = arctan(sqrt((1 - ab_t) / ab_t))``.
    """
    return v_target(x0, noise, at(alpha_bar, t, x0))


def eps_from_velocity(
    xt: torch.Tensor, v: torch.Tensor, t: torch.Tensor, alpha_bar: torch.Tensor
) -> torch.Tensor:
    """The noise implied by a v prediction: ``sqrt(ab_t) v + sqrt(1 - ab_t) x_t``."""
    return to_eps(xt, v, at(alpha_bar, t, xt), "v")

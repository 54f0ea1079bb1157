"""The GAN training loop: k discriminator steps, then one generator step.

Goodfellow et al., "Generative Adversarial Nets" (NeurIPS 2014,
arXiv:1406.2661), Algorithm 1. ``coursework.train.fit`` minimises one loss;
a GAN alternates two players with two optimizers, so it has its own loop.
Like ``fit`` it never waits for the device inside a step: the losses of every
step are written into a tensor on the device and read once at the end (and
at snapshots, which the caller asks for). On CUDA the forward passes run
under autocast, with a gradient scaler per player for float16.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import torch
from torch import nn
from tqdm.auto import tqdm

from coursework.gan import losses
from coursework.train import amp_enabled, autocast, needs_grad_scaler

Batch = tuple[torch.Tensor, ...]


@dataclass(frozen=True)
class Objective:
    """The losses of one GAN variant.

    Attributes:
        d_loss: ``(real_logits, fake_logits) -> scalar`` for the discriminator.
        g_loss: ``fake_logits -> scalar`` for the generator.
        penalty: ``(critic, real, fake, eps) -> (N,)`` per-example penalty on D,
            e.g. :func:`coursework.gan.losses.gradient_penalty`.
        penalty_weight: the penalty's weight ``lambda``.
    """

    d_loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    g_loss: Callable[[torch.Tensor], torch.Tensor]
    penalty: Callable[..., torch.Tensor] | None = None
    penalty_weight: float = 0.0


def standard(saturating: bool = False) -> Objective:
    """The GAN's binary cross-entropy; the generator's loss (non-)saturating."""
    g = losses.saturating_generator_loss if saturating else losses.generator_loss
    return Objective(losses.discriminator_loss, g)


def least_squares() -> Objective:
    """LSGAN (Mao et al., 2017, arXiv:1611.04076)."""
    return Objective(
        losses.least_squares_discriminator_loss, losses.least_squares_generator_loss
    )


def wasserstein_gp(weight: float = 10.0) -> Objective:
    """WGAN-GP with ``lambda = weight`` (Gulrajani et al., 2017, arXiv:1704.00028)."""
    return Objective(
        losses.wasserstein_critic_loss,
        losses.wasserstein_generator_loss,
        losses.gradient_penalty,
        weight,
    )


@dataclass
class GANHistory:
    """Per-step losses of both players, and what a snapshot callback returned."""

    d_loss: list[float] = field(default_factory=list)
    g_loss: list[float] = field(default_factory=list)
    snapshots: dict[int, object] = field(default_factory=dict)


def forever(batches: Iterable[Batch]) -> Iterator[Batch]:
    """Cycle over a finite loader (a new epoch each pass) without end."""
    while True:
        yielded = False
        for batch in batches:
            yielded = True
            yield batch if isinstance(batch, tuple) else (batch,)
        if not yielded:
            raise ValueError("the loader yielded no batch")


class _Critic:
    """The discriminator with the labels of the current batch bound."""

    def __init__(self, discriminator: nn.Module, labels: list[torch.Tensor]) -> None:
        self.discriminator, self.labels = discriminator, labels

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return self.discriminator(x, *self.labels)


def _backward_step(
    loss: torch.Tensor, optimizer: torch.optim.Optimizer, scaler: torch.amp.GradScaler
) -> None:
    optimizer.zero_grad(set_to_none=True)
    scaler.scale(loss).backward()
    scaler.step(optimizer)
    scaler.update()


def train_gan(
    generator: nn.Module,
    discriminator: nn.Module,
    batches: Iterator[Batch],
    objective: Objective,
    opt_g: torch.optim.Optimizer,
    opt_d: torch.optim.Optimizer,
    steps: int,
    k: int = 1,
    conditional: bool = False,
    snapshot: Callable[[int], object] | None = None,
    snapshot_every: int = 0,
    amp: bool | None = None,
    desc: str = "GAN",
    progress: bool = True,
) -> GANHistory:
    """Train ``steps`` generator steps, each after ``k`` discriminator steps.

    Args:
        generator: maps ``z`` (and labels) to samples; has ``noise_like(real)``.
        discriminator: maps samples (and labels) to logits or scores.
        batches: endless real batches ``(x,)`` or ``(x, y)`` on the device, e.g.
            ``forever(TensorLoader(...))``.
        objective: the losses (and penalty) of the variant.
        opt_g, opt_d: one optimizer per player.
        steps: generator updates.
        k: discriminator updates per generator update.
        conditional: pass the batch's labels ``y`` to both nets.
        snapshot: called as ``snapshot(step)`` every ``snapshot_every`` steps
            (and at step 0); what it returns is kept in the history.
        snapshot_every: 0 for no snapshots.
        amp: mixed precision; default on CUDA only, ``True`` also on the CPU
            (bfloat16; see :func:`coursework.train.amp_enabled`).
        desc: the progress bar's label.
        progress: show the progress bar.

    Stacked models (:mod:`coursework.gan.batched`) set ``copies = M``; each
    loss is the mean over all M copies' rows, so it is scaled by M to give
    every copy the gradient of its own mean loss.
    """
    if steps < 1 or k < 1:
        raise ValueError(f"steps and k must be >= 1; got steps={steps}, k={k}")
    device = next(generator.parameters()).device
    use_amp = amp_enabled(device, amp)
    half = needs_grad_scaler(device, amp)
    scaler_d = torch.amp.GradScaler(device.type, enabled=half)
    scaler_g = torch.amp.GradScaler(device.type, enabled=half)
    copies = getattr(discriminator, "copies", 1)
    logs = torch.zeros(steps, 2, device=device)  # (step, [d_loss, g_loss])
    history = GANHistory()
    generator.train()
    discriminator.train()
    if snapshot is not None and snapshot_every:
        history.snapshots[0] = snapshot(0)
    bar = tqdm(range(steps), desc=desc, disable=not progress, leave=True)
    for step in bar:
        for _ in range(k):
            real, *labels = next(batches)
            labels = labels[:1] if conditional else []
            with torch.no_grad(), autocast(device, use_amp):
                fake = generator(generator.noise_like(real), *labels)
            with autocast(device, use_amp):
                d_loss = objective.d_loss(
                    discriminator(real, *labels), discriminator(fake, *labels)
                )
                if objective.penalty is not None:
                    eps_shape = (real.shape[0],) + (1,) * (real.dim() - 1)
                    eps = torch.rand(eps_shape, device=device)
                    critic = _Critic(discriminator, labels)
                    penalty = objective.penalty(critic, real, fake.to(real.dtype), eps)
                    d_loss = d_loss + objective.penalty_weight * penalty.mean()
            _backward_step(copies * d_loss, opt_d, scaler_d)
        with autocast(device, use_amp):
            fake = generator(generator.noise_like(real), *labels)
            g_loss = objective.g_loss(discriminator(fake, *labels))
        _backward_step(copies * g_loss, opt_g, scaler_g)
        logs[step, 0] = d_loss.detach().float()
        logs[step, 1] = g_loss.detach().float()
        if snapshot is not None and snapshot_every and (step + 1) % snapshot_every == 0:
            history.snapshots[step + 1] = snapshot(step + 1)
    bar.close()
    values = logs.cpu()  # the one read of the losses
    history.d_loss, history.g_loss = values[:, 0].tolist(), values[:, 1].tolist()
    return history

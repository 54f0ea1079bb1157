"""GAN objectives, computed from the discriminator's logits.

Goodfellow et al., "Generative Adversarial Nets" (NeurIPS 2014,
arXiv:1406.2661): the value of the game is
``V(D, G) = E_x[log D(x)] + E_z[log(1 - D(G(z)))]`` with ``D = sigmoid(logit)``.
D maximises it; G minimises ``E[log(1 - D(G(z)))]`` (the *saturating* loss) or,
in practice, maximises ``E[log D(G(z))]`` (the *non-saturating* loss), which
has the same fixed point and strong gradients where D rejects the fakes.
Every ``log sigmoid`` is written with ``softplus``, so no loss overflows:
``log D = -softplus(-l)`` and ``log(1 - D) = -softplus(l)``.

Also: least squares (Mao et al., "Least Squares Generative Adversarial
Networks", ICCV 2017, arXiv:1611.04076), the Wasserstein critic loss (Arjovsky
et al., "Wasserstein GAN", ICML 2017, arXiv:1701.07875) and its gradient
penalty (Gulrajani et al., "Improved Training of Wasserstein GANs", NeurIPS
2017, arXiv:1704.00028). Each loss is the mean over all entries of its input.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F


def discriminator_loss(
    real_logits: torch.Tensor, fake_logits: torch.Tensor
) -> torch.Tensor:
    """``-E[log D(x)] - E[log(1 - D(G(z)))]``, the binary cross-entropy of D.

    Shape: logits of any shape (one per example); returns a scalar.
    """
    # -log D(x) = softplus(-l_real);  -log(1 - D(G(z))) = softplus(l_fake)
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def generator_loss(fake_logits: torch.Tensor, saturating: bool = False) -> torch.Tensor:
    """G's loss: ``E[log(1 - D(G(z)))]`` (saturating) or ``-E[log D(G(z))]``.

    Shape: logits of any shape; returns a scalar.
    """
    if saturating:
        return -F.softplus(fake_logits).mean()  # log(1 - sigmoid(l)) = -softplus(l)
    return F.softplus(-fake_logits).mean()  # -log sigmoid(l) = softplus(-l)


def saturating_generator_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """``E[log(1 - D(G(z)))]``: the minimax game's own loss for G."""
    return generator_loss(fake_logits, saturating=True)


def least_squares_discriminator_loss(
    real_scores: torch.Tensor, fake_scores: torch.Tensor
) -> torch.Tensor:
    """LSGAN's D: ``1/2 E[(D(x) - 1)^2] + 1/2 E[D(G(z))^2]`` (targets b=1, a=0)."""
    return 0.5 * ((real_scores - 1) ** 2).mean() + 0.5 * (fake_scores**2).mean()


def least_squares_generator_loss(fake_scores: torch.Tensor) -> torch.Tensor:
    """LSGAN's G: ``1/2 E[(D(G(z)) - 1)^2]`` (target c=1)."""
    return 0.5 * ((fake_scores - 1) ** 2).mean()


def wasserstein_critic_loss(
    real_scores: torch.Tensor, fake_scores: torch.Tensor
) -> torch.Tensor:
    """The critic maximises ``E[f(x)] - E[f(G(z))]``, so minimises its negative."""
    return fake_scores.mean() - real_scores.mean()


def wasserstein_generator_loss(fake_scores: torch.Tensor) -> torch.Tensor:
    """G minimises ``-E[f(G(z))]``."""
    return -fake_scores.mean()


def gradient_penalty(
    critic: Callable[[torch.Tensor], torch.Tensor],
    real: torch.Tensor,
    fake: torch.Tensor,
    eps: torch.Tensor,
) -> torch.Tensor:
    """WGAN-GP's penalty ``(||grad_x f(x_hat)||_2 - 1)^2`` per example.

    ``x_hat = eps * real + (1 - eps) * fake`` lies on the line between a real and
    a generated sample; the norm is over every dim of one example.

    Args:
        critic: maps a batch (N, ...) to scores (N,) or (N, 1).
        real, fake: batches of the same shape (N, ...).
        eps: mixing weights in [0, 1] broadcasting against ``real``: (N, 1, 1, 1).

    Returns:
        (N,) penalties, differentiable with respect to the critic's parameters.
    """
    x_hat = (eps * real + (1 - eps) * fake).detach().requires_grad_(True)
    scores = critic(x_hat)
    (grad,) = torch.autograd.grad(scores.sum(), x_hat, create_graph=True)
    return (grad.flatten(1).norm(dim=1) - 1) ** 2


def optimal_discriminator(p_data: torch.Tensor, p_g: torch.Tensor) -> torch.Tensor:
    """``D*(x) = p_data(x) / (p_data(x) + p_g(x))`` (Goodfellow et al., Prop. 1)."""
    return p_data / (p_data + p_g)

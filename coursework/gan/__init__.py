"""Generative adversarial networks (notebook 04): losses, models, training, metrics.

Goodfellow et al., "Generative Adversarial Nets" (NeurIPS 2014, arXiv:1406.2661).
"""

from coursework.gan.batched import (
    BatchedLinear,
    BatchedMLP,
    Discriminator2D,
    Generator2D,
)
from coursework.gan.latent import attribute_direction, lerp, slerp
from coursework.gan.losses import (
    discriminator_loss,
    generator_loss,
    gradient_penalty,
    least_squares_discriminator_loss,
    least_squares_generator_loss,
    optimal_discriminator,
    saturating_generator_loss,
    wasserstein_critic_loss,
    wasserstein_generator_loss,
)
from coursework.gan.models import DCGANDiscriminator, DCGANGenerator, pack
from coursework.gan.spectral import as_matrix, power_iteration, power_iteration_step
from coursework.gan.training import (
    GANHistory,
    Objective,
    forever,
    least_squares,
    standard,
    train_gan,
    wasserstein_gp,
)

__all__ = [
    "BatchedLinear",
    "BatchedMLP",
    "DCGANDiscriminator",
    "DCGANGenerator",
    "Discriminator2D",
    "GANHistory",
    "Generator2D",
    "Objective",
    "as_matrix",
    "attribute_direction",
    "discriminator_loss",
    "forever",
    "generator_loss",
    "gradient_penalty",
    "least_squares",
    "least_squares_discriminator_loss",
    "least_squares_generator_loss",
    "lerp",
    "optimal_discriminator",
    "pack",
    "power_iteration",
    "power_iteration_step",
    "saturating_generator_loss",
    "slerp",
    "standard",
    "train_gan",
    "wasserstein_critic_loss",
    "wasserstein_generator_loss",
    "wasserstein_gp",
]

"""The variational autoencoder: Gaussian encoder, Bernoulli decoder.

Kingma & Welling, "Auto-Encoding Variational Bayes", ICLR 2014
(arXiv:1312.6114); Rezende, Mohamed & Wierstra, "Stochastic Backpropagation
and Approximate Inference in Deep Generative Models", ICML 2014
(arXiv:1401.4082).

The encoder outputs the mean and log-variance of ``q(z|x) = N(mu, diag(sigma^2))``;
the decoder outputs the logits of ``p(x|z) = prod_i Bernoulli(x_i; sigmoid(l_i))``;
the prior is ``p(z) = N(0, I)``. Sampling ``z`` through the reparameterisation
``z = mu + sigma * eps`` keeps it differentiable in ``mu`` and ``sigma``.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from coursework.vae.autoencoders import mlp


def reparameterize(
    mu: torch.Tensor, logvar: torch.Tensor, eps: torch.Tensor
) -> torch.Tensor:
    """``z = mu + sigma * eps`` with ``sigma = exp(logvar / 2)``.

    Shape:
        mu, logvar, eps: (..., D), broadcastable. Returns (..., D).
    """
    return mu + torch.exp(0.5 * logvar) * eps


class GaussianEncoder(nn.Module):
    """``x -> (mu, logvar)`` of a diagonal Gaussian ``q(z|x)``.

    Args:
        n_pixels: flattened input size ``C * H * W``.
        hidden: widths of the hidden layers; empty for a linear encoder.
        latent_dim: ``D``, the size of ``z``.
    """

    def __init__(self, n_pixels: int, hidden: Sequence[int], latent_dim: int) -> None:
        super().__init__()
        # no hidden layer: a linear (affine) encoder, as PPCA's posterior mean is
        self.body = (
            nn.Sequential(nn.Flatten(), mlp([n_pixels, *hidden], final_activation=True))
            if hidden
            else nn.Flatten()
        )
        self.head = nn.Linear(hidden[-1] if hidden else n_pixels, 2 * latent_dim)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Return ``mu, logvar``, each (B, D), for images (B, C, H, W)."""
        mu, logvar = self.head(self.body(x)).chunk(2, dim=-1)  # (B, D) each
        return mu, logvar


class BernoulliDecoder(nn.Module):
    """``z -> logits`` of ``p(x|z)``, one Bernoulli per pixel.

    Args:
        latent_dim: ``D``.
        hidden: widths of the hidden layers (in decoding order).
        image_shape: ``(C, H, W)`` of the output.
    """

    def __init__(
        self, latent_dim: int, hidden: Sequence[int], image_shape: Sequence[int]
    ) -> None:
        super().__init__()
        self.image_shape = tuple(int(s) for s in image_shape)
        n_pixels = int(torch.tensor(self.image_shape).prod())
        self.net = mlp([latent_dim, *hidden, n_pixels])

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Logits of shape (..., C, H, W) for codes (..., D)."""
        return self.net(z).view(*z.shape[:-1], *self.image_shape)  # (..., C, H, W)


class VAE(nn.Module):
    """A VAE with an MLP encoder and decoder of mirrored widths.

    Args:
        image_shape: ``(C, H, W)``.
        latent_dim: ``D``.
        hidden: encoder hidden widths; the decoder uses them reversed.
    """

    def __init__(
        self, image_shape: Sequence[int], latent_dim: int, hidden: Sequence[int]
    ) -> None:
        super().__init__()
        if latent_dim < 1:
            raise ValueError(f"latent_dim must be >= 1, got {latent_dim}")
        self.image_shape = tuple(int(s) for s in image_shape)
        self.latent_dim = latent_dim
        n_pixels = int(torch.tensor(self.image_shape).prod())
        self.encoder = GaussianEncoder(n_pixels, hidden, latent_dim)
        self.decoder = BernoulliDecoder(latent_dim, list(reversed(hidden)), image_shape)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``mu, logvar`` of ``q(z|x)``, each (B, D)."""
        return self.encoder(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Logits of ``p(x|z)``, (..., C, H, W) for ``z`` (..., D)."""
        return self.decoder(z)

    def forward(
        self, x: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """One reparameterised pass: ``(logits, mu, logvar, z)``."""
        mu, logvar = self.encode(x)
        z = reparameterize(mu, logvar, torch.randn_like(mu))
        return self.decode(z), mu, logvar, z

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """Pixel means ``sigmoid(logits)`` (n, C, H, W) for ``z ~ N(0, I)``."""
        device = next(self.parameters()).device
        z = torch.randn(n, self.latent_dim, generator=generator).to(device)
        return torch.sigmoid(self.decode(z))

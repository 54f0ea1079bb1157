"""DCGAN generator and discriminator, with the variants as constructor flags.

Radford, Metz & Chintala, "Unsupervised Representation Learning with Deep
Convolutional Generative Adversarial Networks" (ICLR 2016, arXiv:1511.06434):
no pooling (strided convolutions in D, transposed convolutions in G), batch
norm in both, ReLU in G and LeakyReLU(0.2) in D. The variants of the lecture
change only flags:

* ``norm="none"`` in D for WGAN-GP, whose penalty is per example (Gulrajani et
  al., 2017, arXiv:1704.00028) and so must not mix examples through batch norm;
* ``spectral=True`` wraps D's layers in
  ``torch.nn.utils.parametrizations.spectral_norm`` (Miyato et al., 2018,
  arXiv:1802.05957);
* ``packing=m`` makes D score m samples at once (PacGAN, arXiv:1712.04086);
* ``num_classes=K`` conditions both nets on a label (Mirza & Osindero,
  "Conditional Generative Adversarial Nets", 2014, arXiv:1411.1784): G gets a
  one-hot label next to ``z``; D is a projection discriminator (Miyato &
  Koyama, "cGANs with Projection Discriminator", ICLR 2018, arXiv:1802.05637),
  ``D(x, y) = psi(phi(x)) + <embed(y), phi(x)>``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm


def pack(x: torch.Tensor, packing: int) -> torch.Tensor:
    """Concatenate groups of ``packing`` consecutive images along channels.

    Shape: (B, C, H, W) -> (B / m, m * C, H, W).
    """
    b = x.shape[0]
    if b % packing:
        raise ValueError(
            f"a batch of {b} images cannot be packed in groups of {packing}; "
            f"use a batch size divisible by {packing}"
        )
    return x.reshape(b // packing, packing * x.shape[1], *x.shape[2:])


def _check_size(image_size: int) -> None:
    if image_size % 4:
        raise ValueError(
            f"the DCGAN nets halve the image twice, so image_size must be a "
            f"multiple of 4; got {image_size}"
        )


class DCGANGenerator(nn.Module):
    """``z`` (and a label) -> image in [0, 1].

    Args:
        latent_dim: size of ``z ~ N(0, I)``.
        image_size: side ``S`` of the output (a multiple of 4).
        channels: image channels ``C``.
        width: channels of the last hidden layer (the first has twice as many).
        num_classes: labels to condition on (0: unconditional).

    Shape: z (B, latent_dim), y (B,) -> (B, C, S, S).
    """

    def __init__(
        self,
        latent_dim: int,
        image_size: int,
        channels: int = 1,
        width: int = 32,
        num_classes: int = 0,
    ) -> None:
        super().__init__()
        _check_size(image_size)
        self.latent_dim, self.num_classes = latent_dim, num_classes
        self.start = (2 * width, image_size // 4, image_size // 4)
        units = 2 * width * (image_size // 4) ** 2
        self.project = nn.Sequential(
            nn.Linear(latent_dim + num_classes, units, bias=False),
            nn.BatchNorm1d(units),
            nn.ReLU(),
        )
        self.net = nn.Sequential(
            nn.ConvTranspose2d(2 * width, width, 4, 2, 1, bias=False),  # S/4 -> S/2
            nn.BatchNorm2d(width),
            nn.ReLU(),
            nn.ConvTranspose2d(width, channels, 4, 2, 1),  # S/2 -> S
            nn.Sigmoid(),
        )

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        if self.num_classes:
            if y is None:
                raise ValueError("this generator is conditional: pass labels y (B,)")
            z = torch.cat([z, F.one_hot(y, self.num_classes).to(z.dtype)], 1)
        h = self.project(z).view(-1, *self.start)  # (B, 2W, S/4, S/4)
        return self.net(h)

    def noise_like(self, real: torch.Tensor) -> torch.Tensor:
        """``z ~ N(0, I)`` for a batch of real images: (B, latent_dim)."""
        return torch.randn(real.shape[0], self.latent_dim, device=real.device)

    @torch.no_grad()
    def sample(self, n: int, y: torch.Tensor | None = None) -> torch.Tensor:
        """``n`` images (n, C, S, S), in eval mode (batch-norm running statistics)."""
        was = self.training
        self.eval()
        device = self.project[0].weight.device
        x = self(torch.randn(n, self.latent_dim, device=device), y)
        self.train(was)
        return x


class DCGANDiscriminator(nn.Module):
    """Image (and a label) -> one logit (or critic score) per example.

    Args:
        image_size: side ``S`` of the input (a multiple of 4).
        channels: image channels ``C``.
        width: channels of the first convolution (the second has twice as many).
        norm: ``"batch"`` or ``"none"`` after the second convolution.
        spectral: spectral normalisation of every layer.
        packing: images per input (PacGAN); the batch must divide by it.
        num_classes: labels for a projection discriminator (0: unconditional).

    Shape: x (B, C, S, S), y (B,) -> (B / packing,).
    """

    def __init__(
        self,
        image_size: int,
        channels: int = 1,
        width: int = 32,
        norm: str = "batch",
        spectral: bool = False,
        packing: int = 1,
        num_classes: int = 0,
    ) -> None:
        super().__init__()
        _check_size(image_size)
        if norm not in ("batch", "none"):
            raise ValueError(f"norm must be 'batch' or 'none'; got {norm!r}")
        self.packing, self.num_classes = packing, num_classes
        wrap = spectral_norm if spectral else (lambda m: m)
        features = 2 * width * (image_size // 4) ** 2
        self.features = nn.Sequential(
            wrap(nn.Conv2d(channels * packing, width, 4, 2, 1)),  # S -> S/2
            nn.LeakyReLU(0.2),
            wrap(nn.Conv2d(width, 2 * width, 4, 2, 1)),  # S/2 -> S/4
            nn.BatchNorm2d(2 * width) if norm == "batch" else nn.Identity(),
            nn.LeakyReLU(0.2),
            nn.Flatten(),  # (B, 2W * S/4 * S/4)
        )
        self.head = wrap(nn.Linear(features, 1))
        if num_classes:
            self.embed = wrap(nn.Embedding(num_classes, features))

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        if self.packing > 1:
            x = pack(x, self.packing)
        h = self.features(x)  # phi(x), (B, F)
        out = self.head(h)[:, 0]  # psi(phi(x)), (B,)
        if self.num_classes:
            if y is None:
                raise ValueError(
                    "this discriminator is conditional: pass labels y (B,)"
                )
            out = out + (self.embed(y) * h).sum(1)  # <embed(y), phi(x)>
        return out

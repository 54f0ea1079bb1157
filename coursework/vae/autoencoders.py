"""Deterministic autoencoders: linear, undercomplete, overcomplete and sparse.

An autoencoder learns an encoder ``h = f(x)`` and a decoder ``x_hat = g(h)``
trained to reconstruct its input. What makes the code ``h`` useful is a
constraint: a bottleneck smaller than the input (undercomplete), a penalty on
the code (sparse, Ng 2011; Goodfellow, Bengio & Courville, *Deep Learning*,
2016, ch. 14), or corrupted inputs (denoising, Vincent et al., "Extracting and
Composing Robust Features with Denoising Autoencoders", ICML 2008).

Baldi & Hornik, "Neural networks and principal component analysis" (1989): a
linear autoencoder trained with the squared error spans the same subspace as
the top principal components. The variants here differ only by their data:
the hidden sizes, the code size and the code's activation.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

CODE_ACTIVATIONS = ("none", "relu", "sigmoid")


def mlp(sizes: Sequence[int], final_activation: bool = False) -> nn.Sequential:
    """Linear layers ``sizes[0] -> sizes[1] -> ...`` with ReLU between them.

    Args:
        sizes: layer widths, input first; at least two.
        final_activation: also apply a ReLU after the last layer.
    """
    if len(sizes) < 2:
        raise ValueError(f"mlp needs at least an input and output size; got {sizes}")
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2 or final_activation:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def _activation(name: str) -> nn.Module:
    if name not in CODE_ACTIVATIONS:
        raise ValueError(
            f"Unknown code activation {name!r}; use one of {CODE_ACTIVATIONS}."
        )
    return {"none": nn.Identity(), "relu": nn.ReLU(), "sigmoid": nn.Sigmoid()}[name]


class Autoencoder(nn.Module):
    """An MLP autoencoder on images, ``x -> h -> x_hat``.

    ``hidden=()`` and ``code_activation="none"`` give the linear autoencoder;
    a ``code_dim`` larger than the number of pixels gives an overcomplete one
    (which needs a regulariser such as an L1 penalty on ``h``).

    Args:
        image_shape: ``(C, H, W)`` of the inputs.
        code_dim: size of the code ``h``.
        hidden: widths of the hidden layers of the encoder (mirrored in the decoder).
        code_activation: ``none``, ``relu`` (non-negative, for sparse codes) or
            ``sigmoid``.
    """

    def __init__(
        self,
        image_shape: Sequence[int],
        code_dim: int,
        hidden: Sequence[int] = (),
        code_activation: str = "none",
    ) -> None:
        super().__init__()
        self.image_shape = tuple(int(s) for s in image_shape)
        n_pixels = int(torch.tensor(self.image_shape).prod())
        self.encoder = nn.Sequential(
            nn.Flatten(),
            mlp([n_pixels, *hidden, code_dim]),
            _activation(code_activation),
        )
        self.decoder = mlp([code_dim, *reversed(hidden), n_pixels])
        self.code_dim = code_dim

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Code ``h`` of shape (B, code_dim) for images (B, C, H, W)."""
        return self.encoder(x)

    def decode(self, h: torch.Tensor) -> torch.Tensor:
        """Reconstruction (B, C, H, W), unbounded (no output nonlinearity)."""
        return self.decoder(h).view(-1, *self.image_shape)  # (B, C, H, W)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Return ``(x_hat, h)``."""
        h = self.encode(x)
        return self.decode(h), h

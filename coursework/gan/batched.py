"""Many small 2-D GANs trained as one: stacked weights and batched matmuls.

A table over seeds needs the same tiny MLP trained many times. Instead of a
Python loop over models, every layer holds the weights of ``M`` independent
copies, ``W`` of shape (M, out, in), and applies them with one batched matrix
product (``torch.baddbmm``). The copies share no parameter, so the gradient of
``sum_m loss_m`` with respect to copy ``m`` is that copy's own gradient, and
one optimizer step updates all of them exactly as separate runs would.

Inputs and outputs are rows ordered model-major: the rows of copy ``m`` are
``x[m * B:(m + 1) * B]``. So a batch looks like an ordinary (N, d) batch to the
training loop, the losses and the gradient penalty.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from coursework.gan.spectral import power_iteration_step


class BatchedLinear(nn.Module):
    """``M`` independent linear layers: ``y_m = x_m W_m^T + b_m``.

    Initialised like ``nn.Linear`` (uniform in ``±1/sqrt(in)``), each copy from
    its own draw. With ``spectral=True``, ``W_m / sigma(W_m)`` is used, with one
    power-iteration step per training forward pass (Miyato et al., 2018).

    Shape: x (M, B, in) -> (M, B, out).
    """

    def __init__(
        self, copies: int, in_features: int, out_features: int, spectral: bool = False
    ) -> None:
        super().__init__()
        bound = 1 / math.sqrt(in_features)
        self.weight = nn.Parameter(
            torch.empty(copies, out_features, in_features).uniform_(-bound, bound)
        )
        self.bias = nn.Parameter(
            torch.empty(copies, out_features).uniform_(-bound, bound)
        )
        self.spectral = spectral
        if spectral:
            self.register_buffer(
                "u", F.normalize(torch.randn(copies, out_features), dim=-1)
            )
            self.register_buffer(
                "v", F.normalize(torch.randn(copies, in_features), dim=-1)
            )

    def effective_weight(self) -> torch.Tensor:
        """The weight used in forward: ``W``, or ``W / sigma(W)`` (M, out, in)."""
        if not self.spectral:
            return self.weight
        if self.training:
            with torch.no_grad():
                u, v, _ = power_iteration_step(self.weight, self.u)
                self.u.copy_(u)
                self.v.copy_(v)
        # sigma = u^T W v, differentiable in W with u, v held fixed (cloned: the
        # buffers change in place at the next forward, before this backward)
        u, v = self.u.clone(), self.v.clone()
        sigma = torch.einsum("mo,moi,mi->m", u, self.weight, v)
        return self.weight / sigma[:, None, None]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = self.effective_weight()
        return torch.baddbmm(self.bias[:, None, :], x, w.transpose(1, 2))  # (M, B, out)


class BatchedMLP(nn.Module):
    """``M`` MLPs ``sizes[0] -> ... -> sizes[-1]`` with LeakyReLU(0.2) between.

    Shape: x (M, B, sizes[0]) -> (M, B, sizes[-1]).
    """

    def __init__(self, copies: int, sizes: list[int], spectral: bool = False) -> None:
        super().__init__()
        self.layers = nn.ModuleList(
            BatchedLinear(copies, a, b, spectral) for a, b in zip(sizes[:-1], sizes[1:])
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i < len(self.layers) - 1:
                x = F.leaky_relu(x, 0.2)
        return x


def _check_rows(x: torch.Tensor, copies: int, width: int, what: str) -> None:
    if x.dim() != 2 or x.shape[1] != width or x.shape[0] % copies:
        raise ValueError(
            f"{what} expects rows (M * B, {width}) for M = {copies} copies, "
            f"model-major; got {tuple(x.shape)}"
        )


class Generator2D(nn.Module):
    """``M`` MLP generators ``z -> x`` in 2-D (or ``data_dim``-D).

    Args:
        copies: number of independent models ``M``.
        latent_dim: size of ``z ~ N(0, I)``.
        hidden: hidden units per layer.
        depth: hidden layers.
        data_dim: size of a sample.

    Shape: z (M * B, latent_dim) -> (M * B, data_dim), model-major rows.
    """

    def __init__(
        self,
        copies: int,
        latent_dim: int = 2,
        hidden: int = 128,
        depth: int = 3,
        data_dim: int = 2,
    ) -> None:
        super().__init__()
        self.copies, self.latent_dim, self.data_dim = copies, latent_dim, data_dim
        self.net = BatchedMLP(copies, [latent_dim] + [hidden] * depth + [data_dim])

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        _check_rows(z, self.copies, self.latent_dim, "Generator2D")
        x = self.net(z.view(self.copies, -1, self.latent_dim))  # (M, B, data_dim)
        return x.reshape(-1, self.data_dim)

    def noise_like(self, real: torch.Tensor) -> torch.Tensor:
        """``z ~ N(0, I)`` for a batch of real rows (N, data_dim): (N, latent_dim)."""
        return torch.randn(real.shape[0], self.latent_dim, device=real.device)

    @torch.no_grad()
    def sample(self, n: int) -> torch.Tensor:
        """``n`` samples from every copy: (M, n, data_dim)."""
        device = self.net.layers[0].weight.device
        z = torch.randn(self.copies * n, self.latent_dim, device=device)
        return self(z).view(self.copies, n, self.data_dim)


class Discriminator2D(nn.Module):
    """``M`` MLP discriminators, optionally packed or spectrally normalised.

    With ``packing = m`` (PacGAN, Lin et al., NeurIPS 2018, arXiv:1712.04086)
    the discriminator scores ``m`` samples at once, concatenated, so it can see
    that a batch of fakes lacks variety.

    Args:
        copies: number of independent models ``M``.
        data_dim: size of one sample.
        hidden: hidden units per layer.
        depth: hidden layers.
        spectral: spectral normalisation of every layer.
        packing: samples per discriminator input.

    Shape: x (M * B, data_dim) -> logits (M * B / packing,), model-major.
    """

    def __init__(
        self,
        copies: int,
        data_dim: int = 2,
        hidden: int = 128,
        depth: int = 3,
        spectral: bool = False,
        packing: int = 1,
    ) -> None:
        super().__init__()
        self.copies, self.data_dim, self.packing = copies, data_dim, packing
        sizes = [data_dim * packing] + [hidden] * depth + [1]
        self.net = BatchedMLP(copies, sizes, spectral)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_rows(x, self.copies, self.data_dim, "Discriminator2D")
        rows = x.shape[0] // self.copies
        if rows % self.packing:
            raise ValueError(
                f"a batch of {rows} rows per copy cannot be packed in groups of "
                f"{self.packing}; use a batch size divisible by {self.packing}"
            )
        # (M, B, d) -> (M, B / m, m * d): m consecutive samples side by side
        packed = x.view(self.copies, rows // self.packing, self.packing * self.data_dim)
        return self.net(packed).reshape(-1)  # (M * B / m,)

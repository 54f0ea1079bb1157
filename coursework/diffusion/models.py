"""Denoising networks: a time embedding, an MLP for 2-D points, a small U-Net.

The U-Net follows DDPM's (Ho, Jain & Abbeel, NeurIPS 2020, arXiv:2006.11239,
Appendix B), itself PixelCNN++'s backbone: residual blocks with group
normalisation, the sinusoidal Transformer embedding of the time added inside
every block, two resolutions, skip connections between them. It is much
smaller than the paper's (no self-attention, one block per resolution).
An optional label embedding (with one extra "null" class for classifier-free
guidance) is added to the time embedding.

Every network is called as ``model(x, time, y=None)`` with ``time`` in [0, 1]
(B,): ``t / T`` for diffusion, the flow's ``t`` for flow matching.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


def time_embedding(time: torch.Tensor, dim: int, scale: float = 1000.0) -> torch.Tensor:
    """Sinusoidal features of ``scale * time`` (Vaswani et al. 2017): (B,) -> (B, dim).

    ``emb[2i] = sin(s t / 10000^(2i/dim))`` and ``emb[2i+1]`` the cosine.
    """
    if dim % 2:
        raise ValueError(f"the time embedding needs an even dim; got {dim}")
    half = dim // 2
    freqs = torch.exp(
        -math.log(10000.0) * torch.arange(half, device=time.device) / half
    )
    angles = scale * time.float()[:, None] * freqs[None]  # (B, dim/2)
    return torch.cat([angles.sin(), angles.cos()], 1)


class Embedding(nn.Module):
    """Time embedding through an MLP, plus an optional class embedding: (B, D)."""

    def __init__(self, dim: int, num_classes: int | None = None) -> None:
        super().__init__()
        self.dim = dim
        self.mlp = nn.Sequential(nn.Linear(dim, dim), nn.SiLU(), nn.Linear(dim, dim))
        # num_classes real classes + 1 null class (index num_classes)
        self.label = nn.Embedding(num_classes + 1, dim) if num_classes else None

    def forward(
        self, time: torch.Tensor, y: torch.Tensor | None = None
    ) -> torch.Tensor:
        emb = self.mlp(time_embedding(time, self.dim))
        if self.label is not None:
            if y is None:
                y = torch.full_like(
                    time, self.label.num_embeddings - 1, dtype=torch.long
                )
            emb = emb + self.label(y)
        return emb


def fourier_features(x: torch.Tensor, frequencies: torch.Tensor) -> torch.Tensor:
    """Random Fourier features ``[sin(2 pi x B), cos(2 pi x B)]``: (B, D) -> (B, 2F).

    ``frequencies`` is ``B``, (D, F). Tancik et al., *Fourier Features Let
    Networks Learn High Frequency Functions in Low Dimensional Domains*
    (NeurIPS 2020, arXiv:2006.10739), eq. 4 with Gaussian ``B``.
    """
    # at least float32, even under autocast: the angles reach tens of radians
    dtype = torch.promote_types(x.dtype, torch.float32)
    with torch.autocast(x.device.type, enabled=False):
        angles = 2 * math.pi * x.to(dtype) @ frequencies.to(dtype)  # (B, F)
        return torch.cat([angles.sin(), angles.cos()], 1).to(x.dtype)


class MLPDenoiser(nn.Module):
    """An MLP on ``[x, emb(time)]`` for low-dimensional data (the 2-D mixtures).

    A plain MLP learns smooth functions first (its spectral bias), but the
    noise prediction of narrow modes at small noise levels is steep: a slope
    of order ``1 / sigma`` around each centre, a jump between modes. With
    ``fourier_scale`` the input also enters as random Fourier features of
    ``n_fourier`` frequencies ``B ~ N(0, fourier_scale^2)``, fixed at
    construction (drawn from torch's global generator, so seed first), which
    lets the same MLP fit such functions (Tancik et al. 2020; see
    :func:`fourier_features`).

    Shape: x (B, data_dim), time (B,) -> (B, data_dim).
    """

    def __init__(
        self,
        data_dim: int = 2,
        hidden: int = 128,
        depth: int = 3,
        fourier_scale: float | None = None,
        n_fourier: int = 64,
    ) -> None:
        super().__init__()
        if fourier_scale is not None and fourier_scale <= 0:
            raise ValueError(
                f"fourier_scale must be positive (or None for a plain MLP); "
                f"got {fourier_scale}"
            )
        self.embed = Embedding(hidden)
        self.frequencies: torch.Tensor | None
        if fourier_scale is None:
            self.register_buffer("frequencies", None)
            n_in = data_dim
        else:
            self.register_buffer(
                "frequencies", torch.randn(data_dim, n_fourier) * fourier_scale
            )
            n_in = data_dim + 2 * n_fourier
        layers: list[nn.Module] = [nn.Linear(n_in + hidden, hidden), nn.SiLU()]
        for _ in range(depth - 1):
            layers += [nn.Linear(hidden, hidden), nn.SiLU()]
        self.net = nn.Sequential(*layers, nn.Linear(hidden, data_dim))

    def forward(
        self, x: torch.Tensor, time: torch.Tensor, y: torch.Tensor | None = None
    ) -> torch.Tensor:
        inputs = [x]
        if self.frequencies is not None:
            inputs.append(fourier_features(x, self.frequencies))
        inputs.append(self.embed(time).to(x.dtype))
        return self.net(torch.cat(inputs, 1))


class ResBlock(nn.Module):
    """GroupNorm -> SiLU -> conv, plus the embedding, twice; a 1x1 skip if needed.

    Shape: x (B, C_in, H, W), emb (B, D) -> (B, C_out, H, W).
    """

    def __init__(self, c_in: int, c_out: int, emb_dim: int, groups: int = 8) -> None:
        super().__init__()
        self.norm1 = nn.GroupNorm(min(groups, c_in), c_in)
        self.conv1 = nn.Conv2d(c_in, c_out, 3, padding=1)
        self.emb = nn.Linear(emb_dim, c_out)
        self.norm2 = nn.GroupNorm(min(groups, c_out), c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1)
        self.skip = nn.Conv2d(c_in, c_out, 1) if c_in != c_out else nn.Identity()

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.emb(F.silu(emb))[:, :, None, None]  # (B, C_out, 1, 1)
        h = self.conv2(F.silu(self.norm2(h)))
        return self.skip(x) + h


class UNet(nn.Module):
    """A two-level U-Net: S -> S/2 -> S/4 and back, with skip connections.

    Args:
        image_size: side ``S`` of the input (divisible by 4).
        channels: image channels.
        width: channels at full resolution (doubled per level down).
        num_classes: add a class embedding with a null class for guidance.

    Shape: x (B, C, S, S), time (B,), y (B,) or None -> (B, C, S, S).
    """

    def __init__(
        self,
        image_size: int,
        channels: int = 1,
        width: int = 32,
        num_classes: int | None = None,
    ) -> None:
        super().__init__()
        if image_size % 4:
            raise ValueError(
                f"the U-Net halves the image twice: image_size must be divisible by 4; "
                f"got {image_size} (use 16 or 28)"
            )
        w, d = width, 4 * width
        self.image_size, self.num_classes = image_size, num_classes
        self.embed = Embedding(d, num_classes)
        self.inp = nn.Conv2d(channels, w, 3, padding=1)
        self.down1 = ResBlock(w, w, d)
        self.pool1 = nn.Conv2d(w, w, 3, stride=2, padding=1)  # S -> S/2
        self.down2 = ResBlock(w, 2 * w, d)
        self.pool2 = nn.Conv2d(2 * w, 2 * w, 3, stride=2, padding=1)  # S/2 -> S/4
        self.mid = ResBlock(2 * w, 2 * w, d)
        self.up2 = ResBlock(4 * w, 2 * w, d)  # concat skip at S/2
        self.up1 = ResBlock(3 * w, w, d)  # concat skip at S
        self.out = nn.Sequential(
            nn.GroupNorm(8 if w % 8 == 0 else 1, w),
            nn.SiLU(),
            nn.Conv2d(w, channels, 3, padding=1),
        )

    @property
    def null_label(self) -> int | None:
        """The label index that means "no class" (classifier-free guidance)."""
        return self.num_classes

    def forward(
        self, x: torch.Tensor, time: torch.Tensor, y: torch.Tensor | None = None
    ) -> torch.Tensor:
        emb = self.embed(time, y)  # (B, D)
        h1 = self.down1(self.inp(x), emb)  # (B, w, S, S)
        h2 = self.down2(self.pool1(h1), emb)  # (B, 2w, S/2, S/2)
        h = self.mid(self.pool2(h2), emb)  # (B, 2w, S/4, S/4)
        h = F.interpolate(h, scale_factor=2.0, mode="nearest")  # (B, 2w, S/2, S/2)
        h = self.up2(torch.cat([h, h2], 1), emb)  # (B, 2w, S/2, S/2)
        h = F.interpolate(h, scale_factor=2.0, mode="nearest")  # (B, 2w, S, S)
        h = self.up1(torch.cat([h, h1], 1), emb)  # (B, w, S, S)
        return self.out(h)

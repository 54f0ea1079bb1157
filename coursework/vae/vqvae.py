"""The VQ-VAE: a convolutional autoencoder with a discrete, learned codebook.

van den Oord, Vinyals & Kavukcuoglu, "Neural Discrete Representation
Learning", NeurIPS 2017 (arXiv:1711.00937). The encoder output ``z_e(x)`` at
every position is replaced by its nearest codebook vector,
``z_q = e_k, k = argmin_j ||z_e - e_j||`` (eq. 1-2). The argmin has no
gradient, so the decoder's gradient is copied straight through to the
encoder: ``z_q_st = z_e + sg[z_q - z_e]`` (value ``z_q``, gradient of
``z_e``). The codebook learns from its own loss term (see
:func:`coursework.vae.losses.vq_losses`).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn


def vector_quantize(
    z: torch.Tensor, codebook: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Replace each row of ``z`` by its nearest code, with a straight-through gradient.

    Args:
        z: (N, D) vectors to quantise.
        codebook: (K, D) code vectors (here ``K`` counts codes).

    Returns:
        ``z_q_st`` (N, D), equal in value to the nearest codes but with the
        gradient of ``z``, and ``indices`` (N,) long, the chosen codes.
    """
    if z.dim() != 2 or codebook.dim() != 2 or z.shape[1] != codebook.shape[1]:
        raise ValueError(
            f"need z (N, D) and codebook (K, D); got {tuple(z.shape)} and "
            f"{tuple(codebook.shape)}"
        )
    # ||z - e||^2 = ||z||^2 - 2 z.e + ||e||^2, for all (N, K) pairs at once
    dist = (
        z.pow(2).sum(1, keepdim=True)
        - 2 * z @ codebook.T
        + codebook.pow(2).sum(1)[None]
    )  # (N, K)
    indices = dist.argmin(1)  # (N,)
    z_q = codebook[indices]  # (N, D)
    return z + (z_q - z).detach(), indices


Quantize = Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]


class VectorQuantizer(nn.Module):
    """A codebook of ``num_codes`` vectors of size ``dim`` applied at every position.

    Args:
        num_codes: codebook size ``K``.
        dim: code size ``D`` (the encoder's output channels).
    """

    def __init__(self, num_codes: int, dim: int) -> None:
        super().__init__()
        self.codebook = nn.Embedding(num_codes, dim)
        self.codebook.weight.data.uniform_(-1.0 / num_codes, 1.0 / num_codes)

    @property
    def num_codes(self) -> int:
        """``K``."""
        return self.codebook.num_embeddings

    def forward(
        self, z_e: torch.Tensor, quantize: Quantize = vector_quantize
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Quantise a feature map.

        Args:
            z_e: (B, D, H, W) encoder output.
            quantize: the nearest-code function ``(z (N, D), codebook (K, D)) ->
                (z_q_st, indices)``, e.g. your own in the notebook.

        Returns:
            ``z_q_st`` (B, D, H, W) straight-through codes, ``z_q`` (B, D, H, W)
            the codes themselves (for the codebook loss) and ``indices`` (B, H, W).
        """
        b, d, h, w = z_e.shape
        flat = z_e.permute(0, 2, 3, 1).reshape(-1, d)  # (B*H*W, D)
        z_q_st, indices = quantize(flat, self.codebook.weight)  # (B*H*W, D), (B*H*W,)
        z_q_st = z_q_st.view(b, h, w, d).permute(0, 3, 1, 2)  # (B, D, H, W)
        indices = indices.view(b, h, w)
        return z_q_st, self.lookup(indices), indices

    @torch.no_grad()
    def init_from(
        self, z_e: torch.Tensor, generator: torch.Generator | None = None
    ) -> None:
        """Set the codes to randomly chosen encoder outputs (data-dependent init).

        Codes initialised far from every encoder output are never chosen and
        never trained ("dead codes"); starting them on the data avoids that.

        Args:
            z_e: (B, D, H, W) encoder outputs with ``B * H * W >= K``.
        """
        flat = z_e.permute(0, 2, 3, 1).reshape(-1, z_e.shape[1])  # (B*H*W, D)
        if flat.shape[0] < self.num_codes:
            raise ValueError(
                f"need at least {self.num_codes} vectors to initialise the codebook, "
                f"got {flat.shape[0]}; pass a larger batch"
            )
        pick = torch.randperm(flat.shape[0], generator=generator)[: self.num_codes]
        self.codebook.weight.copy_(flat[pick.to(flat.device)])

    def lookup(self, indices: torch.Tensor) -> torch.Tensor:
        """Codes for an index map (B, H, W) as a feature map (B, D, H, W)."""
        return self.codebook(indices).permute(0, 3, 1, 2)  # (B, D, H, W)


def _conv_stack(channels: list[int], transpose: bool) -> nn.Sequential:
    conv = nn.ConvTranspose2d if transpose else nn.Conv2d
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(channels[:-1], channels[1:])):
        layers.append(conv(a, b, kernel_size=4, stride=2, padding=1))
        if i < len(channels) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class VQVAE(nn.Module):
    """Conv encoder (two stride-2 convs), vector quantiser, mirrored decoder.

    An image (B, C, H, W) becomes a grid of ``H/4 x W/4`` code indices.

    Args:
        in_channels: ``C``.
        width: channels of the hidden convolutions.
        code_dim: ``D``, channels of ``z_e`` and size of each code.
        num_codes: ``K``.
    """

    def __init__(
        self, in_channels: int, width: int, code_dim: int, num_codes: int
    ) -> None:
        super().__init__()
        self.encoder = nn.Sequential(
            _conv_stack([in_channels, width, width], transpose=False),
            nn.ReLU(),
            nn.Conv2d(width, code_dim, kernel_size=1),
        )
        self.quantizer = VectorQuantizer(num_codes, code_dim)
        self.decoder = nn.Sequential(
            nn.Conv2d(code_dim, width, kernel_size=3, padding=1),
            nn.ReLU(),
            _conv_stack([width, width, in_channels], transpose=True),
        )

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """``z_e`` (B, D, H/4, W/4) for images (B, C, H, W), ``H, W`` divisible by 4."""
        if x.shape[-1] % 4 or x.shape[-2] % 4:
            raise ValueError(
                f"VQVAE needs image sides divisible by 4; got {tuple(x.shape[-2:])}"
            )
        return self.encoder(x)

    def decode(self, z_q: torch.Tensor) -> torch.Tensor:
        """Logits (B, C, H, W) of the reconstruction from codes (B, D, H/4, W/4)."""
        return self.decoder(z_q)

    def forward(
        self, x: torch.Tensor, quantize: Quantize = vector_quantize
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Return ``(logits, z_e, z_q, indices)``; ``quantize`` as in the quantiser."""
        z_e = self.encode(x)
        z_q_st, z_q, indices = self.quantizer(z_e, quantize)
        return self.decode(z_q_st), z_e, z_q, indices

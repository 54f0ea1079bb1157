"""Inpainting: the context encoder.

Pathak et al., "Context Encoders: Feature Learning by Inpainting" (CVPR 2016,
arXiv:1604.07379). The centre of the image is removed; an encoder sees the
context and a decoder paints the missing region. The reconstruction loss is
the squared error on the missing region,

    L_rec = || M * (x - F((1 - M) * x)) ||^2,

(the paper adds an adversarial loss for sharper fills; we keep L_rec only,
which gives the blurry average fill the paper shows for L2).
"""

from __future__ import annotations

import torch


def centre_mask(image_size: int, fraction: float = 0.5, device=None) -> torch.Tensor:
    """A (1, 1, S, S) mask, 1 on the centre square of side ``fraction * S``."""
    side = max(1, round(fraction * image_size))
    lo = (image_size - side) // 2
    m = torch.zeros(1, 1, image_size, image_size, device=device)
    m[..., lo : lo + side, lo : lo + side] = 1
    return m


def inpainting_batch(
    x: torch.Tensor, fraction: float = 0.5, fill: float = 0.5
) -> tuple[torch.Tensor, torch.Tensor]:
    """The context (centre replaced by ``fill``) and the mask of the hole.

    Returns:
        ``(context, mask)``: (B, C, S, S) and (1, 1, S, S).
    """
    mask = centre_mask(x.shape[-1], fraction, x.device).to(x.dtype)
    return x * (1 - mask) + fill * mask, mask


def masked_squared_error(
    x_hat: torch.Tensor, x: torch.Tensor, mask: torch.Tensor
) -> torch.Tensor:
    """Squared error over the masked pixels, per masked value, averaged over images."""
    err = ((x_hat - x) ** 2 * mask).sum((1, 2, 3))
    return err.mean() / (mask.sum() * x.shape[1])

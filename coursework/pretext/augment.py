"""Batched random augmentations, on the device, one random draw per image.

The augmentations of SimCLR (Chen et al., "A Simple Framework for Contrastive
Learning of Visual Representations", ICML 2020, arXiv:2002.05709, Appendix A):
a random resized crop with a horizontal flip, colour jitter (brightness,
contrast, saturation, hue) with probability 0.8, and grey with probability
0.2. Exemplar CNNs (Dosovitskiy et al., "Discriminative Unsupervised Feature
Learning with Exemplar Convolutional Neural Networks", NeurIPS 2014,
arXiv:1406.6909) use the same family of transformations to make surrogate
classes. A crop is an affine sampling grid per image (``affine_grid`` +
``grid_sample``); colour changes are per-image scalars broadcast over pixels.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

_LUMA = torch.tensor([0.299, 0.587, 0.114])


def _uniform(n: int, lo: float, hi: float, device: torch.device) -> torch.Tensor:
    return lo + (hi - lo) * torch.rand(n, device=device)


def random_resized_crop(
    x: torch.Tensor, scale: tuple[float, float] = (0.3, 1.0), flip: bool = True
) -> torch.Tensor:
    """Crop a random square of ``scale`` of the area per image, resize back, flip.

    Shape: (B, C, H, W) -> (B, C, H, W).
    """
    b, dev = x.shape[0], x.device
    side = torch.sqrt(_uniform(b, *scale, dev))  # crop side / image side
    # centre so the crop stays inside the image (normalised coords in [-1, 1])
    tx = (1 - side) * (2 * torch.rand(b, device=dev) - 1)
    ty = (1 - side) * (2 * torch.rand(b, device=dev) - 1)
    sx = (
        side * torch.where(torch.rand(b, device=dev) < 0.5, -1.0, 1.0) if flip else side
    )
    theta = torch.zeros(b, 2, 3, device=dev, dtype=x.dtype)
    theta[:, 0, 0], theta[:, 0, 2] = sx, tx
    theta[:, 1, 1], theta[:, 1, 2] = side, ty
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(
        x, grid, mode="bilinear", padding_mode="border", align_corners=False
    )


def grey(x: torch.Tensor) -> torch.Tensor:
    """Luma (ITU-R BT.601) of RGB images, kept as 3 channels: (B, 3, H, W)."""
    y = torch.einsum("c,bchw->bhw", _LUMA.to(x), x)
    return y[:, None].expand_as(x)


def color_jitter(
    x: torch.Tensor,
    strength: float = 0.5,
    p: float = 0.8,
    p_grey: float = 0.2,
) -> torch.Tensor:
    """Random brightness, contrast, saturation and hue per image, then maybe grey.

    ``strength`` s scales brightness/contrast/saturation factors in
    [1 - 0.8 s, 1 + 0.8 s] and the hue rotation in [-0.2 s, 0.2 s] turns, as in
    SimCLR's colour distortion. Shape: (B, 3, H, W) -> (B, 3, H, W) in [0, 1].
    """
    b, dev = x.shape[0], x.device
    k = 0.8 * strength

    def factor() -> torch.Tensor:
        return _uniform(b, 1 - k, 1 + k, dev).view(b, 1, 1, 1).to(x.dtype)

    out = x * factor()  # brightness
    mean = grey(out).mean((1, 2, 3), keepdim=True)
    out = mean + factor() * (out - mean)  # contrast
    g = grey(out)
    out = g + factor() * (out - g)  # saturation
    # hue: rotate the chroma plane of YIQ by a random angle
    angle = 2 * math.pi * _uniform(b, -0.2 * strength, 0.2 * strength, dev)
    yiq = torch.tensor(
        [[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]],
        device=dev,
        dtype=x.dtype,
    )
    rot = torch.zeros(b, 3, 3, device=dev, dtype=x.dtype)
    rot[:, 0, 0] = 1
    rot[:, 1, 1], rot[:, 1, 2] = torch.cos(angle), -torch.sin(angle)
    rot[:, 2, 1], rot[:, 2, 2] = torch.sin(angle), torch.cos(angle)
    m = torch.linalg.inv(yiq) @ rot @ yiq  # (B, 3, 3)
    out = torch.einsum("bij,bjhw->bihw", m, out).clamp(0, 1)
    keep = (torch.rand(b, device=dev) < p).view(b, 1, 1, 1)
    out = torch.where(keep, out, x)
    to_grey = (torch.rand(b, device=dev) < p_grey).view(b, 1, 1, 1)
    return torch.where(to_grey, grey(out), out)


def augment(
    x: torch.Tensor,
    scale: tuple[float, float] = (0.3, 1.0),
    strength: float = 0.5,
    p_grey: float = 0.2,
) -> torch.Tensor:
    """SimCLR's pipeline for one view: crop and flip, then colour distortion.

    ``strength`` and ``p_grey`` go to :func:`color_jitter`. The augmentations
    decide what the features become invariant to: SimCLR's colour distortion
    suits data whose colours say little about the class; where a typical hue
    is a cue to the class, a weaker one keeps it.
    """
    return color_jitter(random_resized_crop(x, scale), strength=strength, p_grey=p_grey)

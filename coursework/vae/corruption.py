"""Input corruption for denoising autoencoders.

Vincent et al., "Extracting and Composing Robust Features with Denoising
Autoencoders", ICML 2008: train ``g(f(x_tilde))`` to reconstruct the clean
``x`` from a corrupted copy ``x_tilde ~ q(x_tilde | x)``. Here the corruption
is additive isotropic Gaussian noise, clipped back to the pixel range.
"""

from __future__ import annotations

import torch


def add_noise(x: torch.Tensor, noise_std: float) -> torch.Tensor:
    """Corrupt images with Gaussian noise, clipped to [0, 1].

    ``x_tilde = clip(x + sigma * eps, 0, 1)`` with ``eps ~ N(0, I)``.

    Args:
        x: clean images, any shape, values in [0, 1].
        noise_std: ``sigma >= 0``; 0 returns a copy of ``x``.

    Returns:
        Tensor of the shape, dtype and device of ``x``.
    """
    if noise_std < 0:
        raise ValueError(f"noise_std must be >= 0, got {noise_std}")
    eps = torch.randn_like(x)
    return (x + noise_std * eps).clamp(0.0, 1.0)

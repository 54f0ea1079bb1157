"""Walking the latent space: interpolation and vector arithmetic.

White, "Sampling Generative Networks" (2016, arXiv:1609.04468): in high
dimensions a Gaussian ``z`` lies near the sphere of radius ``sqrt(D)``, and
the straight line between two such codes passes through the low-norm interior,
where the generator saw no training codes. Spherical interpolation (slerp,
Shoemake 1985) follows the great circle instead:

    slerp(z_0, z_1; t) = sin((1 - t) omega) / sin(omega) z_0
                       + sin(t omega) / sin(omega) z_1,
    cos(omega) = <z_0, z_1> / (||z_0|| ||z_1||).

Radford et al. (DCGAN, ICLR 2016, arXiv:1511.06434) do arithmetic on codes:
the mean code of samples with an attribute minus the mean code of samples
without it is a direction that adds the attribute.
"""

from __future__ import annotations

import torch


def lerp(z0: torch.Tensor, z1: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Linear interpolation ``(1 - t) z_0 + t z_1``.

    Shape: z0, z1 (D,), t (T,) -> (T, D).
    """
    t = t[:, None].to(z0)
    return (1 - t) * z0[None] + t * z1[None]


def slerp(
    z0: torch.Tensor, z1: torch.Tensor, t: torch.Tensor, eps: float = 1e-7
) -> torch.Tensor:
    """Spherical interpolation; falls back to ``lerp`` for (anti)parallel codes.

    Shape: z0, z1 (D,), t (T,) -> (T, D).
    """
    cos = (z0 @ z1) / (z0.norm() * z1.norm())
    omega = torch.acos(cos.clamp(-1.0, 1.0))
    if float(torch.sin(omega).detach().abs()) < eps:  # the formula would be 0/0
        return lerp(z0, z1, t)
    t = t[:, None].to(z0)
    return (torch.sin((1 - t) * omega) * z0 + torch.sin(t * omega) * z1) / torch.sin(
        omega
    )


def attribute_direction(codes: torch.Tensor, has: torch.Tensor) -> torch.Tensor:
    """Mean code with the attribute minus mean code without it: (D,).

    Shape: codes (N, D), has (N,) bool.
    """
    has = has.bool()
    if has.all() or not has.any():
        raise ValueError(
            "attribute_direction needs codes with and without the attribute"
        )
    return codes[has].mean(0) - codes[~has].mean(0)

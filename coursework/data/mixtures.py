"""2-D Gaussian mixtures for mode-collapse experiments: a ring and a grid.

The ring of 8 Gaussians (radius 2, std 0.02) is the toy problem of Metz et
al., "Unrolled Generative Adversarial Networks" (ICLR 2017, arXiv:1611.02163)
and Srivastava et al., "VEEGAN" (NeurIPS 2017, arXiv:1705.07761); the grid of
25 Gaussians (centres on {-4, -2, 0, 2, 4}^2, std 0.05) is VEEGAN's and
PacGAN's (Lin et al., NeurIPS 2018, arXiv:1712.04086). Each mode has the same
weight, so a model that covers every mode puts 1/K of its samples on each.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Mixture:
    """An equal-weight mixture of isotropic 2-D Gaussians.

    Attributes:
        centers: the K mode centres, shape (K, 2).
        std: the standard deviation of every mode.
        name: a label for figures.
    """

    centers: torch.Tensor
    std: float
    name: str = "mixture"

    def sample(
        self,
        *shape: int,
        generator: torch.Generator | None = None,
        device: torch.device | str | None = None,
    ) -> torch.Tensor:
        """Draw samples of shape (*shape, 2): a uniform mode, then Gaussian noise."""
        if not shape or any(s < 1 for s in shape):
            raise ValueError(
                f"sample needs positive sizes, e.g. sample(256); got {shape}"
            )
        k = self.centers.shape[0]
        mode = torch.randint(k, shape, generator=generator)
        noise = torch.randn(*shape, 2, generator=generator)
        return (self.centers[mode] + self.std * noise).to(device)


def ring(modes: int = 8, radius: float = 2.0, std: float = 0.02) -> Mixture:
    """``modes`` Gaussians evenly spaced on a circle of ``radius``."""
    if modes < 1:
        raise ValueError(f"a ring needs at least one mode; got modes={modes}")
    angle = 2 * math.pi * torch.arange(modes, dtype=torch.float32) / modes
    centers = radius * torch.stack([angle.cos(), angle.sin()], 1)  # (K, 2)
    return Mixture(centers, std, f"ring of {modes}")


def grid(side: int = 5, spacing: float = 2.0, std: float = 0.05) -> Mixture:
    """``side`` x ``side`` Gaussians on a square grid centred on the origin."""
    if side < 1:
        raise ValueError(f"a grid needs side >= 1; got side={side}")
    ticks = spacing * (torch.arange(side, dtype=torch.float32) - (side - 1) / 2)
    gy, gx = torch.meshgrid(ticks, ticks, indexing="ij")
    centers = torch.stack([gx.flatten(), gy.flatten()], 1)  # (side^2, 2)
    return Mixture(centers, std, f"grid of {side * side}")

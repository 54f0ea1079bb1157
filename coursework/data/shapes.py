"""Procedural dSprites-like shapes with known generative factors.

Matthey et al., "dSprites: Disentanglement testing Sprites dataset" (2017):
images of one shape whose factors (shape, scale, rotation, x and y position,
and here colour) are sampled independently, so a model's latent dimensions
can be compared with the true factors (beta-VAE, Higgins et al., ICLR 2017).

Rendering is vectorised: every pixel's coordinates are mapped into each
shape's own frame (translate, rotate, scale), then tested against the shape's
implicit equation with a soft edge, for the whole batch at once.
"""

from __future__ import annotations

import math

import torch

SHAPES = ("square", "ellipse", "triangle")
COLOURS = torch.tensor(
    [
        [1.0, 1.0, 1.0],
        [1.0, 0.3, 0.3],
        [0.3, 1.0, 0.3],
        [0.35, 0.55, 1.0],
        [1.0, 0.85, 0.2],
    ]
)
FACTORS = ("shape", "scale", "rotation", "x", "y", "colour")


def sample_factors(
    n: int, generator: torch.Generator | None = None
) -> dict[str, torch.Tensor]:
    """Draw ``n`` independent factor tuples: shape, scale, rotation, x, y, colour."""
    g = generator or torch.Generator().manual_seed(0)
    u = torch.rand(n, 4, generator=g)
    return {
        "shape": torch.randint(len(SHAPES), (n,), generator=g),
        "scale": 0.5 + 0.5 * u[:, 0],  # relative size in [0.5, 1]
        "rotation": 2 * math.pi * u[:, 1],  # radians
        "x": 0.3 + 0.4 * u[:, 2],  # centre, as a fraction of the width
        "y": 0.3 + 0.4 * u[:, 3],
        "colour": torch.randint(len(COLOURS), (n,), generator=g),
    }


def render(
    factors: dict[str, torch.Tensor], image_size: int = 32, colour: bool = False
) -> torch.Tensor:
    """Draw the shapes given by ``factors``.

    Returns:
        Images of shape (N, C, S, S) in [0, 1], ``C`` = 3 if ``colour`` else 1.
    """
    dev = factors["scale"].device
    n, s = factors["scale"].shape[0], image_size
    coords = (torch.arange(s, device=dev, dtype=torch.float32) + 0.5) / s  # (S,)
    py, px = torch.meshgrid(coords, coords, indexing="ij")  # (S, S)
    dx = px[None] - factors["x"].float().view(n, 1, 1)  # (N, S, S)
    dy = py[None] - factors["y"].float().view(n, 1, 1)
    theta = factors["rotation"].float().view(n, 1, 1)
    radius = 0.3 * factors["scale"].float().view(n, 1, 1)
    # rotate by -theta and scale into the shape's unit frame
    u = (torch.cos(theta) * dx + torch.sin(theta) * dy) / radius
    v = (-torch.sin(theta) * dx + torch.cos(theta) * dy) / radius
    square = torch.maximum(u.abs(), v.abs())
    ellipse = torch.sqrt(u**2 + (v / 0.5) ** 2)
    r3 = math.sqrt(3.0)
    triangle = torch.maximum(torch.maximum(-2 * v, r3 * u + v), -r3 * u + v)
    level = torch.stack([square, ellipse, triangle], 1)  # (N, 3, S, S), <= 1 inside
    idx = factors["shape"].to(dev).view(n, 1, 1, 1).expand(n, 1, s, s)
    inside = level.gather(1, idx)  # (N, 1, S, S)
    edge = (radius * s).view(n, 1, 1, 1)  # pixels per unit
    img = ((1.0 - inside) * edge + 0.5).clamp(0.0, 1.0)  # soft, anti-aliased edge
    if colour:
        rgb = COLOURS.to(dev)[factors["colour"].to(dev)]  # (N, 3)
        img = img * rgb.view(n, 3, 1, 1)
    return img


def make_shapes(
    n: int,
    image_size: int = 32,
    colour: bool = False,
    seed: int = 0,
    device: torch.device | str | None = None,
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Sample ``n`` factor tuples with ``seed`` and render them on ``device``.

    Returns:
        ``(x, factors)``: images (N, C, S, S) and a dict of factor tensors (N,).
    """
    factors = sample_factors(n, torch.Generator().manual_seed(seed))
    factors = {k: v.to(device) for k, v in factors.items()}
    return render(factors, image_size, colour), factors

"""Generated colour scenes in which colour and layout carry information.

Each image is a small outdoor scene: a sky (blue, lighter towards the
horizon) above textured ground (green or brown stripes), sometimes a small
yellow sun, and one main object. The class is the object's **kind** (disk,
square, triangle, ring) and its **place** (in the sky or on the ground), so
8 classes. Every kind has a typical hue that varies from image to image and
overlaps with its neighbours, so colour helps but does not give the class
away; shape and place have to be seen.

The scenes are built for self-supervised pretext tasks: the sky is always up
(rotation and jigsaw are learnable), sky and ground have typical colours
(colourisation is learnable from grey values), and textures continue across
patch borders (relative position is learnable, and a gap matters).

Rendering is vectorised: every pixel is tested against each object's
implicit equation with a one-pixel soft edge, for the whole batch at once.
"""

from __future__ import annotations

import math

import torch

KINDS = ("disk", "square", "triangle", "ring")
PLACES = ("sky", "ground")
SCENE_CLASSES = tuple(f"{k} in the {p}" for p in PLACES for k in KINDS)
# typical hue of each kind, in turns of the colour wheel (red 0, green 1/3, blue 2/3)
_KIND_HUE = (0.0, 0.62, 0.33, 0.8)
_HUE_SPREAD = 0.3  # uniform spread around the typical hue


def _hsv_to_rgb(h: torch.Tensor, s: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """HSV (each (N,)) in [0, 1] to RGB (N, 3), the standard hexcone formula."""
    k = torch.stack([(5 + 6 * h) % 6, (3 + 6 * h) % 6, (1 + 6 * h) % 6], -1)  # (N, 3)
    t = torch.minimum(k, 4 - k).clamp(0, 1)
    return v[:, None] - v[:, None] * s[:, None] * t


def _levels(kind: torch.Tensor, u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Implicit shapes in their unit frame (<= 1 inside), selected per image.

    Args:
        kind: (N,) index into :data:`KINDS`.
        u, v: (N, S, S) pixel offsets in units of the object's radius.
    """
    disk = torch.sqrt(u**2 + v**2)
    square = torch.maximum(u.abs(), v.abs()) / 0.85
    # triangle pointing up (y points down): apex at v = -1, base at v = 0.7;
    # 1 + signed distance to each edge, so the soft edge is one pixel wide
    side = 1 + (u.abs() - 0.56 * (v + 1)) * 0.87
    triangle = torch.maximum(side, 1 + (v - 0.7))
    ring = (disk - 0.72).abs() / 0.28
    levels = torch.stack([disk, square, triangle, ring], 1)  # (N, 4, S, S)
    return levels.gather(1, kind.view(-1, 1, 1, 1).expand(-1, 1, *u.shape[1:]))[:, 0]


def render_scenes(
    labels: torch.Tensor,
    image_size: int,
    generator: torch.Generator,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """Draw one scene per label.

    Args:
        labels: class indices into :data:`SCENE_CLASSES`, shape (N,).
        image_size: side ``S`` of the square images.
        generator: CPU generator for every random choice.
        device: where to render.

    Returns:
        Images (N, 3, S, S) in [0, 1], float32.
    """
    n, s = labels.shape[0], image_size
    g = generator
    u = torch.rand(n, 16, generator=g).to(device)
    labels = labels.to(device)
    kind = labels % len(KINDS)
    in_sky = labels < len(KINDS)
    coords = (torch.arange(s, device=device, dtype=torch.float32) + 0.5) / s
    py, px = torch.meshgrid(coords, coords, indexing="ij")  # (S, S), y down
    py, px = py.expand(n, s, s), px.expand(n, s, s)

    def col(x: torch.Tensor) -> torch.Tensor:  # (N,) -> (N, 1, 1)
        return x.view(n, 1, 1)

    # sky: blue, lighter towards the horizon; ground: textured green or brown
    horizon = 0.5 + 0.1 * (u[:, 0] - 0.5)  # (N,)
    height = (col(horizon) - py).clamp(min=0) / col(horizon)  # 0 at the horizon
    sky_rgb = torch.stack(
        [0.55 - 0.35 * height, 0.75 - 0.3 * height, torch.full_like(height, 0.95)], 1
    ) * (0.8 + 0.2 * u[:, 1]).view(n, 1, 1, 1)  # (N, 3, S, S)
    ground_hue = torch.where(
        u[:, 2] < 0.6, 0.27 + 0.06 * u[:, 3], 0.08 + 0.04 * u[:, 3]
    )
    ground = _hsv_to_rgb(ground_hue, 0.55 + 0.2 * u[:, 4], 0.45 + 0.2 * u[:, 5])
    freq = 2 * math.pi * (3 + 4 * u[:, 6])  # stripes across the ground, slanted
    slope = 0.8 * (u[:, 7] - 0.5)
    stripes = torch.sin(col(freq) * (py + col(slope) * px) + col(6.3 * u[:, 8]))
    shade = 1 + 0.25 * stripes  # (N, S, S)
    ground_rgb = ground.view(n, 3, 1, 1) * shade.unsqueeze(1)
    is_sky = (py < col(horizon)).float().unsqueeze(1)  # (N, 1, S, S)
    img = is_sky * sky_rgb + (1 - is_sky) * ground_rgb

    # a small sun in the sky for half the scenes
    sun_x, sun_y = 0.15 + 0.7 * u[:, 9], 0.12 + 0.15 * u[:, 10]
    sun_r = 0.07 * torch.ones(n, device=device)
    sun = torch.sqrt((px - col(sun_x)) ** 2 + (py - col(sun_y)) ** 2) / col(sun_r)
    sun_alpha = ((1 - sun) * col(sun_r) * s + 0.5).clamp(0, 1)
    sun_alpha = sun_alpha * col((u[:, 11] < 0.5).float())
    sun_rgb = torch.tensor([1.0, 0.9, 0.3], device=device).view(1, 3, 1, 1)
    img = img + sun_alpha.unsqueeze(1) * (sun_rgb - img)

    # the main object: kind and place give the class, hue is typical of the kind
    radius = 0.13 + 0.07 * u[:, 12]
    x = radius + (1 - 2 * radius) * u[:, 13]
    top = radius + 0.02
    sky_y = top + (horizon - radius - top - 0.02).clamp(min=0) * u[:, 14]
    ground_y = (
        horizon
        + radius * 0.6
        + (1 - radius - horizon - radius * 0.6).clamp(min=0) * u[:, 14]
    )
    y = torch.where(in_sky, sky_y, ground_y)
    hue = torch.tensor(_KIND_HUE, device=device)[kind] + _HUE_SPREAD * (
        2 * u[:, 15] - 1
    )
    rgb = _hsv_to_rgb(
        hue % 1.0,
        0.8 * torch.ones(n, device=device),
        0.9 * torch.ones(n, device=device),
    )
    lv = _levels(kind, (px - col(x)) / col(radius), (py - col(y)) / col(radius))
    alpha = ((1 - lv) * col(radius) * s + 0.5).clamp(0, 1).unsqueeze(1)
    img = img + alpha * (rgb.view(n, 3, 1, 1) - img)
    return img.clamp(0, 1)


def make_scenes(
    n: int,
    image_size: int = 32,
    seed: int = 0,
    device: torch.device | str | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """A balanced, shuffled set of scenes and their class labels.

    Args:
        n: number of images (rounded down to a multiple of the 8 classes, at least 8).
        image_size: side ``S``; at least 8 pixels.
        seed: the same seed gives the same images.
        device: where to render and keep the tensors.

    Returns:
        ``(x, y)``: float32 images (N, 3, S, S) in [0, 1] and long labels (N,)
        indexing :data:`SCENE_CLASSES`.

    Raises:
        ValueError: ``n`` below 8 or ``image_size`` below 8.
    """
    k = len(SCENE_CLASSES)
    if n < k:
        raise ValueError(f"make_scenes needs n >= {k} (one per class); got n={n}")
    if image_size < 8:
        raise ValueError(f"image_size must be at least 8 pixels; got {image_size}")
    g = torch.Generator().manual_seed(seed)
    labels = torch.arange(k).repeat_interleave(n // k)
    labels = labels[torch.randperm(labels.shape[0], generator=g)]
    x = render_scenes(labels, image_size, g, device)
    return x, labels.to(device)

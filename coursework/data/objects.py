"""Generated pictures of everyday objects, for self-supervised pretext tasks.

Each image shows one object of 8 kinds (house, tree, mushroom, rocket, car,
boat, snowman, lamp), drawn upright from two to four parts (boxes, ellipses,
triangles, half-disks), over a background with no up or down. The class is
the kind. What each pretext task can learn from it is built in, and where
the signal is:

- **Rotation**: every object stands upright (a roof above its walls, wheels
  under a car) and the background has no direction (its shading runs at a
  random angle), so which way is up can be read only off the object.
- **Jigsaw and relative position**: the parts have a fixed layout, so a tile
  of a roof belongs above a tile of a wall; the background's soft waves
  continue across tile borders, a shortcut that a gap between tiles removes.
- **Colourisation**: each part has a typical hue (green tree crowns, red
  mushroom caps, blue cars) that varies from picture to picture, so colour
  follows from recognising the part, and is not certain.
- **Contrastive learning**: colour jitter and crops leave the shape, which is
  what tells the kinds apart; colour only helps, since hues overlap.

Rendering is vectorised: every pixel is tested against each part's implicit
equation (at most 1 inside) with a one-pixel soft edge, for the whole batch at
once. Objects are mirrored left-right at random.
"""

from __future__ import annotations

import math

import torch

OBJECT_CLASSES = (
    "house",
    "tree",
    "mushroom",
    "rocket",
    "car",
    "boat",
    "snowman",
    "lamp",
)
# part shapes, in a unit frame (U, V) in [-1, 1]^2 with y pointing down
BOX, ELLIPSE, TRIANGLE, DOME, BOWL = range(5)
# (shape, x, y, half-width, half-height, colour role) in object units: the
# object spans [-0.5, 0.5] both ways, y down; role 0 is the main colour
_PARTS = {
    "house": [(BOX, 0, 0.2, 0.34, 0.28, 0), (TRIANGLE, 0, -0.24, 0.44, 0.2, 1)],
    "tree": [(BOX, 0, 0.32, 0.07, 0.18, 1), (ELLIPSE, 0, -0.1, 0.32, 0.34, 0)],
    "mushroom": [(BOX, 0, 0.24, 0.11, 0.24, 1), (DOME, 0, 0.02, 0.46, 0.44, 0)],
    "rocket": [
        (BOX, 0, 0.08, 0.12, 0.32, 0),
        (TRIANGLE, 0, -0.36, 0.12, 0.13, 1),
        (TRIANGLE, 0, 0.34, 0.26, 0.14, 1),
    ],
    "car": [
        (BOX, 0, 0.06, 0.46, 0.13, 0),
        (BOX, -0.05, -0.13, 0.25, 0.08, 0),
        (ELLIPSE, -0.27, 0.24, 0.11, 0.11, 1),
        (ELLIPSE, 0.27, 0.24, 0.11, 0.11, 1),
    ],
    "boat": [
        (BOWL, 0, 0.14, 0.46, 0.22, 0),
        (TRIANGLE, 0.06, -0.17, 0.22, 0.3, 1),
        (BOX, -0.01, -0.12, 0.02, 0.26, 1),
    ],
    "snowman": [(ELLIPSE, 0, 0.2, 0.3, 0.29, 0), (ELLIPSE, 0, -0.3, 0.18, 0.18, 1)],
    "lamp": [
        (BOX, 0, 0.14, 0.05, 0.34, 1),
        (BOX, 0, 0.46, 0.22, 0.04, 1),
        (TRIANGLE, 0, -0.3, 0.3, 0.18, 0),
    ],
}
MAX_PARTS = 4
# typical hue of each kind's two colour roles, in turns of the colour wheel
_HUES = (
    (0.0, 0.05),
    (0.33, 0.08),
    (0.0, 0.12),
    (0.6, 0.0),
    (0.62, 0.0),
    (0.08, 0.0),
    (0.55, 0.15),
    (0.14, 0.75),
)
HUE_SPREAD = 0.12  # uniform spread around the typical hue


def _part_table() -> torch.Tensor:
    """(kinds, MAX_PARTS, 6) part parameters; missing parts are invisibly small."""
    table = torch.tensor([[BOX, 0, 0, 1e-3, 1e-3, 0]] * MAX_PARTS * len(OBJECT_CLASSES))
    table = table.view(len(OBJECT_CLASSES), MAX_PARTS, 6).float()
    for k, kind in enumerate(OBJECT_CLASSES):
        for p, part in enumerate(_PARTS[kind]):
            table[k, p] = torch.tensor(part, dtype=torch.float32)
    return table


def _hsv_to_rgb(h: torch.Tensor, s: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """HSV in [0, 1] (each of shape (...)) to RGB (..., 3): the hexcone formula."""
    k = torch.stack([(5 + 6 * h) % 6, (3 + 6 * h) % 6, (1 + 6 * h) % 6], -1)
    t = torch.minimum(k, 4 - k).clamp(0, 1)
    return v[..., None] - v[..., None] * s[..., None] * t


def _level(shape: torch.Tensor, u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Implicit part shapes in their unit frame (<= 1 inside), one shape per image.

    Args:
        shape: (N,) index of BOX, ELLIPSE, TRIANGLE (apex up), DOME (flat side
            down) or BOWL (flat side up).
        u, v: (N, S, S) pixel coordinates in the part's frame.
    """
    radial = torch.sqrt(u**2 + v**2)
    levels = torch.stack(
        [
            torch.maximum(u.abs(), v.abs()),
            radial,
            torch.maximum(v, 1 + u.abs() - (v + 1) / 2),  # apex at v = -1
            torch.maximum(radial, 1 + v),
            torch.maximum(radial, 1 - v),
        ],
        1,
    )  # (N, 5, S, S)
    index = shape.long().view(-1, 1, 1, 1).expand(-1, 1, *u.shape[1:])
    return levels.gather(1, index)[:, 0]


def render_objects(
    labels: torch.Tensor,
    image_size: int,
    generator: torch.Generator,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """Draw one picture per label.

    Args:
        labels: class indices into :data:`OBJECT_CLASSES`, shape (N,).
        image_size: side ``S`` of the square images.
        generator: CPU generator for every random choice.
        device: where to render.

    Returns:
        Images (N, 3, S, S) in [0, 1], float32.
    """
    n, s = labels.shape[0], image_size
    r = torch.rand(n, 17, generator=generator).to(device)
    labels = labels.to(device)
    coords = (torch.arange(s, device=device, dtype=torch.float32) + 0.5) / s
    py, px = torch.meshgrid(coords, coords, indexing="ij")  # (S, S), y down
    py, px = py.expand(n, s, s), px.expand(n, s, s)

    def col(x: torch.Tensor) -> torch.Tensor:  # (N,) -> (N, 1, 1)
        return x.view(n, 1, 1)

    def along(angle: torch.Tensor) -> torch.Tensor:  # position along a direction
        return (px - 0.5) * col(angle.cos()) + (py - 0.5) * col(angle.sin())

    # background: a pale colour, shaded along a random direction, soft waves
    shade = 0.25 * along(2 * math.pi * r[:, 0])
    waves = torch.sin(
        2 * math.pi * col(2 + 3 * r[:, 2]) * along(2 * math.pi * r[:, 1])
        + col(2 * math.pi * r[:, 3])
    )
    value = (col(0.35 + 0.4 * r[:, 4]) + shade + 0.06 * waves).clamp(0.05, 1)
    pale = _hsv_to_rgb(r[:, 5], 0.15 + 0.2 * r[:, 6], torch.ones(n, device=device))
    img = pale.view(n, 3, 1, 1) * value.unsqueeze(1)  # (N, 3, S, S)

    # the object: size, place, mirror, and two colours near its kind's hues
    size = 0.6 + 0.25 * r[:, 7]
    cx = 0.5 + 0.45 * (1 - size) * (2 * r[:, 8] - 1)
    cy = 0.5 + 0.45 * (1 - size) * (2 * r[:, 9] - 1)
    mirror = torch.where(r[:, 10] < 0.5, -1.0, 1.0)
    hues = torch.tensor(_HUES, device=device)[labels] + HUE_SPREAD * (
        2 * r[:, 11:13] - 1
    )  # (N, 2)
    colours = _hsv_to_rgb(
        hues % 1.0, 0.5 + 0.4 * r[:, 13:15], 0.55 + 0.4 * r[:, 15:17]
    )  # (N, 2, 3)
    parts = _part_table().to(device)[labels]  # (N, MAX_PARTS, 6)
    for p in range(MAX_PARTS):
        shape, x, y, half_w, half_h, role = parts[:, p].unbind(1)
        u = ((px - col(cx)) / col(size) * col(mirror) - col(x)) / col(half_w)
        v = ((py - col(cy)) / col(size) - col(y)) / col(half_h)
        edge = col(torch.minimum(half_w, half_h) * size * s)  # pixels per unit
        alpha = ((1 - _level(shape, u, v)) * edge + 0.5).clamp(0, 1).unsqueeze(1)
        rgb = colours.gather(1, role.long().view(n, 1, 1).expand(-1, 1, 3))[:, 0]
        img = img + alpha * (rgb.view(n, 3, 1, 1) - img)
    return img.clamp(0, 1)


def make_objects(
    n: int,
    image_size: int = 32,
    seed: int = 0,
    device: torch.device | str | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """A balanced, shuffled set of object pictures and their class labels.

    Args:
        n: number of images (rounded down to a multiple of the 8 classes, at least 8).
        image_size: side ``S``; at least 8 pixels.
        seed: the same seed gives the same images.
        device: where to render and keep the tensors.

    Returns:
        ``(x, y)``: float32 images (N, 3, S, S) in [0, 1] and long labels (N,)
        indexing :data:`OBJECT_CLASSES`.

    Raises:
        ValueError: ``n`` below 8 or ``image_size`` below 8.
    """
    k = len(OBJECT_CLASSES)
    if n < k:
        raise ValueError(f"make_objects needs n >= {k} (one per class); got n={n}")
    if image_size < 8:
        raise ValueError(f"image_size must be at least 8 pixels; got {image_size}")
    g = torch.Generator().manual_seed(seed)
    labels = torch.arange(k).repeat_interleave(n // k)
    labels = labels[torch.randperm(labels.shape[0], generator=g)]
    x = render_objects(labels, image_size, g, device)
    return x, labels.to(device)

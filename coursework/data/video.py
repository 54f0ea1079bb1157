"""Video data: synthetic actions, moving digits, untrimmed videos, and UCF-101.

The synthetic action videos are built so that time is *needed* for some
classes. Each motion-defined pair (move left / right, rotate clockwise /
anticlockwise, grow / shrink) is one class and its time reversal: a clip of
the second class is a clip of the first, played backwards, drawn from the same
distribution. Reversal does not change the set of frames, so any model that
sees frames as an unordered bag (a single-frame CNN averaged over frames,
late fusion with pooling) is at chance within each pair, while shape alone
tells the pairs and the appearance classes (bounce, still) apart.

Moving digits follow Srivastava et al., "Unsupervised Learning of Video
Representations using LSTMs" (2015, arXiv:1502.04681): two digits bounce inside
a frame. Untrimmed videos hold several action segments separated by empty
frames, for temporal localisation. UCF-101 (Soomro et al., 2012,
arXiv:1212.0402) is read from its files by :mod:`coursework.data.ucf101`;
:func:`choose_video_dataset` picks it only where the files are (or it is asked
for), so every profile runs without a manual download.

Videos are uint8 tensors (N, L, 3, S, S) to keep memory low; divide by 255
for models.
"""

from __future__ import annotations

import math
from pathlib import Path

import torch
import torch.nn.functional as F

from coursework.data.digits import load_digits
from coursework.data.real import DatasetError, DatasetUnavailable
from coursework.data.ucf101 import DOWNLOAD_HINT as HINT
from coursework.runtime import Profile

CLASSES = (
    "move right",
    "move left",
    "rotate clockwise",
    "rotate anticlockwise",
    "grow",
    "shrink",
    "bounce",
    "still",
)
# (class, its time reversal): identical bags of frames, opposite motion.
MOTION_PAIRS = ((0, 1), (2, 3), (4, 5))
MOTION_CLASSES = tuple(c for pair in MOTION_PAIRS for c in pair)
APPEARANCE_CLASSES = (6, 7)
# Shape drawn for each class: the pairs share a shape, so only motion tells them apart.
_SHAPE_OF_CLASS = (0, 0, 1, 1, 2, 2, 3, 4)  # disk, hand, square, ring, cross
PALETTE = torch.tensor(
    [[1.0, 0.35, 0.3], [0.3, 1.0, 0.4], [0.35, 0.55, 1.0], [1.0, 0.85, 0.2]]
)


def _levels(shape: int, u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Implicit shape in its unit frame: <= 1 inside. ``u, v`` are any shape."""
    if shape == 0:  # disk
        return torch.sqrt(u**2 + v**2)
    if shape == 1:  # clock hand: a bar from the centre along +u, a dot at its tip
        bar = torch.maximum((u - 0.5).abs() / 0.5, v.abs() / 0.18)
        dot = torch.sqrt((u - 1.0) ** 2 + v**2) / 0.35
        return torch.minimum(bar, dot)
    if shape == 2:  # square
        return torch.maximum(u.abs(), v.abs())
    if shape == 3:  # ring
        return (torch.sqrt(u**2 + v**2) - 0.7).abs() / 0.3
    arm_a = torch.maximum(u.abs(), v.abs() / 0.3)  # cross
    arm_b = torch.maximum(u.abs() / 0.3, v.abs())
    return torch.minimum(arm_a, arm_b)


def _trajectories(
    labels: torch.Tensor, length: int, g: torch.Generator
) -> dict[str, torch.Tensor]:
    """Forward-time parameters per clip and frame: x, y, angle, radius (N, L) each."""
    n = labels.shape[0]
    u = torch.rand(n, 6, generator=g)
    t = torch.linspace(0.0, 1.0, length).view(1, length)  # (1, L), video time in [0, 1]
    x = (0.35 + 0.3 * u[:, 0:1]).expand(n, length).clone()
    y = (0.35 + 0.3 * u[:, 1:2]).expand(n, length).clone()
    angle = (2 * math.pi * u[:, 2:3]).expand(n, length).clone()
    radius = (0.17 + 0.05 * u[:, 3:4]).expand(n, length).clone()
    pair = torch.div(labels, 2, rounding_mode="floor").view(n, 1)
    # translation: travel 0.3-0.45 of the width to the right (y down, x right)
    travel = 0.3 + 0.15 * u[:, 4:5]
    x0 = 0.22 + (0.56 - travel) * u[:, 0:1]
    x = torch.where(pair == 0, x0 + travel * t, x)
    # rotation: the angle grows by 0.6-1 turn; with y pointing down that is clockwise
    turn = 2 * math.pi * (0.6 + 0.4 * u[:, 4:5])
    angle = torch.where(pair == 1, angle + turn * t, angle)
    radius = torch.where(pair == 1, torch.full_like(radius, 0.27), radius)
    x = torch.where(pair == 1, 0.45 + 0.1 * u[:, 0:1], x)
    y = torch.where(pair == 1, 0.45 + 0.1 * u[:, 1:2], y)
    # scale: the radius grows by a factor 2-3 (log-linear)
    ratio = 2.0 + u[:, 4:5]
    r0 = 0.11 + 0.02 * u[:, 3:4]
    radius = torch.where(pair == 2, r0 * ratio**t, radius)
    # bounce: |sin| path up and down, 1.5-2.5 bounces per video
    bounces = 1.5 + u[:, 5:6]
    hop = 0.72 - 0.4 * torch.sin(math.pi * bounces * t).abs()
    y = torch.where(labels.view(n, 1) == 6, hop, y)
    return {"x": x, "y": y, "angle": angle, "radius": radius}


def render_actions(
    labels: torch.Tensor,
    length: int,
    frame_size: int,
    generator: torch.Generator,
    device: torch.device | str | None = None,
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Draw one video per label, with its trajectory (before time reversal).

    Args:
        labels: class indices into :data:`CLASSES`, shape (N,).
        length: frames per video ``L``.
        frame_size: side ``S``.
        generator: CPU generator for the random parameters.
        device: where to render.

    Returns:
        ``(videos, params)``: uint8 videos (N, L, 3, S, S) and the trajectories
        (N, L) as shown, i.e. already reversed for the reversed class of a pair.
    """
    if length < 2:
        raise ValueError(f"videos need at least 2 frames to show motion; got {length}")
    n, s = labels.shape[0], frame_size
    params = _trajectories(labels.cpu(), length, generator)
    colour = PALETTE[torch.randint(len(PALETTE), (n,), generator=generator)]
    # the second class of each pair is the first one played backwards
    reverse = torch.zeros(n, dtype=torch.bool)
    for _, backwards in MOTION_PAIRS:
        reverse |= labels.cpu() == backwards
    params = {
        k: torch.where(reverse.view(n, 1), v.flip(1), v) for k, v in params.items()
    }
    params = {k: v.to(device) for k, v in params.items()}
    labels = labels.to(device)
    coords = (torch.arange(s, device=device, dtype=torch.float32) + 0.5) / s
    py, px = torch.meshgrid(coords, coords, indexing="ij")  # (S, S)
    dx = px.view(1, 1, s, s) - params["x"].view(n, length, 1, 1)  # (N, L, S, S)
    dy = py.view(1, 1, s, s) - params["y"].view(n, length, 1, 1)
    theta = params["angle"].view(n, length, 1, 1)
    radius = params["radius"].view(n, length, 1, 1)
    # rotate pixel offsets by -theta into the shape's frame, in units of its radius
    u = (torch.cos(theta) * dx + torch.sin(theta) * dy) / radius
    v = (-torch.sin(theta) * dx + torch.cos(theta) * dy) / radius
    level = torch.full_like(u, 2.0)
    shape_of = torch.tensor(_SHAPE_OF_CLASS, device=device)[labels]  # (N,)
    for shape in range(5):
        rows = shape_of == shape
        if rows.any():
            level[rows] = _levels(shape, u[rows], v[rows])
    edge = radius * s  # pixels per unit, for a one-pixel soft edge
    alpha = ((1.0 - level) * edge + 0.5).clamp(0.0, 1.0)  # (N, L, S, S)
    rgb = alpha.unsqueeze(2) * colour.to(device).view(n, 1, 3, 1, 1)  # (N,L,3,S,S)
    return (rgb * 255).round().to(torch.uint8), params


def make_actions(
    n_per_class: int,
    length: int,
    frame_size: int = 32,
    seed: int = 0,
    device: torch.device | str | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """A balanced, shuffled synthetic action dataset.

    Args:
        n_per_class: videos of each of the 8 classes.
        length: frames per video ``L``.
        frame_size: side ``S`` of a frame.
        seed: seed of the generator; the same seed gives the same videos.
        device: where to render and keep the tensors.

    Returns:
        ``(videos, labels)``: uint8 (N, L, 3, S, S) and long (N,), ``N = 8 n``.
    """
    if n_per_class < 1:
        raise ValueError(f"n_per_class must be >= 1; got {n_per_class}")
    g = torch.Generator().manual_seed(seed)
    labels = torch.arange(len(CLASSES)).repeat_interleave(n_per_class)
    labels = labels[torch.randperm(labels.shape[0], generator=g)]
    videos, _ = render_actions(labels, length, frame_size, g, device)
    return videos, labels.to(device)


def make_forks(
    n: int,
    length: int,
    wait: int,
    frame_size: int = 32,
    speed: float = 0.08,
    seed: int = 0,
    device: torch.device | str | None = None,
    direction: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """A disk that rests, then rolls left or right: a future that may go either way.

    For frames ``0 .. wait - 1`` the disk stands still; from frame ``wait``
    on it moves ``speed`` of the width per frame, to the left or to the
    right with equal chance. The rest shows nothing of the direction, so a
    predictor that sees only resting frames cannot know it (the blurry mean
    of Mathieu, Couprie & LeCun, ICLR 2016, arXiv:1511.05440).

    ``direction`` (N,) of 0s and 1s, when given, replaces the random
    directions and keeps everything else of the clips (the same seed draws
    the same disks): the clips as they would have gone the other way.

    Returns:
        ``(videos, direction)``: uint8 (N, L, 3, S, S) and long (N,), 0 for
        left and 1 for right.
    """
    if not 1 <= wait < length:
        raise ValueError(f"wait must be in [1, length - 1]; got {wait} of {length}")
    g = torch.Generator().manual_seed(seed)
    drawn = torch.randint(0, 2, (n,), generator=g)
    if direction is not None:
        if direction.shape != (n,) or not ((direction == 0) | (direction == 1)).all():
            raise ValueError("direction must be (n,) of 0s (left) and 1s (right)")
        drawn = direction.cpu().long()
    direction = drawn
    colour = PALETTE[torch.randint(len(PALETTE), (n,), generator=g)]
    x0 = 0.45 + 0.1 * torch.rand(n, 1, generator=g)
    y = 0.3 + 0.4 * torch.rand(n, 1, generator=g)
    radius = 0.12 + 0.03 * torch.rand(n, 1, generator=g)
    moved = (torch.arange(length).view(1, length) - wait + 1).clamp(min=0)  # (1, L)
    x = x0 + (2 * direction.view(n, 1) - 1) * speed * moved  # (N, L)
    s = frame_size
    coords = (torch.arange(s, dtype=torch.float32) + 0.5) / s
    dx = coords.view(1, 1, 1, s) - x.view(n, length, 1, 1)
    dy = coords.view(1, 1, s, 1) - y.view(n, 1, 1, 1)
    dist = torch.sqrt(dx**2 + dy**2) / radius.view(n, 1, 1, 1)
    alpha = ((1.0 - dist) * radius.view(n, 1, 1, 1) * s + 0.5).clamp(0.0, 1.0)
    rgb = alpha.unsqueeze(2) * colour.view(n, 1, 3, 1, 1)
    videos = (rgb * 255).round().to(torch.uint8)
    return videos.to(device), direction.to(device)


def make_tracking_clips(
    n: int,
    length: int,
    frame_size: int = 32,
    n_objects: int = 2,
    seed: int = 0,
    device: torch.device | str | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Several coloured shapes drifting, spinning and bouncing, with their masks.

    For tracking by colourisation (Vondrick et al., "Tracking Emerges by
    Colorizing Videos", ECCV 2018, arXiv:1806.09594): each object of a clip
    has its own colour from :data:`PALETTE` and its own shape, so telling
    which object a grey pixel belongs to is what copying its colour asks. An
    object moves at a constant velocity (0.5 to 1 pixel per frame at side 32,
    in proportion otherwise), reflected at the borders, and spins at a
    constant rate; later objects are drawn over earlier ones.

    Args:
        n: number of clips.
        length: frames per clip ``L``.
        frame_size: side ``S``.
        n_objects: objects per clip ``K``, at most ``len(PALETTE)`` (distinct
            colours).
        seed: seed of the generator; the same seed gives the same clips.
        device: where to render and keep the tensors.

    Returns:
        ``(videos, masks)``: uint8 videos (N, L, 3, S, S) and long label maps
        (N, L, S, S): 0 for the background, ``k + 1`` where object ``k`` is
        the one most visible, among pixels that objects cover at least half of.
    """
    if not 1 <= n_objects <= len(PALETTE):
        raise ValueError(
            f"n_objects must be between 1 and {len(PALETTE)} (one palette colour "
            f"each); got {n_objects}"
        )
    if n < 1 or length < 1:
        raise ValueError(f"need n >= 1 and length >= 1; got n={n}, length={length}")
    g = torch.Generator().manual_seed(seed)
    k, s = n_objects, frame_size
    shapes = torch.randint(5, (n, k), generator=g)
    colours = torch.stack(
        [torch.randperm(len(PALETTE), generator=g)[:k] for _ in range(n)]
    )
    u = torch.rand(n, k, 7, generator=g)
    radius = (0.13 + 0.04 * u[..., 0]).view(n, 1, k)
    heading = 2 * math.pi * u[..., 1]
    speed = (0.5 + 0.5 * u[..., 2]) / 32  # of the width per frame
    lo, hi = 0.18, 0.82  # where a centre may go
    t = torch.arange(length, dtype=torch.float32).view(1, length, 1)
    free_x = (
        lo
        + (hi - lo) * u[..., 3].unsqueeze(1)
        + (speed * torch.cos(heading)).unsqueeze(1) * t
    )
    free_y = (
        lo
        + (hi - lo) * u[..., 4].unsqueeze(1)
        + (speed * torch.sin(heading)).unsqueeze(1) * t
    )

    def reflect(z: torch.Tensor) -> torch.Tensor:  # a triangle wave into [lo, hi]
        phase = torch.remainder(z - lo, 2 * (hi - lo))
        return lo + torch.where(phase > hi - lo, 2 * (hi - lo) - phase, phase)

    x, y = reflect(free_x), reflect(free_y)  # (N, L, K)
    spin = (u[..., 5] - 0.5) * 0.3  # radians per frame
    angle = 2 * math.pi * u[..., 6].unsqueeze(1) + spin.unsqueeze(1) * t
    coords = (torch.arange(s, dtype=torch.float32) + 0.5) / s
    py, px = torch.meshgrid(coords, coords, indexing="ij")
    dx = px - x[..., None, None]  # (N, L, K, S, S)
    dy = py - y[..., None, None]
    theta = angle[..., None, None]
    r = radius[..., None, None]
    cu = (torch.cos(theta) * dx + torch.sin(theta) * dy) / r
    cv = (-torch.sin(theta) * dx + torch.cos(theta) * dy) / r
    level = torch.full_like(cu, 2.0)
    which_shape = shapes.view(n, 1, k).expand(n, length, k)
    for shape in range(5):
        rows = which_shape == shape  # (N, L, K): only these objects are drawn so
        if rows.any():
            level[rows] = _levels(shape, cu[rows], cv[rows])
    alpha = ((1.0 - level) * r * s + 0.5).clamp(0.0, 1.0)  # (N, L, K, S, S)
    # painter's order: what object k shows is its alpha times what covers it
    above = torch.ones_like(alpha[:, :, :1])
    visible = []
    for j in reversed(range(k)):
        visible.append(alpha[:, :, j : j + 1] * above)
        above = above * (1 - alpha[:, :, j : j + 1])
    visible = torch.cat(visible[::-1], 2)  # (N, L, K, S, S)
    rgb = (visible.unsqueeze(3) * PALETTE[colours].view(n, 1, k, 3, 1, 1)).sum(2)
    videos = (rgb.clamp(0, 1) * 255).round().to(torch.uint8)
    which = visible.argmax(2)  # the object most of a pixel shows
    covered = visible.sum(2) >= 0.5
    masks = torch.where(covered, which + 1, torch.zeros_like(which))
    return videos.to(device), masks.to(device)


def make_moving_digits(
    n: int,
    length: int,
    frame_size: int = 32,
    digit_size: int = 12,
    seed: int = 0,
    device: torch.device | str | None = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Two embedded digits moving at constant speed, bouncing off the borders.

    Returns:
        ``(videos, digits, flow, valid)``: float videos (N, L, 1, S, S) in
        [0, 1]; the two digit labels (N, 2); the true flow (N, L, 2, S, S),
        the displacement (dx, dy) in pixels of each digit pixel from frame t
        to frame t + 1 (zero elsewhere); and ``valid`` (N, L, 1, S, S), the
        pixels where exactly one digit is visible, where the flow is defined.
    """
    g = torch.Generator().manual_seed(seed)
    images, labels = load_digits("all", digit_size)
    pick = torch.randint(images.shape[0], (n, 2), generator=g)
    room = frame_size - digit_size  # top-left corner range [0, room]
    start = torch.rand(n, 2, 2, generator=g) * room  # (N, digit, xy)
    speed = 0.6 + 0.8 * torch.rand(n, 2, 1, generator=g)
    heading = 2 * math.pi * torch.rand(n, 2, 1, generator=g)
    vel = speed * torch.cat([torch.cos(heading), torch.sin(heading)], -1)  # (N, 2, 2)
    t = torch.arange(length + 1, dtype=torch.float32).view(1, length + 1, 1, 1)
    free = start.unsqueeze(1) + vel.unsqueeze(1) * t  # (N, L+1, digit, xy)
    # reflect into [0, room]: a triangle wave of period 2 room
    phase = torch.remainder(free, 2 * room)
    pos = torch.where(phase > room, 2 * room - phase, phase)
    step = pos[:, 1:] - pos[:, :-1]  # (N, L, digit, xy): displacement to frame t + 1
    pos = pos[:, :-1]
    # paste each digit at a sub-pixel position via grid_sample
    d = digit_size
    coords = torch.arange(frame_size, dtype=torch.float32)  # pixel index
    gx = coords.view(1, 1, 1, 1, frame_size) - pos[..., 0, None, None]  # (N,L,2,1,S)
    gy = coords.view(1, 1, 1, frame_size, 1) - pos[..., 1, None, None]  # (N,L,2,S,1)
    grid = torch.stack(
        torch.broadcast_tensors((gx + 0.5) / d * 2 - 1, (gy + 0.5) / d * 2 - 1), -1
    )  # (N, L, 2, S, S, 2) in the digit's normalised coordinates
    src = images[pick].view(n, 1, 2, 1, d, d).expand(n, length, 2, 1, d, d)
    ink = F.grid_sample(
        src.reshape(-1, 1, d, d),
        grid.reshape(-1, frame_size, frame_size, 2),
        mode="bilinear",
        padding_mode="zeros",
        align_corners=False,
    ).view(n, length, 2, frame_size, frame_size)
    videos = ink.amax(2, keepdim=True).clamp(0, 1)  # (N, L, 1, S, S)
    owner = ink.argmax(2)  # (N, L, S, S): the brighter digit at each pixel
    flow = step.gather(2, owner.flatten(2).unsqueeze(-1).expand(-1, -1, -1, 2))
    flow = flow.view(n, length, frame_size, frame_size, 2).permute(0, 1, 4, 2, 3)
    visible = ink > 0.3  # (N, L, 2, S, S)
    valid = (visible.sum(2, keepdim=True) == 1) & (ink.sum(2, keepdim=True) > 0.3)
    flow = flow * (ink.amax(2, keepdim=True) > 0.05)  # zero on the background
    return videos.to(device), labels[pick].to(device), flow.to(device), valid.to(device)


def make_untrimmed(
    n: int,
    length: int,
    frame_size: int = 32,
    max_segments: int = 3,
    min_segment: int = 8,
    seed: int = 0,
    device: torch.device | str | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Long videos with action segments separated by empty frames.

    The timeline is cut into ``max_segments`` equal slots; each slot holds one
    segment with probability 0.8 (at least one per video), of random length
    between ``min_segment`` and 90% of the slot, at a random offset.

    Returns:
        ``(videos, segments)``: uint8 videos (N, L, 3, S, S) and segments
        (N, max_segments, 3) as (start, end, class) with ``end`` exclusive;
        rows of absent segments are (-1, -1, -1).
    """
    slot = length // max_segments
    if int(0.9 * slot) < min_segment:
        raise ValueError(
            f"length {length} is too short for {max_segments} segments of at least "
            f"{min_segment} frames; use a longer video or fewer segments"
        )
    g = torch.Generator().manual_seed(seed)
    k = max_segments
    present = torch.rand(n, k, generator=g) < 0.8
    present[torch.arange(n), torch.randint(k, (n,), generator=g)] = True
    longest = int(0.9 * slot)
    seg_len = torch.randint(min_segment, longest + 1, (n, k), generator=g)
    offset = (torch.rand(n, k, generator=g) * (slot - seg_len + 1)).long()
    start = torch.arange(k).view(1, k) * slot + offset
    cls = torch.randint(len(CLASSES), (n, k), generator=g)
    clips, _ = render_actions(cls.flatten(), longest, frame_size, g)
    clips = clips.view(n, k, longest, 3, frame_size, frame_size)
    # which segment covers frame t, and which of its frames it shows
    t = torch.arange(length).view(1, 1, length)
    inside = (t >= start[..., None]) & (t < (start + seg_len)[..., None])
    inside &= present[..., None]  # (N, K, L)
    covered = inside.any(1)  # (N, L)
    seg = inside.float().argmax(1)  # (N, L)
    frame = (t[:, 0] - start.gather(1, seg)).clamp(0, longest - 1)  # (N, L)
    videos = clips[torch.arange(n).view(n, 1), seg, frame]  # (N, L, 3, S, S)
    videos = videos * covered.view(n, length, 1, 1, 1).to(videos.dtype)
    segments = torch.stack([start, start + seg_len, cls], -1)  # (N, K, 3)
    segments = torch.where(present[..., None], segments, torch.full_like(segments, -1))
    return videos.to(device), segments.to(device)


def choose_video_dataset(profile: Profile, root: str | Path | None = None) -> str:
    """``"ucf101"`` or ``"synthetic"`` for this profile; prints one line saying which.

    ``video_dataset="auto"`` (the ``gpu`` profile) takes UCF-101 where its files
    are and the generated actions otherwise, so no profile stops for a manual
    download. Asking for ``ucf101`` explicitly, e.g. ``setup(video_dataset=
    "ucf101")``, fails with instructions when the files are missing.

    Args:
        profile: the notebook's profile.
        root: the UCF-101 folder (default: ``<data_dir>/ucf101``), holding
            ``UCF-101/`` and ``ucfTrainTestlist/``.
    """
    from coursework.runtime import data_dir

    folder = Path(root) if root is not None else data_dir() / "ucf101"
    wanted = profile.video_dataset
    if wanted not in ("auto", "synthetic", "ucf101"):
        raise DatasetError(
            f"Unknown video dataset {wanted!r}; use 'synthetic', 'ucf101' or 'auto'."
        )
    present = (folder / "UCF-101").is_dir() and (
        folder / "ucfTrainTestlist" / "classInd.txt"
    ).is_file()
    if wanted == "ucf101" and not present:
        raise DatasetUnavailable(f"UCF-101 was asked for; not in {folder}. {HINT}")
    if wanted == "ucf101" or (wanted == "auto" and present):
        print(
            f"video data: UCF-101 from {folder} (generated actions instead: "
            "setup(video_dataset='synthetic'))"
        )
        return "ucf101"
    print(
        f"video data: generated actions, {profile.n_videos} clips per class "
        f"(UCF-101 instead: unpack it into {folder}, see README)"
    )
    return "synthetic"

"""Generated audio-visual clips: what is heard is caused by what is seen.

Each clip shows one *sounding* object that moves at constant speed and
bounces off the walls of the frame. Every bounce is a visible event and an
audible onset: a short decaying tone whose timbre and pitch belong to the
object's kind (a sine for the circle, odd harmonics for the square, a
sawtooth-like stack for the triangle, inharmonic bell partials for the
cross), and whose loudness grows with the object's size and its speed into
the wall. Half of the clips (by default) add a second, *silent* distractor of
another kind, so that "where is the sound coming from?" has one right answer
per frame; the sounding object's centre is recorded for every frame.

Two attributes belong to one modality only: the ``register`` (the tones are
played one octave up or not: heard, not seen) and the ``scene`` (the
background tint: seen, not heard). Their combination is a label that needs
both modalities, as in the modality ablation of Alayrac et al.,
*Self-Supervised MultiModal Versatile Networks* (2020, arXiv:2006.16228).

Everything is generated in batches with tensor operations: positions follow a
triangle wave (reflection off the walls), bounce times are solved in closed
form, and the soundtrack is an impulse train convolved with each kind's tone
(an FFT convolution).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import torch

KINDS = ("circle", "square", "triangle", "cross")
# Fundamental in Hz of each kind (before the register's octave).
PITCH = (196.0, 247.0, 294.0, 349.0)
# (frequency ratio, amplitude) of each kind's partials, and its decay time in s.
PARTIALS = (
    ((1.0, 1.0),),
    ((1.0, 1.0), (3.0, 0.33), (5.0, 0.2)),
    ((1.0, 1.0), (2.0, 0.5), (3.0, 0.33), (4.0, 0.25), (5.0, 0.2), (6.0, 0.17)),
    ((1.0, 1.0), (2.76, 0.6), (5.40, 0.4)),
)
DECAY = (0.25, 0.15, 0.1, 0.3)
COLOURS = ("red", "green", "blue", "yellow")
PALETTE = torch.tensor(
    [[1.0, 0.3, 0.25], [0.3, 0.95, 0.35], [0.35, 0.5, 1.0], [1.0, 0.85, 0.2]]
)
SCENES = ("indoors", "outdoors")
BACKGROUND = torch.tensor([[0.12, 0.12, 0.12], [0.05, 0.22, 0.12]])
REGISTERS = ("low", "high")
RADIUS = (0.1, 0.16)  # range of object radii, in frame widths
SPEED = (0.8, 1.6)  # range of speeds, frame widths per second


@dataclass
class AudioVisualClips:
    """A batch of generated clips and the ground truth of everything in them.

    Attributes:
        videos: uint8 frames (N, T, 3, S, S).
        audio: float32 waveforms (N, L), ``L = T * sample_rate / fps``.
        kind: kind of the sounding object, index into :data:`KINDS` (N,).
        register: 0 low, 1 high (one octave up) (N,).
        scene: background, index into :data:`SCENES` (N,).
        colour: colour of the sounding object, index into :data:`COLOURS` (N,).
        position: the sounding object's centre (x, y) in [0, 1] per frame
            (N, T, 2); x to the right, y down.
        radius: the sounding object's radius in frame widths (N,).
        distractor: whether a silent second object is drawn (N,).
        distractor_kind: its kind, or -1 (N,).
        distractor_position: its centre per frame, NaN without one (N, T, 2).
        onsets: bounce times in seconds, padded with NaN (N, E).
        amplitude: the loudness of each bounce, 0 for padding (N, E).
        captions: one templated sentence per clip.
        sample_rate: audio samples per second.
        fps: video frames per second.
    """

    videos: torch.Tensor
    audio: torch.Tensor
    kind: torch.Tensor
    register: torch.Tensor
    scene: torch.Tensor
    colour: torch.Tensor
    position: torch.Tensor
    radius: torch.Tensor
    distractor: torch.Tensor
    distractor_kind: torch.Tensor
    distractor_position: torch.Tensor
    onsets: torch.Tensor
    amplitude: torch.Tensor
    captions: list[str]
    sample_rate: int
    fps: float

    def __len__(self) -> int:
        return self.videos.shape[0]

    @property
    def label(self) -> torch.Tensor:
        """The two-modality label ``2 * scene + register`` in {0, 1, 2, 3} (N,)."""
        return 2 * self.scene + self.register

    def subset(self, index: torch.Tensor | slice) -> AudioVisualClips:
        """The clips at ``index`` (a slice, or a long or bool tensor)."""
        out = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, torch.Tensor):
                out[f.name] = v[index.to(v.device) if torch.is_tensor(index) else index]
            elif isinstance(v, list):
                idx = range(len(v))[index] if isinstance(index, slice) else index
                if torch.is_tensor(idx):
                    idx = idx.nonzero()[:, 0] if idx.dtype == torch.bool else idx
                    idx = idx.tolist()
                out[f.name] = [v[i] for i in idx]
            else:
                out[f.name] = v
        return AudioVisualClips(**out)

    def to(self, device: torch.device | str | None) -> AudioVisualClips:
        """The same clips with every tensor on ``device``."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        for k, v in out.items():
            if isinstance(v, torch.Tensor):
                out[k] = v.to(device)
        return AudioVisualClips(**out)


def _levels(kind: int, u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Implicit shape ``kind`` in units of the radius: <= 1 inside."""
    if kind == 0:  # circle
        return torch.sqrt(u**2 + v**2)
    if kind == 1:  # square
        return torch.maximum(u.abs(), v.abs()) / 0.85
    if kind == 2:  # upward triangle: three half-planes at distance 0.5 from the centre
        slant = torch.maximum(0.866 * u + 0.5 * v, -0.866 * u + 0.5 * v)
        return torch.maximum(-v, slant) / 0.5
    arm_a = torch.maximum(u.abs(), v.abs() / 0.35)  # cross
    arm_b = torch.maximum(u.abs() / 0.35, v.abs())
    return torch.minimum(arm_a, arm_b)


def _reflect(free: torch.Tensor, room: torch.Tensor) -> torch.Tensor:
    """Fold an unbounded coordinate into [0, room]: a triangle wave of period 2 room."""
    phase = torch.remainder(free, 2 * room)
    return torch.where(phase > room, 2 * room - phase, phase)


def _motion(
    n: int, g: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Random radius (N,), start (N, 2) in [r, 1 - r] and velocity (N, 2)."""
    radius = RADIUS[0] + (RADIUS[1] - RADIUS[0]) * torch.rand(n, generator=g)
    room = (1 - 2 * radius).view(n, 1)
    start = radius.view(n, 1) + room * torch.rand(n, 2, generator=g)
    speed = SPEED[0] + (SPEED[1] - SPEED[0]) * torch.rand(n, 1, generator=g)
    heading = 2 * math.pi * torch.rand(n, 1, generator=g)
    velocity = speed * torch.cat([torch.cos(heading), torch.sin(heading)], 1)
    return radius, start, velocity


def positions(
    radius: torch.Tensor, start: torch.Tensor, velocity: torch.Tensor, t: torch.Tensor
) -> torch.Tensor:
    """Centres (N, len(t), 2) at times ``t`` (seconds) of objects bouncing in [0, 1]."""
    room = (1 - 2 * radius).view(-1, 1, 1)
    free = (start - radius.view(-1, 1)).unsqueeze(1) + velocity.unsqueeze(1) * t.view(
        1, -1, 1
    )  # (N, T, 2), unfolded
    return radius.view(-1, 1, 1) + _reflect(free, room)


def bounce_times(
    radius: torch.Tensor,
    start: torch.Tensor,
    velocity: torch.Tensor,
    duration: float,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Times of the wall hits within ``[0, duration)`` and the speed into the wall.

    Along one axis the unfolded coordinate ``u(t) = u0 + v t`` hits a wall
    whenever it crosses a multiple of ``room = 1 - 2 r``; the first hit is at
    ``(room - u0) / v`` for ``v > 0`` and ``u0 / |v|`` otherwise, then one every
    ``room / |v|`` seconds.

    Returns:
        ``(times, speed)``, both (N, E), sorted in time; padding is NaN / 0.
    """
    n = radius.shape[0]
    room = (1 - 2 * radius).view(n, 1)
    u0 = start - radius.view(n, 1)  # (N, 2) in [0, room]
    vabs = velocity.abs().clamp_min(1e-6)
    first = torch.where(velocity > 0, room - u0, u0) / vabs  # (N, 2)
    most = int(math.ceil(duration * SPEED[1] / (1 - 2 * RADIUS[1]))) + 1
    m = torch.arange(most, dtype=first.dtype).view(1, 1, most)
    times = first.unsqueeze(-1) + m * (room / vabs).unsqueeze(-1)  # (N, 2, M)
    hit_speed = vabs.unsqueeze(-1).expand_as(times)
    times, hit_speed = times.flatten(1), hit_speed.flatten(1)  # (N, 2M)
    valid = times < duration
    times = torch.where(valid, times, torch.full_like(times, math.inf))
    times, order = times.sort(1)
    hit_speed = hit_speed.gather(1, order) * valid.gather(1, order)
    keep = int(valid.sum(1).max()) if n else 0
    times = times[:, :keep]
    return torch.where(times.isinf(), torch.nan, times), hit_speed[:, :keep]


def tones(sample_rate: int, length: int) -> torch.Tensor:
    """The sound of one bounce of each kind and register: (K, 2, length) float32.

    ``s(t) = sum_p a_p sin(2 pi r_p f t) exp(-t / tau)`` with a 2 ms attack.
    """
    t = torch.arange(length, dtype=torch.float64) / sample_rate
    out = torch.zeros(len(KINDS), 2, length, dtype=torch.float64)
    for k, partials in enumerate(PARTIALS):
        for octave in range(2):
            f0 = PITCH[k] * 2**octave
            wave = sum(a * torch.sin(2 * math.pi * r * f0 * t) for r, a in partials)
            out[k, octave] = wave / sum(a for _, a in partials)
        out[k] *= torch.exp(-t / DECAY[k]) * (1 - torch.exp(-t / 0.002))
    return out.float()


def render(
    kind: torch.Tensor,
    colour: torch.Tensor,
    centres: torch.Tensor,
    radius: torch.Tensor,
    background: torch.Tensor,
    frame_size: int,
) -> torch.Tensor:
    """Paint one object per clip over ``background`` (N, T, 3, S, S) float in [0, 1].

    Args:
        kind: (N,) shape index; -1 paints nothing.
        colour: (N,) palette index.
        centres: (N, T, 2) in [0, 1].
        radius: (N,) in frame widths.
        background: (N, T, 3, S, S) the frames so far.
        frame_size: ``S``.
    """
    n, s = kind.shape[0], frame_size
    coords = (torch.arange(s, dtype=torch.float32, device=centres.device) + 0.5) / s
    alpha = torch.zeros(n, centres.shape[1], s, s, device=centres.device)
    for k in range(len(KINDS)):
        idx = (kind == k).nonzero()[:, 0]  # the clips that show this kind
        if idx.numel() == 0:
            continue
        r = radius[idx].view(-1, 1, 1, 1)
        c = centres[idx]  # (n, T, 2)
        u = (coords.view(1, 1, 1, s) - c[..., 0, None, None]) / r  # (n, T, 1, S)
        v = (coords.view(1, 1, s, 1) - c[..., 1, None, None]) / r  # (n, T, S, 1)
        level = _levels(k, *torch.broadcast_tensors(u, v))  # (n, T, S, S)
        # a one-pixel soft edge: r * s pixels per unit of level
        alpha[idx] = ((1.0 - level) * r * s + 0.5).clamp(0.0, 1.0)
    rgb = PALETTE.to(centres.device)[colour.clamp_min(0)].view(n, 1, 3, 1, 1)
    a = alpha.unsqueeze(2)  # (N, T, 1, S, S)
    return (1 - a) * background + a * rgb


def _caption(kind: int, colour: int, register: int, scene: int, other: int) -> str:
    words = f"a {COLOURS[colour]} {KINDS[kind]} bounces {SCENES[scene]}"
    words += f" with a {REGISTERS[register]} sound"
    if other >= 0:
        words += f", next to a silent {KINDS[other]}"
    return words


def make_clips(
    n: int,
    frames: int,
    frame_size: int = 32,
    fps: float = 8.0,
    sample_rate: int = 8000,
    distractor_prob: float = 0.5,
    noise: float = 0.005,
    seed: int = 0,
    device: torch.device | str | None = None,
) -> AudioVisualClips:
    """Generate ``n`` clips of ``frames`` frames with their soundtracks.

    Args:
        n: number of clips; kinds are balanced (``n // 4`` of each, then random).
        frames: frames per clip ``T``; the clip lasts ``T / fps`` seconds.
        frame_size: side ``S`` of a frame.
        fps: frames per second.
        sample_rate: audio samples per second; ``sample_rate / fps`` must be whole.
        distractor_prob: probability that a clip shows a silent second object.
        noise: standard deviation of the background hiss.
        seed: seed of the generator; the same seed gives the same clips.
        device: where to render and keep the tensors.

    Returns:
        The clips and their ground truth, an :class:`AudioVisualClips`.

    Raises:
        ValueError: a size is not positive, or a frame is not a whole number of
            audio samples.
    """
    if n < 1 or frames < 2 or frame_size < 8:
        raise ValueError(
            f"need n >= 1, frames >= 2, frame_size >= 8; got {n}, {frames}, "
            f"{frame_size}"
        )
    per_frame = sample_rate / fps
    if per_frame != int(per_frame):
        raise ValueError(
            f"sample_rate / fps = {per_frame} must be a whole number of samples per "
            "frame; e.g. sample_rate=8000 with fps=8"
        )
    if not 0 <= distractor_prob <= 1:
        raise ValueError(f"distractor_prob must be in [0, 1]; got {distractor_prob}")
    g = torch.Generator().manual_seed(seed)
    n_kinds = len(KINDS)
    extra = torch.randint(n_kinds, (n % n_kinds,), generator=g)
    kind = torch.cat([torch.arange(n_kinds).repeat(n // n_kinds), extra])
    kind = kind[torch.randperm(n, generator=g)]
    register = torch.randint(2, (n,), generator=g)
    scene = torch.randint(2, (n,), generator=g)
    colour = torch.randint(len(COLOURS), (n,), generator=g)
    radius, start, velocity = _motion(n, g)
    distractor = torch.rand(n, generator=g) < distractor_prob
    # the distractor is another kind: shift by 1..K-1
    other = (kind + torch.randint(1, n_kinds, (n,), generator=g)) % n_kinds
    other = torch.where(distractor, other, torch.full_like(other, -1))
    other_colour = torch.randint(len(COLOURS), (n,), generator=g)
    o_radius, o_start, o_velocity = _motion(n, g)
    hiss = torch.randn(n, int(frames * per_frame), generator=g)

    duration = frames / fps
    t = torch.arange(frames, dtype=torch.float32) / fps
    position = positions(radius, start, velocity, t)  # (N, T, 2)
    o_position = positions(o_radius, o_start, o_velocity, t)
    o_position = torch.where(distractor.view(n, 1, 1), o_position, torch.nan)

    # frames: background, then the distractor, then the sounding object on top
    dev = torch.device(device) if device is not None else torch.device("cpu")
    s = frame_size
    bg = BACKGROUND[scene].view(n, 1, 3, 1, 1).expand(n, frames, 3, s, s).to(dev)
    video = render(
        other.to(dev), other_colour.to(dev), o_position.nan_to_num(0.5).to(dev),
        o_radius.to(dev), bg, s,
    )
    video = render(
        kind.to(dev), colour.to(dev), position.to(dev), radius.to(dev), video, s
    )
    videos = (video * 255).round().to(torch.uint8)

    # sound: one impulse per bounce, loudness ~ size x speed into the wall
    onsets, hit_speed = bounce_times(radius, start, velocity, duration)
    amplitude = (radius.view(n, 1) / RADIUS[1]) * (hit_speed / SPEED[1])  # (N, E)
    length = int(frames * per_frame)
    impulses = torch.zeros(n, length)
    index = (onsets.nan_to_num(duration) * sample_rate).round().long()
    valid = index < length
    impulses.scatter_add_(1, index.clamp_max(length - 1), amplitude * valid)
    ring = min(length, int(1.5 * sample_rate))  # 5 decay times of the longest tone
    bank = tones(sample_rate, ring)[kind, register]  # (N, ring)
    size = length + ring
    audio = torch.fft.irfft(
        torch.fft.rfft(impulses, size) * torch.fft.rfft(bank, size), size
    )[:, :length]
    audio = audio + noise * hiss

    captions = [
        _caption(*vals)
        for vals in zip(
            kind.tolist(), colour.tolist(), register.tolist(), scene.tolist(),
            other.tolist(),
        )
    ]
    out = AudioVisualClips(
        videos=videos,
        audio=audio.float(),
        kind=kind,
        register=register,
        scene=scene,
        colour=colour,
        position=position,
        radius=radius,
        distractor=distractor,
        distractor_kind=other,
        distractor_position=o_position,
        onsets=onsets.float(),
        amplitude=amplitude.float(),
        captions=captions,
        sample_rate=sample_rate,
        fps=fps,
    )
    return out.to(dev)


__all__ = [
    "BACKGROUND",
    "COLOURS",
    "KINDS",
    "PALETTE",
    "PITCH",
    "REGISTERS",
    "SCENES",
    "AudioVisualClips",
    "bounce_times",
    "make_clips",
    "positions",
    "render",
    "tones",
]

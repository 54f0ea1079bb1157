"""Generated audio-visual clips: the ground truth is what the frames and sound show."""

from __future__ import annotations

import math

import pytest
import torch

from coursework.data.audiovisual import (
    BACKGROUND,
    KINDS,
    PALETTE,
    RADIUS,
    SPEED,
    bounce_times,
    make_clips,
    positions,
)

FPS, SR = 8.0, 8000


@pytest.fixture(scope="module")
def clips():
    return make_clips(24, 8, 32, fps=FPS, sample_rate=SR, seed=3)


def test_shapes_types_and_balance(clips) -> None:
    n = len(clips)
    assert clips.videos.shape == (n, 8, 3, 32, 32) and clips.videos.dtype == torch.uint8
    assert clips.audio.shape == (n, int(8 * SR / FPS))
    assert clips.audio.dtype == torch.float32
    assert torch.bincount(clips.kind, minlength=len(KINDS)).tolist() == [6] * 4
    assert clips.position.shape == (n, 8, 2) and len(clips.captions) == n
    assert set(clips.label.tolist()) <= {0, 1, 2, 3}
    # the distractor is always another kind, and silent clips have none
    d = clips.distractor
    assert (clips.distractor_kind[d] != clips.kind[d]).all()
    assert (clips.distractor_kind[~d] == -1).all()
    assert clips.distractor_position[~d].isnan().all()
    again = make_clips(24, 8, 32, fps=FPS, sample_rate=SR, seed=3)
    assert torch.equal(again.videos, clips.videos)
    assert torch.equal(again.audio, clips.audio)


def test_sounding_object_is_drawn_at_the_recorded_position(clips) -> None:
    s = 32
    for i in range(len(clips)):
        for t in range(8):
            x, y = (clips.position[i, t] * s).floor().long().clamp(0, s - 1).tolist()
            pixel = clips.videos[i, t, :, y, x].float() / 255
            # the object is drawn on top: its centre pixel has its colour
            colour = PALETTE[clips.colour[i]]
            assert torch.allclose(pixel, colour, atol=0.02), (i, t)
    # without a distractor, the centroid of the foreground is the recorded centre
    alone = (~clips.distractor).nonzero()[:, 0]
    for i in alone.tolist():
        bg = BACKGROUND[clips.scene[i]].view(3, 1, 1)
        frames = clips.videos[i].float() / 255
        fg = ((frames - bg).abs().sum(1) > 0.05).float()  # (T, S, S)
        coords = (torch.arange(s) + 0.5) / s
        mass = fg.sum((1, 2))
        cx = (fg.sum(1) * coords).sum(1) / mass
        cy = (fg.sum(2) * coords).sum(1) / mass
        centroid = torch.stack([cx, cy], 1)
        if clips.kind[i] == 2:  # a triangle's centroid sits below its centre
            continue
        assert torch.allclose(centroid, clips.position[i], atol=0.03), i


def test_bounces_are_wall_hits() -> None:
    g = torch.Generator().manual_seed(0)
    n = 50
    u = torch.rand(n, 5, generator=g, dtype=torch.float64)
    radius = RADIUS[0] + (RADIUS[1] - RADIUS[0]) * u[:, 0]
    start = radius.view(n, 1) + (1 - 2 * radius.view(n, 1)) * u[:, 1:3]
    velocity = (u[:, 3:5] - 0.5) * 2 * SPEED[1]
    times, speed = bounce_times(radius, start, velocity, 2.0)
    assert times.shape == speed.shape
    for i in range(n):
        for e in range(times.shape[1]):
            t = float(times[i, e])
            if math.isnan(t):
                assert float(speed[i, e]) == 0
                continue
            p = positions(radius[i : i + 1], start[i : i + 1], velocity[i : i + 1],
                          torch.tensor([t], dtype=torch.float64))[0, 0]
            r = float(radius[i])
            on_wall = min(abs(float(p[0]) - r), abs(float(p[0]) - 1 + r),
                          abs(float(p[1]) - r), abs(float(p[1]) - 1 + r))
            assert on_wall < 1e-4, (i, e)
            # moving into the wall just before, away just after
            before, after = positions(
                radius[i : i + 1], start[i : i + 1], velocity[i : i + 1],
                torch.tensor([t - 1e-3, t + 1e-3], dtype=torch.float64),
            )[0]
            assert (before - after).abs().max() < 0.01
    # a loop over fine time steps finds the same number of direction changes
    t = torch.linspace(0, 2.0, 20001, dtype=torch.float64)
    path = positions(radius, start, velocity, t)  # (N, L, 2)
    step = path[:, 1:] - path[:, :-1]
    flips = ((step[:, 1:] * step[:, :-1]) < 0).sum((1, 2))
    assert torch.equal(flips, (~times.isnan()).sum(1))


def test_sound_onsets_follow_the_bounces(clips) -> None:
    audio = clips.audio
    win = int(0.015 * SR)
    checked = 0
    for i in range(len(clips)):
        onsets = clips.onsets[i][~clips.onsets[i].isnan()].tolist()
        for k, t in enumerate(onsets):
            if k and t - onsets[k - 1] < 0.4:  # the previous tone still rings
                continue
            s = int(round(t * SR))
            if s - win < 0 or s + win > audio.shape[1]:
                continue
            before = audio[i, s - win : s].pow(2).mean()
            after = audio[i, s : s + win].pow(2).mean()
            assert after > 5 * before, (i, t)
            checked += 1
    assert checked > 10
    # no bounce, no sound: between onsets far apart the level decays
    quiet = make_clips(4, 8, 32, fps=FPS, sample_rate=SR, noise=0.0, seed=5)
    for i in range(4):
        first = float(quiet.onsets[i, 0])
        s = int(first * SR)
        assert quiet.audio[i, : max(s - 1, 1)].abs().max() < 1e-6


def test_loudness_follows_size_and_speed() -> None:
    clips = make_clips(48, 8, 32, fps=FPS, sample_rate=SR, noise=0.0, seed=7)
    win = int(0.02 * SR)
    ratios: dict[tuple[int, int], list[float]] = {}
    for i in range(len(clips)):
        onsets = clips.onsets[i]
        first = float(onsets[0])
        if len(onsets) > 1 and float(onsets[1]) - first < 0.03:
            continue  # two hits at once: their tones add up
        s = int(round(first * SR))
        if s + win > clips.audio.shape[1]:
            continue
        peak = float(clips.audio[i, s : s + win].abs().max())
        key = (int(clips.kind[i]), int(clips.register[i]))
        ratios.setdefault(key, []).append(peak / float(clips.amplitude[i, 0]))
    # the first bounce's peak level is its amplitude times the tone's own peak
    groups = [torch.tensor(r) for r in ratios.values() if len(r) >= 2]
    assert groups
    for r in groups:
        assert float(r.std() / r.mean()) < 1e-3
    amps = clips.amplitude[~clips.onsets.isnan()]
    assert float(amps.max() / amps.min()) > 2  # the levels do differ
    # amplitude = (r / r_max) (speed into the wall / speed_max)
    radius = torch.tensor([0.1, 0.16])
    start = torch.tensor([[0.5, 0.5], [0.5, 0.5]])
    velocity = torch.tensor([[1.2, 0.0], [0.6, 0.0]])
    times, speed = bounce_times(radius, start, velocity, 2.0)
    torch.testing.assert_close(speed[:, 0], torch.tensor([1.2, 0.6]))
    # reaching the wall at x = 1 - r takes (1 - r - 0.5) / v
    torch.testing.assert_close(times[:, 0], torch.tensor([0.4 / 1.2, 0.34 / 0.6]))


def test_captions_and_subset(clips) -> None:
    first = clips.captions[0]
    assert KINDS[int(clips.kind[0])] in first
    if clips.distractor[0]:
        assert "silent" in first
    part = clips.subset(clips.distractor)
    assert len(part) == int(clips.distractor.sum()) == len(part.captions)
    assert part.distractor.all()


def test_bad_arguments_are_explained() -> None:
    with pytest.raises(ValueError, match="whole number"):
        make_clips(4, 8, sample_rate=8000, fps=7.0)
    with pytest.raises(ValueError, match="frames"):
        make_clips(4, 1)
    with pytest.raises(ValueError, match="distractor_prob"):
        make_clips(4, 8, distractor_prob=2)

"""The synthetic video generators: labels, time reversal, determinism.

UCF-101 reading is tested in tests/data/test_ucf101.py.
"""

from __future__ import annotations

import math

import pytest
import torch

from coursework.data.video import (
    CLASSES,
    MOTION_PAIRS,
    make_actions,
    make_moving_digits,
    make_untrimmed,
    render_actions,
)


def _centre_of_mass(videos: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """x and y centre of mass per frame: (N, L) each, in pixels."""
    m = videos.float().sum(2)  # (N, L, H, W)
    h, w = m.shape[-2:]
    xs = torch.arange(w).float().view(1, 1, 1, w)
    ys = torch.arange(h).float().view(1, 1, h, 1)
    total = m.sum((-1, -2)).clamp(min=1e-6)
    return (m * xs).sum((-1, -2)) / total, (m * ys).sum((-1, -2)) / total


def _mass(videos: torch.Tensor) -> torch.Tensor:
    return videos.float().sum((2, 3, 4))  # (N, L)


def test_shapes_dtype_and_balance():
    videos, labels = make_actions(3, 10, 24, seed=0)
    assert videos.shape == (3 * len(CLASSES), 10, 3, 24, 24)
    assert videos.dtype == torch.uint8
    assert torch.bincount(labels, minlength=len(CLASSES)).tolist() == [3] * 8


def test_same_seed_same_videos_other_seed_differs():
    a, la = make_actions(2, 6, 16, seed=3)
    b, lb = make_actions(2, 6, 16, seed=3)
    c, _ = make_actions(2, 6, 16, seed=4)
    assert torch.equal(a, b) and torch.equal(la, lb)
    assert not torch.equal(a, c)


def test_move_right_and_left_centre_of_mass():
    videos, labels = make_actions(6, 12, 32, seed=1)
    x, _ = _centre_of_mass(videos)
    dx = x[:, -1] - x[:, 0]
    assert bool((dx[labels == CLASSES.index("move right")] > 3).all())
    assert bool((dx[labels == CLASSES.index("move left")] < -3).all())


def test_grow_and_shrink_mass():
    videos, labels = make_actions(6, 12, 32, seed=2)
    m = _mass(videos)
    assert bool((m[labels == CLASSES.index("grow")].diff(dim=1) > 0).all())
    assert bool((m[labels == CLASSES.index("shrink")].diff(dim=1) < 0).all())


def test_rotation_direction_on_screen():
    """The hand's centre of mass turns clockwise on screen (y points down)."""
    g = torch.Generator().manual_seed(0)
    cw, acw = CLASSES.index("rotate clockwise"), CLASSES.index("rotate anticlockwise")
    labels = torch.tensor([cw] * 4 + [acw] * 4)
    videos, params = render_actions(labels, 16, 48, g)
    x, y = _centre_of_mass(videos)
    cx, cy = params["x"] * 48 - 0.5, params["y"] * 48 - 0.5  # pixel index units
    angle = torch.atan2(y - cy, x - cx)  # atan2(down, right): grows clockwise
    step = torch.remainder(angle.diff(dim=1) + math.pi, 2 * math.pi) - math.pi
    assert bool((step[:4] > 0).all()) and bool((step[4:] < 0).all())


@pytest.mark.parametrize("pair", MOTION_PAIRS)
def test_reversed_class_is_the_time_reversal(pair):
    """Same parameters, opposite classes: one video is the other played backwards."""
    a, b = pair
    fwd, _ = render_actions(
        torch.tensor([a] * 3), 9, 20, torch.Generator().manual_seed(7)
    )
    bwd, _ = render_actions(
        torch.tensor([b] * 3), 9, 20, torch.Generator().manual_seed(7)
    )
    assert torch.equal(fwd.flip(1), bwd)


def test_bag_of_frames_identical_within_pairs():
    """Sorted frames are equal: a single-frame model cannot separate a pair."""
    for a, b in MOTION_PAIRS:
        fwd, _ = render_actions(
            torch.tensor([a]), 7, 16, torch.Generator().manual_seed(1)
        )
        bwd, _ = render_actions(
            torch.tensor([b]), 7, 16, torch.Generator().manual_seed(1)
        )
        key = lambda v: sorted(v[0].flatten(1).tolist())  # noqa: E731
        assert key(fwd) == key(bwd)


def test_moving_digits_shapes_and_true_flow_moves_the_ink():
    videos, digits, flow, valid = make_moving_digits(4, 6, 32, seed=0)
    assert videos.shape == (4, 6, 1, 32, 32) and digits.shape == (4, 2)
    assert flow.shape == (4, 6, 2, 32, 32) and valid.shape == (4, 6, 1, 32, 32)
    assert float(videos.min()) >= 0 and float(videos.max()) <= 1
    speed = flow.norm(dim=2)[valid[:, :, 0]]
    assert float(speed.min()) > 0.1 and float(speed.max()) < 2.0
    # warping frame t by the true flow lands the ink of frame t + 1
    from coursework.video.flow import shift

    for t in range(5):
        moved = shift(videos[:, t], flow[:, t])
        inside = valid[:, t] & valid[:, t + 1]
        err = (moved - videos[:, t + 1]).abs()[inside].mean()
        still = (videos[:, t] - videos[:, t + 1]).abs()[inside].mean()
        assert err < 0.5 * still


def test_untrimmed_segments_match_content():
    videos, segments = make_untrimmed(5, 60, 24, max_segments=3, min_segment=8)
    assert videos.shape == (5, 60, 3, 24, 24) and segments.shape == (5, 3, 3)
    active = _mass(videos) > 0  # (N, L)
    for v in range(5):
        covered = torch.zeros(60, dtype=torch.bool)
        for s, e, k in segments[v].tolist():
            if k < 0:
                continue
            assert 0 <= s < e <= 60 and e - s >= 8
            covered[s:e] = True
        assert (segments[v, :, 2] >= 0).any()
        assert torch.equal(active[v], covered)


def test_untrimmed_too_short_is_a_clear_error():
    with pytest.raises(ValueError, match="too short"):
        make_untrimmed(2, 12, 16, max_segments=3, min_segment=8)


def test_tracking_clips_masks_match_the_pixels_and_move():
    from coursework.data.video import PALETTE, make_tracking_clips

    videos, masks = make_tracking_clips(6, 10, 32, n_objects=2, seed=0)
    assert videos.shape == (6, 10, 3, 32, 32) and videos.dtype == torch.uint8
    assert masks.shape == (6, 10, 32, 32) and masks.dtype == torch.long
    assert set(masks.unique().tolist()) <= {0, 1, 2}
    again, masks_again = make_tracking_clips(6, 10, 32, n_objects=2, seed=0)
    other, _ = make_tracking_clips(6, 10, 32, n_objects=2, seed=1)
    assert torch.equal(videos, again) and torch.equal(masks, masks_again)
    assert not torch.equal(videos, other)
    rgb = videos.float().permute(0, 1, 3, 4, 2) / 255  # (N, L, H, W, 3)
    # background pixels are at most half covered; each object's pixels carry
    # one palette colour (where two objects' edges meet, a blend)
    assert float(rgb[masks == 0].max()) <= 0.5 + 1 / 255
    for i in range(6):
        seen = []
        for k in (1, 2):
            px = rgb[i][masks[i] == k]  # (P, 3)
            assert px.shape[0] > 0, "every object is visible somewhere in its clip"
            direction = px / px.norm(dim=1, keepdim=True)
            colour = torch.nn.functional.normalize(PALETTE, dim=1)
            best = (direction @ colour.T).argmax(1)
            main = int(best.mode().values)  # one colour per object, blends at edges
            assert float((best == main).float().mean()) > 0.8
            seen.append(main)
        assert seen[0] != seen[1]  # two objects, two colours
    # objects move: each object's mask centre changes between the first and last frame
    ys, xs = torch.meshgrid(torch.arange(32.0), torch.arange(32.0), indexing="ij")
    for i in range(6):
        for k in (1, 2):
            m = (masks[i] == k).float()  # (L, H, W)
            present = m.sum((1, 2)) > 0
            if present[0] and present[-1]:
                cx = (m * xs).sum((1, 2)) / m.sum((1, 2)).clamp(min=1)
                cy = (m * ys).sum((1, 2)) / m.sum((1, 2)).clamp(min=1)
                moved = (cx[-1] - cx[0]) ** 2 + (cy[-1] - cy[0]) ** 2
                assert float(moved) > 0.5


def test_tracking_clips_bad_sizes_are_clear_errors():
    from coursework.data.video import make_tracking_clips

    with pytest.raises(ValueError, match="n_objects"):
        make_tracking_clips(2, 4, 16, n_objects=5)
    with pytest.raises(ValueError, match="n >= 1"):
        make_tracking_clips(0, 4, 16)


def test_flow_moved_to_the_shared_layer_is_the_same_estimator():
    import coursework.data.flow as shared
    import coursework.video as video
    import coursework.video.flow as topic

    for name in ("horn_schunck", "horn_schunck_step", "shift", "clip_flow", "grey"):
        assert getattr(topic, name) is getattr(shared, name)
        assert getattr(video, name) is getattr(shared, name)

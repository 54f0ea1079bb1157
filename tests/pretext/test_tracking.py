"""Tracking by colourisation: the pointer, the window, IoU, propagation, the loss."""

from __future__ import annotations

import math

import pytest
import torch

from coursework.data.video import PALETTE
from coursework.pretext.tracking import (
    ColourEmbedding,
    colour_codebook,
    colour_copy_loss,
    copy_labels,
    grey_frames,
    label_iou,
    local_window,
    mask_iou,
    one_hot_maps,
    positions,
    propagate_by_copying,
    propagate_by_flow,
    quantize_colours,
    tracking_pairs,
)


def _copy_loop(target, reference, labels, temperature, allowed=None):
    """The pointer one target position at a time, with an explicit softmax."""
    b, n, _ = target.shape
    out = torch.zeros(b, n, labels.shape[-1], dtype=target.dtype)
    for i in range(b):
        for p in range(n):
            scores = []
            for q in range(reference.shape[1]):
                ok = allowed is None or bool(allowed[p, q])
                s = (target[i, p] * reference[i, q]).sum() / temperature
                scores.append(s if ok else torch.tensor(-math.inf, dtype=s.dtype))
            scores = torch.stack(scores)
            weights = torch.exp(scores - scores.max())
            weights = weights / weights.sum()
            out[i, p] = (weights[:, None] * labels[i]).sum(0)
    return out


@pytest.mark.parametrize("windowed", [False, True])
def test_copy_labels_values_and_gradients_match_a_loop(windowed):
    g = torch.Generator().manual_seed(0)
    t = torch.randn(2, 6, 4, generator=g, dtype=torch.float64, requires_grad=True)
    r = torch.randn(2, 6, 4, generator=g, dtype=torch.float64, requires_grad=True)
    lab = torch.rand(2, 6, 3, generator=g, dtype=torch.float64, requires_grad=True)
    allowed = local_window(2, 3, 1) if windowed else None
    fast = copy_labels(t, r, lab, 0.7, allowed)
    slow = _copy_loop(t, r, lab, 0.7, allowed)
    torch.testing.assert_close(fast, slow)
    w = torch.randn(fast.shape, generator=g, dtype=torch.float64)
    grads_fast = torch.autograd.grad((fast * w).sum(), (t, r, lab))
    grads_slow = torch.autograd.grad((slow * w).sum(), (t, r, lab))
    for a, b in zip(grads_fast, grads_slow, strict=True):
        torch.testing.assert_close(a, b)


def test_copy_labels_rows_are_convex_combinations_and_sharpen_with_temperature():
    g = torch.Generator().manual_seed(1)
    t, r = torch.randn(1, 5, 3, generator=g), torch.randn(1, 7, 3, generator=g)
    lab = torch.nn.functional.one_hot(torch.arange(7) % 3, 3).float()[None]
    out = copy_labels(t, r, lab, 1.0)
    torch.testing.assert_close(out.sum(-1), torch.ones(1, 5))
    cold = copy_labels(t, r, lab, 1e-3)
    nearest = (t @ r.transpose(1, 2)).argmax(-1)  # (1, 5)
    torch.testing.assert_close(cold, lab[0, nearest[0]][None], atol=1e-4, rtol=0)


def test_copy_labels_errors_name_the_fix():
    t, r, lab = torch.zeros(1, 2, 3), torch.zeros(1, 4, 3), torch.zeros(1, 4, 2)
    with pytest.raises(ValueError, match="temperature"):
        copy_labels(t, r, lab, 0.0)
    with pytest.raises(ValueError, match="same network"):
        copy_labels(t, torch.zeros(1, 4, 5), lab, 1.0)
    with pytest.raises(ValueError, match="flatten"):
        copy_labels(t, r, torch.zeros(1, 3, 2), 1.0)


def test_local_window_matches_brute_force():
    h, w, radius = 3, 4, 1
    got = local_window(h, w, radius)
    for i in range(h * w):
        for j in range(h * w):
            near = abs(i // w - j // w) <= radius and abs(i % w - j % w) <= radius
            assert bool(got[i, j]) == near
    assert bool(local_window(2, 2, 0).equal(torch.eye(4, dtype=torch.bool)))
    with pytest.raises(ValueError, match="radius"):
        local_window(2, 2, -1)


def test_positions_flatten_row_major():
    x = torch.arange(2 * 3 * 2 * 2).view(2, 3, 2, 2)
    p = positions(x)
    assert p.shape == (2, 4, 3)
    assert p[1, 2].tolist() == x[1, :, 1, 0].tolist()


def _iou_loop(pred, truth):
    inter = union = 0
    for a, b in zip(pred.flatten().tolist(), truth.flatten().tolist(), strict=True):
        inter += a and b
        union += a or b
    return 1.0 if union == 0 else inter / union


def test_mask_iou_and_label_iou_match_brute_force():
    g = torch.Generator().manual_seed(2)
    pred = torch.randint(0, 3, (2, 3, 5, 5), generator=g)
    truth = torch.randint(0, 3, (2, 3, 5, 5), generator=g)
    truth[0, 0] = 0  # no object 1 or 2 in the truth of this frame
    pred[0, 0] = 0
    got = label_iou(pred, truth, 2)
    for i in range(2):
        for t in range(3):
            want = [_iou_loop(pred[i, t] == k, truth[i, t] == k) for k in (1, 2)]
            assert got[i, t].item() == pytest.approx(sum(want) / 2)
    assert got[0, 0].item() == 1.0
    m = mask_iou(pred == 1, truth == 1)
    assert m.shape == (2, 3)
    assert m[1, 2].item() == pytest.approx(_iou_loop(pred[1, 2] == 1, truth[1, 2] == 1))
    with pytest.raises(ValueError, match="shape"):
        mask_iou(pred[0] == 1, truth == 1)


def test_quantize_colours_picks_the_nearest_code():
    g = torch.Generator().manual_seed(3)
    frames = torch.rand(2, 3, 4, 4, generator=g)
    book = colour_codebook()
    got = quantize_colours(frames, book)
    for i in range(2):
        for y in range(4):
            for x in range(4):
                d = ((book - frames[i, :, y, x]) ** 2).sum(1)
                assert got[i, y, x].item() == int(d.argmin())
    assert torch.equal(book[1:], PALETTE)
    with pytest.raises(ValueError, match="3 colour channels"):
        quantize_colours(torch.rand(2, 1, 4, 4), book)


def test_tracking_pairs_take_a_later_frame_of_the_same_clip():
    torch.manual_seed(0)
    # frame t of clip i holds the value 10 i + t everywhere
    values = 10 * torch.arange(6).view(6, 1) + torch.arange(8).view(1, 8)
    videos = values.view(6, 8, 1, 1, 1).expand(6, 8, 3, 2, 2).to(torch.uint8)
    for _ in range(20):
        ref, tgt = tracking_pairs(videos, 3)
        r, t = ref[:, 0, 0, 0].long(), tgt[:, 0, 0, 0].long()
        assert torch.equal(r // 10, torch.arange(6)) and torch.equal(t // 10, r // 10)
        assert bool(((t - r) >= 1).all()) and bool(((t - r) <= 3).all())
    with pytest.raises(ValueError, match="max_gap"):
        tracking_pairs(videos, 8)


def test_colour_copy_loss_matches_a_direct_computation_and_trains():
    torch.manual_seed(0)
    net = ColourEmbedding(8, 4)
    g = torch.Generator().manual_seed(4)
    ref = torch.randint(0, 256, (2, 3, 6, 6), generator=g).to(torch.uint8)
    tgt = torch.randint(0, 256, (2, 3, 6, 6), generator=g).to(torch.uint8)
    book = colour_codebook()
    out = colour_copy_loss(net, ref, tgt, book, temperature=0.5)
    f = net(torch.cat([grey_frames(ref), grey_frames(tgt)]))  # (4, 4, 3, 3)
    fr, ft = positions(f[:2]), positions(f[2:])
    pool = torch.nn.functional.avg_pool2d
    codes_r = quantize_colours(pool(ref.float() / 255, 2), book).flatten(1)
    codes_t = quantize_colours(pool(tgt.float() / 255, 2), book).flatten(1)
    manual = 0.0
    for i in range(2):
        w = torch.softmax(ft[i] @ fr[i].T / 0.5, -1)  # (9, 9)
        p = w @ torch.nn.functional.one_hot(codes_r[i], 5).float()
        manual = manual - p[torch.arange(9), codes_t[i]].clamp_min(1e-6).log().sum()
    torch.testing.assert_close(out["loss"], manual / 18)
    with pytest.raises(ValueError, match="divisible"):
        colour_copy_loss(net, ref[..., :5, :5], tgt[..., :5, :5], book)
    out["loss"].backward()
    assert all(p.grad is not None for p in net.parameters())
    assert 0.0 <= out["acc"].item() <= 1.0


def _square_clip(length, step, size=12):
    """One red 4x4 square moving right by ``step`` px per frame; labels 0 / 1."""
    videos = torch.zeros(1, length, 3, size, size, dtype=torch.uint8)
    labels = torch.zeros(1, length, size, size, dtype=torch.long)
    for t in range(length):
        x = 2 + step * t
        videos[0, t, 0, 4:8, x : x + 4] = 255
        labels[0, t, 4:8, x : x + 4] = 1
    return videos, labels


def test_propagation_by_copying_follows_an_oracle_embedding():
    videos, labels = _square_clip(5, 1)

    def by_colour(grey):  # object pixels alike, background alike: a perfect pointer
        on = (grey > 0.1).float()
        return 10 * torch.cat([on, 1 - on], 1)

    for mode in ("first", "previous"):
        got = propagate_by_copying(by_colour, videos, labels[:, 0], 2, 1.0, mode)
        assert torch.equal(got, labels)

    def by_place(grey):  # position one-hot: copying from the same place
        b, _, h, w = grey.shape
        eye = torch.eye(h * w).view(1, h * w, h, w)
        return 10 * eye.expand(b, -1, -1, -1)

    still = propagate_by_copying(by_place, videos, labels[:, 0], 2, 1.0, "first")
    assert torch.equal(still, labels[:, :1].expand_as(labels))
    with pytest.raises(ValueError, match="mode"):
        propagate_by_copying(by_place, videos, labels[:, 0], 2, 1.0, "last")


def test_propagation_by_flow_beats_the_unchanged_mask_on_a_moving_square():
    videos, labels = _square_clip(5, 1)
    flow = propagate_by_flow(videos, labels[:, 0], 2, iterations=200)
    identity = labels[:, :1].expand_as(labels)
    iou_flow = label_iou(flow, labels, 1)[0, -1].item()
    iou_identity = label_iou(identity, labels, 1)[0, -1].item()
    assert iou_identity == pytest.approx(0.0)  # moved 4 px: no overlap left
    assert iou_flow > 0.3
    assert torch.equal(flow[:, 0], labels[:, 0])


def test_one_hot_maps_put_labels_on_the_channel_axis():
    lab = torch.tensor([[[0, 2], [1, 0]]])
    got = one_hot_maps(lab, 3)
    assert got.shape == (1, 3, 2, 2)
    assert torch.equal(got.argmax(1), lab)


def test_grey_frames_and_the_embedding_shapes():
    g = torch.Generator().manual_seed(5)
    frames = torch.randint(0, 256, (2, 4, 3, 8, 8), generator=g).to(torch.uint8)
    grey = grey_frames(frames)
    assert grey.shape == (2, 4, 1, 8, 8)
    want = frames.float().mean(2, keepdim=True) / 255
    torch.testing.assert_close(grey, want)
    torch.testing.assert_close(grey_frames(frames.float() / 255), want)
    net = ColourEmbedding(width=4, dim=6)
    assert net(grey[:, 0]).shape == (2, 6, 4, 4)
    assert net.stride == 2

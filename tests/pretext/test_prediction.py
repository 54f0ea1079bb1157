"""Frame prediction and the fork videos, against slow loops."""

from __future__ import annotations

import pytest
import torch

from coursework.data.video import make_forks
from coursework.pretext import Backbone
from coursework.pretext.prediction import (
    FramePredictor,
    next_frame_batch,
    next_frame_loss,
    next_frame_pairs,
)


def _numbered_videos(b: int, length: int) -> torch.Tensor:
    """uint8 videos (B, L, 1, 1, 1) whose frame t of video v holds 16 v + t."""
    t = torch.arange(length).view(1, length) + 16 * torch.arange(b).view(b, 1)
    return t.to(torch.uint8).view(b, length, 1, 1, 1)


@pytest.mark.parametrize("past", [1, 2, 4])
def test_next_frame_pairs_match_a_loop(past) -> None:
    clips = torch.rand(3, 5, 2, 3, 4, dtype=torch.float64)
    inputs, targets = next_frame_pairs(clips, past)
    want_in, want_out = [], []
    for b in range(3):
        for k in range(5 - past):
            want_in.append(torch.stack([clips[b, k + i] for i in range(past)]))
            want_out.append(clips[b, k + past])
    assert inputs.dtype == torch.float64
    assert torch.equal(inputs, torch.stack(want_in))
    assert torch.equal(targets, torch.stack(want_out))


def test_next_frame_pairs_keep_integers_and_refuse_bad_past() -> None:
    clips = _numbered_videos(2, 4)
    inputs, targets = next_frame_pairs(clips, 3)
    assert inputs.dtype == torch.uint8 and inputs.shape == (2, 3, 1, 1, 1)
    assert targets.flatten().tolist() == [3, 19]
    with pytest.raises(ValueError, match="past must be in"):
        next_frame_pairs(clips, 4)
    with pytest.raises(ValueError, match="past must be in"):
        next_frame_pairs(clips, 0)
    with pytest.raises(ValueError, match=r"\(B, T, C, H, W\)"):
        next_frame_pairs(clips[0], 1)


def test_next_frame_batch_takes_frames_stride_apart() -> None:
    torch.manual_seed(0)
    videos = _numbered_videos(6, 16)
    for stride in (1, 3):
        past, nxt = next_frame_batch(videos, 2, stride)
        assert past.shape == (6, 2, 1, 1, 1) and nxt.shape == (6, 1, 1, 1)
        assert past.dtype == torch.float32 and float(past.max()) <= 1.0
        p = (past.flatten(1) * 255).round().long()  # (B, 2)
        n = (nxt.flatten(1) * 255).round().long()[:, 0]  # (B,)
        for b in range(6):
            t0 = int(p[b, 0]) - 16 * b
            assert 0 <= t0 and t0 + 2 * stride < 16  # inside video b
            assert p[b].tolist() == [16 * b + t0, 16 * b + t0 + stride]
            assert int(n[b]) == 16 * b + t0 + 2 * stride


def test_next_frame_loss_values_and_gradients_match_a_loop() -> None:
    g = torch.Generator().manual_seed(0)
    pred = torch.rand(3, 2, 4, 5, generator=g, dtype=torch.float64, requires_grad=True)
    target = torch.rand(3, 2, 4, 5, generator=g, dtype=torch.float64)
    total, count = torch.zeros((), dtype=torch.float64), 0
    for i, j, y, x in torch.cartesian_prod(*(torch.arange(s) for s in pred.shape)):
        total = total + (pred[i, j, y, x] - target[i, j, y, x]) ** 2
        count += 1
    want = total / count
    (grad_want,) = torch.autograd.grad(want, pred)
    got = next_frame_loss(pred, target)
    (grad_got,) = torch.autograd.grad(got, pred)
    assert torch.allclose(got, want)
    assert torch.allclose(grad_got, grad_want)
    assert torch.allclose(grad_got, 2 * (pred - target).detach() / pred.numel())
    with pytest.raises(ValueError, match="same shape"):
        next_frame_loss(pred, target[:2])


def test_squared_error_is_minimised_by_the_mean_future() -> None:
    """Two equally likely futures: the L2 optimum is their average (blur)."""
    g = torch.Generator().manual_seed(1)
    a, b = torch.rand(1, 3, 4, 4, generator=g), torch.rand(1, 3, 4, 4, generator=g)
    futures = torch.cat([a, b])

    def expected(p):
        return next_frame_loss(p.expand_as(futures), futures)

    mean = futures.mean(0, keepdim=True)
    for other in (a, b, 0.3 * a + 0.7 * b, mean + 0.05):
        assert expected(mean) < expected(other)


def test_frame_predictor_stacks_each_frames_map_in_time_order() -> None:
    torch.manual_seed(0)
    model = FramePredictor(Backbone(4), past=3).eval()
    frames = torch.rand(2, 3, 3, 16, 16)
    with torch.no_grad():
        out = model(frames)
    assert out.shape == (2, 3, 16, 16)
    assert float(out.min()) >= 0.0 and float(out.max()) <= 1.0
    with torch.no_grad():
        maps = torch.stack(
            [
                torch.cat(
                    [model.backbone.features(frames[b, t : t + 1]) for t in range(3)], 1
                )[0]
                for b in range(2)
            ]
        )  # (B, 3 * D, h, w), frame 0's channels first
        want = model.decoder(maps)
    assert torch.allclose(out, want, atol=1e-6)
    # the order matters: swapping two past frames changes the prediction
    with torch.no_grad():
        assert not torch.allclose(model(frames[:, [1, 0, 2]]), out)
    with pytest.raises(ValueError, match="takes"):
        model(frames[:, :2])


def test_frame_predictor_learns_a_constant_motion() -> None:
    """A hundred steps on a moving disk beat predicting the last frame again."""
    torch.manual_seed(0)
    videos, _ = make_forks(32, 5, wait=1, frame_size=12, speed=0.16, seed=0)
    model = FramePredictor(Backbone(4), past=2)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    for _ in range(100):
        past, nxt = next_frame_batch(videos, 2, 1)
        loss = next_frame_loss(model(past), nxt)
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    past, nxt = next_frame_batch(videos, 2, 1)
    with torch.no_grad():
        ours = float(next_frame_loss(model(past), nxt))
    copy_last = float(next_frame_loss(past[:, -1], nxt))
    assert ours < 0.5 * copy_last


def test_forks_rest_then_go_either_way() -> None:
    videos, direction = make_forks(200, 6, wait=3, frame_size=24, seed=0)
    assert videos.shape == (200, 6, 3, 24, 24) and videos.dtype == torch.uint8
    assert torch.equal(videos[:, 0], videos[:, 2])  # resting
    assert not torch.equal(videos[:, 2], videos[:, 3])  # moving
    ink = videos.float().sum(2)  # (N, L, S, S)
    xs = torch.arange(24, dtype=torch.float32)
    centre = (ink * xs).sum((-2, -1)) / ink.sum((-2, -1))  # (N, L)
    step = centre[:, 5] - centre[:, 2]
    assert (step[direction == 1] > 2).all() and (step[direction == 0] < -2).all()
    assert 70 < int(direction.sum()) < 130  # both ways, about equally often
    again, _ = make_forks(200, 6, wait=3, frame_size=24, seed=0)
    assert torch.equal(again, videos)
    other, flipped = make_forks(
        200, 6, wait=3, frame_size=24, seed=0, direction=1 - direction
    )
    assert torch.equal(flipped, 1 - direction)
    assert torch.equal(other[:, :3], videos[:, :3])  # the same rest
    ink_other = other.float().sum(2)
    centre_other = (ink_other * xs).sum((-2, -1)) / ink_other.sum((-2, -1))
    assert torch.allclose(
        centre_other - centre[:, 2:3], -(centre - centre[:, 2:3]), atol=0.3
    )
    with pytest.raises(ValueError, match="wait"):
        make_forks(2, 4, wait=4)
    with pytest.raises(ValueError, match="direction"):
        make_forks(2, 4, wait=2, direction=torch.tensor([0, 2]))

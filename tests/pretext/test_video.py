"""Video pretext batches: labels agree with the frame order they were built from."""

from __future__ import annotations

import pytest
import torch

from coursework.pretext.video import (
    arrow_of_time_batch,
    gather_frames,
    odd_one_out_batch,
    random_clips,
    reverse_clips,
    shuffle_learn_batch,
    spaced_frames,
)


def _numbered_videos(b: int, length: int) -> torch.Tensor:
    """uint8 videos (B, L, 1, 1, 1) whose frame t holds the value t."""
    return (
        torch.arange(length, dtype=torch.uint8)
        .view(1, length, 1, 1, 1)
        .repeat(b, 1, 1, 1, 1)
    )


def _times(frames: torch.Tensor) -> torch.Tensor:
    return (frames.flatten(2)[..., 0] * 255).round().long()  # (B, N)


def test_reverse_clips_matches_a_loop() -> None:
    clips = torch.rand(3, 4, 2, 1, 1)
    rev = torch.tensor([True, False, True])
    out = reverse_clips(clips, rev)
    for b in range(3):
        for t in range(4):
            src = 3 - t if rev[b] else t
            assert torch.equal(out[b, t], clips[b, src])


def test_arrow_of_time_labels() -> None:
    torch.manual_seed(0)
    clips, labels = arrow_of_time_batch(_numbered_videos(64, 12), frames=4, stride=2)
    t = _times(clips)
    steps = t[:, 1:] - t[:, :-1]
    assert ((steps == 2).all(1) == (labels == 0)).all()
    assert ((steps == -2).all(1) == (labels == 1)).all()
    assert 0 < labels.sum() < 64


def test_shuffle_and_learn_labels() -> None:
    torch.manual_seed(1)
    triplets, labels = shuffle_learn_batch(_numbered_videos(100, 10), stride=2)
    t = _times(triplets)
    ordered = ((t[:, 0] < t[:, 1]) & (t[:, 1] < t[:, 2])) | (
        (t[:, 0] > t[:, 1]) & (t[:, 1] > t[:, 2])
    )
    assert torch.equal(ordered.long(), labels)
    assert 0 < labels.sum() < 100


def test_odd_one_out_label_points_at_the_shuffled_clip() -> None:
    torch.manual_seed(2)
    clips, labels = odd_one_out_batch(_numbered_videos(50, 16), 3, 4, 2)
    t = _times(clips).view(50, 3, 4)
    in_order = (t[..., 1:] - t[..., :-1] == 2).all(-1)  # (B, 3)
    assert (in_order.sum(1) == 2).all()
    assert torch.equal((~in_order).long().argmax(1), labels)


def test_frames_and_clips() -> None:
    v = _numbered_videos(2, 9)
    assert _times(spaced_frames(v, 3)).tolist() == [[0, 4, 8], [0, 4, 8]]
    assert gather_frames(v, torch.tensor([[1], [2]])).dtype == torch.float32
    with pytest.raises(ValueError, match="needs"):
        random_clips(v, 5, 3)

"""Windows in time: crops against indexing loops, shifted starts obey their bounds."""

from __future__ import annotations

import pytest
import torch

from coursework.multimodal.windows import (
    crop_frames,
    crop_spectrogram,
    random_starts,
    shifted_starts,
)


def test_crops_match_loops() -> None:
    videos = torch.arange(3 * 6 * 2).view(3, 6, 2, 1, 1)
    spec = torch.arange(3 * 2 * 24).view(3, 2, 24).float()
    start = torch.tensor([0, 2, 3])
    frames = crop_frames(videos, start, 3)
    cut = crop_spectrogram(spec, start, 3, 4)
    for b in range(3):
        s = int(start[b])
        assert torch.equal(frames[b], videos[b, s : s + 3])
        assert torch.equal(cut[b], spec[b, :, 4 * s : 4 * s + 12])


def test_shifted_starts_are_far_enough_and_cover_the_options() -> None:
    torch.manual_seed(0)
    start = random_starts(2000, 16, 8, "cpu")
    assert int(start.min()) == 0 and int(start.max()) == 8
    shifted = shifted_starts(start, 16, 8, 4)
    assert ((shifted - start).abs() >= 4).all()
    assert int(shifted.min()) == 0 and int(shifted.max()) == 8
    assert set(shifted[start == 4].tolist()) == {0, 8}


def test_impossible_shift_is_explained() -> None:
    with pytest.raises(ValueError, match="min_shift"):
        shifted_starts(torch.zeros(2, dtype=torch.long), 8, 4, 3)

"""Clip sampling and test-time averaging."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from coursework.video.clips import (
    clip_span,
    predict_averaged,
    random_starts,
    sample_clip,
    to_float,
)


def test_sample_clip_against_a_loop():
    g = torch.Generator().manual_seed(0)
    videos = torch.rand(3, 11, 2, 4, 4, generator=g)
    starts = torch.tensor([0, 4, 2])
    out = sample_clip(videos, starts, 3, 3)
    for b in range(3):
        for t in range(3):
            assert torch.equal(out[b, t], videos[b, int(starts[b]) + 3 * t])
    assert clip_span(3, 3) == 7


def test_sample_clip_past_the_end_is_a_clear_error():
    with pytest.raises(ValueError, match="runs past"):
        sample_clip(torch.zeros(1, 5, 1, 2, 2), torch.tensor([2]), 3, 2)


def test_random_starts_are_valid_and_cover_the_range():
    torch.manual_seed(0)
    s = random_starts(2000, 12, 4, 2, torch.device("cpu"))
    assert int(s.min()) == 0 and int(s.max()) == 12 - clip_span(4, 2)
    with pytest.raises(ValueError, match="shorter"):
        random_starts(1, 5, 4, 2, torch.device("cpu"))


class _MeanBrightness(nn.Module):
    """Logits (brightness, -brightness) of the clip: a model whose answer varies."""

    def forward(self, clips: torch.Tensor) -> torch.Tensor:
        m = clips.mean(dim=(1, 2, 3, 4))
        return torch.stack([m, -m], -1)


def test_predict_averaged_is_the_mean_of_clip_softmaxes():
    videos = torch.linspace(0, 1, 10).view(1, 10, 1, 1, 1).expand(2, 10, 1, 2, 2)
    model = _MeanBrightness()
    probs = predict_averaged(model, videos, 3, 2, num_clips=6)
    expected = (
        sum(
            model(sample_clip(videos, torch.full((2,), s), 3, 2)).softmax(-1)
            for s in range(6)
        )
        / 6
    )
    assert torch.allclose(probs, expected)
    assert torch.allclose(probs.sum(-1), torch.ones(2))


def test_to_float_scales_uint8_only():
    assert to_float(torch.tensor([255], dtype=torch.uint8)).item() == 1.0
    x = torch.tensor([0.5])
    assert to_float(x) is x

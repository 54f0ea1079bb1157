"""Max-over-positions scores, heatmaps, peaks and hits, against loops."""

from __future__ import annotations

import pytest
import torch

from coursework.multimodal.localisation import (
    localisation_hits,
    max_over_positions,
    peak_positions,
    similarity_map,
)


def _scores_loops(audio, maps):
    b, (b2, t, _, h, w) = audio.shape[0], maps.shape
    out = torch.zeros(b, b2, dtype=audio.dtype)
    for i in range(b):
        for j in range(b2):
            total = 0.0
            for s in range(t):
                best = -2.0
                for y in range(h):
                    for x in range(w):
                        vec = maps[j, s, :, y, x]
                        cos = float(audio[i] @ vec / (audio[i].norm() * vec.norm()))
                        best = max(best, cos)
                total += best
            out[i, j] = total / t
    return out


def test_max_over_positions_matches_loops_with_gradients() -> None:
    g = torch.Generator().manual_seed(0)
    audio = torch.randn(3, 4, generator=g, dtype=torch.float64, requires_grad=True)
    maps = torch.randn(2, 2, 4, 3, 3, generator=g, dtype=torch.float64)
    maps.requires_grad_(True)
    scores = max_over_positions(audio, maps)
    expected = _scores_loops(audio.detach(), maps.detach())
    torch.testing.assert_close(scores.detach(), expected)
    # the gradient w.r.t. the map is non-zero only at each frame's arg-max position
    (gm,) = torch.autograd.grad(scores.sum(), maps)
    nonzero = (gm.abs().sum(2) > 0).flatten(2).sum(2)  # (B2, T)
    assert (nonzero <= audio.shape[0]).all() and (nonzero >= 1).all()
    assert torch.autograd.gradcheck(
        lambda a, m: max_over_positions(a, m), (audio, maps), eps=1e-6, atol=1e-5
    )


def test_similarity_map_is_the_diagonal_of_the_pairwise_scores() -> None:
    g = torch.Generator().manual_seed(1)
    audio = torch.randn(4, 5, generator=g, dtype=torch.float64)
    maps = torch.randn(4, 3, 5, 2, 2, generator=g, dtype=torch.float64)
    heat = similarity_map(audio, maps)
    assert heat.shape == (4, 3, 2, 2)
    own = heat.flatten(2).amax(2).mean(1)
    torch.testing.assert_close(own, max_over_positions(audio, maps).diagonal())


def test_a_planted_match_gives_score_one_at_its_position() -> None:
    audio = torch.tensor([[1.0, 0.0, 0.0]])
    maps = torch.zeros(1, 1, 3, 4, 4)
    maps[..., 1, :, :] = 1.0  # every position points along axis 1
    maps[0, 0, :, 2, 3] = torch.tensor([2.0, 0.0, 0.0])  # one along the audio
    assert float(max_over_positions(audio, maps)) == pytest.approx(1.0)
    peak = peak_positions(similarity_map(audio, maps))
    torch.testing.assert_close(peak, torch.tensor([[[3.5 / 4, 2.5 / 4]]]))


def test_hits_use_radius_plus_half_a_cell() -> None:
    peaks = torch.tensor([[[0.5, 0.5], [0.5, 0.5]]])
    centres = torch.tensor([[[0.6, 0.5], [0.8, 0.5]]])
    hits = localisation_hits(peaks, centres, torch.tensor([0.08]), cell=0.125)
    assert hits.tolist() == [[True, False]]  # 0.1 <= 0.08 + 0.0625 < 0.3


def test_dimension_mismatch_is_explained() -> None:
    with pytest.raises(ValueError, match="channels"):
        max_over_positions(torch.randn(2, 3), torch.randn(2, 1, 4, 2, 2))

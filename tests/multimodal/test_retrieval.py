"""Recall@K on hand-built similarity matrices, and against a sorting loop."""

from __future__ import annotations

import pytest
import torch

from coursework.multimodal.retrieval import match_ranks, recall_at_k, retrieval_report


def _recall_loops(sim, k):
    hits = 0
    for i in range(sim.shape[0]):
        better = sum(
            1 for j in range(sim.shape[1]) if j != i and sim[i, j] >= sim[i, i]
        )
        hits += better < k
    return hits / sim.shape[0]


def test_hand_built_matrix() -> None:
    sim = torch.tensor(
        [
            [0.9, 0.1, 0.2],  # match first: rank 0
            [0.8, 0.5, 0.1],  # one better: rank 1
            [0.3, 0.4, 0.2],  # two better: rank 2
        ]
    )
    assert match_ranks(sim).tolist() == [0, 1, 2]
    assert float(recall_at_k(sim, 1)) == pytest.approx(1 / 3)
    assert float(recall_at_k(sim, 2)) == pytest.approx(2 / 3)
    assert float(recall_at_k(sim, 3)) == pytest.approx(1.0)
    report = retrieval_report(sim, ks=(1, 2))
    # columns as queries: the other direction of the same matrix
    assert report["v2a_r1"] == pytest.approx(1 / 3)
    assert report["a2v_r1"] == pytest.approx(float(recall_at_k(sim.T, 1)))


def test_ties_count_against_the_query_and_identity_is_perfect() -> None:
    assert float(recall_at_k(torch.ones(5, 5), 4)) == 0.0
    assert float(recall_at_k(torch.ones(5, 5), 5)) == 1.0
    assert float(recall_at_k(torch.eye(7), 1)) == 1.0


@pytest.mark.parametrize("k", [1, 3, 10])
def test_random_matrices_match_loops(k) -> None:
    sim = torch.randn(25, 25, generator=torch.Generator().manual_seed(k))
    assert float(recall_at_k(sim, k)) == pytest.approx(_recall_loops(sim, k))


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="square"):
        recall_at_k(torch.zeros(3, 4), 1)
    with pytest.raises(ValueError, match="k must"):
        recall_at_k(torch.zeros(3, 3), 0)

"""Sinkhorn-Knopp: marginals, agreement with a loop version, the known fixed points."""

from __future__ import annotations

import math

import pytest
import torch

from coursework.multimodal.sinkhorn import sinkhorn


def _sinkhorn_loops(scores, n_iters, eps):
    """SeLa's algorithm with explicit sums: P^(1/eps), then scale columns and rows."""
    b, k = scores.shape
    q = [[math.exp(float(scores[i, j]) / eps) for j in range(k)] for i in range(b)]
    for _ in range(n_iters):
        for j in range(k):
            col = sum(q[i][j] for i in range(b))
            for i in range(b):
                q[i][j] *= (b / k) / col
        for i in range(b):
            row = sum(q[i])
            q[i] = [x / row for x in q[i]]
    return torch.tensor(q, dtype=torch.float64)


@pytest.mark.parametrize(
    "b,k,iters,eps", [(6, 3, 1, 1.0), (10, 4, 3, 0.5), (9, 3, 5, 0.2)]
)
def test_sinkhorn_matches_loops(b, k, iters, eps) -> None:
    g = torch.Generator().manual_seed(b)
    scores = torch.log_softmax(torch.randn(b, k, generator=g, dtype=torch.float64), 1)
    expected = _sinkhorn_loops(scores, iters, eps)
    torch.testing.assert_close(sinkhorn(scores, iters, eps), expected)


@pytest.mark.parametrize("b,k", [(64, 4), (30, 10), (7, 7)])
def test_sinkhorn_marginals(b, k) -> None:
    g = torch.Generator().manual_seed(k)
    logits = 3 * torch.randn(b, k, generator=g, dtype=torch.float64)
    scores = torch.log_softmax(logits, 1)
    q = sinkhorn(scores, n_iters=200, epsilon=0.5)
    torch.testing.assert_close(q.sum(1), torch.ones(b, dtype=torch.float64))
    torch.testing.assert_close(q.sum(0), torch.full((k,), b / k, dtype=torch.float64),
                               atol=1e-4, rtol=0)
    assert (q >= 0).all()


def test_sinkhorn_known_cases_and_no_gradient() -> None:
    uniform = torch.zeros(6, 3, requires_grad=True)
    q = sinkhorn(uniform)
    torch.testing.assert_close(q, torch.full((6, 3), 1 / 3))
    assert not q.requires_grad
    # all samples prefer cluster 0: equipartition still spreads them evenly
    skew = torch.log_softmax(torch.tensor([[2.0, 0.0, 0.0]]).repeat(6, 1), 1)
    q = sinkhorn(skew, n_iters=50, epsilon=1.0)
    torch.testing.assert_close(q.sum(0), torch.full((3,), 2.0), atol=1e-4, rtol=0)
    # confident scores do not overflow in the log domain
    q = sinkhorn(100 * torch.randn(8, 4), n_iters=3, epsilon=0.01)
    assert torch.isfinite(q).all()


def test_sinkhorn_bad_input() -> None:
    with pytest.raises(ValueError, match="B, K"):
        sinkhorn(torch.zeros(3))
    with pytest.raises(ValueError, match="epsilon"):
        sinkhorn(torch.zeros(3, 2), epsilon=0)

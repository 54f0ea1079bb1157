"""Cross-modal retrieval: Recall@K from a query-by-gallery similarity matrix.

Recall@K is the fraction of queries whose true match ranks among the K most
similar items of the gallery (e.g. Miech et al., *HowTo100M*, 2019,
arXiv:1906.03327). Query ``i``'s match is gallery item ``i``; ties count
against the query (its rank is the number of other items scoring at least as
high).
"""

from __future__ import annotations

import torch


def match_ranks(similarity: torch.Tensor) -> torch.Tensor:
    """0-based rank of each query's true match: ``#{j != i : s_ij >= s_ii}`` (N,)."""
    if similarity.dim() != 2 or similarity.shape[0] != similarity.shape[1]:
        raise ValueError(
            "similarity must be square (N queries x N gallery items, match on the "
            f"diagonal); got shape {tuple(similarity.shape)}"
        )
    diag = similarity.diagonal().unsqueeze(1)  # (N, 1)
    return (similarity >= diag).sum(1) - 1


def recall_at_k(similarity: torch.Tensor, k: int) -> torch.Tensor:
    """Fraction of queries (rows) whose match (the diagonal) is in their top ``k``.

    Args:
        similarity: (N, N), row = query, column = gallery item.
        k: cut-off, >= 1.

    Returns:
        A float scalar tensor in [0, 1].
    """
    if k < 1:
        raise ValueError(f"k must be >= 1; got {k}")
    return (match_ranks(similarity) < k).float().mean()


def retrieval_report(
    similarity: torch.Tensor, ks: tuple[int, ...] = (1, 5, 10)
) -> dict[str, float]:
    """Recall@K both ways for a video-by-audio similarity matrix (rows = video).

    Returns:
        ``{"v2a_r1": ..., "a2v_r1": ..., ...}`` as floats.
    """
    out = {}
    for k in ks:
        out[f"v2a_r{k}"] = float(recall_at_k(similarity, k))
        out[f"a2v_r{k}"] = float(recall_at_k(similarity.T, k))
    return out


__all__ = ["match_ranks", "recall_at_k", "retrieval_report"]

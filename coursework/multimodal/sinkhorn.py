"""Sinkhorn-Knopp pseudo-labels with equal cluster sizes (self-labelling).

Asano, Rupprecht & Vedaldi, *Self-labelling via simultaneous clustering and
representation learning* (SeLa, 2020, arXiv:1911.05371) find labels ``Q`` that
maximise agreement with the network's predictions subject to every cluster
getting an equal share of the data: an optimal-transport problem, solved
approximately by the Sinkhorn-Knopp algorithm (Cuturi, 2013,
arXiv:1306.0895): ``Q = diag(u) P^(1/eps) diag(v)`` with ``u, v`` found by
alternately rescaling rows and columns to their marginals. SeLaVi (Asano et
al., *Labelling unlabelled videos from scratch with multi-modal
self-supervision*, 2020, arXiv:2006.13662) shares one set of labels between
the video and audio heads. We work in the log domain, which does not
overflow for small ``eps``.
"""

from __future__ import annotations

import math

import torch


def sinkhorn(
    scores: torch.Tensor, n_iters: int = 3, epsilon: float = 0.05
) -> torch.Tensor:
    """Equipartitioned soft labels from scores, by Sinkhorn-Knopp iterations.

    Starts from ``log Q = scores / epsilon``; each iteration rescales the
    columns (clusters) to sum to ``B / K``, then the rows (samples) to sum to 1.

    Args:
        scores: (B, K) log-probabilities or logits of B samples over K clusters.
        n_iters: number of column-then-row rescalings (>= 1).
        epsilon: entropic regularisation; smaller gives harder labels.

    Returns:
        Q (B, K), rows summing to 1, columns to about ``B / K``; no gradient.
    """
    if scores.dim() != 2:
        raise ValueError(f"scores must be (B, K); got shape {tuple(scores.shape)}")
    if n_iters < 1 or epsilon <= 0:
        raise ValueError(f"need n_iters >= 1 and epsilon > 0; got {n_iters}, {epsilon}")
    b, k = scores.shape
    log_q = scores.detach() / epsilon
    for _ in range(n_iters):
        # columns: sum_i Q_ik = B / K
        log_q = log_q - torch.logsumexp(log_q, dim=0, keepdim=True) + math.log(b / k)
        # rows: sum_k Q_ik = 1
        log_q = log_q - torch.logsumexp(log_q, dim=1, keepdim=True)
    return log_q.exp()


__all__ = ["sinkhorn"]

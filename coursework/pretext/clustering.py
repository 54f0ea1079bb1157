"""DeepCluster: k-means on the network's features gives pseudo-labels to learn.

Caron et al., "Deep Clustering for Unsupervised Learning of Visual Features"
(ECCV 2018, arXiv:1807.05520): alternate (1) k-means on the features of the
whole dataset and (2) training the network to predict the cluster of each
image, with a fresh classifier each round. Two tricks avoid trivial
solutions: an empty cluster is re-seeded near a non-empty one, and images are
weighted by the inverse size of their cluster ("uniform sampling over
pseudo-labels").
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def assign(x: torch.Tensor, centroids: torch.Tensor) -> torch.Tensor:
    """Nearest centroid of each point: x (N, D), centroids (K, D) -> (N,) long."""
    return torch.cdist(x, centroids).argmin(1)


def update_centroids(
    x: torch.Tensor, labels: torch.Tensor, centroids: torch.Tensor
) -> torch.Tensor:
    """Mean of each cluster's points; an empty cluster keeps its old centroid."""
    k = centroids.shape[0]
    sums = torch.zeros_like(centroids).index_add_(0, labels, x)  # (K, D)
    counts = torch.bincount(labels, minlength=k).to(x.dtype)  # (K,)
    return torch.where(
        counts[:, None] > 0, sums / counts.clamp(min=1)[:, None], centroids
    )


def kmeans(
    x: torch.Tensor, k: int, iters: int = 20, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Lloyd's k-means from ``k`` random points; empty clusters are re-seeded.

    Returns:
        ``(labels, centroids)``: (N,) long and (K, D).
    """
    n = x.shape[0]
    if not 1 <= k <= n:
        raise ValueError(f"k must be between 1 and the number of points {n}; got {k}")
    g = torch.Generator().manual_seed(seed)
    centroids = x[torch.randperm(n, generator=g)[:k].to(x.device)].clone()
    for _ in range(iters):
        labels = assign(x, centroids)
        centroids = update_centroids(x, labels, centroids)
        # re-seed empty clusters at random points (DeepCluster: near a big cluster)
        empty = torch.bincount(labels, minlength=k) == 0
        fresh = x[torch.randint(n, (k,), generator=g).to(x.device)]
        centroids = torch.where(empty[:, None], fresh, centroids)
    return assign(x, centroids), centroids


def prepare_features(f: torch.Tensor) -> torch.Tensor:
    """Standardise each dimension, then L2-normalise each row (DeepCluster's
    PCA-whitening and normalisation, without the PCA)."""
    f = (f - f.mean(0)) / f.std(0).clamp(min=1e-6)
    return F.normalize(f, dim=1)


def cluster_weights(labels: torch.Tensor, k: int) -> torch.Tensor:
    """Per-cluster loss weights N / (K_used n_c), 0 for empty clusters: (K,)."""
    counts = torch.bincount(labels, minlength=k).float()
    used = (counts > 0).sum()
    return torch.where(counts > 0, labels.numel() / (used * counts.clamp(min=1)), 0.0)

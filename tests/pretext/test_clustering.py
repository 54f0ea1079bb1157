"""DeepCluster's k-means against loops; pseudo-label weights."""

from __future__ import annotations

import pytest
import torch

from coursework.pretext.clustering import (
    assign,
    cluster_weights,
    kmeans,
    prepare_features,
    update_centroids,
)


def test_assign_and_update_match_loops() -> None:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(20, 3, generator=g, dtype=torch.float64)
    c = torch.randn(4, 3, generator=g, dtype=torch.float64)
    labels = assign(x, c)
    for i in range(20):
        d = [float(((x[i] - c[k]) ** 2).sum()) for k in range(4)]
        assert labels[i] == min(range(4), key=d.__getitem__)
    labels = torch.tensor([0] * 5 + [1] * 15)  # cluster 2 and 3 empty
    new = update_centroids(x, labels, c)
    assert torch.allclose(new[0], x[:5].mean(0)) and torch.allclose(
        new[1], x[5:].mean(0)
    )
    assert torch.equal(new[2:], c[2:])  # empty clusters keep their centroid


def test_kmeans_finds_separated_blobs() -> None:
    g = torch.Generator().manual_seed(1)
    centres = torch.tensor([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    truth = torch.arange(3).repeat_interleave(30)
    x = centres[truth] + 0.3 * torch.randn(90, 2, generator=g)
    labels, found = kmeans(x, 3, iters=10, seed=0)
    # the same partition up to renaming the clusters
    for k in range(3):
        assert len(set(labels[truth == k].tolist())) == 1
    assert len(set(labels.tolist())) == 3
    with pytest.raises(ValueError, match="k must"):
        kmeans(x, 91)


def test_weights_and_features() -> None:
    labels = torch.tensor([0, 0, 0, 1, 3, 3])
    w = cluster_weights(labels, 4)
    assert w[2] == 0
    # every used cluster gets the same total weight: uniform over pseudo-labels
    totals = torch.bincount(labels, weights=w[labels], minlength=4)
    assert torch.allclose(totals[[0, 1, 3]], torch.full((3,), 2.0))
    f = prepare_features(torch.randn(10, 5) * 7 + 3)
    assert torch.allclose(f.norm(dim=1), torch.ones(10))

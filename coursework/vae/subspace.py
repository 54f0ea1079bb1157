"""Comparing subspaces: PCA bases and principal angles.

Baldi & Hornik, "Neural networks and principal component analysis: learning
from examples without local minima", Neural Networks 1989: the global minima
of a linear autoencoder's squared error project onto the span of the top
``d`` principal components, though not onto the components themselves (any
invertible mix of them is as good). Principal angles (Björck & Golub, 1973)
measure how close two subspaces are regardless of the basis: the cosines of
the angles are the singular values of ``Q_1^T Q_2`` for orthonormal bases.
"""

from __future__ import annotations

import torch


def orthonormal_basis(a: torch.Tensor) -> torch.Tensor:
    """Orthonormal basis of the column span of ``a`` (N, d), via QR. Returns (N, d)."""
    q, _ = torch.linalg.qr(a)
    return q


def pca_basis(x: torch.Tensor, d: int) -> torch.Tensor:
    """Top-``d`` principal directions of data ``x`` (B, N) as columns, shape (N, d)."""
    if d > min(x.shape):
        raise ValueError(f"d={d} exceeds the rank bound min{tuple(x.shape)}")
    centred = x - x.mean(0, keepdim=True)
    # x_c = U S V^T; the principal directions are the columns of V
    _, _, vh = torch.linalg.svd(centred, full_matrices=False)
    return vh[:d].T  # (N, d)


def principal_angles(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Principal angles (radians, ascending) between the spans of ``a`` and ``b``.

    Args:
        a: (N, d1) columns spanning the first subspace (need not be orthonormal).
        b: (N, d2) columns spanning the second.

    Returns:
        (min(d1, d2),) angles in [0, pi/2].
    """
    if a.shape[0] != b.shape[0]:
        raise ValueError(
            f"both bases need the same ambient dimension; got {a.shape[0]} and "
            f"{b.shape[0]} rows"
        )
    qa, qb = orthonormal_basis(a), orthonormal_basis(b)
    # cos(theta_i) = sigma_i(Q_a^T Q_b)
    cosines = torch.linalg.svdvals(qa.T @ qb).clamp(-1.0, 1.0)
    return torch.arccos(cosines)  # ascending, since the cosines descend


def subspace_overlap(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Mean squared cosine of the principal angles: 1 equal, 0 orthogonal spans."""
    return torch.cos(principal_angles(a, b)).pow(2).mean()

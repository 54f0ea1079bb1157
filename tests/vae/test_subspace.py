"""PCA bases, principal angles, and the linear autoencoder's PCA subspace."""

from __future__ import annotations

import math

import pytest
import torch

from coursework.vae.autoencoders import Autoencoder
from coursework.vae.losses import squared_error
from coursework.vae.subspace import pca_basis, principal_angles, subspace_overlap


def test_principal_angles_known_values() -> None:
    e = torch.eye(3, dtype=torch.float64)
    # span(e1, e2) vs span(e1, (e2 + e3)/sqrt 2): angles 0 and 45 degrees
    b = torch.stack([e[0], (e[1] + e[2]) / math.sqrt(2)], 1)
    angles = principal_angles(e[:, :2], b)
    torch.testing.assert_close(
        angles, torch.tensor([0.0, math.pi / 4], dtype=torch.float64)
    )
    torch.testing.assert_close(
        subspace_overlap(
            e[:, :2], e[:, :2] @ torch.tensor([[2.0, 1], [0, 1]], dtype=torch.float64)
        ),
        torch.tensor(1.0, dtype=torch.float64),
    )
    torch.testing.assert_close(
        subspace_overlap(e[:, :1], e[:, 1:2]),
        torch.tensor(0.0, dtype=torch.float64),
        atol=1e-7,
        rtol=0,
    )
    with pytest.raises(ValueError, match="ambient"):
        principal_angles(e, torch.eye(4))


def test_pca_basis_matches_covariance_eigenvectors() -> None:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(200, 5, generator=g, dtype=torch.float64) * torch.tensor(
        [5.0, 3, 2, 1, 0.5], dtype=torch.float64
    )
    cov = torch.cov(x.T)
    _, vecs = torch.linalg.eigh(cov)  # ascending
    top = vecs[:, -2:]
    angles = principal_angles(pca_basis(x, 2), top)
    assert angles.max() < 1e-6


def test_linear_autoencoder_spans_the_principal_subspace() -> None:
    # a tiny fixed dataset with a clear spectral gap after 3 directions
    g = torch.Generator().manual_seed(0)
    n, d, k = 256, 16, 3
    basis, _ = torch.linalg.qr(torch.randn(d, d, generator=g))
    scales = torch.tensor([3.0, 2.0, 1.5] + [0.1] * (d - k))
    x = (torch.randn(n, d, generator=g) * scales) @ basis.T + 0.5
    images = x.view(n, 1, 4, 4)
    torch.manual_seed(0)
    model = Autoencoder((1, 4, 4), code_dim=k)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(1500):
        loss = squared_error(model(images)[0], images).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    decoder_columns = model.decoder[0].weight.detach()  # (d, k)
    angles = principal_angles(decoder_columns, pca_basis(x, k))
    assert angles.max() < math.radians(3), torch.rad2deg(angles)

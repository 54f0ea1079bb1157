"""Codebook perplexity and the latent-factor mutual information."""

from __future__ import annotations

import math

import torch

from coursework.vae.metrics import (
    codebook_perplexity,
    discrete_mutual_information,
    entropy,
    mutual_information_gap,
    mutual_information_matrix,
)


def test_perplexity_known_values() -> None:
    uniform = torch.arange(8).repeat(5)
    torch.testing.assert_close(codebook_perplexity(uniform, 8), torch.tensor(8.0))
    torch.testing.assert_close(
        codebook_perplexity(torch.zeros(10, dtype=torch.long), 8), torch.tensor(1.0)
    )


def test_discrete_mutual_information_against_loop() -> None:
    g = torch.Generator().manual_seed(0)
    a = torch.randint(3, (500,), generator=g)
    b = (a + torch.randint(2, (500,), generator=g)) % 4
    n = len(a)
    mi = 0.0
    for i in range(3):
        for j in range(4):
            pij = float(((a == i) & (b == j)).sum()) / n
            if pij > 0:
                pi, pj = float((a == i).sum()) / n, float((b == j).sum()) / n
                mi += pij * math.log(pij / (pi * pj))
    assert abs(float(discrete_mutual_information(a, b)) - mi) < 1e-9
    # I(a; a) = H(a)
    torch.testing.assert_close(discrete_mutual_information(a, a), entropy(a))


def test_mutual_information_matrix_finds_the_matching_dimension() -> None:
    g = torch.Generator().manual_seed(1)
    factors = torch.rand(2000, 2, generator=g, dtype=torch.float64)
    noise = 0.01 * torch.randn(2000, 3, generator=g, dtype=torch.float64)
    latents = (
        torch.stack(
            [
                factors[:, 1],
                torch.randn(2000, generator=g, dtype=torch.float64),
                -(factors[:, 0] ** 3),
            ],
            1,
        )
        + noise
    )
    mi = mutual_information_matrix(
        latents, {"a": factors[:, 0], "b": factors[:, 1]}, bins=10
    )
    assert mi.shape == (3, 2)
    assert mi[:, 0].argmax() == 2 and mi[:, 1].argmax() == 0
    assert mi[1].max() < 0.05 and mi[2, 0] > 0.6
    assert mutual_information_gap(mi) > 0.5


def test_integer_factors_are_labels() -> None:
    g = torch.Generator().manual_seed(2)
    label = torch.randint(3, (3000,), generator=g)
    latents = torch.stack(
        [
            label.double() + 0.01 * torch.randn(3000, generator=g, dtype=torch.float64),
            torch.randn(3000, generator=g, dtype=torch.float64),
        ],
        1,
    )
    mi = mutual_information_matrix(latents, {"label": label}, bins=3)
    assert mi[0, 0] > 0.95 and mi[1, 0] < 0.05

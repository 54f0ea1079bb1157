"""Mode metrics on hand-built sample sets; Fréchet distance against scipy; k-NN P/R."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.linalg
import torch

from coursework.data.mixtures import grid, ring
from coursework.metrics import (
    accuracy,
    class_histogram,
    classes_covered,
    feature_frechet_distance,
    frechet_distance,
    gaussian_stats,
    group_accuracy,
    high_quality_share,
    mode_counts,
    modes_covered,
    pair_accuracy,
    precision_recall,
)
from coursework.metrics import correct as correct_count


def _frechet_scipy(mu1, c1, mu2, c2) -> float:
    """The FID reference formula with scipy.linalg.sqrtm of C1 C2."""
    covmean = scipy.linalg.sqrtm(c1 @ c2)
    covmean = np.real(covmean)
    return float(((mu1 - mu2) ** 2).sum() + np.trace(c1 + c2 - 2 * covmean))


def test_all_modes_one_mode_and_noise() -> None:
    g = torch.Generator().manual_seed(0)
    for mix in (ring(), grid()):
        k = mix.centers.shape[0]
        every = mix.sample(2500, generator=g)
        assert int(modes_covered(every, mix.centers, mix.std)) == k
        # in 2-D, P(|N(0, s^2 I)| < 3s) = 1 - exp(-9/2) = 0.989
        expected = 1 - math.exp(-4.5)
        assert float(high_quality_share(every, mix.centers, mix.std)) == pytest.approx(
            expected, abs=0.01
        )
        one = mix.centers[3] + mix.std * torch.randn(2500, 2, generator=g)
        assert int(modes_covered(one, mix.centers, mix.std)) == 1
        assert float(high_quality_share(one, mix.centers, mix.std)) > 0.97
        noise = 6 * torch.rand(2500, 2, generator=g) - 3
        assert float(high_quality_share(noise, mix.centers, mix.std)) < 0.05
        assert int(modes_covered(noise, mix.centers, mix.std)) <= 1


def test_mode_counts_match_a_loop() -> None:
    mix = ring()
    g = torch.Generator().manual_seed(1)
    x = mix.sample(300, generator=g) + 0.05 * torch.randn(300, 2, generator=g)
    counts = torch.zeros(8, dtype=torch.long)
    for p in x:
        d = [float((p - c).norm()) for c in mix.centers]
        j = int(np.argmin(d))
        if d[j] < 3 * mix.std:
            counts[j] += 1
    torch.testing.assert_close(mode_counts(x, mix.centers, mix.std), counts)
    # batched over seeds: (S, N, 2)
    stacked = torch.stack([x, x[:, [1, 0]]])
    assert modes_covered(stacked, mix.centers, mix.std, min_count=1).shape == (2,)


def test_frechet_distance_against_scipy_and_zero() -> None:
    g = torch.Generator().manual_seed(2)
    for d in (1, 3, 16):
        a = torch.randn(d, 3 * d, generator=g, dtype=torch.float64)
        b = torch.randn(d, 3 * d, generator=g, dtype=torch.float64)
        c1, c2 = a @ a.T / d, b @ b.T / d
        mu1, mu2 = (
            torch.randn(d, generator=g, dtype=torch.float64),
            torch.randn(d, generator=g, dtype=torch.float64),
        )
        ours = float(frechet_distance(mu1, c1, mu2, c2))
        ref = _frechet_scipy(mu1.numpy(), c1.numpy(), mu2.numpy(), c2.numpy())
        assert ours == pytest.approx(ref, rel=1e-6, abs=1e-8)
        assert abs(float(frechet_distance(mu1, c1, mu1, c1))) < 1e-8


def test_frechet_distance_exact_cases() -> None:
    # 1-D: (m1 - m2)^2 + (s1 - s2)^2
    one = lambda v: torch.tensor([[v]], dtype=torch.float64)  # noqa: E731
    fd = frechet_distance(
        torch.tensor([1.0], dtype=torch.float64),
        one(4.0),
        torch.tensor([3.0], dtype=torch.float64),
        one(1.0),
    )
    assert float(fd) == pytest.approx(4.0 + 1.0)
    # from samples: identical sets give 0
    x = torch.randn(50, 4, generator=torch.Generator().manual_seed(3))
    assert abs(float(feature_frechet_distance(x, x.clone()))) < 1e-8


def test_gaussian_stats_match_numpy() -> None:
    x = torch.randn(
        40, 5, generator=torch.Generator().manual_seed(4), dtype=torch.float64
    )
    mu, cov = gaussian_stats(x)
    np.testing.assert_allclose(mu.numpy(), x.numpy().mean(0))
    np.testing.assert_allclose(cov.numpy(), np.cov(x.numpy(), rowvar=False))
    with pytest.raises(ValueError, match="N >= 2"):
        gaussian_stats(x[:1])


def _pr_loop(real, fake, k):
    def radii(s):
        out = []
        for i in range(len(s)):
            d = sorted(float((s[i] - s[j]).norm()) for j in range(len(s)) if j != i)
            out.append(d[k - 1])
        return out

    def share(q, s, r):
        return np.mean(
            [any(float((a - s[j]).norm()) <= r[j] for j in range(len(s))) for a in q]
        )

    return share(fake, real, radii(real)), share(real, fake, radii(fake))


def test_precision_recall_match_a_loop_and_exact_cases() -> None:
    g = torch.Generator().manual_seed(5)
    real = torch.randn(30, 3, generator=g, dtype=torch.float64)
    fake = torch.randn(25, 3, generator=g, dtype=torch.float64) + 0.5
    p, r = precision_recall(real, fake, k=3)
    p_ref, r_ref = _pr_loop(real, fake, 3)
    assert float(p) == pytest.approx(p_ref) and float(r) == pytest.approx(r_ref)
    p, r = precision_recall(real, real.clone(), k=3)
    assert float(p) == 1.0 and float(r) == 1.0
    far = real + 100.0
    p, r = precision_recall(real, far, k=3)
    assert float(p) == 0.0 and float(r) == 0.0
    # a collapsed generator: precise, but without recall
    collapsed = real[:1].repeat(25, 1) + 1e-3 * torch.randn(
        25, 3, generator=g, dtype=torch.float64
    )
    p, r = precision_recall(real, collapsed, k=3)
    assert float(p) == 1.0 and float(r) < 0.2


def test_class_histogram_and_coverage() -> None:
    hist = class_histogram(torch.tensor([0, 0, 1, 3]), 4)
    torch.testing.assert_close(
        hist, torch.tensor([0.5, 0.25, 0.0, 0.25], dtype=torch.float64)
    )
    assert int(classes_covered(hist)) == 3
    assert int(classes_covered(class_histogram(torch.arange(10), 10))) == 10


def test_accuracies_hand_checked() -> None:
    y = torch.tensor([0, 1, 2, 3, 6, 7])
    p = torch.tensor([0, 0, 2, 2, 6, 5])
    assert float(accuracy(p, y)) == 0.5
    assert int(correct_count(p, y)) == 3
    assert float(group_accuracy(p, y, (6, 7))) == 0.5
    assert float(pair_accuracy(p, y, ((0, 1), (2, 3)))) == 0.5
    assert math.isnan(float(group_accuracy(p, y, (4,))))


def test_accuracy_of_logits_and_of_dense_predictions_match_a_loop() -> None:
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(50, 7, generator=g, dtype=torch.float64)
    labels = torch.randint(0, 7, (50,), generator=g)
    hits = [max(range(7), key=lambda k: logits[i, k]) == labels[i] for i in range(50)]
    assert float(accuracy(logits, labels)) == pytest.approx(sum(hits) / 50)
    assert int(correct_count(logits, labels)) == sum(hits)
    dense = torch.randint(0, 3, (4, 5, 6), generator=g)  # per-pixel predictions
    target = torch.randint(0, 3, (4, 5, 6), generator=g)
    same = sum(int(a == b) for a, b in zip(dense.flatten(), target.flatten()))
    assert float(accuracy(dense, target)) == pytest.approx(same / dense.numel())
    assert accuracy(logits, labels).dtype == torch.float32

"""Lab conversion against the CIE formulas written as per-pixel loops; ab bins."""

from __future__ import annotations

import math

import torch

from coursework.pretext.color import (
    ab_bins,
    annealed_mean,
    lab_to_rgb,
    quantize_ab,
    rebalance_weights,
    rgb_to_lab,
)

M = [
    [0.412453, 0.357580, 0.180423],
    [0.212671, 0.715160, 0.072169],
    [0.019334, 0.119193, 0.950227],
]
WHITE = (0.95047, 1.0, 1.08883)


def _lab_reference(r: float, g: float, b: float) -> tuple[float, float, float]:
    """CIE 1976 L*a*b* of an sRGB colour, one pixel, written out from the standard."""

    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    def f(t: float) -> float:
        d = 6 / 29
        return t ** (1 / 3) if t > d**3 else t / (3 * d * d) + 4 / 29

    rgb = [linear(c) for c in (r, g, b)]
    xyz = [sum(M[i][j] * rgb[j] for j in range(3)) / WHITE[i] for i in range(3)]
    fx, fy, fz = (f(t) for t in xyz)
    return 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)


def test_rgb_to_lab_matches_the_cie_formulas_pixel_by_pixel() -> None:
    g = torch.Generator().manual_seed(0)
    x = torch.rand(2, 3, 4, 5, generator=g, dtype=torch.float64)
    x[0, :, 0, 0] = 0.001  # the linear segments near black
    lab = rgb_to_lab(x)
    for b in range(2):
        for i in range(4):
            for j in range(5):
                ref = _lab_reference(*x[b, :, i, j].tolist())
                for c in range(3):
                    assert math.isclose(lab[b, c, i, j], ref[c], abs_tol=1e-9)


def test_known_colours() -> None:
    white, black = torch.ones(1, 3, 1, 1), torch.zeros(1, 3, 1, 1)
    assert torch.allclose(
        rgb_to_lab(white).flatten(), torch.tensor([100.0, 0, 0]), atol=1e-2
    )
    assert torch.allclose(rgb_to_lab(black).flatten(), torch.zeros(3), atol=1e-4)
    grey = rgb_to_lab(torch.full((1, 3, 1, 1), 0.5))
    # greys have a = b = 0, up to the rounding of the standard matrix (row sums)
    assert abs(grey[0, 1]) < 1e-2 and abs(grey[0, 2]) < 1e-2


def test_round_trip_and_gradients() -> None:
    g = torch.Generator().manual_seed(1)
    x = torch.rand(4, 3, 6, 6, generator=g, dtype=torch.float64)
    assert torch.allclose(lab_to_rgb(rgb_to_lab(x)), x, atol=1e-9)
    x.requires_grad_(True)
    rgb_to_lab(x).sum().backward()
    assert torch.isfinite(x.grad).all()
    # black and white too (the clamps of the powers)
    edge = torch.tensor([0.0, 1.0]).view(1, 1, 1, 2).expand(1, 3, 1, 2).double()
    assert torch.allclose(lab_to_rgb(rgb_to_lab(edge)), edge, atol=1e-9)


def test_quantize_matches_a_loop_and_bins_cover_the_data() -> None:
    g = torch.Generator().manual_seed(2)
    ab = torch.rand(2, 2, 3, 3, generator=g) * 80 - 40
    centres, counts = ab_bins(ab, grid=10.0)
    assert counts.sum() == 18 and len(centres) == len(counts)
    idx = quantize_ab(ab, centres)
    for b in range(2):
        for i in range(3):
            for j in range(3):
                d = [math.dist(ab[b, :, i, j].tolist(), c) for c in centres.tolist()]
                assert idx[b, i, j] == min(range(len(d)), key=d.__getitem__)
                # every pixel lies in its own bin: within half a grid cell
                assert (ab[b, :, i, j] - centres[idx[b, i, j]]).abs().max() <= 5.0


def test_rebalancing_weights() -> None:
    counts = torch.tensor([900, 90, 9, 1])
    w = rebalance_weights(counts, lam=0.5)
    p = counts / counts.sum()
    assert math.isclose(float((p * w).sum()), 1.0, rel_tol=1e-5)  # E_p[w] = 1
    assert (w[1:] > w[:-1]).all()  # rarer colours weigh more
    assert torch.allclose(rebalance_weights(counts, lam=1.0), torch.ones(4))


def test_annealed_mean_between_mean_and_mode() -> None:
    centres = torch.tensor([[0.0, 0.0], [10.0, 0.0], [0.0, 20.0]])
    logits = torch.tensor([1.0, 2.0, 0.5]).view(1, 3, 1, 1)
    mean = annealed_mean(logits, centres, 1.0)[0, :, 0, 0]
    p = torch.softmax(torch.tensor([1.0, 2.0, 0.5]), 0)
    assert torch.allclose(mean, p @ centres)
    mode = annealed_mean(logits, centres, 0.01)[0, :, 0, 0]
    assert torch.allclose(mode, centres[1], atol=1e-3)

"""InfoNCE, MIL-NCE and soft cross-entropy against loops from the papers' formulas."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from coursework.multimodal.losses import (
    info_nce,
    mil_nce,
    multi_positive_nce,
    similarity_logits,
    soft_cross_entropy,
)


def _cos(x, y):
    return float((x @ y) / (x.norm() * y.norm()))


def _info_nce_loops(v, a, tau):
    """CLIP, eq. in the pseudocode: mean of the row-wise and column-wise CE."""
    b = v.shape[0]
    total = 0.0
    for i in range(b):
        row = [math.exp(_cos(v[i], a[j]) / tau) for j in range(b)]
        col = [math.exp(_cos(v[j], a[i]) / tau) for j in range(b)]
        total += -math.log(row[i] / sum(row)) - math.log(col[i] / sum(col))
    return total / (2 * b)


def _multi_positive_loops(logits, positives):
    """MIL-NCE eq. 1 / CoCLR eq. 2: -log(sum_P e / (sum_P e + sum_N e))."""
    out = 0.0
    for i in range(logits.shape[0]):
        pos = neg = 0.0
        for j in range(logits.shape[1]):
            if positives[i, j]:
                pos += math.exp(logits[i, j])
            else:
                neg += math.exp(logits[i, j])
        out += -math.log(pos / (pos + neg))
    return out / logits.shape[0]


@pytest.mark.parametrize("b,d,tau", [(1, 3, 0.1), (5, 4, 0.5), (12, 8, 0.07)])
def test_info_nce_matches_loops_values_and_gradients(b, d, tau) -> None:
    g = torch.Generator().manual_seed(b)
    v = torch.randn(b, d, generator=g, dtype=torch.float64, requires_grad=True)
    a = torch.randn(b, d, generator=g, dtype=torch.float64, requires_grad=True)
    loss = info_nce(v, a, tau)
    expected = _info_nce_loops(v.detach(), a.detach(), tau)
    assert float(loss.detach()) == pytest.approx(expected)
    gv, ga = torch.autograd.grad(loss, (v, a))
    # gradients against finite differences of the loop reference
    eps = 1e-6
    for which, g_x in [(0, gv), (1, ga)]:
        for idx in [(0, 0), (b - 1, d - 1)]:
            fd = 0.0
            for sign in (1, -1):
                pair = [v.detach().clone(), a.detach().clone()]
                pair[which][idx] += sign * eps
                fd += sign * _info_nce_loops(*pair, tau)
            assert float(g_x[idx]) == pytest.approx(fd / (2 * eps), abs=1e-6)


def test_info_nce_known_cases() -> None:
    # orthonormal pairs: cos 1 on the diagonal, 0 off it: log(1 + (B - 1) e^(-1/tau))
    e = torch.eye(4, dtype=torch.float64)
    tau = 0.5
    expected = math.log(1 + 3 * math.exp(-1 / tau))  # cos = 1 on, 0 off the diagonal
    assert float(info_nce(e, e, tau)) == pytest.approx(expected)
    # a single pair: nothing to contrast, loss 0
    assert float(info_nce(torch.randn(1, 3), torch.randn(1, 3))) == pytest.approx(0.0)


def test_info_nce_rejects_mismatched_shapes_and_bad_temperature() -> None:
    with pytest.raises(ValueError, match="same clip"):
        info_nce(torch.randn(3, 4), torch.randn(4, 4))
    with pytest.raises(ValueError, match="temperature"):
        similarity_logits(torch.randn(3, 4), torch.randn(3, 4), 0.0)


@pytest.mark.parametrize("b,n", [(3, 7), (6, 18)])
def test_multi_positive_nce_matches_loops(b, n) -> None:
    g = torch.Generator().manual_seed(n)
    logits = torch.randn(b, n, generator=g, dtype=torch.float64, requires_grad=True)
    positives = torch.rand(b, n, generator=g) < 0.3
    positives[:, 0] = True
    loss = multi_positive_nce(logits, positives)
    expected = _multi_positive_loops(logits.detach(), positives)
    assert float(loss.detach()) == pytest.approx(expected)
    (grad,) = torch.autograd.grad(loss, logits)
    # d/dl_ij = (softmax over all - softmax over the positives) / B
    p_all = torch.softmax(logits.detach(), 1)
    p_pos = torch.softmax(logits.detach().masked_fill(~positives, -math.inf), 1)
    torch.testing.assert_close(grad, (p_all - p_pos) / b)


def test_multi_positive_nce_with_one_positive_is_cross_entropy() -> None:
    logits = torch.randn(5, 9, dtype=torch.float64)
    target = torch.tensor([0, 3, 8, 2, 2])
    mask = F.one_hot(target, 9).bool()
    expected = F.cross_entropy(logits, target)
    torch.testing.assert_close(multi_positive_nce(logits, mask), expected)


def test_multi_positive_nce_is_stable_and_checks_its_mask() -> None:
    logits = torch.full((2, 3), 1000.0)
    mask = torch.tensor([[True, False, False], [True, True, False]])
    loss = multi_positive_nce(logits, mask)
    torch.testing.assert_close(loss, torch.tensor((math.log(3) + math.log(1.5)) / 2))
    with pytest.raises(ValueError, match="bool mask"):
        multi_positive_nce(logits, mask.float())


def test_mil_nce_equals_multi_positive_on_the_flattened_bag() -> None:
    g = torch.Generator().manual_seed(0)
    v = torch.randn(4, 5, generator=g, dtype=torch.float64)
    cand = torch.randn(4, 3, 5, generator=g, dtype=torch.float64)
    logits = torch.zeros(4, 12, dtype=torch.float64)
    positives = torch.zeros(4, 12, dtype=torch.bool)
    for i in range(4):
        for j in range(4):
            for k in range(3):
                logits[i, 3 * j + k] = _cos(v[i], cand[j, k]) / 0.2
                positives[i, 3 * j + k] = i == j
    assert float(mil_nce(v, cand, 0.2)) == pytest.approx(
        _multi_positive_loops(logits, positives)
    )


def test_soft_cross_entropy_matches_hard_labels_and_loops() -> None:
    logits = torch.randn(6, 4, dtype=torch.float64)
    target = torch.tensor([0, 1, 2, 3, 0, 1])
    torch.testing.assert_close(
        soft_cross_entropy(logits, F.one_hot(target, 4).double()),
        F.cross_entropy(logits, target),
    )
    q = torch.softmax(torch.randn(6, 4, dtype=torch.float64), 1)
    loops = -sum(
        q[i, k] * torch.log_softmax(logits[i], 0)[k] for i in range(6) for k in range(4)
    ) / 6
    torch.testing.assert_close(soft_cross_entropy(logits, q), loops)

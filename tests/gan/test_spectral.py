"""Power iteration and spectral normalisation against matrix_norm(ord=2)."""

from __future__ import annotations

import torch
from torch.nn.utils.parametrizations import spectral_norm

from coursework.gan.batched import BatchedLinear
from coursework.gan.spectral import as_matrix, power_iteration, power_iteration_step


def _step_loop(w: torch.Tensor, u: torch.Tensor):
    """Algorithm 1 of Miyato et al., entry by entry."""
    rows, cols = w.shape
    v = torch.stack([sum(w[i, j] * u[i] for i in range(rows)) for j in range(cols)])
    v = v / torch.sqrt(sum(x * x for x in v))
    wv = torch.stack([sum(w[i, j] * v[j] for j in range(cols)) for i in range(rows)])
    u = wv / torch.sqrt(sum(x * x for x in wv))
    sigma = sum(u[i] * wv[i] for i in range(rows))
    return u, v, sigma


def test_step_matches_loop_and_batches() -> None:
    g = torch.Generator().manual_seed(0)
    w = torch.randn(3, 5, 4, generator=g, dtype=torch.float64)
    u = torch.nn.functional.normalize(
        torch.randn(3, 5, generator=g, dtype=torch.float64), dim=-1
    )
    fast = power_iteration_step(w, u)
    for m in range(3):
        slow = _step_loop(w[m], u[m])
        for a, b in zip(fast, slow):
            torch.testing.assert_close(a[m], b)


def test_power_iteration_converges_to_matrix_norm() -> None:
    g = torch.Generator().manual_seed(1)
    for shape in [(8, 8), (16, 40), (40, 6)]:
        w = torch.randn(*shape, generator=g, dtype=torch.float64)
        sigmas = power_iteration(w, 200, generator=g)
        exact = torch.linalg.matrix_norm(w, ord=2)
        torch.testing.assert_close(sigmas[-1], exact, rtol=1e-6, atol=1e-8)
        assert (sigmas[1:] >= sigmas[:-1] - 1e-9).all()  # estimates only grow


def test_exact_diagonal_case() -> None:
    w = torch.diag(torch.tensor([3.0, 1.0, 0.5], dtype=torch.float64))
    u = torch.tensor([1.0, 0.0, 0.0], dtype=torch.float64)
    u2, v2, sigma = power_iteration_step(w, u)
    assert float(sigma) == 3.0
    torch.testing.assert_close(u2, u)


def test_batched_spectral_linear_has_unit_norm() -> None:
    torch.manual_seed(0)
    layer = BatchedLinear(4, 6, 5, spectral=True).double()
    for _ in range(100):  # power iteration runs once per training forward
        w = layer.effective_weight()
    norms = torch.linalg.matrix_norm(w.detach(), ord=2)
    torch.testing.assert_close(
        norms, torch.ones(4, dtype=torch.float64), rtol=1e-5, atol=1e-6
    )


def test_torch_parametrization_agrees_with_our_estimate() -> None:
    torch.manual_seed(0)
    conv = spectral_norm(torch.nn.Conv2d(3, 8, 3)).double()
    for _ in range(50):
        conv(torch.randn(1, 3, 5, 5, dtype=torch.float64))
    raw = conv.parametrizations.weight.original.detach()
    exact = torch.linalg.matrix_norm(as_matrix(raw), ord=2)
    torch.testing.assert_close(
        torch.linalg.matrix_norm(as_matrix(conv.weight.detach()), ord=2),
        torch.tensor(1.0, dtype=torch.float64),
        rtol=1e-4,
        atol=1e-6,
    )
    ours = power_iteration(as_matrix(raw), 100)[-1]
    torch.testing.assert_close(ours, exact, rtol=1e-6, atol=1e-8)


def test_bad_shapes_are_explained() -> None:
    import pytest

    with pytest.raises(ValueError, match="weight"):
        power_iteration_step(torch.randn(3, 4), torch.randn(4))

"""Horn-Schunck flow: the update against a loop, and end-point error on known motion."""

from __future__ import annotations

import torch

from coursework.video.flow import (
    clip_flow,
    gaussian_blur,
    horn_schunck,
    horn_schunck_step,
    image_gradients,
    neighbour_average,
    shift,
)
from coursework.video.metrics import endpoint_error


def _texture(n: int, size: int = 32, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    x = gaussian_blur(
        torch.rand(n, 1, size, size, generator=g, dtype=torch.float64), 2.0
    )
    lo = x.amin(dim=(2, 3), keepdim=True)
    hi = x.amax(dim=(2, 3), keepdim=True)
    return (x - lo) / (hi - lo)


def _slow_step(u, v, ix, iy, it, alpha):
    """Horn and Schunck (1981), eq. by eq., pixel by pixel (replicated borders)."""
    h, w = u.shape
    wts = {(-1, -1): 1 / 12, (-1, 0): 1 / 6, (-1, 1): 1 / 12, (0, -1): 1 / 6,
           (0, 1): 1 / 6, (1, -1): 1 / 12, (1, 0): 1 / 6, (1, 1): 1 / 12}  # fmt: skip
    nu, nv = torch.zeros_like(u), torch.zeros_like(v)
    for y in range(h):
        for x in range(w):
            ub = sum(c * u[min(max(y + dy, 0), h - 1), min(max(x + dx, 0), w - 1)]
                     for (dy, dx), c in wts.items())  # fmt: skip
            vb = sum(c * v[min(max(y + dy, 0), h - 1), min(max(x + dx, 0), w - 1)]
                     for (dy, dx), c in wts.items())  # fmt: skip
            r = (ix[y, x] * ub + iy[y, x] * vb + it[y, x]) / (
                alpha**2 + ix[y, x] ** 2 + iy[y, x] ** 2
            )
            nu[y, x] = ub - ix[y, x] * r
            nv[y, x] = vb - iy[y, x] * r
    return nu, nv


def test_step_matches_the_loop_in_values_and_gradients():
    g = torch.Generator().manual_seed(0)
    args = [torch.randn(5, 6, generator=g, dtype=torch.float64) for _ in range(5)]
    leaves = [a.clone().requires_grad_(True) for a in args]
    slow_leaves = [a.clone().requires_grad_(True) for a in args]
    fast = horn_schunck_step(*leaves, 0.7)
    slow = _slow_step(*slow_leaves, 0.7)
    for f, s in zip(fast, slow):
        assert torch.allclose(f, s)
    w = torch.linspace(0.5, 1.5, 30, dtype=torch.float64).view(5, 6)
    sum((f * w).sum() for f in fast).backward()
    sum((s * w).sum() for s in slow).backward()
    for a, b in zip(leaves, slow_leaves):
        assert torch.allclose(a.grad, b.grad)


def test_neighbour_average_of_a_constant_is_the_constant():
    x = torch.full((2, 4, 5), 3.0, dtype=torch.float64)
    assert torch.allclose(neighbour_average(x), x)


def test_gradients_of_a_ramp():
    ramp = torch.arange(8, dtype=torch.float64).view(1, 8).expand(6, 8)
    ix, iy, it = image_gradients(ramp, ramp + 1)
    assert torch.allclose(ix[:, 1:-1], torch.ones(6, 6, dtype=torch.float64))
    assert torch.allclose(iy, torch.zeros_like(iy)) and torch.allclose(it, 1 + 0 * it)


def test_known_translation_has_small_endpoint_error():
    img = _texture(4)
    mask = torch.zeros(32, 32)
    mask[6:-6, 6:-6] = 1
    for u, v in [(0.5, -0.3), (-0.8, 0.4), (0.0, 1.0)]:
        target = torch.tensor([u, v], dtype=torch.float64).view(1, 2, 1, 1)
        target = target.expand(4, 2, 32, 32)
        est = horn_schunck(
            img[:, 0], shift(img, target)[:, 0], alpha=0.1, iterations=200
        )
        epe = float(endpoint_error(est, target, mask))
        zero = float(endpoint_error(torch.zeros_like(target), target, mask))
        assert epe < 0.2 * zero, (u, v, epe, zero)


def test_clip_flow_shape_and_static_clip_has_no_flow():
    clips = torch.rand(3, 1, 3, 16, 16).expand(3, 5, 3, 16, 16)
    flow = clip_flow(clips, batch=2, iterations=10)
    assert flow.shape == (3, 4, 2, 16, 16)
    assert float(flow.abs().max()) < 1e-6


def test_endpoint_error_known_value():
    flow = torch.zeros(1, 2, 2, 2)
    target = torch.zeros(1, 2, 2, 2)
    target[:, 0] = 3.0
    target[:, 1] = 4.0
    assert float(endpoint_error(flow, target)) == 5.0
    mask = torch.tensor([[1.0, 0.0], [0.0, 0.0]])
    flow[0, :, 0, 0] = torch.tensor([3.0, 4.0])
    assert float(endpoint_error(flow, target, mask)) == 0.0

"""Exercises of notebook 04 (generative adversarial networks) and their checks.

Each exercise compares the student's function with the package's reference
on several shapes, float32 and float64, an edge case where a naive formula
breaks, and tensors on the checked device; gradients are compared where the
function is trained through. Hidden cases (``register_hidden``) add other
sizes and seeds for grading.
"""

from __future__ import annotations

import math

import torch

from coursework.exercises.core import (
    Case,
    Exercise,
    compare_parameter_gradients,
    compare_values,
    register,
    register_hidden,
)
from coursework.exercises.core import case_generator as _gen
from coursework.exercises.core import case_randn as _randn
from coursework.gan.latent import slerp
from coursework.gan.losses import discriminator_loss, generator_loss, gradient_penalty
from coursework.gan.spectral import power_iteration_step
from coursework.metrics import frechet_distance

# ------------------------------------------------------- discriminator_loss


def _d_loss_cases(device: torch.device, seed: int = 0) -> list[Case]:
    g = _gen(seed)
    cases = []
    for n, dtype in [(8, torch.float32), (64, torch.float64)]:
        real, fake = (_randn(g, n, dtype=dtype, device=device) * 3 for _ in "ab")
        cases.append(Case(f"{dtype}, N={n}", (real, fake)))
    real = torch.full((4,), -200.0, device=device)
    cases.append(
        Case(
            "edge: D confidently wrong, logits -200 / +200 (use softplus)",
            (real, -real.clone()),
        )
    )
    return cases


register(
    Exercise(
        id="gan.discriminator_loss",
        points=2,
        reference=discriminator_loss,
        cases=_d_loss_cases,
        hint=(
            "D is a binary classifier (real = 1, generated = 0): its loss is the "
            "binary cross-entropy on both batches, computed from logits for "
            "stability.",
            "With D = sigmoid(l): -log D = softplus(-l) and -log(1 - D) = "
            "softplus(l). Average each term over its own batch and add the two "
            "means.",
            "return `F.softplus(-real_logits).mean() + "
            "F.softplus(fake_logits).mean()`.",
        ),
        grad=True,
    )
)
register_hidden(
    "gan.discriminator_loss",
    lambda device: (
        _d_loss_cases(device, seed=100)
        + [
            Case(
                "hidden: logits (N, 1)",
                (torch.randn(5, 1, device=device), torch.randn(5, 1, device=device)),
            )
        ]
    ),
)

# ----------------------------------------------------------- generator_loss


def _g_loss_cases(device: torch.device, seed: int = 1) -> list[Case]:
    g = _gen(seed)
    cases = []
    for n, dtype, sat in [
        (8, torch.float32, False),
        (8, torch.float32, True),
        (32, torch.float64, True),
    ]:
        logits = _randn(g, n, dtype=dtype, device=device) * 3
        name = "saturating" if sat else "non-saturating"
        cases.append(Case(f"{name}, {dtype}, N={n}", (logits,), {"saturating": sat}))
    tiny = torch.full((4,), -200.0, device=device)
    cases.append(
        Case("edge: D(G(z)) ~ 1e-87, non-saturating", (tiny,), {"saturating": False})
    )
    cases.append(
        Case("edge: D(G(z)) ~ 1e-87, saturating", (tiny.clone(),), {"saturating": True})
    )
    return cases


register(
    Exercise(
        id="gan.generator_loss",
        points=2,
        reference=generator_loss,
        cases=_g_loss_cases,
        hint=(
            "Both losses come from D's verdict on the fakes: the saturating one is "
            "the minimax game's term that G minimises, the non-saturating one "
            "instead maximises the log-probability that D calls the fakes real.",
            "Write both with softplus, as in discriminator_loss: log(1 - sigmoid(l)) "
            "= -softplus(l) and -log sigmoid(l) = softplus(-l); take the mean of the "
            "one asked for.",
            "saturating: return `-F.softplus(fake_logits).mean()`; otherwise "
            "`F.softplus(-fake_logits).mean()`.",
        ),
        grad=True,
    )
)
register_hidden("gan.generator_loss", lambda device: _g_loss_cases(device, seed=101))

# -------------------------------------------------------- gradient_penalty


class _QuadraticCritic(torch.nn.Module):
    """f(x) = sum_j a_j x_j^2 + b . x per example: its input gradient is known."""

    def __init__(self, a: torch.Tensor, b: torch.Tensor) -> None:
        super().__init__()
        self.a, self.b = torch.nn.Parameter(a), torch.nn.Parameter(b)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        flat = x.flatten(1)
        return (self.a * flat**2).sum(1) + flat @ self.b

    def __repr__(self) -> str:
        return "quadratic critic"


class _LinearCritic(torch.nn.Module):
    """f(x) = w . x: the gradient is w everywhere."""

    def __init__(self, w: torch.Tensor) -> None:
        super().__init__()
        self.w = torch.nn.Parameter(w)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.flatten(1) @ self.w

    def __repr__(self) -> str:
        return "linear critic"


def _gp_cases(device: torch.device, seed: int = 2) -> list[Case]:
    g = _gen(seed)
    cases = []
    for n, shape, dtype in [
        (6, (2,), torch.float32),
        (4, (1, 3, 3), torch.float64),
    ]:
        d = math.prod(shape)
        critic = _QuadraticCritic(
            _randn(g, d, dtype=dtype, device=device).requires_grad_(),
            _randn(g, d, dtype=dtype, device=device).requires_grad_(),
        )
        real, fake = (_randn(g, n, *shape, dtype=dtype, device=device) for _ in "ab")
        eps = torch.rand(n, *[1] * len(shape), generator=g, dtype=dtype).to(device)
        cases.append(Case(f"{dtype}, N={n}, x {shape}", (critic, real, fake, eps)))
    w = torch.tensor([0.6, 0.8], device=device).requires_grad_()  # ||w|| = 1
    real, fake = (_randn(g, 3, 2, dtype=torch.float32, device=device) for _ in "ab")
    eps = torch.rand(3, 1, generator=g).to(device)
    cases.append(
        Case(
            "edge: a 1-Lipschitz linear critic, penalty 0",
            (_LinearCritic(w), real, fake, eps),
        )
    )
    return cases


def _compare_gp(out: object, expected: torch.Tensor, case: Case) -> str | None:
    """Values, then the gradient with respect to the critic's parameters."""
    if not isinstance(out, torch.Tensor):
        return f"expected a torch.Tensor, got {type(out).__name__}"
    msg = compare_values(out.detach(), expected.detach(), 1e-5, 1e-4)
    if msg:
        return msg
    if not out.requires_grad:
        return (
            "no gradient reaches the critic's parameters: the penalty is part of "
            "the critic's loss, so call autograd.grad with create_graph=True"
        )
    return compare_parameter_gradients(
        out, expected, case.args[0], 1e-4, 1e-3, "critic parameter"
    )


register(
    Exercise(
        id="gan.gradient_penalty",
        points=3,
        reference=gradient_penalty,
        cases=_gp_cases,
        hint=(
            "WGAN-GP asks the critic's gradient to have norm 1 at random points "
            "between real and fake samples: one penalty per example.",
            "Mix x_hat from real and fake with weights eps and 1 - eps, detach it "
            "and call requires_grad_(); get the gradient of critic(x_hat).sum() with "
            "torch.autograd.grad(..., create_graph=True) (the penalty is itself "
            "trained); take its L2 norm over all dims of an example.",
            "`(grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, "
            "create_graph=True)`; return `(grad.flatten(1).norm(dim=1) - 1) ** 2`.",
        ),
        compare=_compare_gp,
    )
)
register_hidden("gan.gradient_penalty", lambda device: _gp_cases(device, seed=102))

# ----------------------------------------------------- power_iteration_step


def _power_cases(device: torch.device, seed: int = 3) -> list[Case]:
    g = _gen(seed)
    cases = []
    for rows, cols, dtype in [(4, 3, torch.float32), (16, 32, torch.float64)]:
        w = _randn(g, rows, cols, dtype=dtype, device=device)
        u = torch.nn.functional.normalize(
            _randn(g, rows, dtype=dtype, device=device), dim=0
        )
        cases.append(Case(f"{dtype}, W {rows}x{cols}", (w, u)))
    w = torch.diag(torch.tensor([3.0, 1.0, 0.5], dtype=torch.float64)).to(device)
    u = torch.tensor([1.0, 0.0, 0.0], dtype=torch.float64, device=device)
    cases.append(Case("edge: diagonal W, u already the top vector: sigma = 3", (w, u)))
    return cases


register(
    Exercise(
        id="gan.power_iteration_step",
        points=2,
        reference=power_iteration_step,
        cases=_power_cases,
        hint=(
            "Power iteration alternates between the two singular vectors: multiply "
            "by W^T and normalise, multiply by W and normalise; sigma is how much W "
            "stretches v along u.",
            "v is the unit vector along W^T u (shape (in,)), then the new u the unit "
            "vector along W v (shape (out,)); use F.normalize(..., dim=0). The "
            "estimate is the dot product of the new u with W v.",
            "`v = F.normalize(weight.T @ u, dim=0)`; `wv = weight @ v`; `u = "
            "F.normalize(wv, dim=0)`; return `(u, v, u @ wv)`.",
        ),
        atol=1e-5,
        rtol=1e-4,
    )
)
register_hidden(
    "gan.power_iteration_step", lambda device: _power_cases(device, seed=103)
)

# --------------------------------------------------------- frechet_distance


def _random_cov(g: torch.Generator, d: int, device: torch.device) -> torch.Tensor:
    a = torch.randn(d, 2 * d, generator=g, dtype=torch.float64)
    return (a @ a.T / (2 * d)).to(device)


def _fd_cases(device: torch.device, seed: int = 4) -> list[Case]:
    g = _gen(seed)
    cases = []
    for d in (2, 8):
        mu1, mu2 = (_randn(g, d, dtype=torch.float64, device=device) for _ in "ab")
        cov1, cov2 = _random_cov(g, d, device), _random_cov(g, d, device)
        cases.append(Case(f"float64, D={d}", (mu1, cov1, mu2, cov2)))
    mu = _randn(g, 5, dtype=torch.float64, device=device)
    cov = _random_cov(g, 5, device)
    cases.append(
        Case(
            "edge: identical Gaussians, distance 0", (mu, cov, mu.clone(), cov.clone())
        )
    )
    # C1 and C2 that do not commute: tr sqrt(C1 C2) != tr(sqrt(C1) sqrt(C2))
    c1 = torch.tensor([[2.0, 0.0], [0.0, 0.5]], dtype=torch.float64, device=device)
    c2 = torch.tensor([[1.0, 0.9], [0.9, 1.0]], dtype=torch.float64, device=device)
    z = torch.zeros(2, dtype=torch.float64, device=device)
    cases.append(Case("edge: covariances that do not commute", (z, c1, z.clone(), c2)))
    return cases


register(
    Exercise(
        id="gan.frechet_distance",
        points=3,
        reference=frechet_distance,
        cases=_fd_cases,
        hint=(
            "The distance has a part for the means (their squared distance) and a "
            "part comparing the covariances, which needs a matrix square root, not "
            "an elementwise one.",
            "||mu1 - mu2||^2 + tr(C1) + tr(C2) - 2 tr((C1^1/2 C2 C1^1/2)^1/2). Take "
            "the symmetric square root of C1 from torch.linalg.eigh (clamp negative "
            "eigenvalues to 0); the trace of the root of the middle matrix is the "
            "sum of the roots of its eigenvalues. sqrt(C1) sqrt(C2) differs when "
            "they do not commute.",
            "`vals, vecs = torch.linalg.eigh(cov1)`; `root1 = (vecs * "
            "vals.clamp(min=0).sqrt()) @ vecs.T`; `middle = root1 @ cov2 @ root1` "
            "(symmetrised); return `(mu1 - mu2).pow(2).sum() + cov1.trace() + "
            "cov2.trace() - 2 * "
            "torch.linalg.eigvalsh(middle).clamp(min=0).sqrt().sum()`.",
        ),
        atol=1e-6,
        rtol=1e-5,
    )
)
register_hidden("gan.frechet_distance", lambda device: _fd_cases(device, seed=104))

# -------------------------------------------------------------------- slerp


def _slerp_cases(device: torch.device, seed: int = 5) -> list[Case]:
    g = _gen(seed)
    cases = []
    for d, t, dtype in [(2, 5, torch.float32), (64, 9, torch.float64)]:
        z0, z1 = (_randn(g, d, dtype=dtype, device=device) for _ in "ab")
        ts = torch.linspace(0, 1, t, dtype=dtype, device=device)
        cases.append(Case(f"{dtype}, D={d}, T={t}", (z0, z1, ts)))
    z0 = torch.tensor([1.0, 0.0], device=device)
    z1 = torch.tensor([0.0, 2.0], device=device)
    ts = torch.tensor([0.0, 0.5, 1.0], device=device)
    cases.append(Case("edge: orthogonal codes of norms 1 and 2", (z0, z1, ts)))
    z1 = 3 * z0.clone()
    cases.append(
        Case("edge: parallel codes (sin(omega) = 0): fall back to lerp", (z0, z1, ts))
    )
    return cases


register(
    Exercise(
        id="gan.slerp",
        points=2,
        reference=slerp,
        cases=_slerp_cases,
        hint=(
            "Slerp moves along the great circle from z0 to z1 at constant angular "
            "speed, instead of cutting through the sphere as a straight line does.",
            "omega is the angle between z0 and z1: the arccos of their cosine, "
            "clamped to [-1, 1] first. The weights of z0 and z1 are sin((1 - t) "
            "omega) / sin(omega) and sin(t omega) / sin(omega), with t as a column "
            "(T, 1); when sin(omega) is about 0 (parallel codes), fall back to the "
            "straight line.",
            "`omega = torch.acos(((z0 @ z1) / (z0.norm() * z1.norm())).clamp(-1, "
            "1))`; `t = t[:, None].to(z0)`; return `(torch.sin((1 - t) * omega) * z0 "
            "+ torch.sin(t * omega) * z1) / torch.sin(omega)`.",
        ),
        grad=True,
    )
)
register_hidden("gan.slerp", lambda device: _slerp_cases(device, seed=105))

"""Exercises of notebook 03 (autoencoders and VAEs) and their checks.

Each exercise compares the student's function with the package's reference
on several shapes, float32 and float64, an edge case, and tensors on the
checked device; gradients are compared too where the function is used
inside a loss.
"""

from __future__ import annotations

import torch

from coursework.exercises.core import Case, Exercise, register, register_hidden
from coursework.exercises.core import case_generator as _gen
from coursework.exercises.core import case_randn as _randn
from coursework.vae.corruption import add_noise
from coursework.vae.estimators import iwae_bound
from coursework.vae.losses import elbo, gaussian_kl
from coursework.vae.models import reparameterize
from coursework.vae.ppca import ppca_posterior
from coursework.vae.vqvae import vector_quantize

# ------------------------------------------------------------ reparameterize


def _reparameterize_cases(device: torch.device) -> list[Case]:
    g = _gen(0)
    cases = []
    for b, d, dtype in [(4, 2, torch.float32), (16, 8, torch.float64)]:
        mu, logvar, eps = (_randn(g, b, d, dtype=dtype, device=device) for _ in "abc")
        cases.append(Case(f"{dtype}, B={b}, D={d}", (mu, logvar, eps)))
    mu = _randn(g, 3, 5, dtype=torch.float32, device=device)
    tiny = torch.full((3, 5), -30.0, device=device)
    eps = _randn(g, 3, 5, dtype=torch.float32, device=device)
    cases.append(Case("edge: logvar = -30 (sigma ~ 0), z ~ mu", (mu, tiny, eps)))
    return cases


register(
    Exercise(
        id="vae.reparameterize",
        points=2,
        reference=reparameterize,
        cases=_reparameterize_cases,
        hint="sigma = exp(logvar / 2), not exp(logvar) and not logvar itself; "
        "z = mu + sigma * eps uses the eps you are given.",
        grad=True,
    )
)

# --------------------------------------------------------------- gaussian_kl


def _kl_cases(device: torch.device) -> list[Case]:
    g = _gen(1)
    cases = []
    for b, d, dtype in [(5, 3, torch.float32), (32, 16, torch.float64)]:
        mu, logvar = (_randn(g, b, d, dtype=dtype, device=device) for _ in "ab")
        cases.append(Case(f"{dtype}, B={b}, D={d}", (mu, logvar)))
    zeros = torch.zeros(2, 4, device=device)
    cases.append(Case("edge: q = p = N(0, I), KL = 0", (zeros, zeros.clone())))
    mu = _randn(g, 1, 1, dtype=torch.float64, device=device)
    cases.append(Case("B=1, D=1", (mu, torch.full_like(mu, 2.0))))
    return cases


register(
    Exercise(
        id="vae.gaussian_kl",
        points=2,
        reference=gaussian_kl,
        cases=_kl_cases,
        hint="KL = 0.5 * sum over the last dim of (mu^2 + exp(logvar) - logvar - 1); "
        "return one value per example, shape (B,).",
        grad=True,
    )
)

# ---------------------------------------------------------------------- elbo


def _elbo_cases(device: torch.device) -> list[Case]:
    g = _gen(2)
    cases = []
    for b, d, side, dtype in [(4, 2, 4, torch.float32), (8, 5, 6, torch.float64)]:
        x = (torch.rand(b, 1, side, side, generator=g) > 0.5).to(dtype).to(device)
        logits = _randn(g, b, 1, side, side, dtype=dtype, device=device) * 3
        mu, logvar = (_randn(g, b, d, dtype=dtype, device=device) for _ in "ab")
        cases.append(
            Case(f"{dtype}, B={b}, D={d}, {side}x{side}", (x, logits, mu, logvar))
        )
    x = torch.ones(2, 1, 3, 3, device=device)
    logits = torch.full((2, 1, 3, 3), 40.0, device=device)
    z = torch.zeros(2, 3, device=device)
    cases.append(
        Case("edge: confident logits = 40 (use a stable BCE)", (x, logits, z, z))
    )
    return cases


register(
    Exercise(
        id="vae.elbo",
        points=3,
        reference=elbo,
        cases=_elbo_cases,
        hint="log p(x|z) = -binary_cross_entropy_with_logits(logits, x, "
        "reduction='none') summed over every pixel of an example; "
        "ELBO = log p(x|z) - KL, shape (B,). Do not average over pixels.",
        grad=True,
    )
)

# ---------------------------------------------------------------- iwae_bound


def _iwae_cases(device: torch.device) -> list[Case]:
    g = _gen(3)
    cases = []
    for b, k, dtype in [
        (4, 1, torch.float32),
        (6, 5, torch.float32),
        (3, 50, torch.float64),
    ]:
        cases.append(
            Case(
                f"{dtype}, B={b}, K={k}",
                (_randn(g, b, k, dtype=dtype, device=device) * 5,),
            )
        )
    big = -1000.0 + _randn(g, 2, 10, dtype=torch.float64, device=device)
    cases.append(Case("edge: log-weights near -1000 (exp underflows)", (big,)))
    return cases


register(
    Exercise(
        id="vae.iwae_bound",
        points=2,
        reference=iwae_bound,
        cases=_iwae_cases,
        hint="log((1/K) sum_k exp(log_w[:, k])) = torch.logsumexp(log_w, dim=1) - "
        "log(K); never exponentiate log-weights directly.",
        grad=True,
    )
)

# ----------------------------------------------------------------- add_noise


def _noise_cases(device: torch.device) -> list[Case]:
    g = _gen(4)
    x32 = torch.rand(64, 1, 16, 16, generator=g).to(device)
    x64 = (torch.rand(32, 1, 16, 16, generator=g) > 0.5).double().to(device)
    return [
        Case("float32 grey images, sigma = 0.3", (x32, 0.3), seed=10),
        Case("float64 binary images, sigma = 0.5", (x64, 0.5), seed=11),
        Case("edge: sigma = 0 returns x", (x32[:4], 0.0), seed=12),
    ]


def _compare_noise(out: object, expected: torch.Tensor, case: Case) -> str | None:
    """Compare the statistics of the noise, not the random draws themselves."""
    x, std = case.args
    if not isinstance(out, torch.Tensor):
        return f"expected a torch.Tensor, got {type(out).__name__}"
    if out.shape != x.shape or out.dtype != x.dtype:
        return (
            f"got {tuple(out.shape)} {out.dtype}, expected {tuple(x.shape)} {x.dtype}"
        )
    if out.device.type != x.device.type:
        return f"output on {out.device.type}, input on {x.device.type} (use randn_like)"
    if out.min() < 0 or out.max() > 1:
        return (
            f"values span [{float(out.min()):.3g}, {float(out.max()):.3g}]; clip "
            "the noisy image to [0, 1] (torch.clamp)"
        )
    if std == 0:
        return (
            None if torch.allclose(out, x) else "with sigma = 0 the output must equal x"
        )
    stats = {
        "mean change": lambda t: (t - x).mean(),
        "mean |change|": lambda t: (t - x).abs().mean(),
        "fraction clipped to 0": lambda t: (t == 0).double().mean(),
        "fraction clipped to 1": lambda t: (t == 1).double().mean(),
    }
    for name, stat in stats.items():
        got, want = float(stat(out.double())), float(stat(expected.double()))
        if abs(got - want) > 0.03 + 0.1 * abs(want):
            return (
                f"{name} is {got:.3f}; Gaussian noise with sigma = {std} gives about "
                f"{want:.3f}"
            )
    return None


register(
    Exercise(
        id="vae.add_noise",
        points=2,
        reference=add_noise,
        cases=_noise_cases,
        hint="x_tilde = clamp(x + sigma * torch.randn_like(x), 0, 1); sigma is a "
        "standard deviation, not a variance.",
        compare=_compare_noise,
    )
)

# ----------------------------------------------------------- vector_quantize


def _vq_cases(device: torch.device) -> list[Case]:
    g = _gen(5)
    cases = []
    for n, k, d, dtype in [(10, 4, 2, torch.float32), (64, 16, 8, torch.float64)]:
        z = _randn(g, n, d, dtype=dtype, device=device)
        codebook = _randn(g, k, d, dtype=dtype, device=device)
        cases.append(Case(f"{dtype}, N={n}, K={k}, D={d}", (z, codebook)))
    z = _randn(g, 5, 3, dtype=torch.float32, device=device)
    cases.append(
        Case(
            "edge: one code, K=1",
            (z, _randn(g, 1, 3, dtype=torch.float32, device=device)),
        )
    )
    return cases


register(
    Exercise(
        id="vae.vector_quantize",
        points=2,
        reference=vector_quantize,
        cases=_vq_cases,
        hint="distances (N, K) via torch.cdist or ||z||^2 - 2 z e^T + ||e||^2; "
        "indices = argmin over K; return (z + (codebook[indices] - z).detach(), "
        "indices) so the gradient passes straight through to z.",
        grad=True,
    )
)

# ------------------------------------------------------------ ppca_posterior


def _ppca_args(
    g: torch.Generator,
    b: int,
    dim: int,
    latent: int,
    noise_var: float,
    dtype: torch.dtype,
    device: torch.device,
) -> tuple[torch.Tensor, ...]:
    x = _randn(g, b, dim, dtype=dtype, device=device)
    weight = _randn(g, dim, latent, dtype=dtype, device=device)
    bias = _randn(g, dim, dtype=dtype, device=device)
    return x, weight, bias, torch.tensor(noise_var, dtype=dtype, device=device)


def _ppca_cases(device: torch.device) -> list[Case]:
    g = _gen(6)
    cases = [
        Case(
            f"{dtype}, B={b}, D={dim}, d={latent}, sigma^2={var}",
            _ppca_args(g, b, dim, latent, var, dtype, device),
        )
        for b, dim, latent, var, dtype in [
            (4, 5, 2, 0.5, torch.float32),
            (6, 12, 4, 0.1, torch.float64),
            (3, 4, 1, 2.0, torch.float64),
        ]
    ]
    x, weight, bias, var = _ppca_args(g, 3, 6, 3, 0.7, torch.float64, device)
    cases.append(
        Case(
            "edge: W = 0, the posterior is the prior N(0, I)",
            (x, torch.zeros_like(weight), bias, var),
        )
    )
    return cases


register(
    Exercise(
        id="vae.ppca_posterior",
        points=3,
        reference=ppca_posterior,
        cases=_ppca_cases,
        hint="M = W^T W + sigma^2 I (d x d); mean = (x - b) @ W @ M^{-1} (B, d); "
        "cov = sigma^2 M^{-1} (d, d), one matrix for every x. The d x d identity "
        "must have x's dtype and device.",
        grad=True,
    )
)


def _ppca_hidden_cases(device: torch.device) -> list[Case]:
    return [
        Case(
            "hidden: float64, B=16, D=40, d=6, small sigma^2 = 1e-3",
            _ppca_args(_gen(106), 16, 40, 6, 1e-3, torch.float64, device),
        ),
        Case(
            "hidden: float64, B=1, D=3, d=3 (no dimension discarded)",
            _ppca_args(_gen(107), 1, 3, 3, 0.2, torch.float64, device),
        ),
    ]


register_hidden("vae.ppca_posterior", _ppca_hidden_cases)

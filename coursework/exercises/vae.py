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
        hint=(
            "Drawing z from N(mu, sigma^2) is the same as shifting and scaling "
            "standard noise; written that way, gradients reach mu and logvar.",
            "The encoder gives the log-variance, so sigma = exp(logvar / 2) (not "
            "exp(logvar), not logvar itself); use the eps you are given, do not draw "
            "new noise.",
            "return `mu + torch.exp(0.5 * logvar) * eps`.",
        ),
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
        hint=(
            "The KL between two Gaussians has a closed form; with diagonal "
            "covariances it is a sum of one term per latent dimension.",
            "Per dimension the term is half of (mu^2 + sigma^2 - log sigma^2 - 1), "
            "with sigma^2 = exp(logvar). Sum over the last dim (do not average): one "
            "value per example, shape (B,).",
            "return `0.5 * (mu.pow(2) + logvar.exp() - logvar - 1).sum(-1)`.",
        ),
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
        hint=(
            "ELBO = reconstruction log-likelihood minus beta times the KL from the "
            "posterior to the prior, each per example, in nats.",
            "For binary pixels, log p(x|z) is minus the binary cross-entropy of the "
            "logits, summed (not averaged) over every pixel of an example; reuse "
            "gaussian_kl for the KL.",
            "`bce = F.binary_cross_entropy_with_logits(logits, x, "
            "reduction='none')`; return `-bce.flatten(1).sum(1) - beta * "
            "gaussian_kl(mu, logvar)`.",
        ),
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
        hint=(
            "Average the importance weights themselves, not their logs, then take "
            "the log; the weights are given as logs and overflow if exponentiated "
            "directly.",
            "The log of a mean is the log of the sum minus log K, and the log of a "
            "sum of exps is torch.logsumexp (stable); reduce over dim 1, the K "
            "samples.",
            "return `torch.logsumexp(log_w, dim=1) - math.log(log_w.shape[1])`.",
        ),
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
        hint=(
            "A denoising autoencoder sees the image with independent Gaussian noise "
            "on every pixel, kept inside the valid pixel range.",
            "noise_std is a standard deviation, not a variance: scale standard "
            "normal noise of x's shape (torch.randn_like) by it, add it to x, then "
            "clip to [0, 1].",
            "return `(x + noise_std * torch.randn_like(x)).clamp(0.0, 1.0)`.",
        ),
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
        hint=(
            "Each vector is replaced by its nearest code; in the backward pass the "
            "gradient skips the (non-differentiable) choice and goes straight to z.",
            "Squared distances (N, K) are ||z||^2 - 2 z.e + ||e||^2 (or "
            "torch.cdist); the indices are the argmin over K. For the "
            "straight-through estimator, add to z a detached correction that equals "
            "codebook[indices] - z.",
            "`indices = dist.argmin(1)`; return `(z + (codebook[indices] - "
            "z).detach(), indices)`.",
        ),
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
        hint=(
            "In probabilistic PCA everything is linear and Gaussian, so the "
            "posterior of z given x is Gaussian in closed form: its covariance is "
            "the same for every x, and its mean is linear in x - b.",
            "Build M = W^T W + sigma^2 I_d (d x d, the identity in x's dtype and "
            "device) and invert it; the covariance is sigma^2 M^-1 and the mean of "
            "row b is M^-1 W^T (x_b - b), i.e. (x - b) W M^-1 for all rows at once.",
            "`m_inv = torch.linalg.inv(weight.T @ weight + noise_var * eye)`; return "
            "`((x - bias) @ weight @ m_inv, noise_var * m_inv)`.",
        ),
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

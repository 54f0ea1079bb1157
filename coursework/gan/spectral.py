"""Spectral normalisation: the largest singular value by power iteration.

Miyato et al., "Spectral Normalization for Generative Adversarial Networks"
(ICLR 2018, arXiv:1802.05957) divide each weight matrix by its spectral norm
``sigma(W)``, the largest singular value, so that every layer (and with
1-Lipschitz activations the whole discriminator) is 1-Lipschitz. ``sigma`` is
estimated with one step of power iteration per training step, reusing the
vector ``u`` of the previous step (Algorithm 1):

    v <- W^T u / ||W^T u||,   u <- W v / ||W v||,   sigma(W) ~ u^T W v.

A convolution's kernel (out, in, kh, kw) is treated as the matrix
(out, in * kh * kw), as the paper (and ``torch.nn.utils.parametrizations
.spectral_norm``) does; that matrix's norm bounds, but is not, the norm of the
convolution as a linear map on images.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def power_iteration_step(
    weight: torch.Tensor, u: torch.Tensor, eps: float = 1e-12
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """One step of power iteration for the largest singular value.

    Args:
        weight: matrices (..., out, in); leading dims are a batch of matrices.
        u: the current left vectors (..., out).
        eps: guards the normalisation against a zero vector.

    Returns:
        ``(u, v, sigma)``: the new unit vectors (..., out) and (..., in), and
        ``sigma = u^T W v`` (...,).
    """
    if weight.dim() < 2 or u.shape != weight.shape[:-1]:
        raise ValueError(
            f"power_iteration_step needs weight (..., out, in) and u (..., out); "
            f"got {tuple(weight.shape)} and {tuple(u.shape)}"
        )
    # v = W^T u / ||W^T u||
    v = F.normalize((weight.transpose(-2, -1) @ u[..., None])[..., 0], dim=-1, eps=eps)
    # u = W v / ||W v||
    u = F.normalize((weight @ v[..., None])[..., 0], dim=-1, eps=eps)
    sigma = (u * (weight @ v[..., None])[..., 0]).sum(-1)  # u^T W v
    return u, v, sigma


def as_matrix(weight: torch.Tensor) -> torch.Tensor:
    """A layer's weight as the matrix spectral normalisation uses: (out, rest)."""
    return weight.reshape(weight.shape[0], -1)


def power_iteration(
    weight: torch.Tensor,
    steps: int,
    generator: torch.Generator | None = None,
    step: object = None,
) -> torch.Tensor:
    """Run ``steps`` power-iteration steps from a random ``u``; sigma after each.

    Args:
        weight: one matrix (out, in).
        steps: number of steps.
        generator: seeds the random start.
        step: the step function to use (default :func:`power_iteration_step`),
            with the same signature, e.g. one written in a notebook.

    Returns:
        (steps,) the estimate of sigma after every step.
    """
    step_fn = step or power_iteration_step
    u = torch.randn(weight.shape[0], generator=generator, dtype=torch.float64)
    u = F.normalize(u.to(weight.dtype).to(weight.device), dim=0)
    sigmas = []
    for _ in range(steps):
        u, _, sigma = step_fn(weight, u)  # type: ignore[operator]
        sigmas.append(sigma)
    return torch.stack(sigmas)

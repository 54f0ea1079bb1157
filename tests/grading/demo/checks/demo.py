"""Checks for the grader's test notebook ``90_demo``: three tiny exercises.

Loaded with ``--checks``; registers the exercises and one hidden case.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from coursework.exercises.records import Case, Exercise
from coursework.exercises.registry import register, register_hidden


def pairwise_sq_dists(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Reference: ||a_i - b_j||^2 for every pair. Shapes: (N, D), (M, D) -> (N, M)."""
    return torch.cdist(a, b).pow(2)


def normalize(x: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """Reference: x / (||x|| + eps) along the last dimension."""
    return x / (torch.linalg.vector_norm(x, dim=-1, keepdim=True) + eps)


def _tensor(
    gen: torch.Generator, *shape: int, dtype: torch.dtype, device: torch.device
) -> torch.Tensor:
    return torch.randn(*shape, generator=gen, dtype=dtype).to(device)


def _softplus_cases(device: torch.device) -> list[Case]:
    gen = torch.Generator().manual_seed(0)
    return [
        Case("float32, (5,)", (_tensor(gen, 5, dtype=torch.float32, device=device),)),
        Case(
            "float64, (2, 3)", (_tensor(gen, 2, 3, dtype=torch.float64, device=device),)
        ),
        Case("large values", (torch.tensor([-50.0, 0.0, 50.0], device=device),)),
    ]


def _softplus_hidden(device: torch.device) -> list[Case]:
    return [
        Case(
            "very large",
            (torch.tensor([-500.0, 500.0], dtype=torch.float64, device=device),),
        )
    ]


def _pairwise_cases(device: torch.device) -> list[Case]:
    gen = torch.Generator().manual_seed(1)
    return [
        Case(
            "float64, N=3 M=4 D=2",
            (
                _tensor(gen, 3, 2, dtype=torch.float64, device=device),
                _tensor(gen, 4, 2, dtype=torch.float64, device=device),
            ),
        ),
        Case(
            "float32, N=1 M=2 D=5",
            (
                _tensor(gen, 1, 5, dtype=torch.float32, device=device),
                _tensor(gen, 2, 5, dtype=torch.float32, device=device),
            ),
        ),
    ]


def _normalize_cases(device: torch.device) -> list[Case]:
    gen = torch.Generator().manual_seed(2)
    return [
        Case(
            "float32, (4, 3)", (_tensor(gen, 4, 3, dtype=torch.float32, device=device),)
        ),
        Case(
            "float64, (2, 5)", (_tensor(gen, 2, 5, dtype=torch.float64, device=device),)
        ),
    ]


register(
    Exercise(
        "demo.softplus",
        2.0,
        F.softplus,
        _softplus_cases,
        hint="log(1 + e^x) = log(e^0 + e^x): see torch.logaddexp.",
        grad=True,
    )
)
register(
    Exercise(
        "demo.pairwise_sq_dists",
        1.0,
        pairwise_sq_dists,
        _pairwise_cases,
        hint="Broadcast (N, 1, D) against (1, M, D).",
        atol=1e-4,
        grad=True,
    )
)
register(
    Exercise(
        "demo.normalize",
        1.0,
        normalize,
        _normalize_cases,
        hint="Divide by the norm of each row.",
        grad=True,
    )
)
register_hidden("demo.softplus", _softplus_hidden)

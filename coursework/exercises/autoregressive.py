"""Exercises of notebook 02 (PixelRNN and PixelCNN) and their checks.

Each exercise compares the student's function with the package's reference
on several shapes, float32 and float64, edge cases and tensors on the checked
device; gradients are compared too where the function is used in training.
"""

from __future__ import annotations

import math

import torch

from coursework.autoregressive.layers import gated_activation, masked_conv2d
from coursework.autoregressive.likelihood import bits_per_dim
from coursework.autoregressive.losses import discretized_logistic_log_prob
from coursework.autoregressive.masks import causal_mask
from coursework.autoregressive.sampling import sample_step
from coursework.exercises.core import Case, Exercise, register, register_hidden
from coursework.exercises.core import case_generator as _gen
from coursework.exercises.core import case_randn as _randn

# --------------------------------------------------------------- causal_mask


def _mask_cases(device: torch.device) -> list[Case]:
    return [
        Case("type A, 1 -> 4 channels, 3x3", (4, 1, 3, "A")),
        Case("type B, 6 -> 6 channels, 5x5", (6, 6, 5, "B")),
        Case("type A, RGB input, 3 -> 6 channels, groups=3", (6, 3, 3, "A", 3)),
        Case("type B, 6 -> 6 channels, groups=3, 3x3", (6, 6, 3, "B", 3)),
        Case(
            "edge: 1x1 kernel, type A, groups=3 (only earlier colours)",
            (3, 3, 1, "A", 3),
        ),
    ]


def _hidden_mask_cases(device: torch.device) -> list[Case]:
    return [
        Case("type A, 12 -> 9 channels, 7x7, groups=3", (9, 12, 7, "A", 3)),
        Case("type B, 2 -> 8 channels, 1x1, groups=2", (8, 2, 1, "B", 2)),
    ]


register(
    Exercise(
        id="autoregressive.causal_mask",
        points=3,
        reference=causal_mask,
        cases=_mask_cases,
        hint="Start from zeros (O, I, k, k): ones on the rows above the centre and "
        "left of it on the centre row. At the centre, channel c is in group "
        "c % groups: keep [o, i] when group(i) < group(o) (A) or <= (B). "
        "Return float32.",
    )
)
register_hidden("autoregressive.causal_mask", _hidden_mask_cases)

# ------------------------------------------------------------- masked_conv2d


def _conv_cases(device: torch.device) -> list[Case]:
    g = _gen(1)
    cases = []
    for b, i, o, k, s, dtype in [
        (2, 1, 4, 3, 6, torch.float32),
        (3, 4, 5, 5, 7, torch.float64),
    ]:
        x = _randn(g, b, i, s, s, dtype=dtype, device=device)
        w = _randn(g, o, i, k, k, dtype=dtype, device=device)
        bias = _randn(g, o, dtype=dtype, device=device)
        mask = causal_mask(o, i, k, "B").to(device, dtype)
        cases.append(
            Case(f"{dtype}, {b}x{i}x{s}x{s}, {k}x{k} kernel", (x, w, bias, mask))
        )
    x = _randn(g, 1, 3, 4, 5, dtype=torch.float32, device=device)
    w = _randn(g, 6, 3, 3, 3, dtype=torch.float32, device=device)
    mask = causal_mask(6, 3, 3, "A", 3).to(device)
    cases.append(
        Case("edge: no bias, non-square 4x5 image, colour mask", (x, w, None, mask))
    )
    return cases


def _hidden_conv_cases(device: torch.device) -> list[Case]:
    g = _gen(11)
    x = _randn(g, 2, 2, 3, 3, dtype=torch.float64, device=device)
    w = _randn(g, 2, 2, 7, 7, dtype=torch.float64, device=device)
    mask = causal_mask(2, 2, 7, "A").to(device, torch.float64)
    return [Case("7x7 kernel on a 3x3 image", (x, w, None, mask))]


register(
    Exercise(
        id="autoregressive.masked_conv2d",
        points=2,
        reference=masked_conv2d,
        cases=_conv_cases,
        hint="Multiply the weights by the mask, then F.conv2d(x, weight * mask, bias, "
        "padding=k // 2) so the output is as large as the input.",
        grad=True,
    )
)
register_hidden("autoregressive.masked_conv2d", _hidden_conv_cases)

# -------------------------------------------------------------- bits_per_dim


def _bpd_cases(device: torch.device) -> list[Case]:
    g = _gen(2)
    return [
        Case("a float: 100 nats over 784 pixels", (100.0, 784)),
        Case(
            "a float64 tensor (B,)",
            ((torch.rand(8, generator=g, dtype=torch.float64) * 300).to(device), 256),
        ),
        Case("exact: n ln 2 nats is 1 bit per dimension", (3072 * math.log(2), 3072)),
        Case("edge: 0 nats", (torch.zeros(3, device=device), 12)),
    ]


def _hidden_bpd_cases(device: torch.device) -> list[Case]:
    return [Case("one sub-pixel", (torch.tensor([0.6931], device=device), 1))]


register(
    Exercise(
        id="autoregressive.bits_per_dim",
        points=1,
        reference=bits_per_dim,
        cases=_bpd_cases,
        hint="bits = nats / ln 2, then divide by the number of dimensions C*H*W: "
        "nll / (n_dims * math.log(2)).",
    )
)
register_hidden("autoregressive.bits_per_dim", _hidden_bpd_cases)

# ---------------------------------------------------------- gated_activation


def _gate_cases(device: torch.device) -> list[Case]:
    g = _gen(3)
    return [
        Case(
            "float32, (2, 8, 5, 5)",
            (_randn(g, 2, 8, 5, 5, dtype=torch.float32, device=device),),
        ),
        Case(
            "float64, (4, 2, 3, 3)",
            (_randn(g, 4, 2, 3, 3, dtype=torch.float64, device=device),),
        ),
        Case(
            "edge: large inputs (saturated gates)",
            (10 * _randn(g, 1, 6, 2, 2, dtype=torch.float32, device=device),),
        ),
    ]


def _hidden_gate_cases(device: torch.device) -> list[Case]:
    g = _gen(13)
    return [Case("(3, 12)", (_randn(g, 3, 12, dtype=torch.float64, device=device),))]


register(
    Exercise(
        id="autoregressive.gated_activation",
        points=2,
        reference=gated_activation,
        cases=_gate_cases,
        hint="Split the channels (dim 1) into two halves a, b with x.chunk(2, dim=1); "
        "return tanh(a) * sigmoid(b), which has half the channels.",
        grad=True,
    )
)
register_hidden("autoregressive.gated_activation", _hidden_gate_cases)

# -------------------------------------------- discretized_logistic_log_prob


def _logistic_cases(device: torch.device) -> list[Case]:
    g = _gen(4)
    cases = []
    for n, levels, dtype in [(64, 256, torch.float32), (40, 16, torch.float64)]:
        x = torch.randint(0, levels, (n,), generator=g).to(device)
        mu = (torch.rand(n, generator=g, dtype=dtype) * 2 - 1).to(device)
        log_s = (torch.rand(n, generator=g, dtype=dtype) * 3 - 4).to(device)
        cases.append(Case(f"{dtype}, {levels} levels, N={n}", (x, mu, log_s, levels)))
    x = torch.tensor([0, 255, 0, 255], device=device)
    mu = torch.tensor([-0.5, 0.5, 0.9, -0.9], device=device)
    log_s = torch.full((4,), -2.0, device=device)
    cases.append(Case("edge: x = 0 and x = 255 take the tails", (x, mu, log_s, 256)))
    x = torch.tensor([128, 3], device=device)
    mu = torch.tensor([-0.9, 0.95], dtype=torch.float64, device=device)
    log_s = torch.tensor([-6.0, -6.5], dtype=torch.float64, device=device)
    cases.append(
        Case(
            "edge: a bin far in the tail (the difference of CDFs underflows)",
            (x, mu, log_s, 256),
        )
    )
    return cases


def _hidden_logistic_cases(device: torch.device) -> list[Case]:
    g = _gen(14)
    x = torch.randint(0, 4, (3, 5), generator=g).to(device)
    mu = _randn(g, 3, 5, dtype=torch.float64, device=device).clamp(-1, 1)
    return [Case("4 levels, (3, 5)", (x, mu, torch.zeros_like(mu) - 1.0, 4))]


register(
    Exercise(
        id="autoregressive.discretized_logistic_log_prob",
        points=3,
        reference=discretized_logistic_log_prob,
        cases=_logistic_cases,
        hint="Rescale x to [-1, 1] (2x/(L-1) - 1), half a bin is 1/(L-1). "
        "x = 0: log sigmoid(upper) = -softplus(-upper); x = L-1: -softplus(lower); "
        "else log(sigmoid(upper) - sigmoid(lower)), and where that difference is "
        "below 1e-5 use log(pdf at the bin centre * bin width 2/(L-1)).",
        grad=True,
    )
)
register_hidden("autoregressive.discretized_logistic_log_prob", _hidden_logistic_cases)

# --------------------------------------------------------------- sample_step


def _step_cases(device: torch.device) -> list[Case]:
    g = _gen(5)
    cases = []
    for b, k, dtype in [
        (16, 2, torch.float32),
        (32, 256, torch.float64),
        (8, 5, torch.float32),
    ]:
        probs = torch.softmax(torch.randn(b, k, generator=g, dtype=dtype) * 2, -1)
        u = torch.rand(b, generator=g, dtype=dtype)
        cases.append(Case(f"{dtype}, B={b}, K={k}", (probs.to(device), u.to(device))))
    one_hot = torch.eye(4)[[2, 0, 3, 1]]  # every row certain of one value
    u = torch.tensor([0.0, 0.5, 0.999, 0.25])
    cases.append(
        Case(
            "edge: one-hot probabilities, u = 0 included",
            (one_hot.to(device), u.to(device)),
        )
    )
    return cases


def _hidden_step_cases(device: torch.device) -> list[Case]:
    probs = torch.tensor([[0.5, 0.5], [0.25, 0.75], [1.0, 0.0]], device=device)
    u = torch.tensor([0.4999, 0.2501, 0.9], device=device)
    return [Case("close to a boundary", (probs, u))]


register(
    Exercise(
        id="autoregressive.sample_step",
        points=2,
        reference=sample_step,
        cases=_step_cases,
        hint="cdf = probs.cumsum(-1); the value is the number of entries with "
        "cdf <= u (a long tensor, shape (B,)), clamped to K - 1 against rounding.",
    )
)
register_hidden("autoregressive.sample_step", _hidden_step_cases)

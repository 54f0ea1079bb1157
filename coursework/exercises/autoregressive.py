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
        hint=(
            "A pixel may only see pixels generated before it: the rows above and the "
            "pixels to its left on its own row. Only the centre weight (the pixel "
            "itself) depends on the mask type and on the colour groups.",
            "Start from zeros (O, I, k, k); set ones on the rows above the centre "
            "row and on the centre row left of the centre. At the centre, channel c "
            "is in group c % groups: keep [o, i] when group(i) < group(o) for 'A' "
            "(no channel sees itself) and group(i) <= group(o) for 'B'.",
            "With `r = k // 2`: `mask[:, :, :r, :] = 1`; `mask[:, :, r, :r] = 1`; "
            "`mask[:, :, r, r] = (g_in < g_out).float()` (`<=` for 'B'), where "
            "`g_out = torch.arange(O)[:, None] % groups` and `g_in = "
            "torch.arange(I)[None, :] % groups`; float32.",
        ),
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
        hint=(
            "Masking a convolution means zeroing some of its weights before they are "
            "used, not masking the input or the output.",
            "Multiply the weights by the mask elementwise, then run an ordinary 2-D "
            "convolution with padding k // 2 so that the output keeps H and W; pass "
            "the bias through.",
            "return `F.conv2d(x, weight * mask, bias, padding=weight.shape[-1] // "
            "2)`.",
        ),
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
        hint=(
            "Two changes of unit: nats to bits (another base of logarithm), and per "
            "image to per sub-pixel.",
            "log2(y) = ln(y) / ln(2), so divide by ln 2; then divide by n_dims = "
            "C*H*W. math.log keeps a float a float and a tensor a tensor.",
            "return `nll_nats / (n_dims * math.log(2.0))`.",
        ),
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
        hint=(
            "The gated unit uses half of the channels as a signal and the other half "
            "as a gate that lets it through (a soft switch between 0 and 1).",
            "Split dim 1 into the first half a and the second half b (x.chunk(2, "
            "dim=1)); squash a with tanh and b with a sigmoid; the output has half "
            "the channels.",
            "`a, b = x.chunk(2, dim=1)`; return `torch.tanh(a) * torch.sigmoid(b)`.",
        ),
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
        hint=(
            "The probability of an integer value is the logistic's mass inside its "
            "bin: a difference of two CDFs (sigmoids), after mapping 0..L-1 onto "
            "[-1, 1]. The two end bins also take the tails out to -inf and +inf.",
            "x_s = 2x / (L - 1) - 1 and half a bin is 1 / (L - 1); the bin edges in "
            "standard units are (x_s - mu +- half) * exp(-log_s). Work in logs: log "
            "sigmoid(u) = -softplus(-u) and log(1 - sigmoid(l)) = -softplus(l). "
            "Where the CDF difference is tiny (below 1e-5), use the log density at "
            "the bin centre plus the log of the bin width instead.",
            "`x == 0`: `-F.softplus(-upper)`; `x == L - 1`: `-F.softplus(lower)`; "
            "else `log(sigmoid(upper) - sigmoid(lower))`, or where that difference "
            "is below 1e-5, `centre - log_s - 2 * F.softplus(centre) + math.log(2 * "
            "half)` with `centre = (x_s - mu) * exp(-log_s)`; pick between them with "
            "torch.where.",
        ),
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
        hint=(
            "Inverse-CDF sampling: lay the K probabilities end to end on [0, 1) and "
            "find the piece that u falls into.",
            "The running total is probs.cumsum(-1); the sample is the first index "
            "whose cumulative probability exceeds u, which equals how many "
            "cumulative values are <= u. Clamp to K - 1 in case rounding leaves the "
            "last total below u.",
            "return `(probs.cumsum(-1) <= u[:, "
            "None]).sum(-1).clamp(max=probs.shape[-1] - 1)`.",
        ),
    )
)
register_hidden("autoregressive.sample_step", _hidden_step_cases)

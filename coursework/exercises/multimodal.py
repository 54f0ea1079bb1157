"""Exercises of notebook 06 (multi-modal self-supervised learning) and their checks.

Each exercise compares the student's function with the package's reference
on several shapes, float32 and float64, an edge case and tensors on the
checked device; gradients are compared where the function sits inside a
loss. Hidden cases (other sizes, extreme values) are registered for grading.
"""

from __future__ import annotations

import torch

from coursework.exercises.core import Case, Exercise, register, register_hidden
from coursework.exercises.core import case_generator as _gen
from coursework.exercises.core import case_randn as _randn
from coursework.multimodal.audio import mel_filterbank
from coursework.multimodal.localisation import max_over_positions
from coursework.multimodal.losses import info_nce, multi_positive_nce
from coursework.multimodal.retrieval import recall_at_k
from coursework.multimodal.sinkhorn import sinkhorn
from coursework.multimodal.zeroshot import zero_shot_logits

# ------------------------------------------------------------ mel_filterbank


def _mel_cases(device: torch.device) -> list[Case]:
    return [
        Case("8 mels, n_fft=64, 8 kHz", (8, 64, 8000)),
        Case("32 mels, n_fft=512, 8 kHz", (32, 512, 8000)),
        Case("band 300-3000 Hz: f_min and f_max", (10, 256, 16000, 300.0, 3000.0)),
    ]


def _mel_hidden(device: torch.device) -> list[Case]:
    return [
        Case("one filter", (1, 128, 8000)),
        Case("40 mels, n_fft=1024, 22050 Hz", (40, 1024, 22050)),
    ]


register(
    Exercise(
        id="multimodal.mel_filterbank",
        points=2,
        reference=mel_filterbank,
        cases=_mel_cases,
        hint=(
            "The filters are triangles whose corners are evenly spaced on the mel "
            "scale (not in Hz); each FFT bin's weight is read off the triangles at "
            "its frequency.",
            "Take n_mels + 2 corners: linspace in mel from mel(f_min) to mel(f_max), "
            "mapped back to Hz (HTK: mel = 2595 log10(1 + f / 700)). Filter j rises "
            "from corner j to corner j + 1 and falls to corner j + 2; FFT bin k is "
            "at k * sample_rate / n_fft, up to sample_rate / 2.",
            "With `f = freqs[:, None]` and `lower, centre, upper = corners[:-2], "
            "corners[1:-1], corners[2:]`: return `torch.minimum((f - lower) / "
            "(centre - lower), (upper - f) / (upper - "
            "centre)).clamp(min=0).float()`, shape (n_fft // 2 + 1, n_mels).",
        ),
    )
)
register_hidden("multimodal.mel_filterbank", _mel_hidden)

# ------------------------------------------------------------------ info_nce


def _nce_cases(device: torch.device) -> list[Case]:
    g = _gen(1)
    cases = []
    for b, d, tau, dtype in [(4, 3, 0.1, torch.float32), (16, 8, 0.5, torch.float64)]:
        v, a = (_randn(g, b, d, dtype=dtype, device=device) for _ in "va")
        cases.append(Case(f"{dtype}, B={b}, D={d}, tau={tau}", (v, a, tau)))
    v = _randn(g, 6, 4, dtype=torch.float64, device=device)
    cases.append(Case("edge: unnormalised inputs (v scaled by 50)", (50 * v, v, 0.2)))
    return cases


def _nce_hidden(device: torch.device) -> list[Case]:
    g = _gen(11)
    v, a = (_randn(g, 1, 5, dtype=torch.float64, device=device) for _ in "va")
    w, b = (_randn(g, 64, 16, dtype=torch.float32, device=device) for _ in "wb")
    return [Case("B=1", (v, a, 0.1)), Case("B=64, tau=0.05", (w, b, 0.05))]


register(
    Exercise(
        id="multimodal.info_nce",
        points=2,
        reference=info_nce,
        cases=_nce_cases,
        hint=(
            "Each video must pick out its own audio among the B audios of the batch, "
            "and each audio its own video: two classification problems over cosine "
            "similarities.",
            "L2-normalise both, form the (B, B) logits video . audio^T / "
            "temperature; the correct class of row i is i. Average the cross-entropy "
            "of the logits and that of their transpose.",
            "`logits = F.normalize(video, dim=1) @ F.normalize(audio, dim=1).T / "
            "temperature`; with `target = torch.arange(B)`, return "
            "`(F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target)) "
            "/ 2`.",
        ),
        grad=True,
    )
)
register_hidden("multimodal.info_nce", _nce_hidden)

# -------------------------------------------------------- multi_positive_nce


def _masks(g: torch.Generator, b: int, n: int, device: torch.device) -> torch.Tensor:
    mask = torch.rand(b, n, generator=g) < 0.3
    mask[torch.arange(b), torch.randint(n, (b,), generator=g)] = True  # >= 1 per row
    return mask.to(device)


def _mpnce_cases(device: torch.device) -> list[Case]:
    g = _gen(2)
    cases = []
    for b, n, dtype in [(4, 12, torch.float32), (8, 24, torch.float64)]:
        logits = _randn(g, b, n, dtype=dtype, device=device) * 3
        cases.append(Case(f"{dtype}, B={b}, N={n}", (logits, _masks(g, b, n, device))))
    logits = _randn(g, 5, 5, dtype=torch.float64, device=device)
    eye = torch.eye(5, dtype=torch.bool, device=device)
    cases.append(Case("one positive per row (= InfoNCE)", (logits, eye)))
    big = 300 + _randn(g, 3, 6, dtype=torch.float32, device=device)
    mask = _masks(g, 3, 6, device)
    cases.append(Case("edge: logits near 300 (exp overflows)", (big, mask)))
    return cases


def _mpnce_hidden(device: torch.device) -> list[Case]:
    g = _gen(12)
    logits = _randn(g, 4, 8, dtype=torch.float64, device=device)
    every = torch.ones(4, 8, dtype=torch.bool, device=device)
    return [
        Case("every entry positive: loss 0", (logits, every)),
        Case("B=32, N=96", (_randn(g, 32, 96, dtype=torch.float32, device=device),
                            _masks(g, 32, 96, device))),
    ]


register(
    Exercise(
        id="multimodal.multi_positive_nce",
        points=2,
        reference=multi_positive_nce,
        cases=_mpnce_cases,
        hint=(
            "With several positives, the probability of 'a positive' is the sum of "
            "their softmax probabilities; the loss is its negative log, averaged "
            "over rows.",
            "In logs: log(sum of exp over the positives) - log(sum of exp over all). "
            "Compute both with torch.logsumexp; for the positives, set the other "
            "logits to -inf first (masked_fill).",
            "`pos = torch.logsumexp(logits.masked_fill(~positives, float('-inf')), "
            "dim=1)`; return `(torch.logsumexp(logits, dim=1) - pos).mean()`.",
        ),
        grad=True,
    )
)
register_hidden("multimodal.multi_positive_nce", _mpnce_hidden)

# ------------------------------------------------------------------ sinkhorn


def _sinkhorn_cases(device: torch.device) -> list[Case]:
    g = _gen(3)
    cases = []
    for b, k, dtype in [(8, 4, torch.float32), (30, 3, torch.float64)]:
        scores = torch.log_softmax(_randn(g, b, k, dtype=dtype, device=device), 1)
        cases.append(Case(f"{dtype}, B={b}, K={k}", (scores,)))
    scores = torch.log_softmax(_randn(g, 12, 4, dtype=torch.float64, device=device), 1)
    cases.append(Case("10 iterations, epsilon = 0.5", (scores, 10, 0.5)))
    confident = torch.log_softmax(
        40 * _randn(g, 6, 3, dtype=torch.float32, device=device), 1
    )
    cases.append(Case("edge: confident scores (work in the log domain)", (confident,)))
    return cases


def _sinkhorn_hidden(device: torch.device) -> list[Case]:
    g = _gen(13)
    flat = torch.full((6, 3), -1.0986, dtype=torch.float64, device=device)
    return [
        Case("uniform scores: Q = 1 / K", (flat,)),
        Case(
            "one iteration",
            (_randn(g, 10, 5, dtype=torch.float64, device=device), 1),
        ),
    ]


register(
    Exercise(
        id="multimodal.sinkhorn",
        points=3,
        reference=sinkhorn,
        cases=_sinkhorn_cases,
        hint=(
            "Sinkhorn-Knopp rescales the columns and the rows of Q in turn, so that "
            "every cluster gets the same total mass and every example sums to 1; "
            "work in log space for stability.",
            "Start from log Q = scores / epsilon, detached. A column rescale "
            "subtracts each column's logsumexp and adds log(B / K); a row rescale "
            "subtracts each row's logsumexp. Do columns then rows, n_iters times, "
            "and return exp(log Q).",
            "each iteration: `log_q = log_q - torch.logsumexp(log_q, 0, "
            "keepdim=True) + math.log(B / K)`, then `log_q = log_q - "
            "torch.logsumexp(log_q, 1, keepdim=True)`; return `log_q.exp()`.",
        ),
    )
)
register_hidden("multimodal.sinkhorn", _sinkhorn_hidden)

# -------------------------------------------------------- max_over_positions


def _mop_cases(device: torch.device) -> list[Case]:
    g = _gen(4)
    cases = []
    for b, b2, t, d, s, dtype in [
        (3, 3, 2, 4, 3, torch.float32),
        (5, 4, 3, 6, 4, torch.float64),
    ]:
        a = _randn(g, b, d, dtype=dtype, device=device)
        maps = _randn(g, b2, t, d, s, s, dtype=dtype, device=device)
        name = f"{dtype}, B={b}, B2={b2}, T={t}, D={d}, {s}x{s}"
        cases.append(Case(name, (a, maps)))
    a = _randn(g, 2, 3, dtype=torch.float64, device=device)
    maps = _randn(g, 2, 1, 3, 1, 1, dtype=torch.float64, device=device) * 10
    cases.append(Case("edge: one frame, one position (a plain cosine)", (a, maps)))
    return cases


def _mop_hidden(device: torch.device) -> list[Case]:
    g = _gen(14)
    a = _randn(g, 8, 16, dtype=torch.float32, device=device)
    maps = _randn(g, 8, 4, 16, 8, 8, dtype=torch.float32, device=device)
    return [Case("B=8, T=4, D=16, 8x8", (a, maps))]


register(
    Exercise(
        id="multimodal.max_over_positions",
        points=2,
        reference=max_over_positions,
        cases=_mop_cases,
        hint=(
            "For each (sound, video) pair, find where in each frame the sound "
            "matches best, then average those best matches over time.",
            "Normalise audio along its last dim and the map along dim 2 (D); one "
            "einsum gives every cosine (B, B2, T, H, W); take the max over the H*W "
            "positions, then the mean over T.",
            "`sim = torch.einsum('id,jtdhw->ijthw', a, v)`; return "
            "`sim.flatten(3).max(3).values.mean(2)`.",
        ),
        grad=True,
    )
)
register_hidden("multimodal.max_over_positions", _mop_hidden)

# --------------------------------------------------------------- recall_at_k


def _recall_cases(device: torch.device) -> list[Case]:
    g = _gen(5)
    sim = _randn(g, 20, 20, dtype=torch.float32, device=device)
    eye = torch.eye(6, device=device) + 0.01 * torch.arange(6, device=device)
    ties = torch.ones(4, 4, dtype=torch.float64, device=device)
    return [
        Case("random 20 x 20, k=1", (sim, 1)),
        Case("random 20 x 20, k=5", (sim, 5)),
        Case("matches on top, k=1 (recall 1)", (eye, 1)),
        Case("edge: all scores tie (ties count against the query), k=3", (ties, 3)),
    ]


def _recall_hidden(device: torch.device) -> list[Case]:
    g = _gen(15)
    sim = _randn(g, 50, 50, dtype=torch.float64, device=device)
    return [Case("50 x 50, k=10", (sim, 10)), Case("k larger than N", (sim[:5, :5], 8))]


register(
    Exercise(
        id="multimodal.recall_at_k",
        points=2,
        reference=recall_at_k,
        cases=_recall_cases,
        hint=(
            "A query is a hit when its true match (on the diagonal) is among the k "
            "most similar gallery items; Recall@K is the fraction of hits.",
            "The rank of the match is the number of other items at least as similar: "
            "compare each row with its diagonal value (as a column), count, and "
            "subtract the match itself. A hit is rank < k; return the mean as "
            "float32.",
            "`rank = (similarity >= similarity.diagonal()[:, None]).sum(1) - 1`; "
            "return `(rank < k).float().mean()`.",
        ),
    )
)
register_hidden("multimodal.recall_at_k", _recall_hidden)

# ---------------------------------------------------------- zero_shot_logits


def _zs_cases(device: torch.device) -> list[Case]:
    g = _gen(6)
    cases = []
    for n, k, p, d, tau, dtype in [
        (5, 3, 1, 4, 1.0, torch.float32),
        (8, 4, 3, 6, 0.1, torch.float64),
    ]:
        clips = _randn(g, n, d, dtype=dtype, device=device)
        emb = _randn(g, k, p, d, dtype=dtype, device=device)
        cases.append(Case(f"{dtype}, N={n}, K={k}, P={p}, D={d}, tau={tau}",
                          (clips, emb, tau)))
    clips = _randn(g, 6, 5, dtype=torch.float64, device=device)
    emb = _randn(g, 4, 3, 5, dtype=torch.float64, device=device)
    emb[:, 0] *= 40  # normalise each prompt before the average
    cases.append(Case("edge: one prompt per class 40x longer", (clips, emb, 0.5)))
    return cases


def _zs_hidden(device: torch.device) -> list[Case]:
    g = _gen(16)
    clips = _randn(g, 1, 8, dtype=torch.float64, device=device) * 1e3
    emb = _randn(g, 2, 5, 8, dtype=torch.float64, device=device)
    big = _randn(g, 64, 16, dtype=torch.float32, device=device)
    big_emb = _randn(g, 10, 7, 16, dtype=torch.float32, device=device)
    return [
        Case("one clip, a long embedding", (clips, emb, 1.0)),
        Case("N=64, K=10, P=7, tau=0.07", (big, big_emb, 0.07)),
    ]


register(
    Exercise(
        id="multimodal.zero_shot_logits",
        points=2,
        reference=zero_shot_logits,
        cases=_zs_cases,
        hint=(
            "A class is represented by the average of its prompts' embeddings, and a "
            "clip is classified by its cosine similarity to each class.",
            "Normalise every prompt (last dim), average the P prompts of a class "
            "(dim 1) and normalise again (K, D); normalise the clips; the logits are "
            "their dot products divided by the temperature.",
            "`classes = F.normalize(F.normalize(prompt_embeddings, dim=-1).mean(1), "
            "dim=-1)`; return `F.normalize(clips, dim=-1) @ classes.T / "
            "temperature`.",
        ),
        grad=True,
    )
)
register_hidden("multimodal.zero_shot_logits", _zs_hidden)

"""Permutation sets for the jigsaw puzzle, chosen by Hamming distance.

Noroozi & Favaro, "Unsupervised Learning of Visual Representations by Solving
Jigsaw Puzzles" (ECCV 2016, arXiv:1603.09246), Algorithm 1, builds the set
greedily: start from a random permutation and repeatedly add the candidate
whose **average** Hamming distance to the permutations chosen so far is
largest (the chosen rows leave the candidate pool). Permutations that differ
in many positions are easy to tell apart, and the network must look at every
tile. :func:`average_hamming_permutations` is that rule.

:func:`greedy_permutations` is a variant of ours, not the paper's: it adds the
candidate whose *minimum* distance to the chosen set is largest (greedy
max-min, the farthest-point heuristic), which guarantees a large minimum
distance between any two permutations of the set; the paper reports the
minimum and the average distance of its sets, and both rules are offered so
that the two statistics can be compared.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

import torch


def all_permutations(n: int) -> torch.Tensor:
    """Every permutation of ``range(n)`` in lexicographic order, (n!, n) long."""
    if not 1 <= n <= 10:
        raise ValueError(
            f"all_permutations enumerates n! rows; use 1 <= n <= 10, got {n}"
        )
    return torch.tensor(list(itertools.permutations(range(n))), dtype=torch.long)


def hamming(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Pairwise Hamming distances: positions where two permutations differ.

    Shape: a (M, n), b (P, n) -> (M, P) long.
    """
    return (a[:, None, :] != b[None, :, :]).sum(-1)


def _greedy_selection(
    candidates: torch.Tensor,
    size: int,
    first: int,
    combine: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
) -> torch.Tensor:
    """Greedy selection of ``size`` rows by a running score over the chosen set.

    ``score[i]`` folds in ``hamming(candidates[i], c)`` for each chosen ``c``
    with ``combine`` (``torch.minimum`` or ``torch.add``); each step adds the
    not yet chosen row with the largest score, the first such row on ties.
    """
    m = candidates.shape[0]
    if not 1 <= size <= m:
        raise ValueError(
            f"size must be in [1, {m}] (the number of candidates); got {size}"
        )
    chosen = [first]
    taken = torch.zeros(m, dtype=torch.bool, device=candidates.device)
    taken[first] = True
    score = hamming(candidates, candidates[first : first + 1])[:, 0]  # (M,)
    for _ in range(size - 1):
        nxt = int(score.masked_fill(taken, -1).argmax())  # the first maximum
        chosen.append(nxt)
        taken[nxt] = True
        score = combine(score, hamming(candidates, candidates[nxt : nxt + 1])[:, 0])
    return torch.tensor(chosen, dtype=torch.long, device=candidates.device)


def greedy_permutations(
    candidates: torch.Tensor, size: int, first: int = 0
) -> torch.Tensor:
    """Greedy max-min selection of ``size`` rows of ``candidates``.

    Start with ``candidates[first]``; then, ``size - 1`` times, add the
    candidate with the largest minimum Hamming distance to the chosen set
    (the first such candidate on ties).

    Args:
        candidates: (M, n) long, distinct permutations.
        size: how many to choose, 1 <= size <= M.
        first: index of the starting permutation.

    Returns:
        (size,) long indices into ``candidates``, in the order chosen.
    """
    # score[i] = min over chosen c of hamming(candidates[i], c)
    return _greedy_selection(candidates, size, first, torch.minimum)


def average_hamming_permutations(
    candidates: torch.Tensor, size: int, first: int = 0
) -> torch.Tensor:
    """Noroozi & Favaro's Algorithm 1: greedy selection by average distance.

    Start with ``candidates[first]``; then, ``size - 1`` times, add the
    candidate not chosen yet with the largest average Hamming distance to the
    chosen set (the first such candidate on ties).

    Args:
        candidates: (M, n) long, distinct permutations.
        size: how many to choose, 1 <= size <= M.
        first: index of the starting permutation.

    Returns:
        (size,) long indices into ``candidates``, in the order chosen.
    """
    # score[i] = sum over chosen c of hamming(candidates[i], c): the average
    # times len(chosen), which has the same argmax
    return _greedy_selection(candidates, size, first, torch.add)


def maximal_hamming_set(
    n: int, size: int, seed: int = 0, rule: str = "min"
) -> torch.Tensor:
    """``size`` permutations of ``range(n)`` chosen greedily by Hamming distance.

    Args:
        n: permutation length.
        size: permutations in the set.
        seed: picks the random start, as in the paper.
        rule: ``"min"`` (our greedy max-min) or ``"average"`` (the paper's
            Algorithm 1).

    Returns:
        (size, n) long.
    """
    rules = {"min": greedy_permutations, "average": average_hamming_permutations}
    if rule not in rules:
        raise ValueError(f"rule must be one of {sorted(rules)}, got {rule!r}")
    cands = all_permutations(n)
    g = torch.Generator().manual_seed(seed)
    first = int(torch.randint(cands.shape[0], (1,), generator=g))
    return cands[rules[rule](cands, size, first)]


def random_permutation_set(n: int, size: int, seed: int = 0) -> torch.Tensor:
    """``size`` distinct permutations of ``range(n)`` drawn uniformly, (size, n)."""
    if size > math.factorial(n):
        raise ValueError(f"there are only {math.factorial(n)} permutations of {n}")
    g = torch.Generator().manual_seed(seed)
    perms = torch.argsort(torch.rand(4 * size + 16, n, generator=g), dim=1)
    unique = []
    seen = set()
    for p in perms.tolist():
        if tuple(p) not in seen:
            seen.add(tuple(p))
            unique.append(p)
        if len(unique) == size:
            break
    if len(unique) < size:  # tiny n: fall back to a shuffle of all permutations
        cands = all_permutations(n)
        return cands[torch.randperm(cands.shape[0], generator=g)[:size]]
    return torch.tensor(unique, dtype=torch.long)


def min_hamming(perms: torch.Tensor) -> int:
    """The smallest Hamming distance between two different rows of ``perms``."""
    d = hamming(perms, perms)
    d.fill_diagonal_(perms.shape[1] + 1)
    return int(d.min())


def mean_hamming(perms: torch.Tensor) -> float:
    """The average Hamming distance over pairs of different rows of ``perms``."""
    p = perms.shape[0]
    if p < 2:
        raise ValueError(f"need at least two permutations, got {p}")
    return float(hamming(perms, perms).sum()) / (p * (p - 1))

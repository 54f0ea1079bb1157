"""Permutation sets for the jigsaw puzzle, chosen by Hamming distance.

Noroozi & Favaro, "Unsupervised Learning of Visual Representations by Solving
Jigsaw Puzzles" (ECCV 2016, arXiv:1603.09246), Algorithm 1: start from one
permutation and repeatedly add the candidate whose *minimum* Hamming distance
to the permutations chosen so far is largest. Permutations that differ in
many positions are easy to tell apart, and the network must look at every
tile; the paper finds that the minimum distance of the set matters most.
"""

from __future__ import annotations

import itertools
import math

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


def greedy_permutations(
    candidates: torch.Tensor, size: int, first: int = 0
) -> torch.Tensor:
    """Greedy max-min selection of ``size`` rows of ``candidates``.

    Start with ``candidates[first]``; then, ``size - 1`` times, add the
    candidate with the largest minimum Hamming distance to the chosen set
    (the first such candidate on ties). Chosen rows have distance 0 to the
    set, so they are never picked twice while any other row has a larger one.

    Args:
        candidates: (M, n) long, distinct permutations.
        size: how many to choose, 1 <= size <= M.
        first: index of the starting permutation.

    Returns:
        (size,) long indices into ``candidates``, in the order chosen.
    """
    m = candidates.shape[0]
    if not 1 <= size <= m:
        raise ValueError(
            f"size must be in [1, {m}] (the number of candidates); got {size}"
        )
    chosen = [first]
    # min_dist[i] = min over chosen c of hamming(candidates[i], c), kept up to date
    min_dist = hamming(candidates, candidates[first : first + 1])[:, 0]  # (M,)
    for _ in range(size - 1):
        nxt = int(min_dist.argmax())  # argmax returns the first maximum
        chosen.append(nxt)
        new = hamming(candidates, candidates[nxt : nxt + 1])[:, 0]
        min_dist = torch.minimum(min_dist, new)
    return torch.tensor(chosen, dtype=torch.long, device=candidates.device)


def maximal_hamming_set(n: int, size: int, seed: int = 0) -> torch.Tensor:
    """``size`` permutations of ``range(n)`` chosen greedily by Hamming distance.

    The start is a random permutation (from ``seed``), as in the paper.
    Returns (size, n) long.
    """
    cands = all_permutations(n)
    g = torch.Generator().manual_seed(seed)
    first = int(torch.randint(cands.shape[0], (1,), generator=g))
    return cands[greedy_permutations(cands, size, first)]


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

"""Permutation sets: size, distinctness, min Hamming distance against brute force."""

from __future__ import annotations

import itertools

import pytest

from coursework.pretext.permutations import (
    all_permutations,
    average_hamming_permutations,
    greedy_permutations,
    hamming,
    maximal_hamming_set,
    mean_hamming,
    min_hamming,
    random_permutation_set,
)


def _hamming_loop(p: list[int], q: list[int]) -> int:
    return sum(a != b for a, b in zip(p, q))


def _min_hamming_loop(perms: list[list[int]]) -> int:
    return min(_hamming_loop(p, q) for i, p in enumerate(perms) for q in perms[i + 1 :])


def _greedy_loop(cands: list[list[int]], size: int, first: int) -> list[int]:
    chosen = [first]
    while len(chosen) < size:
        best, best_d = None, -1
        for i, c in enumerate(cands):
            d = min(_hamming_loop(c, cands[j]) for j in chosen)
            if d > best_d:
                best, best_d = i, d
        chosen.append(best)
    return chosen


def _average_loop(cands: list[list[int]], size: int, first: int) -> list[int]:
    """Noroozi & Favaro's Algorithm 1 as written: the largest mean distance to
    the chosen set among candidates not chosen yet, first on ties."""
    chosen = [first]
    while len(chosen) < size:
        best, best_d = None, -1.0
        for i, c in enumerate(cands):
            if i in chosen:
                continue
            d = sum(_hamming_loop(c, cands[j]) for j in chosen) / len(chosen)
            if d > best_d:
                best, best_d = i, d
        chosen.append(best)
    return chosen


def test_all_permutations_and_hamming_match_loops() -> None:
    perms = all_permutations(4)
    assert perms.shape == (24, 4)
    assert {tuple(p) for p in perms.tolist()} == set(itertools.permutations(range(4)))
    d = hamming(perms[:5], perms)
    for i in range(5):
        for j in range(24):
            assert d[i, j] == _hamming_loop(perms[i].tolist(), perms[j].tolist())


@pytest.mark.parametrize("n,size,first", [(4, 6, 0), (4, 10, 5), (5, 12, 37)])
def test_greedy_selection_matches_a_loop_and_brute_force(n, size, first) -> None:
    cands = all_permutations(n)
    idx = greedy_permutations(cands, size, first)
    assert idx.tolist() == _greedy_loop(cands.tolist(), size, first)
    chosen = cands[idx]
    assert chosen.shape == (size, n)
    assert len({tuple(p) for p in chosen.tolist()}) == size  # distinct
    assert min_hamming(chosen) == _min_hamming_loop(chosen.tolist())


def test_greedy_set_is_optimal_on_a_small_case() -> None:
    # permutations of 4, sets of 4: brute force over all C(24, 4) subsets
    cands = all_permutations(4).tolist()
    best = max(
        _min_hamming_loop([cands[i] for i in s])
        for s in itertools.combinations(range(24), 4)
    )
    chosen = all_permutations(4)[greedy_permutations(all_permutations(4), 4, 0)]
    assert min_hamming(chosen) == best == 4  # a Latin square: rows differ everywhere


def test_maximal_set_beats_a_random_set_of_the_same_size() -> None:
    greedy = maximal_hamming_set(6, 30, seed=0)
    rand = random_permutation_set(6, 30, seed=0)
    assert greedy.shape == rand.shape == (30, 6)
    assert len({tuple(p) for p in rand.tolist()}) == 30
    assert min_hamming(greedy) > min_hamming(rand)


@pytest.mark.parametrize("n,size,first", [(4, 6, 0), (4, 24, 5), (5, 12, 37)])
def test_average_rule_matches_a_loop_and_never_repeats(n, size, first) -> None:
    cands = all_permutations(n)
    idx = average_hamming_permutations(cands, size, first)
    assert idx.tolist() == _average_loop(cands.tolist(), size, first)
    assert len(set(idx.tolist())) == size


def test_mean_hamming_matches_a_loop_and_a_known_case() -> None:
    perms = maximal_hamming_set(5, 10, seed=1, rule="average")
    rows = perms.tolist()
    pairs = [_hamming_loop(p, q) for i, p in enumerate(rows) for q in rows[i + 1 :]]
    assert mean_hamming(perms) == pytest.approx(sum(pairs) / len(pairs))
    # a Latin square's rows differ in every position
    assert mean_hamming(all_permutations(3)[[0, 3, 4]]) == 3.0


def test_each_rule_wins_its_own_statistic() -> None:
    by_min = maximal_hamming_set(6, 40, seed=0, rule="min")
    by_mean = maximal_hamming_set(6, 40, seed=0, rule="average")
    assert min_hamming(by_min) > min_hamming(by_mean)
    assert mean_hamming(by_mean) > mean_hamming(by_min)


def test_bad_sizes_are_refused() -> None:
    with pytest.raises(ValueError, match="rule"):
        maximal_hamming_set(4, 3, rule="max")
    with pytest.raises(ValueError, match="size"):
        average_hamming_permutations(all_permutations(3), 7)
    with pytest.raises(ValueError, match="size"):
        greedy_permutations(all_permutations(3), 7)
    with pytest.raises(ValueError, match="only"):
        random_permutation_set(3, 7)

"""The notebook 05 exercises: each reference passes, wrong versions fail clearly."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from coursework.exercises.core import _HIDDEN, exercises_for, run_check


def _wrong_rotate(x):
    x_rot = torch.cat(
        [torch.rot90(x, -k, dims=(-2, -1)) for k in range(4)]
    )  # clockwise
    return x_rot, torch.arange(4).repeat_interleave(x.shape[0])


def _wrong_shuffle(tiles, permutations, index):
    order = permutations[index].argsort(1)  # the inverse permutation
    return tiles[torch.arange(tiles.shape[0])[:, None], order]


def _wrong_greedy(candidates, size, first=0):
    return torch.arange(first, first + size)  # the next rows, not the farthest


def _wrong_quantize(ab, centres):
    b, _, h, w = ab.shape
    flat = ab.permute(0, 2, 3, 1).reshape(-1, 2)
    return (flat[:, None] - centres).abs().sum(-1).argmin(1).view(b, h, w)  # L1


def _wrong_nt_xent(z1, z2, temperature=0.5):
    n = z1.shape[0]
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    sim = z @ z.T / temperature  # the anchor is not excluded
    positive = torch.cat([torch.arange(n, 2 * n), torch.arange(n)])
    return F.cross_entropy(sim, positive)


def _wrong_enqueue(queue, keys, ptr):
    new = queue.clone()
    new[ptr : ptr + keys.shape[0]] = keys  # no wrap-round
    return new, ptr + keys.shape[0]


def _wrong_reverse(clips, reverse):
    return torch.where(reverse.view(-1, 1, 1, 1, 1), clips.flip(2), clips)  # channels


WRONG = {
    "pretext.rotate_batch": (_wrong_rotate, "differ"),
    "pretext.shuffle_tiles": (_wrong_shuffle, "differ"),
    "pretext.greedy_permutations": (_wrong_greedy, "differ"),
    "pretext.quantize_ab": (_wrong_quantize, "differ"),
    "pretext.nt_xent": (_wrong_nt_xent, "differ"),
    "pretext.enqueue": (_wrong_enqueue, ""),
    "pretext.reverse_clips": (_wrong_reverse, "differ"),
}
CPU = torch.device("cpu")


def test_at_least_six_exercises_with_points_and_hidden_cases() -> None:
    exercises = exercises_for("pretext")
    assert len(exercises) >= 6
    assert all(e.points > 0 for e in exercises)
    assert set(WRONG) == {e.id for e in exercises}
    assert all(e.id in _HIDDEN for e in exercises)


@pytest.mark.parametrize("exercise_id", sorted(WRONG))
def test_reference_passes_its_own_check_with_hidden_cases(exercise_id: str) -> None:
    ex = next(e for e in exercises_for("pretext") if e.id == exercise_id)
    result = run_check(exercise_id, ex.reference, device=CPU, hidden=True)
    assert result.passed == len(result.cases) >= 4, [c.message for c in result.cases]
    assert any(c.hidden for c in result.cases)


@pytest.mark.parametrize("exercise_id", sorted(WRONG))
def test_wrong_function_fails_with_a_useful_message(
    exercise_id: str, check_verdicts
) -> None:
    failed = check_verdicts.wrong_fails(exercise_id, *WRONG[exercise_id])
    assert all(c.message for c in failed)


def test_a_stub_is_reported_missing() -> None:
    def stub(*args):
        raise NotImplementedError("pretext.nt_xent")

    result = run_check("pretext.nt_xent", stub, device=CPU)
    assert all(c.status == "missing" for c in result.cases)

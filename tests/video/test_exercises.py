"""Each exercise of notebook 01: the reference passes, a wrong function fails."""

from __future__ import annotations

import pytest
import torch

from coursework.exercises.core import PASSED, exercises_for, run_check

WRONG = {
    "video.sample_clip": lambda v, s, t, k: v[:, :t],
    "video.early_fusion_reshape": lambda x: x.transpose(1, 2).flatten(1, 2),
    "video.rf_update": lambda r, j, k, s: (r + k - 1, j * s),
    "video.late_fusion_pool": lambda f: f.amax(dim=(2, 3, 4)),
    "video.horn_schunck_step": lambda u, v, ix, iy, it, a: (u - ix * it, v - iy * it),
    "video.temporal_iou": lambda a, b: (
        (torch.minimum(a[:, 1:2], b[:, 1]) - torch.maximum(a[:, 0:1], b[:, 0])).clamp(
            min=0
        )
        / (a[:, 1:2] - a[:, 0:1])
    ),
    "video.temporal_nms": lambda s, sc, t: sc.argsort(descending=True),
}


def test_at_least_six_exercises_all_with_a_wrong_version():
    ids = [e.id for e in exercises_for("video")]
    assert len(ids) >= 6 and set(ids) == set(WRONG)


@pytest.mark.parametrize("exercise_id", sorted(WRONG))
def test_reference_passes_and_wrong_fails(exercise_id):
    ex = next(e for e in exercises_for("video") if e.id == exercise_id)
    ok = run_check(exercise_id, ex.reference, device="cpu")
    assert ok.status == PASSED and ok.points == ex.points
    bad = run_check(exercise_id, WRONG[exercise_id], device="cpu")
    assert bad.status != PASSED and bad.points < ex.points


def test_unfinished_stub_is_missing():
    def stub(*args):
        raise NotImplementedError("Exercise video.temporal_iou: replace this line")

    result = run_check("video.temporal_iou", stub, device="cpu")
    assert all(c.status == "missing" for c in result.cases)

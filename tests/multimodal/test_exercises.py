"""The notebook 06 exercises: each reference passes, wrong versions fail clearly."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from coursework.exercises.core import exercises_for, run_check

CPU = torch.device("cpu")


def _wrong_mel(n_mels, n_fft, sample_rate, f_min=0.0, f_max=None):
    # corners evenly spaced in Hz, not in mel
    f_max = sample_rate / 2 if f_max is None else f_max
    corners = torch.linspace(f_min, f_max, n_mels + 2, dtype=torch.float64)
    f = torch.linspace(0, sample_rate / 2, n_fft // 2 + 1, dtype=torch.float64)[:, None]
    up = (f - corners[:-2]) / (corners[1:-1] - corners[:-2])
    down = (corners[2:] - f) / (corners[2:] - corners[1:-1])
    return torch.minimum(up, down).clamp(min=0).float()


def _wrong_info_nce(video, audio, temperature=0.1):
    # one direction only
    logits = F.normalize(video, dim=1) @ F.normalize(audio, dim=1).T / temperature
    return F.cross_entropy(logits, torch.arange(len(video), device=video.device))


def _unnormalised_info_nce(video, audio, temperature=0.1):
    logits = video @ audio.T / temperature  # dot products, not cosines
    target = torch.arange(len(video), device=video.device)
    return (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target)) / 2


def _wrong_mpnce(logits, positives):
    # mean of the per-positive log-probabilities (SupCon's L_out), not MIL-NCE
    logp = torch.log_softmax(logits, 1)
    return -((logp * positives).sum(1) / positives.sum(1)).mean()


def _naive_mpnce(logits, positives):
    e = logits.exp()  # overflows for large logits
    return -torch.log((e * positives).sum(1) / e.sum(1)).mean()


def _wrong_sinkhorn(scores, n_iters=3, epsilon=0.05):
    # rows first, then columns: the columns are exact, the rows are not
    b, k = scores.shape
    log_q = scores.detach() / epsilon
    for _ in range(n_iters):
        log_q = log_q - torch.logsumexp(log_q, 1, keepdim=True)
        log_q = log_q - torch.logsumexp(log_q, 0, keepdim=True) + math.log(b / k)
    return log_q.exp()


def _wrong_mop(audio, feature_map):
    # mean over positions instead of the max
    a = F.normalize(audio, dim=-1)
    v = F.normalize(feature_map, dim=2)
    return torch.einsum("id,jtdhw->ijthw", a, v).flatten(3).mean(3).mean(2)


def _wrong_recall(similarity, k):
    # ties counted in the query's favour
    rank = (similarity > similarity.diagonal()[:, None]).sum(1)
    return (rank < k).float().mean()


def _wrong_zero_shot(clips, prompt_embeddings, temperature=1.0):
    # the prompts averaged before they are normalised: long prompts dominate
    classes = F.normalize(prompt_embeddings.mean(1), dim=-1)
    return F.normalize(clips, dim=-1) @ classes.T / temperature


def _unrenormalised_zero_shot(clips, prompt_embeddings, temperature=1.0):
    # the mean of unit prompts is shorter than 1: logits shrink unevenly
    classes = F.normalize(prompt_embeddings, dim=-1).mean(1)
    return F.normalize(clips, dim=-1) @ classes.T / temperature


WRONG = {
    "multimodal.mel_filterbank": (_wrong_mel, "values differ"),
    "multimodal.info_nce": (_wrong_info_nce, "values differ"),
    "multimodal.multi_positive_nce": (_wrong_mpnce, "values differ"),
    "multimodal.sinkhorn": (_wrong_sinkhorn, "values differ"),
    "multimodal.max_over_positions": (_wrong_mop, "values differ"),
    "multimodal.recall_at_k": (_wrong_recall, "got"),
    "multimodal.zero_shot_logits": (_wrong_zero_shot, "values differ"),
}


def test_at_least_seven_exercises_with_points() -> None:
    exercises = exercises_for("multimodal")
    assert len(exercises) >= 7
    assert all(e.points > 0 for e in exercises)
    assert set(WRONG) == {e.id for e in exercises}


@pytest.mark.parametrize("exercise_id", sorted(WRONG))
def test_reference_passes_its_own_check_and_hidden_cases(exercise_id: str) -> None:
    ex = next(e for e in exercises_for("multimodal") if e.id == exercise_id)
    public = run_check(exercise_id, ex.reference, device=CPU)
    result = run_check(exercise_id, ex.reference, device=CPU, hidden=True)
    assert result.passed == len(result.cases) >= 3, [c.message for c in result.cases]
    assert len(result.cases) > len(public.cases)  # hidden cases exist


@pytest.mark.parametrize("exercise_id", sorted(WRONG))
def test_wrong_function_fails_with_a_useful_message(
    exercise_id: str, check_verdicts
) -> None:
    check_verdicts.wrong_fails(exercise_id, *WRONG[exercise_id])


def test_specific_mistakes_are_caught() -> None:
    nce = run_check("multimodal.info_nce", _unnormalised_info_nce, device=CPU)
    assert any("unnormalised" in c.name for c in nce.cases if c.status != "passed")
    naive = run_check("multimodal.multi_positive_nce", _naive_mpnce, device=CPU)
    edge = [c for c in naive.cases if "overflow" in c.name]
    assert edge and edge[0].status != "passed"
    ties = run_check("multimodal.recall_at_k", _wrong_recall, device=CPU)
    assert [c.status for c in ties.cases if "tie" in c.name] == ["failed"]


def test_zero_shot_mistakes_are_caught() -> None:
    scaled = run_check("multimodal.zero_shot_logits", _wrong_zero_shot, device=CPU)
    failed = {c.name for c in scaled.cases if c.status != "passed"}
    assert any("40x longer" in name for name in failed)
    plain = run_check(
        "multimodal.zero_shot_logits", _unrenormalised_zero_shot, device=CPU
    )
    # with one prompt per class the mean is already a unit vector: that case passes
    statuses = {c.name: c.status for c in plain.cases}
    assert statuses["torch.float32, N=5, K=3, P=1, D=4, tau=1.0"] == "passed"
    assert plain.passed < len(plain.cases)

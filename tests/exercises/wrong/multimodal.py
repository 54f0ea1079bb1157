"""Wrong answers to the notebook 06 exercises, one per exercise in ``WRONG``.

``WRONG`` maps each exercise id to a wrong function and words its check's
message must contain; ``tests/exercises/test_topics.py`` runs them.
Every exercise of this topic also has hidden cases (``HIDDEN``).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

HIDDEN = True


def wrong_mel(n_mels, n_fft, sample_rate, f_min=0.0, f_max=None):
    # corners evenly spaced in Hz, not in mel
    f_max = sample_rate / 2 if f_max is None else f_max
    corners = torch.linspace(f_min, f_max, n_mels + 2, dtype=torch.float64)
    f = torch.linspace(0, sample_rate / 2, n_fft // 2 + 1, dtype=torch.float64)[:, None]
    up = (f - corners[:-2]) / (corners[1:-1] - corners[:-2])
    down = (corners[2:] - f) / (corners[2:] - corners[1:-1])
    return torch.minimum(up, down).clamp(min=0).float()


def wrong_info_nce(video, audio, temperature=0.1):
    # one direction only
    logits = F.normalize(video, dim=1) @ F.normalize(audio, dim=1).T / temperature
    return F.cross_entropy(logits, torch.arange(len(video), device=video.device))


def unnormalised_info_nce(video, audio, temperature=0.1):
    logits = video @ audio.T / temperature  # dot products, not cosines
    target = torch.arange(len(video), device=video.device)
    return (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target)) / 2


def wrong_mpnce(logits, positives):
    # mean of the per-positive log-probabilities (SupCon's L_out), not MIL-NCE
    logp = torch.log_softmax(logits, 1)
    return -((logp * positives).sum(1) / positives.sum(1)).mean()


def naive_mpnce(logits, positives):
    e = logits.exp()  # overflows for large logits
    return -torch.log((e * positives).sum(1) / e.sum(1)).mean()


def wrong_sinkhorn(scores, n_iters=3, epsilon=0.05):
    # rows first, then columns: the columns are exact, the rows are not
    b, k = scores.shape
    log_q = scores.detach() / epsilon
    for _ in range(n_iters):
        log_q = log_q - torch.logsumexp(log_q, 1, keepdim=True)
        log_q = log_q - torch.logsumexp(log_q, 0, keepdim=True) + math.log(b / k)
    return log_q.exp()


def wrong_mop(audio, feature_map):
    # mean over positions instead of the max
    a = F.normalize(audio, dim=-1)
    v = F.normalize(feature_map, dim=2)
    return torch.einsum("id,jtdhw->ijthw", a, v).flatten(3).mean(3).mean(2)


def wrong_recall(similarity, k):
    # ties counted in the query's favour
    rank = (similarity > similarity.diagonal()[:, None]).sum(1)
    return (rank < k).float().mean()


def wrong_zero_shot(clips, prompt_embeddings, temperature=1.0):
    # the prompts averaged before they are normalised: long prompts dominate
    classes = F.normalize(prompt_embeddings.mean(1), dim=-1)
    return F.normalize(clips, dim=-1) @ classes.T / temperature


def unrenormalised_zero_shot(clips, prompt_embeddings, temperature=1.0):
    # the mean of unit prompts is shorter than 1: logits shrink unevenly
    classes = F.normalize(prompt_embeddings, dim=-1).mean(1)
    return F.normalize(clips, dim=-1) @ classes.T / temperature


WRONG = {
    "multimodal.mel_filterbank": (wrong_mel, "values differ"),
    "multimodal.info_nce": (wrong_info_nce, "values differ"),
    "multimodal.multi_positive_nce": (wrong_mpnce, "values differ"),
    "multimodal.sinkhorn": (wrong_sinkhorn, "values differ"),
    "multimodal.max_over_positions": (wrong_mop, "values differ"),
    "multimodal.recall_at_k": (wrong_recall, "got"),
    "multimodal.zero_shot_logits": (wrong_zero_shot, "values differ"),
}

"""Contrastive losses over a whole batch's similarity matrix.

* Symmetric InfoNCE, as in CLIP: Radford et al., *Learning Transferable Visual
  Models From Natural Language Supervision* (2021, arXiv:2103.00020), with
  InfoNCE from van den Oord et al., *Representation Learning with Contrastive
  Predictive Coding* (2018, arXiv:1807.03748). For normalised embeddings
  ``v_i, a_i`` and temperature ``tau``, ``l_ij = v_i . a_j / tau`` and
  ``L = 1/2 [CE(l, diag) + CE(l^T, diag)]``.
* The multi-positive NCE of MIL-NCE: Miech et al., *End-to-End Learning of
  Visual Representations from Uncurated Instructional Videos* (2020,
  arXiv:1912.06430), eq. 1, and CoCLR: Han, Xie & Zisserman, *Self-supervised
  Co-training for Video Representation Learning* (2020, arXiv:2010.09709),
  eq. 2: ``L_i = -log( sum_{p in P_i} e^{l_ip} / sum_j e^{l_ij} )``, where the
  denominator holds the positives and the negatives.
* Soft-label cross-entropy, the loss of self-labelling (SeLa, SeLaVi) against
  Sinkhorn-Knopp pseudo-labels.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def similarity_logits(
    a: torch.Tensor, b: torch.Tensor, temperature: float
) -> torch.Tensor:
    """Cosine similarities over a temperature: ``l_ij = a_i . b_j / (|a_i||b_j| tau)``.

    Shapes: a (B, D), b (B', D) -> (B, B').
    """
    if temperature <= 0:
        raise ValueError(f"the temperature must be positive; got {temperature}")
    return F.normalize(a, dim=-1) @ F.normalize(b, dim=-1).T / temperature


def info_nce(
    video: torch.Tensor, audio: torch.Tensor, temperature: float = 0.1
) -> torch.Tensor:
    """Symmetric InfoNCE (CLIP): pair ``i`` of the batch is the positive of row ``i``.

    Args:
        video: embeddings (B, D), not necessarily normalised.
        audio: embeddings (B, D) of the same clips, in the same order.
        temperature: ``tau`` > 0.

    Returns:
        The scalar loss, mean of the video-to-audio and audio-to-video terms.
    """
    if video.shape != audio.shape:
        raise ValueError(
            f"video {tuple(video.shape)} and audio {tuple(audio.shape)} must both be "
            "(B, D), row i of each from the same clip"
        )
    logits = similarity_logits(video, audio, temperature)  # (B, B)
    target = torch.arange(logits.shape[0], device=logits.device)
    # CE over each row (video -> audio) and each column (audio -> video)
    return 0.5 * (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target))


def multi_positive_nce(logits: torch.Tensor, positives: torch.Tensor) -> torch.Tensor:
    """MIL-NCE / CoCLR: ``-log(sum_{p in P_i} e^{l_ip} / sum_j e^{l_ij})``, mean.

    With one positive per row (``positives`` the identity) this is InfoNCE's
    cross-entropy.

    Args:
        logits: similarities over the temperature (B, N).
        positives: bool mask (B, N), at least one True per row.

    Returns:
        The scalar loss.
    """
    if positives.shape != logits.shape or positives.dtype != torch.bool:
        raise ValueError(
            f"positives must be a bool mask shaped like the logits "
            f"{tuple(logits.shape)}; "
            f"got {positives.dtype} {tuple(positives.shape)}"
        )
    # log sum over the positives minus log sum over all candidates, per row
    pos = torch.logsumexp(logits.masked_fill(~positives, float("-inf")), dim=1)
    return (torch.logsumexp(logits, dim=1) - pos).mean()


def mil_nce(
    video: torch.Tensor, candidates: torch.Tensor, temperature: float = 0.1
) -> torch.Tensor:
    """MIL-NCE with K candidate positives per clip (e.g. neighbouring audio windows).

    Every candidate of clip ``i`` is a positive of ``video[i]``; the candidates
    of the other clips are its negatives.

    Shapes: video (B, D), candidates (B, K, D).
    """
    b, k, d = candidates.shape
    logits = similarity_logits(video, candidates.reshape(b * k, d), temperature)
    owner = torch.arange(b, device=video.device).repeat_interleave(k)  # (B K,)
    positives = owner.view(1, -1) == torch.arange(b, device=video.device).view(-1, 1)
    return multi_positive_nce(logits, positives)


def soft_cross_entropy(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """``-sum_k q_k log softmax(logits)_k``, mean over the batch.

    Shapes: logits (B, K), targets (B, K) with rows summing to 1.
    """
    return -(targets * F.log_softmax(logits, dim=1)).sum(1).mean()


__all__ = [
    "info_nce",
    "mil_nce",
    "multi_positive_nce",
    "similarity_logits",
    "soft_cross_entropy",
]

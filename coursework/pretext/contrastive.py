"""Contrastive learning: SimCLR's NT-Xent loss and MoCo's momentum encoder and queue.

SimCLR (Chen et al., ICML 2020, arXiv:2002.05709): two augmented views of
each of N images give 2N embeddings z; for the positive pair (i, j),

    l(i, j) = -log exp(sim(z_i, z_j) / tau) / sum_{k != i} exp(sim(z_i, z_k) / tau),

with sim the cosine similarity, and the loss averages l over all 2N ordered
positive pairs ("NT-Xent", Algorithm 1 of the paper).

MoCo (He et al., "Momentum Contrast for Unsupervised Visual Representation
Learning", CVPR 2020, arXiv:1911.05722): the keys come from a key encoder
whose weights follow the query encoder's by a moving average,
theta_k <- m theta_k + (1 - m) theta_q, and gets no gradient; the negatives
are a first-in-first-out queue of the keys of earlier batches, so there are
many more of them than a batch holds.
"""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import nn


def nt_xent(
    z1: torch.Tensor, z2: torch.Tensor, temperature: float = 0.5
) -> torch.Tensor:
    """NT-Xent over two views z1, z2 (N, D): a scalar, the mean over 2N anchors."""
    n = z1.shape[0]
    z = F.normalize(torch.cat([z1, z2]), dim=1)  # (2N, D)
    sim = z @ z.T / temperature  # (2N, 2N) cosine similarities / tau
    self_mask = torch.eye(2 * n, dtype=torch.bool, device=z.device)
    sim = sim.masked_fill(self_mask, float("-inf"))  # k != i
    positive = torch.cat([torch.arange(n, 2 * n), torch.arange(n)]).to(z.device)
    return F.cross_entropy(sim, positive)


def nt_xent_logits(z1: torch.Tensor, z2: torch.Tensor, temperature: float = 0.5):
    """The (2N, 2N) logits and positive indices of NT-Xent, for its accuracy."""
    n = z1.shape[0]
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    sim = (z @ z.T / temperature).masked_fill(
        torch.eye(2 * n, dtype=torch.bool, device=z.device), float("-inf")
    )
    return sim, torch.cat([torch.arange(n, 2 * n), torch.arange(n)]).to(z.device)


def moco_logits(
    q: torch.Tensor, k: torch.Tensor, queue: torch.Tensor, temperature: float = 0.2
) -> torch.Tensor:
    """Logits (N, 1 + K): the positive q.k first, then q against the queue (K, D).

    q, k and the queue are L2-normalised embeddings; the target class is 0.
    """
    l_pos = (q * k).sum(1, keepdim=True)  # (N, 1)
    l_neg = q @ queue.T  # (N, K)
    return torch.cat([l_pos, l_neg], 1) / temperature


def enqueue(
    queue: torch.Tensor, keys: torch.Tensor, ptr: int
) -> tuple[torch.Tensor, int]:
    """Write ``keys`` (N, D) into ``queue`` (K, D) from row ``ptr`` on, wrapping round.

    The oldest keys are overwritten first (first in, first out). Returns the
    new queue (a new tensor) and the new pointer ``(ptr + N) % K``.
    """
    size = queue.shape[0]
    if keys.shape[0] > size:
        raise ValueError(
            f"a batch of {keys.shape[0]} keys does not fit a queue of {size}"
        )
    rows = (ptr + torch.arange(keys.shape[0], device=queue.device)) % size
    new = queue.clone()
    new[rows] = keys.detach().to(queue.dtype)
    return new, (ptr + keys.shape[0]) % size


class MoCo(nn.Module):
    """A query encoder, its momentum copy (the key encoder) and a queue of keys.

    Args:
        encoder: maps images to embeddings (B, D) (backbone + projection head).
        dim: embedding size ``D``.
        queue_size: number of negative keys ``K``.
        momentum: ``m`` of the moving average.
    """

    def __init__(
        self, encoder: nn.Module, dim: int, queue_size: int, momentum: float = 0.99
    ) -> None:
        super().__init__()
        self.encoder_q = encoder
        self.encoder_k = copy.deepcopy(encoder)
        for p in self.encoder_k.parameters():
            p.requires_grad_(False)
        self.momentum = momentum
        g = torch.Generator().manual_seed(0)
        self.register_buffer(
            "queue", F.normalize(torch.randn(queue_size, dim, generator=g), dim=1)
        )
        self.ptr = 0  # a Python int: advancing it never waits for the device

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Normalised query embeddings (B, D)."""
        return F.normalize(self.encoder_q(x), dim=1)

    @torch.no_grad()
    def keys(self, x: torch.Tensor) -> torch.Tensor:
        """Normalised key embeddings (B, D), without gradient."""
        return F.normalize(self.encoder_k(x), dim=1)

    @torch.no_grad()
    def momentum_update(self) -> None:
        """theta_k <- m theta_k + (1 - m) theta_q; buffers (BN statistics) copied."""
        for pk, pq in zip(self.encoder_k.parameters(), self.encoder_q.parameters()):
            pk.mul_(self.momentum).add_(pq.detach(), alpha=1 - self.momentum)
        for bk, bq in zip(self.encoder_k.buffers(), self.encoder_q.buffers()):
            bk.copy_(bq)

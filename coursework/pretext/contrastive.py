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

Shuffling BN (MoCo, section 3.3): with BatchNorm, each image's features depend
on the statistics of the batch it was computed in. When a query and its
positive key come from batches of the same images, those statistics are a
signal the two share and the queue's keys (computed in earlier batches) do
not, a shortcut to the positive that teaches nothing about the image. MoCo
computes the keys on a shuffled order of the batch split across GPUs, so a
key's statistics come from other images than its query's. ``grouped_forward``
does that on one device: the batch in ``groups`` sub-batches (each with its
own BatchNorm statistics), optionally in a permuted order.
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


def grouped_forward(
    module: nn.Module,
    x: torch.Tensor,
    groups: int = 1,
    perm: torch.Tensor | None = None,
) -> torch.Tensor:
    """``module`` on ``groups`` sub-batches of ``x`` taken in the order ``perm``.

    With ``perm`` (a permutation of the batch), the sub-batches are
    ``x[perm]`` cut into ``groups`` consecutive chunks; the outputs are put back
    in the order of ``x``, so row i of the result is image i's output, computed
    with the BatchNorm statistics of the chunk that image i fell into. With
    ``groups = 1`` and no ``perm`` this is ``module(x)``.
    """
    if groups < 1 or groups > x.shape[0]:
        raise ValueError(f"groups must be between 1 and the batch {x.shape[0]}")
    if groups == 1 and perm is None:
        return module(x)
    order = perm if perm is not None else torch.arange(x.shape[0], device=x.device)
    out = torch.cat([module(chunk) for chunk in x[order].chunk(groups)])
    return out[torch.argsort(order)]


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
        bn_groups: with more than 1, shuffling BN (section 3.3 of the paper)
            on one device: queries are computed in ``bn_groups`` consecutive
            sub-batches, keys in as many sub-batches of a random order of the
            batch, so a key's BatchNorm statistics come from other images
            than its query's (see ``grouped_forward``).
    """

    def __init__(
        self,
        encoder: nn.Module,
        dim: int,
        queue_size: int,
        momentum: float = 0.99,
        bn_groups: int = 1,
    ) -> None:
        super().__init__()
        self.bn_groups = bn_groups
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
        """Normalised query embeddings (B, D), in ``bn_groups`` sub-batches."""
        return F.normalize(grouped_forward(self.encoder_q, x, self.bn_groups), dim=1)

    @torch.no_grad()
    def keys(self, x: torch.Tensor) -> torch.Tensor:
        """Normalised key embeddings (B, D), without gradient.

        With ``bn_groups > 1`` the batch is shuffled before it is cut into
        sub-batches (shuffling BN) and the keys are returned in the order of x.
        """
        perm = None
        if self.bn_groups > 1:
            perm = torch.randperm(x.shape[0], device=x.device)
        return F.normalize(
            grouped_forward(self.encoder_k, x, self.bn_groups, perm), dim=1
        )

    @torch.no_grad()
    def momentum_update(self) -> None:
        """theta_k <- m theta_k + (1 - m) theta_q; buffers (BN statistics) copied."""
        for pk, pq in zip(self.encoder_k.parameters(), self.encoder_q.parameters()):
            pk.mul_(self.momentum).add_(pq.detach(), alpha=1 - self.momentum)
        for bk, bq in zip(self.encoder_k.buffers(), self.encoder_q.buffers()):
            bk.copy_(bq)

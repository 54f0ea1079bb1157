"""Fusing two modalities for a downstream label: early, late, cross-attention.

On frozen token sequences ``v`` (B, T, Cv) and ``a`` (B, T, Ca), one token
per video frame:

* early fusion joins the tokens of each time step before any processing;
* late fusion gives each modality its own classifier and adds their logits;
* cross-attention lets each modality's tokens attend to the other's in a
  transformer block (Vaswani et al., *Attention Is All You Need*, 2017,
  arXiv:1706.03762; the co-attention of Lu et al., *ViLBERT*, 2019,
  arXiv:1908.02265, and the bottlenecks of Nagrani et al., *Attention
  Bottlenecks for Multimodal Fusion*, 2021, arXiv:2107.00135).
"""

from __future__ import annotations

import torch
from torch import nn


class EarlyFusion(nn.Module):
    """``[v_t; a_t] -> MLP -> mean over t -> linear``.

    Shapes: v (B, T, Cv), a (B, T, Ca) -> logits (B, K).
    """

    def __init__(
        self, video_dim: int, audio_dim: int, hidden: int, classes: int
    ) -> None:
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(video_dim + audio_dim, hidden), nn.ReLU())
        self.out = nn.Linear(hidden, classes)

    def forward(self, v: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
        x = self.mlp(torch.cat([v, a], -1))  # (B, T, hidden)
        return self.out(x.mean(1))


class LateFusion(nn.Module):
    """``f_v(v) + f_a(a)``: one classifier per modality, logits added (B, K)."""

    def __init__(
        self, video_dim: int, audio_dim: int, hidden: int, classes: int
    ) -> None:
        super().__init__()
        self.video = nn.Sequential(nn.Linear(video_dim, hidden), nn.ReLU())
        self.audio = nn.Sequential(nn.Linear(audio_dim, hidden), nn.ReLU())
        self.out_v = nn.Linear(hidden, classes)
        self.out_a = nn.Linear(hidden, classes)

    def forward(self, v: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
        return self.out_v(self.video(v).mean(1)) + self.out_a(self.audio(a).mean(1))


class CrossAttentionBlock(nn.Module):
    """Pre-norm transformer block whose queries come from one modality.

    ``x <- x + Attn(LN(x), LN(y), LN(y))``, then ``x <- x + MLP(LN(x))``.
    """

    def __init__(self, dim: int, heads: int = 2) -> None:
        super().__init__()
        self.norm_q = nn.LayerNorm(dim)
        self.norm_kv = nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.norm_mlp = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(
            nn.Linear(dim, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim)
        )

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        kv = self.norm_kv(y)
        x = x + self.attn(self.norm_q(x), kv, kv, need_weights=False)[0]  # (B, T, D)
        return x + self.mlp(self.norm_mlp(x))


class CrossAttentionFusion(nn.Module):
    """Co-attention: video attends to audio and audio to video, pooled, classified."""

    def __init__(
        self, video_dim: int, audio_dim: int, hidden: int, classes: int, heads: int = 2
    ) -> None:
        super().__init__()
        self.embed_v = nn.Linear(video_dim, hidden)
        self.embed_a = nn.Linear(audio_dim, hidden)
        self.v_from_a = CrossAttentionBlock(hidden, heads)
        self.a_from_v = CrossAttentionBlock(hidden, heads)
        self.out = nn.Linear(2 * hidden, classes)

    def forward(self, v: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
        hv, ha = self.embed_v(v), self.embed_a(a)  # (B, T, hidden)
        hv, ha = self.v_from_a(hv, ha), self.a_from_v(ha, hv)
        return self.out(torch.cat([hv.mean(1), ha.mean(1)], -1))


FUSIONS = {"early": EarlyFusion, "late": LateFusion, "attention": CrossAttentionFusion}

__all__ = [
    "FUSIONS",
    "CrossAttentionBlock",
    "CrossAttentionFusion",
    "EarlyFusion",
    "LateFusion",
]

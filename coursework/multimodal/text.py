"""Text as the third modality: a vocabulary from captions and a tiny text encoder.

The captions of the generated clips are templated sentences, so a small
closed vocabulary built from them covers every word, and a one-block
transformer is enough to read them; no pretrained weights are downloaded.
CLIP pairs images with such an encoder's sentence embedding (Radford et al.,
*Learning Transferable Visual Models From Natural Language Supervision*,
2021, arXiv:2103.00020: "the activations of the highest layer of the
transformer at the [EOS] token are treated as the feature representation of
the text"); we pool the tokens with a masked mean instead, which needs no end
token. MMV's text branch is shallow too: pretrained word embeddings, a
small network and pooling over the words (Alayrac et al., *Self-Supervised
MultiModal Versatile Networks*, 2020, arXiv:2006.16228). With ``layers=0``
the encoder is a bag of words: the masked mean of the word embeddings,
blind to word order.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

PAD, UNKNOWN = "<pad>", "<unk>"


def split_words(text: str) -> list[str]:
    """Lower-case words of ``text``; punctuation is dropped."""
    return re.findall(r"[a-z0-9]+", text.lower())


@dataclass(frozen=True)
class Vocabulary:
    """Words known to the text encoder; id 0 is padding, id 1 an unknown word.

    Attributes:
        words: every token, ``words[i]`` has id ``i``.
    """

    words: tuple[str, ...]

    @classmethod
    def build(cls, texts: Sequence[str]) -> Vocabulary:
        """The sorted set of words of ``texts`` after the two special tokens."""
        seen = sorted({w for t in texts for w in split_words(t)})
        return cls((PAD, UNKNOWN, *seen))

    def __len__(self) -> int:
        return len(self.words)

    def encode(
        self, texts: Sequence[str], max_len: int | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Token ids and the padding mask of a batch of sentences.

        Args:
            texts: N sentences, each with at least one word.
            max_len: length ``L`` of the rows; default the longest sentence.
                Longer sentences are cut to their first ``L`` words.

        Returns:
            ``(ids, mask)``: ids (N, L) long, 0 at padding and 1 for a word
            not in the vocabulary; mask (N, L) bool, True at real tokens.
        """
        index = {w: i for i, w in enumerate(self.words)}
        rows = [[index.get(w, 1) for w in split_words(t)] for t in texts]
        empty = [t for t, r in zip(texts, rows) if not r]
        if empty:
            raise ValueError(
                f"every text needs at least one word; got {empty[:3]!r}: drop empty "
                "captions before encoding"
            )
        length = max((len(r) for r in rows), default=1) if max_len is None else max_len
        ids = torch.zeros(len(rows), length, dtype=torch.long)
        for i, r in enumerate(rows):
            r = r[:length]
            ids[i, : len(r)] = torch.tensor(r, dtype=torch.long)
        return ids, ids != 0


class TextBlock(nn.Module):
    """Pre-norm transformer block whose attention skips padded tokens.

    ``x + attn(LN(x))``, then ``x + MLP(LN(x))``; shapes (B, L, C) -> (B, L, C).
    """

    def __init__(self, width: int, heads: int) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(width)
        self.attn = nn.MultiheadAttention(width, heads, batch_first=True)
        self.norm2 = nn.LayerNorm(width)
        self.mlp = nn.Sequential(
            nn.Linear(width, 2 * width), nn.GELU(), nn.Linear(2 * width, width)
        )

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        h = self.norm1(x)
        # key_padding_mask is True where a key must be ignored: the padding
        h = self.attn(h, h, h, key_padding_mask=~mask, need_weights=False)[0]
        x = x + h
        return x + self.mlp(self.norm2(x))


class TextEncoder(nn.Module):
    """Token ids (B, L) and mask (B, L) -> features (B, C) -> embedding (B, D).

    Word embedding plus a learned position embedding, ``layers`` transformer
    blocks, a mean over the real (unpadded) tokens and a linear projection.

    Args:
        vocab_size: number of token ids (``len(vocabulary)``).
        width: token width ``C``.
        dim: embedding size ``D`` of the shared space.
        max_len: the longest sentence the position embedding covers.
        layers: transformer blocks; 0 gives a bag of words (no positions).
        heads: attention heads; must divide ``width``.
    """

    def __init__(
        self,
        vocab_size: int,
        width: int,
        dim: int,
        max_len: int = 32,
        layers: int = 1,
        heads: int = 2,
    ) -> None:
        super().__init__()
        if layers > 0 and width % heads:
            raise ValueError(f"width {width} must be a multiple of heads {heads}")
        self.embed = nn.Embedding(vocab_size, width, padding_idx=0)
        position = nn.Parameter(0.02 * torch.randn(max_len, width)) if layers else None
        self.register_parameter("position", position)
        self.blocks = nn.ModuleList(TextBlock(width, heads) for _ in range(layers))
        self.head = nn.Linear(width, dim)
        self.max_len = max_len
        self.channels = width

    def features(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Masked mean of the token states (B, C), the representation for probes.

        Every row needs at least one unpadded token (``Vocabulary.encode``
        ensures it); the values are not checked here, to keep training steps
        free of host synchronisation.
        """
        if ids.shape != mask.shape or ids.dim() != 2:
            raise ValueError(
                f"ids {tuple(ids.shape)} and mask {tuple(mask.shape)} must both be "
                "(B, L), as Vocabulary.encode returns them"
            )
        if ids.shape[1] > self.max_len:
            raise ValueError(
                f"sentences of {ids.shape[1]} tokens exceed max_len={self.max_len}; "
                "encode with a smaller max_len or build the encoder with a larger one"
            )
        x = self.embed(ids)  # (B, L, C)
        if self.position is not None:
            x = x + self.position[: ids.shape[1]]
        for block in self.blocks:
            x = block(x, mask)
        w = mask.unsqueeze(-1).to(x.dtype)  # (B, L, 1)
        return (x * w).sum(1) / w.sum(1)

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(ids, mask))


__all__ = ["PAD", "UNKNOWN", "TextBlock", "TextEncoder", "Vocabulary", "split_words"]

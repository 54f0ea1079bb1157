"""Sound-source localisation: where in the frame does the audio embedding match?

Arandjelović & Zisserman, *Objects that Sound* (2018, arXiv:1712.06651)
compare the audio embedding ``a`` with the visual embedding ``v(x, y)`` at
every position of the feature map; the similarities form a heatmap, and the
clip-level score is its maximum over positions (multiple-instance learning:
the sound comes from *somewhere*). Trained with an NCE over the batch, the
maximum picks the position of the sounding object. Over ``T`` frames we take
the maximum in each frame and average over frames:
``s(a, V) = 1/T sum_t max_{x,y} cos(a, v_t(x, y))``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def similarity_map(audio: torch.Tensor, feature_map: torch.Tensor) -> torch.Tensor:
    """Cosine similarity of each clip's audio with each position of its own frames.

    Shapes: audio (B, D), feature_map (B, T, D, H, W) -> heatmap (B, T, H, W).
    """
    a = F.normalize(audio, dim=-1)
    v = F.normalize(feature_map, dim=2)
    return torch.einsum("bd,btdhw->bthw", a, v)


def max_over_positions(audio: torch.Tensor, feature_map: torch.Tensor) -> torch.Tensor:
    """Scores of every audio against every clip: mean over frames of the max position.

    ``S_ij = 1/T sum_t max_{x,y} cos(audio_i, feature_map_j[t, :, y, x])``.

    Args:
        audio: (B, D) audio embeddings.
        feature_map: (B', T, D, H, W) visual embeddings per position.

    Returns:
        (B, B') scores in [-1, 1]; row = audio, column = clip.
    """
    if audio.shape[-1] != feature_map.shape[2]:
        raise ValueError(
            f"audio has D={audio.shape[-1]} but the feature map has "
            f"D={feature_map.shape[2]} channels (dim 2 of (B, T, D, H, W))"
        )
    a = F.normalize(audio, dim=-1)
    v = F.normalize(feature_map, dim=2)
    sim = torch.einsum("id,jtdhw->ijthw", a, v)  # (B, B', T, H, W)
    return sim.flatten(3).amax(3).mean(2)


def peak_positions(heatmap: torch.Tensor) -> torch.Tensor:
    """Centre (x, y) in [0, 1] of each heatmap's highest cell.

    Shapes: heatmap (..., H, W) -> (..., 2).
    """
    h, w = heatmap.shape[-2:]
    flat = heatmap.flatten(-2).argmax(-1)  # (...,)
    row, col = flat // w, flat % w
    return torch.stack([(col + 0.5) / w, (row + 0.5) / h], -1).to(heatmap.dtype)


def localisation_hits(
    peaks: torch.Tensor, centres: torch.Tensor, radius: torch.Tensor, cell: float
) -> torch.Tensor:
    """Whether each peak falls on the object: ``|peak - centre| <= radius + cell / 2``.

    Args:
        peaks: predicted positions (B, T, 2) in [0, 1].
        centres: the sounding object's centres (B, T, 2).
        radius: the object's radius (B,), in frame widths.
        cell: the side of one heatmap cell in frame widths (``1 / W``); half a
            cell is the peak's own uncertainty.

    Returns:
        bool (B, T).
    """
    dist = (peaks - centres).norm(dim=-1)  # (B, T)
    return dist <= radius.view(-1, 1) + cell / 2


__all__ = [
    "localisation_hits",
    "max_over_positions",
    "peak_positions",
    "similarity_map",
]

"""Encoders for two modalities and the audio-visual networks built from them.

Small on purpose: a per-frame CNN with a temporal convolution for video, a
1-D CNN over log-mel frames for audio, each ending in a projection to a
shared embedding space (Arandjelović & Zisserman, *Look, Listen and Learn*,
2017, arXiv:1705.08168: two towers and a fusion head). Both encoders keep a
time axis with one token per video frame, so that synchronisation, fusion
and cross-attention can see *when* things happen. The frame CNN gets two
coordinate channels (Liu et al., *An intriguing failing of convolutional
neural networks and the CoordConv solution*, 2018, arXiv:1807.03247), so a
spatially pooled feature can still say where the object is.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from coursework.multimodal.text import TextEncoder


def coord_channels(x: torch.Tensor) -> torch.Tensor:
    """Append pixel coordinates x, y in [-1, 1]: (N, C, H, W) -> (N, C + 2, H, W)."""
    n, _, h, w = x.shape
    ys = torch.linspace(-1, 1, h, device=x.device, dtype=x.dtype)
    xs = torch.linspace(-1, 1, w, device=x.device, dtype=x.dtype)
    grid_y, grid_x = torch.meshgrid(ys, xs, indexing="ij")  # (H, W)
    coords = torch.stack([grid_x, grid_y]).expand(n, 2, h, w)
    return torch.cat([x, coords], 1)


def as_float_frames(frames: torch.Tensor) -> torch.Tensor:
    """uint8 frames in [0, 255] or floats in [0, 1] -> float in [0, 1]."""
    return frames.float() / 255 if frames.dtype == torch.uint8 else frames.float()


class FrameEncoder(nn.Module):
    """Per-frame CNN: (B, T, 3, S, S) -> feature maps (B, T, C, S / 4, S / 4).

    The first layer cuts each frame into 4 x 4 patches (a stride-4
    convolution, cheap on a CPU); two 3 x 3 convolutions then mix neighbours.

    Args:
        width: the feature maps have ``2 width`` channels.
        coords: append the two coordinate channels to the RGB input.
    """

    def __init__(self, width: int, coords: bool = True) -> None:
        super().__init__()
        self.out_channels = 2 * width
        self.coords = coords
        c = self.out_channels
        self.net = nn.Sequential(
            nn.Conv2d(5 if coords else 3, c, 4, stride=4),
            nn.BatchNorm2d(c),
            nn.ReLU(),
            nn.Conv2d(c, c, 3, padding=1),
            nn.BatchNorm2d(c),
            nn.ReLU(),
            nn.Conv2d(c, c, 3, padding=1),
            nn.BatchNorm2d(c),
            nn.ReLU(),
        )

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        b, t = frames.shape[:2]
        x = as_float_frames(frames).flatten(0, 1)  # (B T, 3, S, S)
        if self.coords:
            x = coord_channels(x)  # (B T, 5, S, S)
        y = self.net(x)  # (B T, C, S / 4, S / 4)
        return y.view(b, t, *y.shape[1:])


class _Tower(nn.Module):
    """Tokens (B, T, C) -> pooled features (B, C * steps) -> embedding (B, D)."""

    def __init__(self, channels: int, dim: int, steps: int) -> None:
        super().__init__()
        self.pool = nn.AdaptiveAvgPool1d(steps)
        self.head = nn.Linear(channels * steps, dim)
        self.feature_dim = channels * steps

    def features(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.pool(tokens.transpose(1, 2)).flatten(1)  # (B, C steps)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(tokens))


class VideoEncoder(nn.Module):
    """Frames (B, T, 3, S, S) -> tokens (B, T, C), features, embedding (B, D).

    Args:
        width: base channels; the tokens have ``C = 2 width``.
        dim: embedding size ``D``.
        steps: time steps kept by the pooling before the projection.
    """

    def __init__(self, width: int, dim: int, steps: int = 4) -> None:
        super().__init__()
        self.frames = FrameEncoder(width)
        c = self.frames.out_channels
        self.temporal = nn.Sequential(nn.Conv1d(c, c, 3, padding=1), nn.ReLU())
        self.tower = _Tower(c, dim, steps)
        self.channels = c

    def feature_map(self, frames: torch.Tensor) -> torch.Tensor:
        """(B, T, C, h, w) before any pooling."""
        return self.frames(frames)

    def tokens(self, frames: torch.Tensor) -> torch.Tensor:
        """One token per frame: spatial mean, then a temporal convolution (B, T, C)."""
        x = self.feature_map(frames).mean((-2, -1))  # (B, T, C)
        return self.temporal(x.transpose(1, 2)).transpose(1, 2)

    def features(self, frames: torch.Tensor) -> torch.Tensor:
        """The representation before the projection (B, C * steps), for probes."""
        return self.tower.features(self.tokens(frames))

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        return self.tower(self.tokens(frames))


class AudioEncoder(nn.Module):
    """Log-mel (B, M, F) -> tokens (B, F / 4, C), features, embedding (B, D).

    Two stride-2 convolutions bring 4 spectrogram frames to one token, i.e.
    one token per video frame with 4 spectrogram frames per video frame.

    Args:
        n_mels: mel bands ``M``.
        width: base channels; the tokens have ``C = 2 width``.
        dim: embedding size ``D``.
        steps: time steps kept by the pooling before the projection.
    """

    def __init__(self, n_mels: int, width: int, dim: int, steps: int = 4) -> None:
        super().__init__()
        c = 2 * width
        self.net = nn.Sequential(
            nn.BatchNorm1d(n_mels),
            nn.Conv1d(n_mels, c, 3, padding=1),
            nn.ReLU(),
            nn.Conv1d(c, c, 4, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv1d(c, c, 4, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv1d(c, c, 3, padding=1),
            nn.ReLU(),
        )
        self.tower = _Tower(c, dim, steps)
        self.channels = c

    def tokens(self, spec: torch.Tensor) -> torch.Tensor:
        """(B, F / 4, C)."""
        return self.net(spec.float()).transpose(1, 2)

    def features(self, spec: torch.Tensor) -> torch.Tensor:
        """The representation before the projection (B, C * steps), for probes."""
        return self.tower.features(self.tokens(spec))

    def forward(self, spec: torch.Tensor) -> torch.Tensor:
        return self.tower(self.tokens(spec))


class AudioVisual(nn.Module):
    """Two towers into one embedding space: ``(frames, spec) -> (v, a)``, (B, D) each.

    Args:
        n_mels: mel bands of the spectrograms.
        width: base channels of both encoders.
        dim: embedding size.
        steps: time steps kept by the pooling.
    """

    def __init__(self, n_mels: int, width: int, dim: int, steps: int = 4) -> None:
        super().__init__()
        self.video = VideoEncoder(width, dim, steps)
        self.audio = AudioEncoder(n_mels, width, dim, steps)

    def forward(
        self, frames: torch.Tensor, spec: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        return self.video(frames), self.audio(spec)


class AudioVisualText(nn.Module):
    """Three towers into one shared space: video, audio and text, (B, D) each.

    MMV's *shared* embedding graph (Alayrac et al., *Self-Supervised
    MultiModal Versatile Networks*, 2020, arXiv:2006.16228, Sec. 3.2): every
    modality is projected into the same space, so any two can be compared.
    Which pairs are trained (VA, VT, VAT) is the loss's choice, not the
    model's, so the three variants start from identical towers.

    Args:
        n_mels, width, dim, steps: as for :class:`AudioVisual`.
        vocab_size: token ids of the text encoder.
        max_len: the longest caption in tokens.
        text_layers: transformer blocks of the text encoder (0: bag of words).
    """

    def __init__(
        self,
        n_mels: int,
        width: int,
        dim: int,
        vocab_size: int,
        max_len: int = 32,
        steps: int = 4,
        text_layers: int = 1,
    ) -> None:
        super().__init__()
        self.video = VideoEncoder(width, dim, steps)
        self.audio = AudioEncoder(n_mels, width, dim, steps)
        self.text = TextEncoder(vocab_size, 2 * width, dim, max_len, text_layers)

    def forward(
        self,
        frames: torch.Tensor,
        spec: torch.Tensor,
        ids: torch.Tensor,
        mask: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        return self.video(frames), self.audio(spec), self.text(ids, mask)


class Correspondence(nn.Module):
    """Audio-visual correspondence: does this sound go with these frames?

    As in the AVE-Net of *Objects that Sound* (Arandjelović & Zisserman, ECCV
    2018, arXiv:1712.06651), the two towers meet only through the Euclidean
    distance (not its square) of their normalised embeddings:
    ``logit = b - |v/|v| - a/|a|| / tau``. AVE-Net feeds the distance to a
    fully connected layer with two outputs and a softmax, which is a logistic
    regression on the distance; here its slope ``-1 / tau`` is fixed and only
    the bias ``b`` is learned: a learned scale tends to shrink to zero early
    in training, which switches the distance off and leaves the towers
    without a gradient.

    Args:
        n_mels, width, dim, steps: as for :class:`AudioVisual`.
        temperature: ``tau``.
    """

    def __init__(
        self,
        n_mels: int,
        width: int,
        dim: int,
        steps: int = 4,
        temperature: float = 0.5,
    ) -> None:
        super().__init__()
        self.towers = AudioVisual(n_mels, width, dim, steps)
        self.temperature = temperature
        # logit 0 at distance sqrt(2): unrelated unit vectors are about that far apart
        self.bias = nn.Parameter(torch.tensor(2.0**0.5 / temperature))

    @staticmethod
    def _distance(squared: torch.Tensor) -> torch.Tensor:
        """Euclidean distance from its square, with a finite gradient at 0."""
        return squared.clamp_min(1e-12).sqrt()

    def classify(self, v: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
        """Logits (B,) from embeddings v, a (B, D)."""
        squared = (F.normalize(v, dim=1) - F.normalize(a, dim=1)).pow(2).sum(1)
        return self.bias - self._distance(squared) / self.temperature

    def all_pairs(self, v: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
        """Logits (B, B') of every video with every audio, from (B, D), (B', D)."""
        v, a = F.normalize(v, dim=1), F.normalize(a, dim=1)
        squared = (v[:, None] - a[None]).pow(2).sum(-1)  # (B, B')
        return self.bias - self._distance(squared) / self.temperature

    def forward(self, frames: torch.Tensor, spec: torch.Tensor) -> torch.Tensor:
        return self.classify(*self.towers(frames, spec))


class SelfLabelling(nn.Module):
    """SeLaVi: two towers, each with a classifier over ``K`` shared clusters.

    ``(frames, spec) -> (logits_v, logits_a)``, (B, K) each.
    """

    def __init__(
        self, n_mels: int, width: int, dim: int, clusters: int, steps: int = 4
    ) -> None:
        super().__init__()
        self.towers = AudioVisual(n_mels, width, dim, steps)
        self.head_v = nn.Sequential(nn.ReLU(), nn.Linear(dim, clusters))
        self.head_a = nn.Sequential(nn.ReLU(), nn.Linear(dim, clusters))

    def forward(
        self, frames: torch.Tensor, spec: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        v, a = self.towers(frames, spec)
        return self.head_v(v), self.head_a(a)


class Localiser(nn.Module):
    """Objects that Sound: an audio embedding and a visual embedding per position.

    ``(frames, spec) -> (a, maps)``: a (B, D), maps (B, T, D, h, w). The frame
    CNN gets no coordinate channels: with them, every position differs from
    the others even on an empty background, and the maximum over positions
    can settle on a fixed place in the frame instead of on an object.
    """

    def __init__(self, n_mels: int, width: int, dim: int, steps: int = 4) -> None:
        super().__init__()
        self.frames = FrameEncoder(width, coords=False)
        self.project = nn.Conv2d(self.frames.out_channels, dim, 1)
        self.audio = AudioEncoder(n_mels, width, dim, steps)

    def feature_map(self, frames: torch.Tensor) -> torch.Tensor:
        x = self.frames(frames)  # (B, T, C, h, w)
        y = self.project(x.flatten(0, 1))  # (B T, D, h, w)
        return y.view(*x.shape[:2], *y.shape[1:])

    def forward(
        self, frames: torch.Tensor, spec: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        return self.audio(spec), self.feature_map(frames)


__all__ = [
    "AudioEncoder",
    "AudioVisual",
    "AudioVisualText",
    "Correspondence",
    "FrameEncoder",
    "Localiser",
    "SelfLabelling",
    "VideoEncoder",
    "as_float_frames",
    "coord_channels",
]

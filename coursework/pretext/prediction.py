"""Frame prediction: the next frame of a video is a free target.

The self-supervised lecture's "predictive learning" (LeCun's cake: the
machine "predicts future frames in videos"): an encoder reads the past
frames of a clip and a small decoder draws the next one, trained with the
squared error. Srivastava, Mansimov & Salakhutdinov ("Unsupervised Learning
of Video Representations using LSTMs", ICML 2015, arXiv:1502.04681) predict
future frames with an LSTM and fine-tune its features for action
recognition; Mathieu, Couprie & LeCun ("Deep Multi-Scale Video Prediction
Beyond Mean Square Error", ICLR 2016, arXiv:1511.05440) predict with a
convolutional network and show that the squared error gives **blurry**
predictions: where the future is uncertain, the prediction that minimises
the expected squared error is the *mean* of the possible futures, a blend of
them all.

Here the encoder is the backbone every other pretext task trains, run on
each past frame; the feature maps of the past frames are stacked along the
channels and the context encoder's decoder draws the next frame.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from coursework.pretext.heads import Decoder
from coursework.pretext.video import gather_frames, random_clips


def next_frame_pairs(
    clips: torch.Tensor, past: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Every (past frames, next frame) window of each clip.

    Args:
        clips: (B, T, C, H, W) frames in time order, any dtype.
        past: how many frames the predictor sees, ``1 <= past < T``.

    Returns:
        ``(inputs, targets)``: (B * (T - past), past, C, H, W) and
        (B * (T - past), C, H, W), the windows of clip 0 first, in time order:
        window ``k`` of a clip is its frames ``k .. k + past - 1`` and frame
        ``k + past``. Same dtype and device as ``clips``.
    """
    if clips.dim() != 5:
        raise ValueError(f"clips must be (B, T, C, H, W); got {tuple(clips.shape)}")
    t = clips.shape[1]
    if not 1 <= past < t:
        raise ValueError(
            f"past must be in [1, T - 1] = [1, {t - 1}] for clips of {t} frames; "
            f"got {past} (use longer clips or fewer past frames)"
        )
    windows = clips.unfold(1, past + 1, 1)  # (B, T - past, C, H, W, past + 1)
    windows = windows.permute(0, 1, 5, 2, 3, 4).flatten(0, 1)  # (N, past + 1, ...)
    return windows[:, :past], windows[:, past]


def next_frame_batch(
    videos: torch.Tensor, past: int, stride: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """One (past, next) pair per video, at a random time, frames ``stride`` apart.

    Returns float frames in [0, 1]: (B, past, C, H, W) and (B, C, H, W).
    """
    clips = gather_frames(videos, random_clips(videos, past + 1, stride))
    return next_frame_pairs(clips, past)


class FramePredictor(nn.Module):
    """Past frames (B, P, C, H, W) -> the next frame (B, C, H, W) in [0, 1].

    The backbone encodes each past frame to its feature map (B * P, D, h, w);
    the P maps are stacked along the channels (B, P * D, h, w), in time
    order, and a :class:`~coursework.pretext.heads.Decoder` (two transposed
    convolutions) draws the frame at 4x the maps' side.
    """

    def __init__(
        self, backbone: nn.Module, past: int, channels: int = 3, hidden: int = 32
    ) -> None:
        super().__init__()
        self.backbone = backbone
        self.past = past
        self.decoder = Decoder(past * backbone.out_channels, channels, hidden)

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        if frames.dim() != 5 or frames.shape[1] != self.past:
            raise ValueError(
                f"the predictor takes (B, {self.past}, C, H, W) past frames; "
                f"got {tuple(frames.shape)}"
            )
        b = frames.shape[0]
        maps = self.backbone.features(frames.flatten(0, 1))  # (B * P, D, h, w)
        return self.decoder(maps.view(b, -1, *maps.shape[-2:]))


def next_frame_loss(prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """The mean squared error over pixels: what Mathieu et al. (2016) call the
    L2 loss, whose minimiser under an uncertain future is the mean future."""
    if prediction.shape != target.shape:
        raise ValueError(
            f"prediction {tuple(prediction.shape)} and target "
            f"{tuple(target.shape)} must have the same shape"
        )
    return F.mse_loss(prediction, target)

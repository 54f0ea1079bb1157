"""Windows of a clip in time, for both modalities at once.

A window of ``W`` video frames starting at frame ``s`` and the audio of the
same span form a synchronised pair; audio from another start of the same
clip is the *hard negative* of Korbar, Tran & Torresani, *Cooperative
Learning of Audio and Video Models from Self-Supervised Synchronization*
(2018, arXiv:1807.00230), and a transformation in GDT: Patrick et al.,
*Multi-modal Self-Supervision from Generalized Data Transformations* (2021,
arXiv:2003.04298). Starts are drawn on the data's device, with no host sync.
"""

from __future__ import annotations

import torch


def crop_frames(videos: torch.Tensor, start: torch.Tensor, length: int) -> torch.Tensor:
    """Frames ``start[b] .. start[b] + length - 1`` of each clip.

    Shapes: videos (B, T, C, H, W), start (B,) long -> (B, length, C, H, W).
    """
    t = start.view(-1, 1) + torch.arange(length, device=start.device)  # (B, W)
    rows = torch.arange(videos.shape[0], device=start.device).view(-1, 1)
    return videos[rows, t]


def crop_spectrogram(
    spec: torch.Tensor, start: torch.Tensor, length: int, per_frame: int
) -> torch.Tensor:
    """The spectrogram frames that cover video frames ``start .. start + length - 1``.

    Shapes: spec (B, M, F) with ``per_frame`` spectrogram frames per video
    frame, start (B,) long -> (B, M, length * per_frame).
    """
    f = start.view(-1, 1) * per_frame + torch.arange(
        length * per_frame, device=start.device
    )  # (B, W')
    index = f.unsqueeze(1).expand(-1, spec.shape[1], -1)  # (B, M, W')
    return spec.gather(2, index)


def random_starts(
    n: int, frames: int, length: int, device: torch.device | str | None = None
) -> torch.Tensor:
    """Uniform window starts in ``[0, frames - length]`` (n,) long."""
    return torch.randint(0, frames - length + 1, (n,), device=device)


def shifted_starts(
    start: torch.Tensor, frames: int, length: int, min_shift: int
) -> torch.Tensor:
    """Another start of the same clip, at least ``min_shift`` frames away (uniform).

    Raises:
        ValueError: no start is that far away for some window (use a longer
            clip, a shorter window or a smaller shift).
    """
    last = frames - length
    # the middle start has the fewest choices: max(s, last - s) >= ceil(last / 2)
    if min_shift < 1 or (last + 1) // 2 < min_shift:
        raise ValueError(
            f"windows of {length} frames in clips of {frames} frames cannot all be "
            f"shifted by {min_shift}: use 1 <= min_shift <= {(last + 1) // 2}, "
            "shorter windows or longer clips"
        )
    options = torch.arange(last + 1, device=start.device).view(1, -1)  # (1, S)
    ok = (options - start.view(-1, 1)).abs() >= min_shift  # (B, S)
    noise = torch.rand(ok.shape, device=start.device)
    return (noise * ok).argmax(1)


__all__ = ["crop_frames", "crop_spectrogram", "random_starts", "shifted_starts"]

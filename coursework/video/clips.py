"""Clips: short, low-frame-rate windows of a video, and test-time clip averaging.

Karpathy et al., "Large-scale Video Classification with Convolutional Neural
Networks" (CVPR 2014): models see short clips (T frames at a temporal stride,
i.e. a low frame rate); at test time the predictions of several clips of the
same video are averaged.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

SampleClip = Callable[[torch.Tensor, torch.Tensor, int, int], torch.Tensor]


def clip_span(num_frames: int, stride: int) -> int:
    """Frames of the video a clip covers: ``(T - 1) * stride + 1``."""
    return (num_frames - 1) * stride + 1


def sample_clip(
    videos: torch.Tensor, starts: torch.Tensor, num_frames: int, stride: int
) -> torch.Tensor:
    """Cut one clip per video: frames ``start, start + stride, ...`` (T of them).

    Args:
        videos: Shape (B, L, C, H, W), any dtype.
        starts: first frame per video, long, shape (B,).
        num_frames: frames per clip ``T``.
        stride: step between frames (2 halves the frame rate).

    Returns:
        Clips of shape (B, T, C, H, W), same dtype and device as ``videos``.

    Raises:
        ValueError: a clip would run past the end of its video (checked when
            ``starts`` is on the CPU; reading it from a GPU would make every
            training step wait for the GPU, and there an index past the end
            raises a device-side error instead).
    """
    length = videos.shape[1]
    on_host = starts.device.type == "cpu"
    if on_host and int(starts.max()) + clip_span(num_frames, stride) > length:
        raise ValueError(
            f"a clip of {num_frames} frames at stride {stride} starting at "
            f"{int(starts.max())} runs past the video's {length} frames"
        )
    # index[b, t] = starts[b] + stride * t
    offsets = stride * torch.arange(num_frames, device=videos.device)
    index = starts.to(videos.device).view(-1, 1) + offsets.view(1, -1)  # (B, T)
    batch = torch.arange(videos.shape[0], device=videos.device).view(-1, 1)
    return videos[batch, index]  # (B, T, C, H, W)


def random_starts(
    batch: int, length: int, num_frames: int, stride: int, device: torch.device
) -> torch.Tensor:
    """Uniform random valid clip starts, shape (B,), drawn on ``device``."""
    last = length - clip_span(num_frames, stride)
    if last < 0:
        raise ValueError(
            f"videos of {length} frames are shorter than a clip "
            f"({num_frames} frames at stride {stride})"
        )
    return torch.randint(last + 1, (batch,), device=device)


def to_float(clips: torch.Tensor) -> torch.Tensor:
    """uint8 [0, 255] -> float32 [0, 1]; float input passes through."""
    return clips.float() / 255.0 if clips.dtype == torch.uint8 else clips


@torch.no_grad()
def predict_averaged(
    model: torch.nn.Module,
    videos: torch.Tensor,
    num_frames: int,
    stride: int,
    num_clips: int = 5,
    batch_size: int = 64,
    sample: SampleClip = sample_clip,
) -> torch.Tensor:
    """Class probabilities averaged over ``num_clips`` evenly spaced clips per video.

    Args:
        model: maps clips (B, T, C, H, W) in [0, 1] to logits (B, K).
        videos: Shape (N, L, C, H, W).
        num_frames, stride: the clip shape the model was trained on.
        num_clips: clips per video (1 takes the middle clip).
        batch_size: videos per forward pass.
        sample: the clip sampler (e.g. your own ``sample_clip``).

    Returns:
        Probabilities of shape (N, K), the mean over clips of the softmax.
    """
    model.eval()
    n, length = videos.shape[:2]
    last = length - clip_span(num_frames, stride)
    if last < 0:
        raise ValueError(f"videos of {length} frames are shorter than one clip")
    if num_clips == 1:
        positions = torch.tensor([last // 2])
    else:
        positions = torch.linspace(0, last, num_clips).round().long()
    out = []
    for i in range(0, n, batch_size):
        chunk = videos[i : i + batch_size]
        probs = 0.0
        for p in positions.tolist():
            starts = torch.full((chunk.shape[0],), p, device=videos.device)
            clips = to_float(sample(chunk, starts, num_frames, stride))
            probs = probs + model(clips).float().softmax(-1)
        out.append(probs / len(positions))
    return torch.cat(out)

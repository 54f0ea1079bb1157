"""Video classifiers built from lists of layer specs: the variants are data.

Karpathy et al., "Large-scale Video Classification with Convolutional Neural
Networks" (CVPR 2014): a single-frame baseline, late fusion, early fusion and
slow fusion (a 3D CNN). Tran et al., "Learning Spatiotemporal Features with 3D
Convolutional Networks" (ICCV 2015, arXiv:1412.0767): C3D, 3x3x3 convolutions
everywhere and a first pool of 1x2x2 "to not merge the temporal signal too
early". Wang et al. (2018, arXiv:1711.07971): a non-local block inside the 3D
CNN.

Every model takes clips (B, T, C, H, W) and returns logits (B, K). Inside,
activations are (B, C, T, H, W); a 2D convolution runs on every frame
separately by folding time into the batch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

import torch
from torch import nn

from coursework.video.attention import NonLocalBlock
from coursework.video.layers import (
    Conv,
    EarlyFusion,
    GlobalPool,
    NonLocal,
    Pool,
    Shape,
    Spec,
    conv2d,
    conv3d,
    output_shape,
    pool2d,
    pool3d,
)

Reshape = Callable[[torch.Tensor], torch.Tensor]
PoolFn = Callable[[torch.Tensor], torch.Tensor]
HeadBuilder = Callable[[Shape, int, int], nn.Module]


def early_fusion_reshape(clips: torch.Tensor) -> torch.Tensor:
    """Stack the frames of a clip as channels: (B, T, C, H, W) -> (B, T C, H, W).

    Channel ``t * C + c`` of the output is channel ``c`` of frame ``t``.
    """
    b, t, c, h, w = clips.shape
    return clips.reshape(b, t * c, h, w)  # (B, T C, H, W)


def late_fusion_pool(features: torch.Tensor) -> torch.Tensor:
    """Average per-frame features over time and space: (B, C, T, H, W) -> (B, C)."""
    return features.mean(dim=(2, 3, 4))


class FrameConv(nn.Module):
    """A 2D convolution + BatchNorm + ReLU on every frame; kernel (1, k, k)."""

    def __init__(self, c_in: int, c_out: int, size: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, size, padding=size // 2)
        self.norm = nn.BatchNorm2d(c_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Shape: (B, C, T, H, W) -> (B, C', T, H, W)."""
        b, c, t, h, w = x.shape
        frames = x.transpose(1, 2).reshape(b * t, c, h, w)  # (B T, C, H, W)
        y = torch.relu(self.norm(self.conv(frames)))  # (B T, C', H, W)
        return y.reshape(b, t, -1, h, w).transpose(1, 2)  # (B, C', T, H, W)


class EarlyFusionConv(nn.Module):
    """The first layer of early fusion: all T frames stacked as 3T channels.

    Args:
        c_in: channels per frame.
        frames: ``T``; fixed, since the kernel spans all frames.
        c_out: output channels.
        size: spatial kernel.
        reshape: the (B, T, C, H, W) -> (B, T C, H, W) function.
    """

    def __init__(
        self,
        c_in: int,
        frames: int,
        c_out: int,
        size: int,
        reshape: Reshape = early_fusion_reshape,
    ) -> None:
        super().__init__()
        self.frames = frames
        self.reshape = reshape
        self.conv = nn.Conv2d(c_in * frames, c_out, size, padding=size // 2)
        self.norm = nn.BatchNorm2d(c_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Shape: (B, C, T, H, W) -> (B, C', 1, H, W)."""
        if x.shape[2] != self.frames:
            raise ValueError(
                f"early fusion was built for {self.frames} frames, got {x.shape[2]}"
            )
        stacked = self.reshape(x.transpose(1, 2))  # (B, T C, H, W)
        return torch.relu(self.norm(self.conv(stacked))).unsqueeze(2)  # (B,C',1,H,W)


class Conv3DBlock(nn.Module):
    """A 3D convolution + BatchNorm + ReLU, padded to keep T, H, W."""

    def __init__(self, c_in: int, c_out: int, kernel: tuple[int, int, int]) -> None:
        super().__init__()
        pad = tuple(k // 2 for k in kernel)
        self.conv = nn.Conv3d(c_in, c_out, kernel, padding=pad)
        self.norm = nn.BatchNorm3d(c_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Shape: (B, C, T, H, W) -> (B, C', T, H, W)."""
        return torch.relu(self.norm(self.conv(x)))


def build_layer(spec: Spec, shape: Shape, reshape: Reshape) -> nn.Module:
    """The module for one spec, given its input (C, T, H, W)."""
    c, t = shape[0], shape[1]
    if isinstance(spec, Conv):
        if spec.kernel[0] == 1 and spec.kernel[1] == spec.kernel[2]:
            return FrameConv(c, spec.channels, spec.kernel[1])
        return Conv3DBlock(c, spec.channels, spec.kernel)
    if isinstance(spec, EarlyFusion):
        return EarlyFusionConv(c, t, spec.channels, spec.kernel[0], reshape)
    if isinstance(spec, Pool):
        return nn.MaxPool3d(spec.kernel, stride=spec.kernel)
    if isinstance(spec, GlobalPool):
        return nn.AdaptiveAvgPool3d(1)
    if isinstance(spec, NonLocal):
        return NonLocalBlock(c, spec.reduction)
    raise TypeError(f"unknown layer spec {spec!r}")


def build_trunk(
    specs: Sequence[Spec], in_shape: Shape, reshape: Reshape = early_fusion_reshape
) -> tuple[nn.Sequential, Shape]:
    """The modules of ``specs`` in order, and the (C, T, H, W) they output.

    Shape: the trunk maps (B, C, T, H, W) -> (B, C', T', H', W').
    """
    layers, shape = [], tuple(in_shape)
    for spec in specs:
        layers.append(build_layer(spec, shape, reshape))
        shape = output_shape(spec, shape)
    return nn.Sequential(*layers), shape


def frame_trunk(width: int) -> list[Spec]:
    """The per-frame 2D CNN every frame-based model shares: c, pool, 2c, pool, 4c.

    The single-frame, late-fusion, two-stream and CNN + LSTM models use it as
    is; early fusion and the temporal stream swap its first layer for an
    :class:`~coursework.video.layers.EarlyFusion` one.
    """
    c = width
    return [conv2d(c), pool2d(2), conv2d(2 * c), pool2d(2), conv2d(4 * c)]


def _mlp(width: int, hidden: int, num_classes: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(width, hidden), nn.ReLU(), nn.Linear(hidden, num_classes)
    )


class FrameHead(nn.Module):
    """A linear classifier on every frame's pooled features; the clip's logits are
    the mean over frames (the single-frame model, Karpathy et al. 2014).

    Args:
        shape: the trunk's output (C, T, H, W).
        num_classes: ``K``.
        hidden: unused (a linear head), kept so every head builds alike.
    """

    per_frame = True  # runs once per frame (for the FLOP count)

    def __init__(self, shape: Shape, num_classes: int, hidden: int = 64) -> None:
        super().__init__()
        self.linear = nn.Linear(shape[0], num_classes)

    def frame_logits(self, features: torch.Tensor) -> torch.Tensor:
        """Shape: (B, C, T, H, W) -> (B, T, K)."""
        f = features.mean(dim=(3, 4))  # (B, C, T)
        return self.linear(f.transpose(1, 2))  # (B, T, K)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """Shape: (B, C, T, H, W) -> (B, K)."""
        return self.frame_logits(features).mean(1)


class LateFCHead(nn.Module):
    """Late fusion by FC layers: per-frame pooled features concatenated over time.

    Args:
        shape: the trunk's output (C, T, H, W); the MLP reads C T features.
        num_classes: ``K``.
        hidden: width of the hidden layer.
    """

    per_frame = False

    def __init__(self, shape: Shape, num_classes: int, hidden: int = 64) -> None:
        super().__init__()
        self.mlp = _mlp(shape[0] * shape[1], hidden, num_classes)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """Shape: (B, C, T, H, W) -> (B, K)."""
        return self.mlp(features.mean(dim=(3, 4)).flatten(1))  # (B, C T) in


class LatePoolHead(nn.Module):
    """Late fusion by pooling: features averaged over time and space, then an MLP.

    Args:
        shape: the trunk's output (C, T, H, W).
        num_classes: ``K``.
        hidden: width of the hidden layer.
        pool: (B, C, T, H, W) -> (B, C), e.g. your own late_fusion_pool.
    """

    per_frame = False

    def __init__(
        self,
        shape: Shape,
        num_classes: int,
        hidden: int = 64,
        pool: PoolFn = late_fusion_pool,
    ) -> None:
        super().__init__()
        self.mlp = _mlp(shape[0], hidden, num_classes)
        self.pool = pool

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """Shape: (B, C, T, H, W) -> (B, K)."""
        return self.mlp(self.pool(features))


class PoolHead(nn.Module):
    """Global average pool, then an MLP (early fusion, 3D CNN, C3D).

    Args:
        shape: the trunk's output (C, T, H, W).
        num_classes: ``K``.
        hidden: width of the hidden layer.
    """

    per_frame = False

    def __init__(self, shape: Shape, num_classes: int, hidden: int = 64) -> None:
        super().__init__()
        self.mlp = _mlp(shape[0], hidden, num_classes)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """Shape: (B, C, T, H, W) -> (B, K)."""
        return self.mlp(features.mean(dim=(2, 3, 4)))


class VideoNet(nn.Module):
    """A trunk of layers from ``specs`` and a head built by ``head``.

    The head is passed in as a builder, as torchvision passes its block
    classes: :class:`FrameHead`, :class:`LateFCHead`, :class:`LatePoolHead`
    (``functools.partial(LatePoolHead, pool=...)`` for your own pooling),
    :class:`PoolHead`, or any ``(trunk_shape, num_classes, hidden) -> module``
    whose module maps the trunk's (B, C, T, H, W) to logits (B, K).

    Args:
        specs: the trunk's layers.
        in_shape: one clip as (C, T, H, W).
        num_classes: ``K``.
        head: the head's builder.
        hidden: width of the head's hidden layer.
        reshape: early fusion's reshape (e.g. your own).
    """

    def __init__(
        self,
        specs: Sequence[Spec],
        in_shape: Shape,
        num_classes: int,
        head: HeadBuilder = PoolHead,
        hidden: int = 64,
        reshape: Reshape = early_fusion_reshape,
    ) -> None:
        super().__init__()
        if not callable(head) or isinstance(head, nn.Module):
            raise TypeError(
                f"head must be a head builder such as PoolHead or FrameHead (the "
                f"class, not an instance or a name); got {head!r}"
            )
        self.in_shape = tuple(in_shape)
        self.specs = tuple(specs)
        self.trunk, shape = build_trunk(specs, in_shape, reshape)
        self.head = head(shape, num_classes, hidden)

    def features(self, clips: torch.Tensor) -> torch.Tensor:
        """Trunk output: (B, T, C, H, W) -> (B, C', T', H', W')."""
        return self.trunk(clips.transpose(1, 2))  # (B, C, T, H, W) in

    def frame_logits(self, clips: torch.Tensor) -> torch.Tensor:
        """Per-frame logits of a :class:`FrameHead`: (B, T, C, H, W) -> (B, T, K)."""
        if not isinstance(self.head, FrameHead):
            raise ValueError("frame_logits needs a FrameHead")
        return self.head.frame_logits(self.features(clips))

    def forward(self, clips: torch.Tensor) -> torch.Tensor:
        """Shape: (B, T, C, H, W) -> logits (B, K)."""
        return self.head(self.features(clips))


def specs_for(
    name: str, width: int, frames: int, pool: PoolFn = late_fusion_pool
) -> tuple[list[Spec], HeadBuilder]:
    """The trunk specs and head builder of each model in the notebook.

    Args:
        name: one of :data:`MODELS`.
        width: base channels ``c``; layers use c, 2c, 4c.
        frames: clip length ``T`` (slow fusion pools time once it is >= 4).
        pool: late fusion's pooling (e.g. your own).
    """
    c = width
    frame = frame_trunk(c)
    t_pool = 2 if frames >= 4 else 1
    table: dict[str, tuple[list[Spec], HeadBuilder]] = {
        "single_frame": (frame, FrameHead),
        "late_fc": (frame, LateFCHead),
        "late_pool": (frame, partial(LatePoolHead, pool=pool)),
        "early": ([EarlyFusion(c), *frame[1:]], PoolHead),
        "3d": (
            [conv3d(c), pool3d(2, 1), conv3d(2 * c), pool3d(2, t_pool), conv3d(4 * c)],
            PoolHead,
        ),
        "c3d": (c3d_specs(c, frames), PoolHead),
        "3d_nonlocal": (
            [
                conv3d(c),
                pool3d(2, 1),
                conv3d(2 * c),
                pool3d(2, t_pool),
                NonLocal(),
                conv3d(4 * c),
            ],
            PoolHead,
        ),
    }
    if name not in table:
        raise ValueError(f"unknown model {name!r}; use one of {MODELS}")
    return table[name]


def c3d_specs(width: int = 64, frames: int = 16) -> list[Spec]:
    """C3D's conv layers (Tran et al. 2015) with base width ``width`` (64 in the paper).

    conv1 c, pool1 1x2x2, conv2 2c, pool2 2x2x2, conv3a/b 4c, pool3,
    conv4a/b 8c, pool4, conv5a/b 8c; temporal pools stop once T reaches 1.
    """
    c, specs, t = width, [], frames
    plan = [[c], "p1", [2 * c], "p", [4 * c, 4 * c], "p", [8 * c, 8 * c], "p"]
    plan += [[8 * c, 8 * c]]
    for step in plan:
        if step == "p1":
            specs.append(pool2d(2))
        elif step == "p":
            kt = 2 if t >= 2 else 1
            t //= kt
            specs.append(pool3d(2, kt))
        else:
            specs += [conv3d(ch) for ch in step]
    return specs


MODELS = ("single_frame", "late_fc", "late_pool", "early", "3d", "c3d", "3d_nonlocal")


def build_model(
    name: str,
    in_shape: Shape,
    num_classes: int,
    width: int,
    hidden: int = 64,
    reshape: Reshape = early_fusion_reshape,
    pool: PoolFn = late_fusion_pool,
) -> VideoNet:
    """One of :data:`MODELS` for clips of ``in_shape`` (C, T, H, W)."""
    specs, head = specs_for(name, width, in_shape[1], pool)
    return VideoNet(specs, in_shape, num_classes, head, hidden, reshape)

"""Layer specifications shared by the models, the receptive-field table and the
FLOP counter: one description of a network, three uses.

A spec is plain data (kernel sizes, channels); :func:`output_shape` says what
it does to a (C, T, H, W) activation, :func:`kernel_stride` what it does to
the receptive field. Convolutions pad to keep T, H, W ("same"); pools use
stride = kernel. A 2D convolution applied to every frame is a spec with a
temporal kernel of 1; early fusion's first layer spans all T input frames.

Three more specs describe the image networks the lecture compares C3D with
(AlexNet, VGG-16): a strided, padded 2D convolution, an overlapping pool and a
fully connected layer. They are for counting (shapes, receptive fields, FLOPs);
:mod:`coursework.video.models` builds no module from them.
"""

from __future__ import annotations

from dataclasses import dataclass

Shape = tuple[int, int, int, int]  # (C, T, H, W)


@dataclass(frozen=True)
class Conv:
    """Convolution with kernel (kt, kh, kw); kt = 1 is a 2D conv on every frame."""

    channels: int
    kernel: tuple[int, int, int] = (3, 3, 3)


@dataclass(frozen=True)
class EarlyFusion:
    """2D convolution over all frames stacked as channels: (C T, H, W) -> (C', H, W)."""

    channels: int
    kernel: tuple[int, int] = (3, 3)


@dataclass(frozen=True)
class Pool:
    """Max pooling with kernel = stride (kt, kh, kw)."""

    kernel: tuple[int, int, int]


@dataclass(frozen=True)
class GlobalPool:
    """Average over all remaining positions (T, H, W)."""


@dataclass(frozen=True)
class NonLocal:
    """Non-local (self-attention) block over all T H W positions; keeps the shape."""

    reduction: int = 2


@dataclass(frozen=True)
class StridedConv:
    """2D convolution on every frame, k x k, with a stride and zero padding."""

    channels: int
    size: int
    stride: int = 1
    padding: int = 0


@dataclass(frozen=True)
class StridedPool:
    """Max pooling on every frame, k x k with stride s (overlapping when s < k)."""

    size: int
    stride: int


@dataclass(frozen=True)
class Dense:
    """Fully connected layer on the flattened (C, T, H, W) input -> (features,)."""

    features: int


Spec = (
    Conv
    | EarlyFusion
    | Pool
    | GlobalPool
    | NonLocal
    | StridedConv
    | StridedPool
    | Dense
)


def conv2d(channels: int, size: int = 3) -> Conv:
    """A 2D convolution applied to each frame independently."""
    return Conv(channels, (1, size, size))


def conv3d(channels: int, size: int = 3, time: int = 3) -> Conv:
    """A 3D convolution (time x space)."""
    return Conv(channels, (time, size, size))


def pool2d(size: int) -> Pool:
    """Spatial pooling on each frame."""
    return Pool((1, size, size))


def pool3d(size: int, time: int | None = None) -> Pool:
    """Spatio-temporal pooling."""
    return Pool((size if time is None else time, size, size))


def output_shape(spec: Spec, shape: Shape) -> Shape:
    """The (C, T, H, W) shape after ``spec`` applied to ``shape``."""
    c, t, h, w = shape
    if isinstance(spec, Conv):
        return (spec.channels, t, h, w)
    if isinstance(spec, EarlyFusion):
        return (spec.channels, 1, h, w)
    if isinstance(spec, Pool):
        kt, kh, kw = spec.kernel
        if kt > t or kh > h or kw > w:
            raise ValueError(f"{spec} does not fit an input of shape {shape}")
        return (c, t // kt, h // kh, w // kw)
    if isinstance(spec, GlobalPool):
        return (c, 1, 1, 1)
    if isinstance(spec, NonLocal):
        return shape
    if isinstance(spec, (StridedConv, StridedPool)):
        k, s = spec.size, spec.stride
        pad = spec.padding if isinstance(spec, StridedConv) else 0
        h_out, w_out = (h + 2 * pad - k) // s + 1, (w + 2 * pad - k) // s + 1
        if h_out < 1 or w_out < 1:
            raise ValueError(f"{spec} does not fit an input of shape {shape}")
        return (getattr(spec, "channels", c), t, h_out, w_out)
    if isinstance(spec, Dense):
        return (spec.features, 1, 1, 1)
    raise TypeError(f"unknown layer spec {spec!r}")


def kernel_stride(
    spec: Spec, shape: Shape
) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    """Kernel and stride of ``spec`` along (T, H, W) for an input of ``shape``.

    Non-local blocks see every position, so their kernel is the whole input.
    """
    _, t, h, w = shape
    if isinstance(spec, Conv):
        return spec.kernel, (1, 1, 1)
    if isinstance(spec, EarlyFusion):
        return (t, *spec.kernel), (1, 1, 1)
    if isinstance(spec, Pool):
        return spec.kernel, spec.kernel
    if isinstance(spec, (StridedConv, StridedPool)):
        return (1, spec.size, spec.size), (1, spec.stride, spec.stride)
    if isinstance(spec, (GlobalPool, NonLocal, Dense)):
        return (t, h, w), (1, 1, 1)
    raise TypeError(f"unknown layer spec {spec!r}")


def describe(spec: Spec, shape: Shape) -> str:
    """The lecture's name for a layer, e.g. ``Conv3D(3x3x3, 3->12)``."""
    c = shape[0]
    if isinstance(spec, Conv):
        kt, kh, kw = spec.kernel
        if kt == 1:
            return f"Conv2D({kh}x{kw}, {c}->{spec.channels})"
        return f"Conv3D({kt}x{kh}x{kw}, {c}->{spec.channels})"
    if isinstance(spec, EarlyFusion):
        kh, kw = spec.kernel
        return f"Conv2D({kh}x{kw}, {c}*{shape[1]}->{spec.channels})"
    if isinstance(spec, Pool):
        kt, kh, kw = spec.kernel
        return f"Pool2D({kh}x{kw})" if kt == 1 else f"Pool3D({kt}x{kh}x{kw})"
    if isinstance(spec, GlobalPool):
        return "GlobalAvgPool"
    if isinstance(spec, StridedConv):
        k = spec.size
        return f"Conv2D({k}x{k}/{spec.stride}, {c}->{spec.channels})"
    if isinstance(spec, StridedPool):
        return f"Pool2D({spec.size}x{spec.size}/{spec.stride})"
    if isinstance(spec, Dense):
        return f"FC({c * shape[1] * shape[2] * shape[3]}->{spec.features})"
    return "NonLocal"

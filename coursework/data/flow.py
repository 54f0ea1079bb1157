"""Optical flow by Horn-Schunck, vectorised over any batch of frame pairs.

Horn and Schunck, "Determining Optical Flow" (Artificial Intelligence, 1981).
Flow (u, v) is the displacement of each pixel from one frame to the next,
assuming brightness constancy I(x + u, y + v, t + 1) = I(x, y, t), linearised
to I_x u + I_y v + I_t = 0, plus a smoothness term. Minimising

    E = sum (I_x u + I_y v + I_t)^2 + alpha^2 (|grad u|^2 + |grad v|^2)

gives the Jacobi update, with u_bar the weighted mean of u's neighbours:

    u <- u_bar - I_x (I_x u_bar + I_y v_bar + I_t) / (alpha^2 + I_x^2 + I_y^2)
    v <- v_bar - I_y (I_x u_bar + I_y v_bar + I_t) / (alpha^2 + I_x^2 + I_y^2)

Simonyan and Zisserman (2014) feed such flow fields, stacked over frames, to
the temporal stream of a two-stream network.

This is a shared layer: notebook 01 estimates flow with it (through
:mod:`coursework.video.flow`, which re-exports it), and notebook 05 warps a
segmentation mask along it, the optical-flow baseline of tracking.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

Step = Callable[..., tuple[torch.Tensor, torch.Tensor]]

_AVERAGE = [[1 / 12, 1 / 6, 1 / 12], [1 / 6, 0.0, 1 / 6], [1 / 12, 1 / 6, 1 / 12]]


def _filter(x: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    """Same-size 2D filtering of (..., H, W) with replicate padding."""
    shape = x.shape
    k = kernel.to(x.dtype).to(x.device)
    flat = x.reshape(-1, 1, *shape[-2:])  # (N, 1, H, W)
    ph, pw = k.shape[0] // 2, k.shape[1] // 2
    flat = F.pad(flat, (pw, pw, ph, ph), mode="replicate")
    return F.conv2d(flat, k.view(1, 1, *k.shape)).reshape(shape)


def neighbour_average(u: torch.Tensor) -> torch.Tensor:
    """Horn-Schunck's weighted mean of the 8 neighbours, shape (..., H, W) kept."""
    return _filter(u, torch.tensor(_AVERAGE))


def gaussian_blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur of (..., H, W); ``sigma`` in pixels (0: no blur)."""
    if sigma <= 0:
        return x
    r = max(1, int(round(2.5 * sigma)))
    t = torch.arange(-r, r + 1, dtype=torch.float64)
    g = torch.exp(-(t**2) / (2 * sigma**2))
    g = g / g.sum()
    return _filter(_filter(x, g.view(1, -1)), g.view(-1, 1))


def image_gradients(
    frame1: torch.Tensor, frame2: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """I_x, I_y (central differences of the mean frame) and I_t = frame2 - frame1."""
    mean = 0.5 * (frame1 + frame2)
    dx = torch.tensor([[-0.5, 0.0, 0.5]])
    ix = _filter(mean, dx)
    iy = _filter(mean, dx.t())
    return ix, iy, frame2 - frame1


def horn_schunck_step(
    u: torch.Tensor,
    v: torch.Tensor,
    ix: torch.Tensor,
    iy: torch.Tensor,
    it: torch.Tensor,
    alpha: float,
) -> tuple[torch.Tensor, torch.Tensor]:
    """One Jacobi update of Horn-Schunck. All tensors (..., H, W); returns (u, v)."""
    u_bar, v_bar = neighbour_average(u), neighbour_average(v)
    # r = (I_x u_bar + I_y v_bar + I_t) / (alpha^2 + I_x^2 + I_y^2)
    r = (ix * u_bar + iy * v_bar + it) / (alpha**2 + ix**2 + iy**2)
    return u_bar - ix * r, v_bar - iy * r


def horn_schunck(
    frame1: torch.Tensor,
    frame2: torch.Tensor,
    alpha: float = 0.5,
    iterations: int = 100,
    sigma: float = 1.0,
    step: Step = horn_schunck_step,
) -> torch.Tensor:
    """Dense flow from ``frame1`` to ``frame2``.

    Args:
        frame1, frame2: grey frames (..., H, W), values in [0, 1].
        alpha: smoothness weight (larger: smoother flow).
        iterations: Jacobi iterations.
        sigma: Gaussian pre-smoothing in pixels (helps with motions near 1 px).
        step: the update (e.g. your own ``horn_schunck_step``).

    Returns:
        Flow of shape (..., 2, H, W): (u, v) in pixels per frame, x right, y down.
    """
    if frame1.shape != frame2.shape:
        raise ValueError(f"frames differ in shape: {frame1.shape} vs {frame2.shape}")
    f1, f2 = gaussian_blur(frame1, sigma), gaussian_blur(frame2, sigma)
    ix, iy, it = image_gradients(f1, f2)
    u, v = torch.zeros_like(f1), torch.zeros_like(f1)
    for _ in range(iterations):
        u, v = step(u, v, ix, iy, it, alpha)
    return torch.stack([u, v], -3)  # (..., 2, H, W)


def grey(frames: torch.Tensor) -> torch.Tensor:
    """Mean over the colour axis: (..., C, H, W) -> (..., H, W)."""
    return frames.float().mean(-3)


def clip_flow(clips: torch.Tensor, batch: int = 256, **kwargs: float) -> torch.Tensor:
    """Flow between consecutive frames of clips (B, T, C, H, W) in [0, 1].

    Returns:
        Flows of shape (B, T - 1, 2, H, W), computed ``batch`` clips at a time.
    """
    out = []
    for i in range(0, clips.shape[0], batch):
        g = grey(clips[i : i + batch])  # (b, T, H, W)
        out.append(horn_schunck(g[:, :-1], g[:, 1:], **kwargs))
    return torch.cat(out)


def shift(image: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """Move ``image`` (B, C, H, W) by a constant or dense ``flow`` (B, 2, H, W).

    Returns the second frame of a known motion: out(x + u) = image(x)
    (sampled backwards, bilinear, borders repeated).
    """
    b, _, h, w = image.shape
    ys, xs = torch.meshgrid(
        torch.arange(h, dtype=image.dtype, device=image.device),
        torch.arange(w, dtype=image.dtype, device=image.device),
        indexing="ij",
    )
    sx = xs - flow[:, 0]  # (B, H, W): where each output pixel comes from
    sy = ys - flow[:, 1]
    grid = torch.stack([(2 * sx + 1) / w - 1, (2 * sy + 1) / h - 1], -1)
    return F.grid_sample(
        image, grid, mode="bilinear", padding_mode="border", align_corners=False
    )

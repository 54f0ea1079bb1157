"""Rotation prediction: RotNet.

Gidaris, Singh & Komodakis, "Unsupervised Representation Learning by
Predicting Image Rotations" (ICLR 2018, arXiv:1803.07728). Every image is
shown in all four rotations g_y(x), y in {0, 90, 180, 270} degrees, and the
network is trained to recognise y:

    loss = -1/4 sum_y log F_y(g_y(x))

Seeing all four rotations of an image in the same batch works better than
one random rotation (Section 3.2.1 of the paper).
"""

from __future__ import annotations

import torch


def rotate_batch(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """All four rotations of a batch, stacked, with their labels.

    Rotation by ``k`` quarter turns is anticlockwise (``torch.rot90`` over the
    last two dims); label ``k`` means ``k * 90`` degrees.

    Args:
        x: images (B, C, H, W) with H == W.

    Returns:
        ``(x_rot, labels)``: (4B, C, H, W), rotation k in rows k*B .. (k+1)*B - 1,
        and long labels (4B,) on ``x``'s device.

    Raises:
        ValueError: non-square images (a quarter turn would change their shape).
    """
    if x.dim() != 4 or x.shape[-1] != x.shape[-2]:
        raise ValueError(
            f"rotate_batch needs square images (B, C, H, H); got {tuple(x.shape)}"
        )
    b = x.shape[0]
    x_rot = torch.cat([torch.rot90(x, k, dims=(-2, -1)) for k in range(4)])
    labels = torch.arange(4, device=x.device).repeat_interleave(b)
    return x_rot, labels

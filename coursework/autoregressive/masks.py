"""Causal masks for masked convolutions: type A, type B, and colour groups.

van den Oord, Kalchbrenner & Kavukcuoglu, "Pixel Recurrent Neural Networks",
ICML 2016 (arXiv:1601.06759), section 3.4: "Mask A is applied only to the
first convolutional layer ... and restricts the connections to those
neighbouring pixels and to those colors in the current pixels that have
already been predicted. On the other hand, mask B is applied to all the
subsequent input-to-state convolutional transitions and relaxes the
restrictions of mask A by also allowing the connection from a color to
itself."

Pixels are ordered in raster order and, within a pixel, by colour (R, G, B).
Feature maps are split into ``groups`` colour groups; channel ``c`` belongs to
group ``c % groups`` (interleaved), so the image's own channels are groups
0, 1, 2 and a gate's two halves keep their groups when ``D % groups == 0``.

The gated PixelCNN's two stacks (van den Oord et al., "Conditional Image
Generation with PixelCNN Decoders", NeurIPS 2016, arXiv:1606.05328) use two
more shapes: a vertical kernel of the rows above (and, after the first layer,
the current row of the vertical stack), and a horizontal 1 x k kernel of the
pixels to the left.
"""

from __future__ import annotations

import torch

MASK_TYPES = ("A", "B")


def _check(mask_type: str, in_channels: int, out_channels: int, groups: int) -> None:
    if mask_type not in MASK_TYPES:
        raise ValueError(
            f"mask_type must be 'A' (first layer, excludes the centre) or 'B' "
            f"(later layers, includes it); got {mask_type!r}"
        )
    if groups < 1 or in_channels % groups or out_channels % groups:
        raise ValueError(
            f"in_channels={in_channels} and out_channels={out_channels} must both be "
            f"multiples of groups={groups} (use e.g. a width divisible by 3 for RGB)"
        )


def causal_mask(
    out_channels: int,
    in_channels: int,
    kernel_size: int,
    mask_type: str,
    groups: int = 1,
) -> torch.Tensor:
    """The PixelCNN mask of a ``kernel_size`` x ``kernel_size`` convolution.

    A weight ``[o, i, y, x]`` is kept (1) when the input position ``(y, x)``
    comes before the centre in raster order; at the centre it is kept when the
    input's colour group comes before the output's (type A) or is not after it
    (type B). Channel ``c`` is in group ``c % groups``.

    Args:
        out_channels, in_channels: the convolution's channels.
        kernel_size: odd side ``k`` of the kernel.
        mask_type: ``"A"`` or ``"B"``.
        groups: colour groups (1 for grey or binary images, 3 for RGB).

    Returns:
        A float32 tensor (out_channels, in_channels, k, k) of zeros and ones.
    """
    _check(mask_type, in_channels, out_channels, groups)
    if kernel_size < 1 or kernel_size % 2 == 0:
        raise ValueError(f"kernel_size must be odd and positive; got {kernel_size}")
    k, r = kernel_size, kernel_size // 2
    mask = torch.zeros(out_channels, in_channels, k, k)
    mask[:, :, :r, :] = 1.0  # the rows above
    mask[:, :, r, :r] = 1.0  # the pixels to the left
    g_out = torch.arange(out_channels)[:, None] % groups  # (O, 1)
    g_in = torch.arange(in_channels)[None, :] % groups  # (1, I)
    centre = g_in < g_out if mask_type == "A" else g_in <= g_out
    mask[:, :, r, r] = centre.float()
    return mask


def horizontal_mask(
    out_channels: int,
    in_channels: int,
    kernel_size: int,
    mask_type: str,
    groups: int = 1,
) -> torch.Tensor:
    """The gated PixelCNN's horizontal stack: a 1 x k kernel, the centre row.

    Returns:
        (out_channels, in_channels, 1, k): the pixels to the left, and the
        centre as in :func:`causal_mask`.
    """
    r = kernel_size // 2
    return causal_mask(out_channels, in_channels, kernel_size, mask_type, groups)[
        :, :, r : r + 1, :
    ]


def vertical_mask(
    out_channels: int, in_channels: int, kernel_size: int, first: bool
) -> torch.Tensor:
    """The gated PixelCNN's vertical stack: a (k//2 + 1) x k kernel of rows.

    Its last row is the output's own row. In the first layer that row is
    masked out, so the vertical stack at row ``i`` only sees image rows above
    ``i``; later layers may read the vertical stack's own row (it already
    depends on rows above only). This plays the role of the paper's
    down-shift and leaves no blind spot: whole rows above are visible.

    Returns:
        (out_channels, in_channels, k//2 + 1, k) of zeros and ones.
    """
    if kernel_size < 1 or kernel_size % 2 == 0:
        raise ValueError(f"kernel_size must be odd and positive; got {kernel_size}")
    r = kernel_size // 2
    mask = torch.ones(out_channels, in_channels, r + 1, kernel_size)
    if first:
        mask[:, :, r, :] = 0.0
    return mask

"""Colourisation: the CIE Lab colour space, quantised ab bins, class rebalancing.

Zhang, Isola & Efros, "Colorful Image Colorization" (ECCV 2016,
arXiv:1603.08511). The network sees the lightness L and predicts the colour
ab. Regressing ab with an L2 loss gives the *mean* of the plausible colours,
which is greyish when several are plausible; Zhang et al. instead quantise
the ab plane into bins of side 10 and predict a distribution over bins with
a cross-entropy, each pixel weighted to rebalance rare colours:

    w_q ∝ ((1 - lambda) p~_q + lambda / Q)^-1,   E_p~[w] = 1,

and decode by the *annealed mean*: softmax(z / T) @ bin centres, T = 0.38.

The conversion is sRGB (D65 white) -> linear RGB -> XYZ -> Lab, with the CIE
1976 formulas (CIE 15:2004), batched on the device.
"""

from __future__ import annotations

import torch

# sRGB (linear) -> XYZ, D65 white point (IEC 61966-2-1)
RGB_TO_XYZ = torch.tensor(
    [
        [0.412453, 0.357580, 0.180423],
        [0.212671, 0.715160, 0.072169],
        [0.019334, 0.119193, 0.950227],
    ],
    dtype=torch.float64,
)
WHITE_D65 = torch.tensor([0.95047, 1.0, 1.08883], dtype=torch.float64)
_DELTA = 6.0 / 29.0


def _mat(m: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Apply a 3x3 matrix over the channel dim of (B, 3, H, W).

    Written as a broadcast product and sum, not a matmul, so that it stays in
    the input's precision under CUDA autocast.
    """
    m = m.to(x).view(1, 3, 3, 1, 1)  # (1, i, j, 1, 1)
    return (m * x[:, None]).sum(2)  # (B, i, H, W)


def rgb_to_lab(rgb: torch.Tensor) -> torch.Tensor:
    """sRGB (B, 3, H, W) in [0, 1] -> Lab (B, 3, H, W); L in [0, 100], a, b in ~±110."""
    if rgb.dim() != 4 or rgb.shape[1] != 3:
        raise ValueError(
            f"rgb_to_lab needs (B, 3, H, W) RGB images; got {tuple(rgb.shape)}"
        )
    c = rgb.clamp(0, 1)
    lin = torch.where(
        c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055).clamp(min=1e-12) ** 2.4
    )
    xyz = _mat(RGB_TO_XYZ, lin) / WHITE_D65.to(rgb).view(1, 3, 1, 1)
    # f(t) = t^(1/3) above (6/29)^3, else the linear segment t / (3 delta^2) + 4/29
    f = torch.where(
        xyz > _DELTA**3,
        xyz.clamp(min=_DELTA**3) ** (1.0 / 3.0),
        xyz / (3 * _DELTA**2) + 4.0 / 29.0,
    )
    fx, fy, fz = f[:, 0], f[:, 1], f[:, 2]
    lab = torch.stack([116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)], 1)
    return lab


def lab_to_rgb(lab: torch.Tensor) -> torch.Tensor:
    """Lab (B, 3, H, W) -> sRGB (B, 3, H, W), clipped to [0, 1] (out of gamut)."""
    if lab.dim() != 4 or lab.shape[1] != 3:
        raise ValueError(
            f"lab_to_rgb needs (B, 3, H, W) Lab images; got {tuple(lab.shape)}"
        )
    fy = (lab[:, 0] + 16) / 116
    f = torch.stack([fy + lab[:, 1] / 500, fy, fy - lab[:, 2] / 200], 1)
    xyz = torch.where(f > _DELTA, f**3, 3 * _DELTA**2 * (f - 4.0 / 29.0))
    xyz = xyz * WHITE_D65.to(lab).view(1, 3, 1, 1)
    lin = _mat(torch.linalg.inv(RGB_TO_XYZ), xyz).clamp(min=0)
    rgb = torch.where(
        lin <= 0.0031308,
        12.92 * lin,
        1.055 * lin.clamp(min=0.0031308) ** (1 / 2.4) - 0.055,
    )
    return rgb.clamp(0, 1)


def ab_bins(ab: torch.Tensor, grid: float = 10.0) -> tuple[torch.Tensor, torch.Tensor]:
    """The occupied bins of the ab plane (squares of side ``grid``) and their counts.

    Args:
        ab: (B, 2, H, W) colour channels of a training set.
        grid: bin side (Zhang et al. use 10, giving 313 in-gamut bins).

    Returns:
        ``(centres, counts)``: (Q, 2) centres of the bins with any pixel, and
        (Q,) pixel counts, for the prior p~.
    """
    cells = torch.floor(ab.transpose(0, 1).reshape(2, -1) / grid).long()  # (2, P)
    keys, counts = torch.unique(cells, dim=1, return_counts=True)  # (2, Q), (Q,)
    centres = (keys.to(ab.dtype) + 0.5) * grid
    return centres.T.contiguous(), counts


def quantize_ab(ab: torch.Tensor, centres: torch.Tensor) -> torch.Tensor:
    """Index of the nearest bin centre for every pixel.

    Shape: ab (B, 2, H, W), centres (Q, 2) -> (B, H, W) long.
    """
    b, _, h, w = ab.shape
    flat = ab.permute(0, 2, 3, 1).reshape(-1, 2)  # (B*H*W, 2)
    dist = torch.cdist(flat, centres.to(ab))  # (B*H*W, Q)
    return dist.argmin(1).view(b, h, w)


def rebalance_weights(counts: torch.Tensor, lam: float = 0.5) -> torch.Tensor:
    """Class-rebalancing weights w (Q,): w ∝ ((1 - lam) p + lam / Q)^-1, E_p[w] = 1."""
    p = counts.double() / counts.sum()
    w = 1.0 / ((1 - lam) * p + lam / p.numel())
    return (w / (p * w).sum()).float()


def annealed_mean(
    logits: torch.Tensor, centres: torch.Tensor, temperature: float = 0.38
) -> torch.Tensor:
    """Decode bin logits (B, Q, H, W) to ab (B, 2, H, W): softmax(z / T) @ centres."""
    prob = torch.softmax(logits / temperature, dim=1)
    return torch.einsum("bqhw,qc->bchw", prob, centres.to(prob))


def colorization_batch(
    x: torch.Tensor, centres: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Grey input and colour targets of an RGB batch (B, 3, H, W).

    Returns:
        ``(grey, bins, ab)``: the lightness as a 3-channel image in [0, 1]
        (B, 3, H, W) (so the one backbone takes it), the ab bin of every
        pixel (B, H, W), and the ab values (B, 2, H, W) for regression.
    """
    lab = rgb_to_lab(x)
    grey = (lab[:, :1] / 100).expand(-1, 3, -1, -1)
    ab = lab[:, 1:]
    return grey, quantize_ab(ab, centres), ab


def to_grey(x: torch.Tensor) -> torch.Tensor:
    """The lightness L / 100 of RGB images, repeated to 3 channels (B, 3, H, W)."""
    return (rgb_to_lab(x)[:, :1] / 100).expand(-1, 3, -1, -1)

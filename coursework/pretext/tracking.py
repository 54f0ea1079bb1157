"""Tracking by colourisation: copy colours, then masks, by attention.

Vondrick, Shrivastava, Fathi, Guadarrama & Murphy, "Tracking Emerges by
Colorizing Videos" (ECCV 2018, arXiv:1806.09594). A network embeds every
position of a grey *target* frame and of a grey *reference* frame. Each
target position points at the reference positions with the softmax of the
embeddings' dot products over a temperature, and copies their colours:

    A_ij = exp(f_i . g_j / T) / sum_k exp(f_i . g_k / T),    y_i = sum_j A_ij c_j.

Trained to colourise (quantised colours ``c_j`` one-hot, a cross-entropy of
``y_i`` against the target's true colour), the pointer has to find the same
surface in the other frame. At test time the same pointer copies a
segmentation mask (any labels ``c_j``) from the first frame to later ones:
tracking, without a tracking label in training.

Baselines: the first mask unchanged (identity), and the first mask carried
along Horn-Schunck optical flow (:mod:`coursework.data.flow`).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn as nn
import torch.nn.functional as F

from coursework.data.flow import horn_schunck, shift
from coursework.data.video import PALETTE

Embed = Callable[[torch.Tensor], torch.Tensor]


def copy_labels(
    target: torch.Tensor,
    reference: torch.Tensor,
    labels: torch.Tensor,
    temperature: float,
    allowed: torch.Tensor | None = None,
) -> torch.Tensor:
    """Copy labels from reference to target positions by attention.

    Args:
        target: (B, N, D) embeddings of the target frame's N positions.
        reference: (B, M, D) embeddings of the reference frame's M positions.
        labels: (B, M, C) labels of the reference positions (one-hot colours
            in training, a soft mask at test time).
        temperature: divides the dot products; smaller points more sharply.
        allowed: optional (N, M) bool, the reference positions each target
            position may point at (a local window); every row needs one.

    Returns:
        (B, N, C): for each target position the softmax over reference
        positions of ``target . reference / temperature``, times ``labels``.
    """
    if temperature <= 0:
        raise ValueError(f"temperature must be positive; got {temperature}")
    if target.shape[-1] != reference.shape[-1]:
        raise ValueError(
            f"target and reference embeddings differ in size: {target.shape[-1]} vs "
            f"{reference.shape[-1]}; embed both frames with the same network"
        )
    if reference.shape[1] != labels.shape[1]:
        raise ValueError(
            f"{reference.shape[1]} reference positions but {labels.shape[1]} labels; "
            "flatten the reference labels the same way as its embeddings"
        )
    logits = target @ reference.transpose(1, 2) / temperature  # (B, N, M)
    if allowed is not None:
        logits = logits.masked_fill(~allowed.to(logits.device), float("-inf"))
    return logits.softmax(-1) @ labels.to(logits.dtype)


def local_window(
    height: int, width: int, radius: int, device: torch.device | str | None = None
) -> torch.Tensor:
    """(HW, HW) bool: position i may point at j when both offsets are <= radius.

    Restricting the pointer to a window around the same place is a prior
    that objects move little between frames; notebook 05 measures it beside
    the pointer over the whole reference frame.
    """
    if radius < 0:
        raise ValueError(f"radius must be >= 0; got {radius}")
    ys, xs = torch.meshgrid(
        torch.arange(height, device=device),
        torch.arange(width, device=device),
        indexing="ij",
    )
    ys, xs = ys.flatten(), xs.flatten()
    near_y = (ys[:, None] - ys[None]).abs() <= radius
    near_x = (xs[:, None] - xs[None]).abs() <= radius
    return near_y & near_x


def positions(x: torch.Tensor) -> torch.Tensor:
    """(B, D, H, W) feature maps -> (B, HW, D), positions in row-major order."""
    return x.flatten(2).transpose(1, 2)


class ColourEmbedding(nn.Module):
    """A fully convolutional embedding of grey frames at half resolution.

    A stride-2 3x3 convolution, then dilated 3x3 convolutions (dilations 1,
    2, 4) at half resolution, see 31 pixels across, more than an object of
    the generated clips; a 1x1 convolution gives ``dim`` channels. No batch
    normalisation: with a few dozen steps (the ``ci`` profile) its running
    statistics would not be settled at test time. The paper
    embeds at an eighth of the resolution with a ResNet-18 and 3D
    convolutions, and copies colours at that resolution; ours is a small
    stand-in at a half, so that pointing costs (H W / 4)^2 per frame pair.
    """

    stride = 2

    def __init__(self, width: int = 32, dim: int = 32) -> None:
        super().__init__()
        layers: list[nn.Module] = [
            nn.Conv2d(1, width, 3, stride=2, padding=1),
            nn.ReLU(),
        ]
        for dilation in (1, 2, 4):
            layers += [
                nn.Conv2d(width, width, 3, padding=dilation, dilation=dilation),
                nn.ReLU(),
            ]
        layers.append(nn.Conv2d(width, dim, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, grey: torch.Tensor) -> torch.Tensor:
        """grey (B, 1, H, W) in [0, 1] -> embeddings (B, dim, H / 2, W / 2)."""
        return self.net(grey - 0.5)


def _factor(frames: torch.Tensor, feats: torch.Tensor) -> int:
    """How many pixels per feature position along each side (an integer)."""
    h, hf = frames.shape[-2], feats.shape[-2]
    if h % hf or frames.shape[-1] % feats.shape[-1]:
        raise ValueError(
            f"frames {tuple(frames.shape[-2:])} are not a whole multiple of the "
            f"embedding's {tuple(feats.shape[-2:])}; use a frame side divisible by "
            "the embedding's stride"
        )
    return h // hf


def colour_codebook(device: torch.device | str | None = None) -> torch.Tensor:
    """(C, 3) RGB codes: black, then each colour of the clips' palette.

    The paper clusters Lab colours of Kinetics into 16 codes with k-means; the
    generated clips hold a black background and :data:`PALETTE`'s colours
    only, so these are the codes k-means would find.
    """
    return torch.cat([torch.zeros(1, 3), PALETTE]).to(device)


def quantize_colours(frames: torch.Tensor, codebook: torch.Tensor) -> torch.Tensor:
    """Nearest code per pixel: frames (..., 3, H, W) in [0, 1] -> (..., H, W) long."""
    if frames.shape[-3] != 3:
        raise ValueError(f"frames need 3 colour channels on dim -3; got {frames.shape}")
    rgb = frames.movedim(-3, -1).unsqueeze(-2)  # (..., H, W, 1, 3)
    return (rgb - codebook.to(frames.dtype)).pow(2).sum(-1).argmin(-1)


def grey_frames(frames: torch.Tensor) -> torch.Tensor:
    """uint8 or float frames (..., 3, H, W) -> float grey (..., 1, H, W) in [0, 1]."""
    x = frames.float() / 255 if frames.dtype == torch.uint8 else frames.float()
    return x.mean(-3, keepdim=True)


def tracking_pairs(
    videos: torch.Tensor, max_gap: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """A reference and a later target frame per clip, ``1..max_gap`` frames apart.

    Args:
        videos: (B, L, 3, H, W), any dtype.
        max_gap: the largest gap between the two frames (< L).

    Returns:
        ``(reference, target)``: (B, 3, H, W) each, on the videos' device
        (drawn with the global generator there: seed it for repeatable pairs).
    """
    b, length = videos.shape[:2]
    if not 1 <= max_gap < length:
        raise ValueError(f"max_gap must be in [1, {length - 1}]; got {max_gap}")
    dev = videos.device
    gap = torch.randint(1, max_gap + 1, (b,), device=dev)
    start = (torch.rand(b, device=dev) * (length - gap)).long()
    rows = torch.arange(b, device=dev)
    return videos[rows, start], videos[rows, start + gap]


def colour_copy_loss(
    embed: Embed,
    reference: torch.Tensor,
    target: torch.Tensor,
    codebook: torch.Tensor,
    temperature: float = 1.0,
    allowed: torch.Tensor | None = None,
) -> dict[str, torch.Tensor]:
    """The colourisation-by-copying loss on a batch of frame pairs.

    Both frames go in grey (as in the paper, so the network cannot match
    colours); the target's colours are predicted by copying the reference's
    quantised colours, and scored with the cross-entropy against the target's
    own codes, at the embedding's resolution (each cell's mean colour,
    quantised, as the paper quantises downsampled frames).

    Args:
        embed: grey (B, 1, H, W) -> (B, D, H, W).
        reference, target: colour frames (B, 3, H, W), uint8 or in [0, 1].
        codebook: (C, 3) colour codes (:func:`colour_codebook`).
        temperature, allowed: as in :func:`copy_labels`.

    Returns:
        ``{"loss", "acc"}``: the cross-entropy, and the fraction of object
        pixels (not the background code 0) whose most likely copied code is
        right.
    """
    grey = torch.cat([grey_frames(reference), grey_frames(target)])
    maps = embed(grey)  # (2B, D, h, w)
    k = _factor(grey, maps)
    # colours at the embedding's resolution: the mean colour of each cell, quantised
    ref_codes = quantize_colours(F.avg_pool2d(_unit(reference), k), codebook)
    tgt_codes = quantize_colours(F.avg_pool2d(_unit(target), k), codebook)
    f_ref, f_tgt = positions(maps).chunk(2)
    onehot = F.one_hot(ref_codes.flatten(1), len(codebook))
    prob = copy_labels(f_tgt, f_ref, onehot, temperature, allowed)  # (B, HW, C)
    truth = tgt_codes.flatten(1)
    loss = F.nll_loss(prob.clamp_min(1e-6).log().flatten(0, 1), truth.flatten())
    objects = (truth > 0).float()
    hit = (prob.argmax(-1) == truth).float()
    acc = (hit * objects).sum() / objects.sum().clamp_min(1)
    return {"loss": loss, "acc": acc.detach()}


def _unit(frames: torch.Tensor) -> torch.Tensor:
    return frames.float() / 255 if frames.dtype == torch.uint8 else frames.float()


def one_hot_maps(labels: torch.Tensor, n_labels: int) -> torch.Tensor:
    """Label maps (..., H, W) long -> one-hot float (..., n_labels, H, W)."""
    return F.one_hot(labels, n_labels).movedim(-1, -3).float()


@torch.no_grad()
def propagate_by_copying(
    embed: Embed,
    videos: torch.Tensor,
    first: torch.Tensor,
    n_labels: int,
    temperature: float = 1.0,
    mode: str = "first",
    allowed: torch.Tensor | None = None,
) -> torch.Tensor:
    """Carry the first frame's label map through each clip with the pointer.

    Labels are copied at the embedding's resolution (the first map's one-hot
    channels averaged over each cell), and each frame's copied probabilities
    are upsampled (bilinear) to the frames' size before the argmax.

    Args:
        embed: grey (B, 1, H, W) -> (B, D, h, w), trained by colourisation.
        videos: (B, L, 3, H, W) clips, uint8 or in [0, 1].
        first: (B, H, W) long label map of frame 0 (0 background, k object k).
        n_labels: number of labels, background included.
        temperature, allowed: as in :func:`copy_labels` (``allowed`` over the
            embedding's h w positions).
        mode: ``"first"``: every frame copies from frame 0 and its given
            labels; ``"previous"``: frame t copies from frame t - 1 and the
            probabilities copied there, frame to frame.

    Returns:
        (B, L, H, W) long label maps, frame 0 the given one.
    """
    if mode not in ("first", "previous"):
        raise ValueError(f"mode must be 'first' or 'previous'; got {mode!r}")
    b, length, _, h, w = videos.shape
    grey = grey_frames(videos).flatten(0, 1)  # (B L, 1, H, W)
    maps = embed(grey)
    k = _factor(grey, maps)
    hf, wf = maps.shape[-2:]
    feats = positions(maps).unflatten(0, (b, length))  # (B, L, hf wf, D)
    soft = F.avg_pool2d(one_hot_maps(first, n_labels), k)  # (B, C, hf, wf)
    ref_labels = positions(soft)  # (B, hf wf, C)
    out = [first]
    for t in range(1, length):
        ref = feats[:, 0] if mode == "first" else feats[:, t - 1]
        prob = copy_labels(feats[:, t], ref, ref_labels, temperature, allowed)
        full = F.interpolate(
            prob.transpose(1, 2).reshape(b, n_labels, hf, wf),
            size=(h, w),
            mode="bilinear",
            align_corners=False,
        )
        out.append(full.argmax(1))
        if mode == "previous":
            ref_labels = prob
    return torch.stack(out, 1)


@torch.no_grad()
def propagate_by_flow(
    videos: torch.Tensor,
    first: torch.Tensor,
    n_labels: int,
    alpha: float = 0.5,
    iterations: int = 100,
    sigma: float = 1.0,
) -> torch.Tensor:
    """Carry the first frame's label map along Horn-Schunck flow, frame to frame.

    The flow from frame t + 1 back to frame t says where each pixel of t + 1
    was; the soft one-hot labels of t are sampled there (bilinear), and the
    label map of each frame is their argmax.

    Returns:
        (B, L, H, W) long label maps, frame 0 the given one.
    """
    grey = grey_frames(videos)[:, :, 0]  # (B, L, H, W)
    back = horn_schunck(grey[:, 1:], grey[:, :-1], alpha, iterations, sigma)
    soft = one_hot_maps(first, n_labels)  # (B, C, H, W)
    out = [first]
    for t in range(grey.shape[1] - 1):
        soft = shift(soft, -back[:, t])  # soft_{t+1}(x) = soft_t(x + back(x))
        out.append(soft.argmax(1))
    return torch.stack(out, 1)


def mask_iou(pred: torch.Tensor, truth: torch.Tensor) -> torch.Tensor:
    """Intersection over union of bool masks (..., H, W) -> (...) float.

    Where both masks are empty the IoU is 1 (nothing to find, nothing found).
    """
    if pred.shape != truth.shape:
        raise ValueError(f"masks differ in shape: {pred.shape} vs {truth.shape}")
    inter = (pred & truth).flatten(-2).sum(-1).float()
    union = (pred | truth).flatten(-2).sum(-1).float()
    return torch.where(union > 0, inter / union.clamp_min(1), torch.ones_like(union))


def label_iou(pred: torch.Tensor, truth: torch.Tensor, n_objects: int) -> torch.Tensor:
    """Mean mask IoU over objects 1..n_objects: label maps (..., H, W) -> (...)."""
    ks = torch.arange(1, n_objects + 1, device=pred.device).view(-1, *[1] * pred.dim())
    return mask_iou(pred.unsqueeze(0) == ks, truth.unsqueeze(0) == ks).mean(0)


__all__ = [
    "ColourEmbedding",
    "colour_codebook",
    "colour_copy_loss",
    "copy_labels",
    "label_iou",
    "local_window",
    "mask_iou",
    "one_hot_maps",
    "positions",
    "propagate_by_copying",
    "propagate_by_flow",
    "quantize_colours",
    "grey_frames",
    "tracking_pairs",
]

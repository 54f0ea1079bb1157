"""scikit-learn's handwritten digits (1,797 images, 8 x 8, 10 classes), upsampled.

The images ship with scikit-learn, so they need no download. They are scaled
to [0, 1], resized with bilinear interpolation, and split once into a fixed
train/test partition (1,400 / 397) so every notebook and test sees the same
split. The binarised variant thresholds at 0.5 for Bernoulli likelihoods.
"""

from __future__ import annotations

import functools

import torch
import torch.nn.functional as F

N_TRAIN = 1400
SPLITS = ("train", "test", "all")


@functools.lru_cache(maxsize=1)
def _raw() -> tuple[torch.Tensor, torch.Tensor]:
    from sklearn.datasets import load_digits as sk_load

    data = sk_load()
    x = torch.tensor(data.images, dtype=torch.float32) / 16.0  # (N, 8, 8) in [0, 1]
    y = torch.tensor(data.target, dtype=torch.long)
    order = torch.randperm(len(y), generator=torch.Generator().manual_seed(0))
    return x[order].unsqueeze(1), y[order]  # (N, 1, 8, 8)


def load_digits(
    split: str = "train",
    image_size: int = 16,
    binarize: bool = False,
    n: int | None = None,
    device: torch.device | str | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Return images ``x`` (N, 1, S, S) in [0, 1] and labels ``y`` (N,).

    Args:
        split: ``train`` (1,400 images), ``test`` (397) or ``all``.
        image_size: side ``S`` of the returned images (8 keeps the originals).
        binarize: threshold at 0.5, giving values in {0, 1}.
        n: keep the first ``n`` images of the split.
        device: where to put the tensors.
    """
    if split not in SPLITS:
        raise ValueError(f"Unknown split {split!r}; use one of {SPLITS}.")
    x, y = _raw()
    if split == "train":
        x, y = x[:N_TRAIN], y[:N_TRAIN]
    elif split == "test":
        x, y = x[N_TRAIN:], y[N_TRAIN:]
    if n is not None:
        x, y = x[:n], y[:n]
    if image_size != 8:
        x = F.interpolate(
            x, size=(image_size, image_size), mode="bilinear", align_corners=False
        )
        x = x.clamp(0.0, 1.0)
    if binarize:
        x = (x > 0.5).float()
    return x.to(device), y.to(device)

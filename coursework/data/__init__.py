"""Datasets: embedded (digits, shapes) and real (torchvision), one module per family.

:func:`load_images` is what notebooks call: it reads the profile and returns
the embedded digits on ``ci``/``cpu`` and MNIST on ``gpu``.
"""

from __future__ import annotations

import torch

from coursework.data.digits import load_digits
from coursework.data.real import (
    EMBEDDED,
    REAL,
    DatasetError,
    DatasetUnavailable,
    load_real,
)
from coursework.data.shapes import make_shapes
from coursework.runtime import Profile


def load_images(
    name_or_profile: str | Profile,
    split: str = "train",
    image_size: int | None = None,
    binarize: bool = False,
    n: int | None = None,
    device: torch.device | str | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Images and labels by dataset name, or by the profile's ``image_dataset``.

    With a profile, sizes default to the profile's (``image_size``, and
    ``n_train`` / ``n_test`` for the split).

    Returns:
        ``x`` (N, C, S, S) in [0, 1] and ``y`` (N,).
    """
    if isinstance(name_or_profile, Profile):
        prof = name_or_profile
        name = prof.image_dataset
        image_size = image_size or prof.image_size
        if n is None:
            n = prof.n_train if split == "train" else prof.n_test
    else:
        name = name_or_profile
    if name.lower() == "digits":
        return load_digits(split, image_size or 16, binarize, n, device)
    if name.lower() not in EMBEDDED:
        x, y = load_real(name, split, image_size=image_size, n=n, device=device)
        return ((x > 0.5).float() if binarize else x), y
    raise DatasetError(
        f"Unknown image dataset {name!r}. Embedded: digits (and make_shapes for "
        f"shapes); real (gpu profile): {', '.join(REAL)}."
    )


__all__ = [
    "EMBEDDED",
    "REAL",
    "DatasetError",
    "DatasetUnavailable",
    "load_digits",
    "load_images",
    "load_real",
    "make_shapes",
]

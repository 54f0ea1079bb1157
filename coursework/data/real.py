"""Real datasets through torchvision's own dataset classes (the ``gpu`` profile).

MNIST (LeCun et al., 1998), Fashion-MNIST (Xiao et al., 2017) and CIFAR-10
(Krizhevsky, 2009) are read from their original file formats by torchvision
and returned as in-memory tensors. A download that cannot happen (no network,
a blocked mirror) raises :class:`DatasetUnavailable`, naming the embedded
alternative that needs no download.
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F

REAL = ("mnist", "fashion_mnist", "cifar10")
EMBEDDED = ("digits", "shapes")


class DatasetError(ValueError):
    """An unknown dataset name."""


class DatasetUnavailable(RuntimeError):
    """The files are missing and could not be downloaded."""


def _classes() -> dict[str, type]:
    from torchvision import datasets

    return {
        "mnist": datasets.MNIST,
        "fashion_mnist": datasets.FashionMNIST,
        "cifar10": datasets.CIFAR10,
    }


def _check_name(name: str) -> str:
    aliases = {k.replace("_", ""): k for k in REAL}
    key = aliases.get(name.lower().replace("-", "").replace("_", ""), name)
    if key not in REAL:
        raise DatasetError(
            f"Unknown dataset {name!r}. Real datasets: {', '.join(REAL)}; "
            f"embedded (no download): {', '.join(EMBEDDED)}."
        )
    return key


def load_real(
    name: str,
    split: str = "train",
    root: str | Path | None = None,
    download: bool = True,
    image_size: int | None = None,
    n: int | None = None,
    device: torch.device | str | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Load a torchvision dataset as ``x`` (N, C, H, W) in [0, 1] and ``y`` (N,).

    Args:
        name: ``mnist``, ``fashion_mnist`` or ``cifar10``.
        split: ``train`` or ``test``.
        root: folder holding the files (default: :func:`coursework.runtime.data_dir`).
        download: fetch the files when they are missing.
        image_size: resize to this side (bilinear) when given.
        n: keep the first ``n`` examples.
        device: where to put the tensors.

    Raises:
        DatasetError: unknown name.
        DatasetUnavailable: files missing and the download failed.
    """
    from coursework.runtime import data_dir

    key = _check_name(name)
    if split not in ("train", "test"):
        raise ValueError(f"Unknown split {split!r}; use 'train' or 'test'.")
    folder = Path(root) if root is not None else data_dir()
    try:
        ds = _classes()[key](str(folder), train=split == "train", download=download)
    except Exception as exc:  # network errors come in many types
        raise DatasetUnavailable(
            f"Could not load {key} from {folder} ({type(exc).__name__}: {exc}). "
            "Without internet use the embedded digits instead: set "
            "COURSEWORK_PROFILE=cpu, or call load_images('digits', ...)."
        ) from exc
    data = ds.data[:n] if n is not None else ds.data
    x = torch.as_tensor(data)
    x = x.unsqueeze(1) if x.dim() == 3 else x.permute(0, 3, 1, 2)  # (N, C, H, W)
    x = x.float() / 255.0
    y = torch.as_tensor(ds.targets)[: x.shape[0]].long()
    if image_size is not None and image_size != x.shape[-1]:
        x = F.interpolate(
            x, size=(image_size, image_size), mode="bilinear", align_corners=False
        )
    return x.to(device), y.to(device)

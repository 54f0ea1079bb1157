"""Shared fixtures: small dataset files in the real formats, written by the tests."""

from __future__ import annotations

import pickle
import struct
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest


def write_idx(path: Path, array: np.ndarray) -> None:
    """IDX (LeCun et al.): magic 0x0000 0x08 ndim, big-endian sizes, uint8 data."""
    with open(path, "wb") as fh:
        fh.write(struct.pack(">HBB", 0, 0x08, array.ndim))
        fh.write(struct.pack(f">{array.ndim}I", *array.shape))
        fh.write(array.astype(np.uint8).tobytes())


def write_mnist(root: Path, cls: str = "MNIST", n: int = 12):
    """torchvision's MNIST layout, ``root/<cls>/raw/*-ubyte``; same images per split."""
    raw = root / cls / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=n, dtype=np.uint8)
    for prefix in ("train", "t10k"):
        write_idx(raw / f"{prefix}-images-idx3-ubyte", images)
        write_idx(raw / f"{prefix}-labels-idx1-ubyte", labels)
    return images, labels


def write_cifar10(root: Path, n: int = 2) -> dict[str, tuple[np.ndarray, list[int]]]:
    """CIFAR-10's pickled batches, ``n`` images each. Only the checksums differ
    from the real files, so torchvision's integrity check must be bypassed."""
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(1)
    batches = {}
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        data = rng.integers(0, 256, size=(n, 3 * 32 * 32), dtype=np.uint8)
        labels = rng.integers(0, 10, size=n).tolist()
        batches[name] = (data, labels)
        with open(folder / name, "wb") as fh:
            pickle.dump({"data": data, "labels": labels}, fh)
    with open(folder / "batches.meta", "wb") as fh:
        pickle.dump({"label_names": [f"c{i}" for i in range(10)]}, fh)
    return batches


@pytest.fixture
def fake_data() -> SimpleNamespace:
    """The writers above: ``fake_data.mnist(root)``, ``fake_data.cifar10(root)``."""
    return SimpleNamespace(mnist=write_mnist, cifar10=write_cifar10, idx=write_idx)

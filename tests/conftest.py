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


def wrong_function_fails(exercise_id: str, fn, words: str) -> list:
    """A wrong answer fails some case, with ``words`` in a message, and loses points.

    Returns the failed cases.
    """
    from coursework.exercises import run_check

    result = run_check(exercise_id, fn, device="cpu")
    failed = [c for c in result.cases if c.status != "passed"]
    assert failed, f"{exercise_id}: a wrong function passed"
    assert any(words in c.message for c in failed), [c.message for c in failed]
    assert result.points < result.max_points
    return failed


@pytest.fixture
def check_verdicts() -> SimpleNamespace:
    """Shared assertions of the exercise tests: ``check_verdicts.wrong_fails(...)``."""
    return SimpleNamespace(wrong_fails=wrong_function_fails)


@pytest.fixture
def fake_data() -> SimpleNamespace:
    """The writers above: ``fake_data.mnist(root)``, ``fake_data.cifar10(root)``."""
    return SimpleNamespace(mnist=write_mnist, cifar10=write_cifar10, idx=write_idx)

"""torchvision loaders, tested on small files in the real formats, written here."""

import pickle
import struct

import numpy as np
import pytest
import torch

from coursework.data import DatasetError, DatasetUnavailable, load_images, load_real


def _write_idx(path, array: np.ndarray) -> None:
    # IDX format (LeCun et al.): magic 0x0000 0x08 ndim, big-endian sizes, uint8 data
    with open(path, "wb") as fh:
        fh.write(struct.pack(">HBB", 0, 0x08, array.ndim))
        fh.write(struct.pack(f">{array.ndim}I", *array.shape))
        fh.write(array.astype(np.uint8).tobytes())


def _fake_mnist(root, cls: str, n: int = 12) -> tuple[np.ndarray, np.ndarray]:
    raw = root / cls / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=n, dtype=np.uint8)
    for prefix in ("train", "t10k"):
        _write_idx(raw / f"{prefix}-images-idx3-ubyte", images)
        _write_idx(raw / f"{prefix}-labels-idx1-ubyte", labels)
    return images, labels


@pytest.mark.parametrize(
    "name, cls", [("mnist", "MNIST"), ("fashion_mnist", "FashionMNIST")]
)
def test_mnist_family_from_idx_files(tmp_path, name, cls):
    images, labels = _fake_mnist(tmp_path, cls)
    x, y = load_real(name, "train", root=tmp_path, download=False)
    assert x.shape == (12, 1, 28, 28) and x.dtype == torch.float32
    assert torch.allclose(x[:, 0] * 255, torch.tensor(images, dtype=torch.float32))
    assert torch.equal(y, torch.tensor(labels, dtype=torch.long))
    x, y = load_real(name, "test", root=tmp_path, download=False, image_size=16, n=5)
    assert x.shape == (5, 1, 16, 16) and y.shape == (5,)


def test_cifar10_from_pickled_batches(tmp_path, monkeypatch):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    rng = np.random.default_rng(1)
    batches = {}
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    for name in names:
        data = rng.integers(0, 256, size=(2, 3 * 32 * 32), dtype=np.uint8)
        labels = rng.integers(0, 10, size=2).tolist()
        batches[name] = (data, labels)
        with open(folder / name, "wb") as fh:
            pickle.dump({"data": data, "labels": labels}, fh)
    with open(folder / "batches.meta", "wb") as fh:
        pickle.dump({"label_names": [f"c{i}" for i in range(10)]}, fh)
    # the files are in the real format; only their checksums are not the real ones
    import torchvision.datasets.cifar as cifar

    monkeypatch.setattr(cifar, "check_integrity", lambda path, md5=None: True)
    x, y = load_real("cifar10", "test", root=tmp_path, download=False)
    data, labels = batches["test_batch"]
    assert x.shape == (2, 3, 32, 32)
    assert torch.allclose(
        x * 255, torch.tensor(data.reshape(2, 3, 32, 32), dtype=torch.float32)
    )
    assert y.tolist() == labels
    x, _ = load_real("CIFAR-10", "train", root=tmp_path, download=False)
    assert x.shape == (10, 3, 32, 32)


def test_missing_files_name_the_embedded_alternative(tmp_path):
    with pytest.raises(DatasetUnavailable, match="embedded digits") as err:
        load_real("mnist", root=tmp_path, download=False)
    assert "COURSEWORK_PROFILE=cpu" in str(err.value)


def test_unknown_names_list_the_valid_ones(tmp_path):
    with pytest.raises(DatasetError, match="mnist, fashion_mnist, cifar10"):
        load_real("imagenet", root=tmp_path)
    with pytest.raises(ValueError, match="'val'"):
        load_real("mnist", "val", root=tmp_path)


def test_load_images_binarises_real_data(tmp_path, monkeypatch):
    _fake_mnist(tmp_path, "MNIST")
    monkeypatch.setenv("COURSEWORK_DATA", str(tmp_path))
    x, _ = load_images("mnist", "train", binarize=True, n=4)
    assert x.shape == (4, 1, 28, 28) and set(x.unique().tolist()) <= {0.0, 1.0}

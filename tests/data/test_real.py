"""torchvision loaders, tested on small files in the real formats, written here."""

import pytest
import torch

from coursework.data import DatasetError, DatasetUnavailable, load_images, load_real


@pytest.mark.parametrize(
    "name, cls", [("mnist", "MNIST"), ("fashion_mnist", "FashionMNIST")]
)
def test_mnist_family_from_idx_files(tmp_path, name, cls, fake_data):
    images, labels = fake_data.mnist(tmp_path, cls)
    x, y = load_real(name, "train", root=tmp_path, download=False)
    assert x.shape == (12, 1, 28, 28) and x.dtype == torch.float32
    assert torch.allclose(x[:, 0] * 255, torch.tensor(images, dtype=torch.float32))
    assert torch.equal(y, torch.tensor(labels, dtype=torch.long))
    x, y = load_real(name, "test", root=tmp_path, download=False, image_size=16, n=5)
    assert x.shape == (5, 1, 16, 16) and y.shape == (5,)


def test_cifar10_from_pickled_batches(tmp_path, monkeypatch, fake_data):
    batches = fake_data.cifar10(tmp_path)
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


def test_load_images_binarises_real_data(tmp_path, monkeypatch, fake_data):
    fake_data.mnist(tmp_path, "MNIST")
    monkeypatch.setenv("COURSEWORK_DATA", str(tmp_path))
    x, _ = load_images("mnist", "train", binarize=True, n=4)
    assert x.shape == (4, 1, 28, 28) and set(x.unique().tolist()) <= {0.0, 1.0}

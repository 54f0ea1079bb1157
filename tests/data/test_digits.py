import pytest
import torch

from coursework.data import DatasetError, load_digits, load_images
from coursework.runtime import PROFILES


def test_split_sizes_and_disjointness():
    xtr, ytr = load_digits("train", image_size=8)
    xte, yte = load_digits("test", image_size=8)
    xall, _ = load_digits("all", image_size=8)
    assert xtr.shape == (1400, 1, 8, 8) and xte.shape == (397, 1, 8, 8)
    assert torch.equal(torch.cat([xtr, xte]), xall)
    assert set(ytr.tolist()) == set(range(10)) == set(yte.tolist())


def test_values_in_unit_range_and_resized():
    x, y = load_digits("train", image_size=28, n=50)
    assert x.shape == (50, 1, 28, 28) and y.dtype == torch.long
    assert 0.0 <= float(x.min()) and float(x.max()) <= 1.0


def test_binarised_variant_is_zero_one_threshold():
    x, _ = load_digits("test", image_size=16, n=20)
    xb, _ = load_digits("test", image_size=16, n=20, binarize=True)
    assert set(xb.unique().tolist()) <= {0.0, 1.0}
    assert torch.equal(xb, (x > 0.5).float())


def test_resizing_keeps_the_digit():
    # the upsampled image, pooled back to 8x8, stays close to the original
    small, _ = load_digits("train", image_size=8, n=30)
    big, _ = load_digits("train", image_size=32, n=30)
    pooled = torch.nn.functional.avg_pool2d(big, 4)
    assert (pooled - small).abs().mean() < 0.1


def test_bad_split_and_name():
    with pytest.raises(ValueError, match="Unknown split 'val'"):
        load_digits("val")
    with pytest.raises(DatasetError, match="embedded .no download.: digits"):
        load_images("mnits")
    with pytest.raises(DatasetError, match="make_shapes"):
        load_images("shapes")


def test_load_images_reads_the_profile():
    prof = PROFILES["ci"]
    x, y = load_images(prof, "train")
    assert x.shape == (prof.n_train, 1, prof.image_size, prof.image_size)
    x, y = load_images(prof, "test", binarize=True)
    assert x.shape[0] == prof.n_test and set(x.unique().tolist()) <= {0.0, 1.0}

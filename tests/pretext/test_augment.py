"""Batched augmentations: shapes, ranges, identities, one draw per image."""

from __future__ import annotations

import torch

from coursework.pretext.augment import augment, color_jitter, grey, random_resized_crop
from coursework.pretext.inpainting import (
    centre_mask,
    inpainting_batch,
    masked_squared_error,
)


def test_full_crop_without_flip_is_the_identity() -> None:
    x = torch.rand(3, 3, 8, 8)
    assert torch.allclose(random_resized_crop(x, (1.0, 1.0), flip=False), x, atol=1e-5)


def test_zero_strength_jitter_is_the_identity_and_grey_is_grey() -> None:
    x = torch.rand(4, 3, 5, 5)
    assert torch.allclose(color_jitter(x, strength=0.0, p_grey=0.0), x, atol=1e-5)
    g = grey(x)
    assert torch.allclose(g[:, 0], g[:, 1]) and torch.allclose(g[:, 1], g[:, 2])
    out = color_jitter(x, strength=1.0, p=1.0, p_grey=1.0)
    assert torch.allclose(out[:, 0], out[:, 2])


def test_augment_draws_per_image_and_stays_in_range() -> None:
    torch.manual_seed(0)
    x = torch.rand(1, 3, 12, 12).expand(16, -1, -1, -1).contiguous()
    out = augment(x)
    assert out.shape == x.shape and out.min() >= 0 and out.max() <= 1
    # the same image, transformed differently in each row
    diffs = (out[1:] - out[:1]).abs().flatten(1).amax(1)
    assert (diffs > 1e-3).all()


def test_augment_colour_strength_reaches_the_jitter() -> None:
    # a full-image crop is the image or its mirror; without colour distortion
    # the colours of each pixel survive
    torch.manual_seed(0)
    x = torch.rand(8, 3, 6, 6)
    out = augment(x, scale=(1.0, 1.0), strength=0.0, p_grey=0.0)
    same = (out - x).abs().flatten(1).amax(1) < 1e-5
    mirrored = (out - x.flip(-1)).abs().flatten(1).amax(1) < 1e-5
    assert (same | mirrored).all()
    torch.manual_seed(0)
    jittered = augment(x, scale=(1.0, 1.0), strength=1.0, p_grey=0.0)
    assert not torch.allclose(jittered, out, atol=1e-3)


def test_inpainting_mask_and_error() -> None:
    m = centre_mask(8, 0.5)
    assert m.sum() == 16 and m[0, 0, 2:6, 2:6].all()
    x = torch.rand(2, 3, 8, 8)
    context, mask = inpainting_batch(x)
    assert torch.equal(context * (1 - mask), x * (1 - mask))
    assert (context[..., 2:6, 2:6] == 0.5).all()
    x_hat = x.clone()
    x_hat[..., 0, 0] += 5  # outside the hole: no error
    assert masked_squared_error(x_hat, x, mask) == 0
    x_hat = x + 0.1
    assert torch.isclose(masked_squared_error(x_hat, x, mask), torch.tensor(0.01))

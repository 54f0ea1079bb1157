"""Rotation: four quarter turns compose to the identity; labels match the turns."""

from __future__ import annotations

import pytest
import torch

from coursework.pretext.rotation import rotate_batch


def _rot90_loop(img: torch.Tensor, k: int) -> torch.Tensor:
    """Anticlockwise quarter turns by the index formula out[i, j] = in[j, n-1-i]."""
    out = img.clone()
    for _ in range(k):
        n = out.shape[-1]
        new = torch.empty_like(out)
        for i in range(n):
            for j in range(n):
                new[..., i, j] = out[..., j, n - 1 - i]
        out = new
    return out


def test_each_block_is_the_rotation_its_label_names() -> None:
    x = torch.rand(3, 2, 5, 5, generator=torch.Generator().manual_seed(0))
    x_rot, labels = rotate_batch(x)
    assert x_rot.shape == (12, 2, 5, 5) and labels.dtype == torch.long
    for i in range(12):
        k, b = int(labels[i]), i % 3
        assert k == i // 3
        assert torch.equal(x_rot[i], _rot90_loop(x[b], k))


def test_four_quarter_turns_are_the_identity() -> None:
    x = torch.rand(2, 3, 4, 4, generator=torch.Generator().manual_seed(1))
    y = x
    for _ in range(4):
        y = rotate_batch(y)[0][2:4]  # the 90 degree block
    assert torch.equal(y, x)
    # rotation k followed by rotation 4 - k is the identity
    x_rot, labels = rotate_batch(x)
    for k in range(4):
        block = x_rot[labels == k]
        back = rotate_batch(block)[0][((4 - k) % 4) * 2 : ((4 - k) % 4) * 2 + 2]
        assert torch.equal(back, x)


def test_non_square_images_are_refused() -> None:
    with pytest.raises(ValueError, match="square"):
        rotate_batch(torch.zeros(1, 3, 4, 5))

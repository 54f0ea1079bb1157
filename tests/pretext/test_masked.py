"""Masked autoencoder: patches, masking and the masked loss against slow loops."""

from __future__ import annotations

import pytest
import torch

from coursework.pretext.masked import (
    MaskedAutoencoder,
    ViTEncoder,
    masked_patch_loss,
    patchify,
    random_masking,
    unpatchify,
)
from coursework.pretext.transfer import finetune, frozen_features


def _patchify_loop(x: torch.Tensor, p: int) -> torch.Tensor:
    b, c, h, w = x.shape
    rows = []
    for i in range(h // p):
        for j in range(w // p):
            rows.append(
                x[:, :, i * p : (i + 1) * p, j * p : (j + 1) * p].reshape(b, -1)
            )
    return torch.stack(rows, 1)


def _masking_loop(noise: torch.Tensor, n_keep: int):
    b, n = noise.shape
    keep = torch.zeros(b, n_keep, dtype=torch.long)
    restore = torch.zeros(b, n, dtype=torch.long)
    mask = torch.ones(b, n)
    for i in range(b):
        order = sorted(range(n), key=lambda k: float(noise[i, k]))
        for rank, k in enumerate(order):
            restore[i, k] = rank
            if rank < n_keep:
                keep[i, rank] = k
                mask[i, k] = 0
    return keep, restore, mask


def _masked_loss_loop(pred, target, mask):
    total, count = 0.0, 0.0
    for i in range(pred.shape[0]):
        for k in range(pred.shape[1]):
            if mask[i, k]:
                total = total + ((pred[i, k] - target[i, k]) ** 2).mean()
                count += 1
    return total / count


def test_patchify_matches_a_loop_and_round_trips() -> None:
    x = torch.rand(2, 3, 8, 8)
    assert torch.equal(patchify(x, 4), _patchify_loop(x, 4))
    assert torch.equal(unpatchify(patchify(x, 2), 2), x)
    with pytest.raises(ValueError, match="multiple"):
        patchify(torch.rand(1, 3, 6, 6), 4)


@pytest.mark.parametrize("b,n,n_keep", [(3, 9, 2), (2, 16, 4), (1, 5, 5), (2, 4, 0)])
def test_random_masking_matches_a_loop(b, n, n_keep) -> None:
    noise = torch.rand(b, n, generator=torch.Generator().manual_seed(n))
    keep, restore, mask = random_masking(noise, n_keep)
    ref = _masking_loop(noise, n_keep)
    assert torch.equal(keep, ref[0]) and torch.equal(restore, ref[1])
    assert torch.equal(mask, ref[2])
    assert mask.sum() == b * (n - n_keep)
    # restore undoes the sort: shuffled patches gathered by restore are in order
    seq = torch.arange(n).expand(b, n)
    shuffled = seq.gather(1, noise.argsort(1))
    assert torch.equal(shuffled.gather(1, restore), seq)
    with pytest.raises(ValueError, match="n_keep"):
        random_masking(noise, n + 1)


def test_masked_loss_matches_a_loop_in_value_and_gradient() -> None:
    g = torch.Generator().manual_seed(0)
    pred = torch.rand(3, 6, 5, generator=g, dtype=torch.float64, requires_grad=True)
    target = torch.rand(3, 6, 5, generator=g, dtype=torch.float64)
    mask = (torch.rand(3, 6, generator=g) < 0.5).double()
    mask[0, 0] = 1
    loss = masked_patch_loss(pred, target, mask)
    ref = _masked_loss_loop(pred, target, mask)
    assert torch.allclose(loss, ref)
    (grad,) = torch.autograd.grad(loss, pred)
    (grad_ref,) = torch.autograd.grad(ref, pred)
    assert torch.allclose(grad, grad_ref)
    assert (grad[mask == 0] == 0).all()  # visible patches get no gradient


def test_hidden_patches_do_not_reach_the_prediction() -> None:
    torch.manual_seed(0)
    mae = MaskedAutoencoder(ViTEncoder(8, patch=4, dim=16, depth=1), 0.75, 8).eval()
    x = torch.rand(2, 3, 8, 8)
    noise = torch.rand(2, 4)
    pred, target, mask = mae(x, noise)
    assert pred.shape == target.shape == (2, 4, 48) and mask.shape == (2, 4)
    assert mask.sum(1).tolist() == [3, 3]
    hidden = unpatchify(mask[..., None].expand(-1, -1, 48), 4)  # 1 on hidden pixels
    changed = x + hidden * torch.rand_like(x)
    pred2, _, _ = mae(changed, noise)
    assert torch.allclose(pred, pred2, atol=1e-6)
    pred3, _, _ = mae(x + (1 - hidden) * torch.rand_like(x), noise)
    assert not torch.allclose(pred, pred3)


def test_the_vit_is_a_drop_in_backbone() -> None:
    torch.manual_seed(0)
    enc = ViTEncoder(8, patch=4, dim=16, depth=1)
    x, y = torch.rand(10, 3, 8, 8), torch.arange(10) % 2
    f = frozen_features(enc, x)
    assert f.shape == (10, 16)
    assert 0 <= finetune(enc, x, y, x, y, 2, epochs=1, batch_size=5) <= 1
    with pytest.raises(ValueError, match="pooled"):
        enc(x, pool=2)

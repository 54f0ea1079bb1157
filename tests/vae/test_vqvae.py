"""The vector quantiser and the VQ-VAE."""

from __future__ import annotations

import pytest
import torch

from coursework.vae.vqvae import VQVAE, VectorQuantizer, vector_quantize


def _nearest_loop(z: torch.Tensor, codebook: torch.Tensor) -> torch.Tensor:
    out = []
    for row in z:
        dists = [float(((row - e) ** 2).sum()) for e in codebook]
        out.append(min(range(len(dists)), key=dists.__getitem__))
    return torch.tensor(out)


def test_vector_quantize_picks_the_nearest_code() -> None:
    g = torch.Generator().manual_seed(0)
    z = torch.randn(50, 4, generator=g, dtype=torch.float64)
    codebook = torch.randn(7, 4, generator=g, dtype=torch.float64)
    z_q, idx = vector_quantize(z, codebook)
    assert torch.equal(idx, _nearest_loop(z, codebook))
    torch.testing.assert_close(z_q, codebook[idx])


def test_vector_quantize_passes_gradients_straight_through() -> None:
    g = torch.Generator().manual_seed(1)
    z = torch.randn(6, 3, generator=g, dtype=torch.float64, requires_grad=True)
    codebook = torch.randn(4, 3, generator=g, dtype=torch.float64, requires_grad=True)
    z_q, _ = vector_quantize(z, codebook)
    w = torch.randn(6, 3, generator=g, dtype=torch.float64)
    g_z, g_c = torch.autograd.grad((z_q * w).sum(), [z, codebook], allow_unused=True)
    torch.testing.assert_close(g_z, w)  # identity Jacobian
    assert g_c is None or torch.all(g_c == 0)


def test_vector_quantize_rejects_mismatched_sizes() -> None:
    with pytest.raises(ValueError, match="codebook"):
        vector_quantize(torch.zeros(3, 2), torch.zeros(4, 3))


def test_quantizer_on_feature_maps_matches_the_flat_function() -> None:
    torch.manual_seed(0)
    vq = VectorQuantizer(num_codes=5, dim=3)
    z_e = torch.randn(2, 3, 4, 4, generator=torch.Generator().manual_seed(2))
    z_q_st, z_q, idx = vq(z_e)
    flat = z_e.permute(0, 2, 3, 1).reshape(-1, 3)
    assert torch.equal(idx.flatten(), _nearest_loop(flat, vq.codebook.weight.detach()))
    torch.testing.assert_close(z_q_st, z_q)
    assert z_q.shape == z_e.shape and idx.shape == (2, 4, 4)


@pytest.mark.parametrize("channels,side", [(1, 16), (3, 28), (1, 8)])
def test_vqvae_shapes_finite_and_codebook_gets_gradient(
    channels: int, side: int
) -> None:
    torch.manual_seed(0)
    model = VQVAE(channels, width=8, code_dim=4, num_codes=16)
    x = torch.rand(3, channels, side, side, generator=torch.Generator().manual_seed(0))
    logits, z_e, z_q, idx = model(x)
    assert logits.shape == x.shape
    assert z_e.shape == z_q.shape == (3, 4, side // 4, side // 4)
    assert idx.shape == (3, side // 4, side // 4)
    assert torch.isfinite(logits).all()
    # the reconstruction reaches the encoder only through the straight-through copy
    (g_enc,) = torch.autograd.grad(
        logits.sum(), [model.encoder[-1].weight], retain_graph=True
    )
    assert g_enc.abs().sum() > 0
    (g_code,) = torch.autograd.grad(
        (z_q - z_e.detach()).pow(2).sum(), [model.quantizer.codebook.weight]
    )
    assert g_code.abs().sum() > 0


def test_vqvae_rejects_odd_sizes() -> None:
    with pytest.raises(ValueError, match="divisible by 4"):
        VQVAE(1, 8, 4, 16).encode(torch.zeros(1, 1, 10, 10))


def test_init_from_places_every_code_on_an_encoder_output() -> None:
    torch.manual_seed(0)
    vq = VectorQuantizer(num_codes=6, dim=3)
    z_e = torch.randn(2, 3, 2, 2, generator=torch.Generator().manual_seed(4))
    vq.init_from(z_e, generator=torch.Generator().manual_seed(0))
    flat = z_e.permute(0, 2, 3, 1).reshape(-1, 3)
    dists = torch.cdist(vq.codebook.weight.detach(), flat)  # (K, B*H*W)
    assert torch.allclose(dists.min(1).values, torch.zeros(6), atol=1e-6)
    assert len({tuple(c.tolist()) for c in vq.codebook.weight.detach()}) == 6
    with pytest.raises(ValueError, match="at least 6"):
        vq.init_from(z_e[:1, :, :1, :1])

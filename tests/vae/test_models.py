"""Every model variant: shapes, finite outputs, and its defining property."""

from __future__ import annotations

import pytest
import torch

from coursework.vae.autoencoders import Autoencoder
from coursework.vae.models import VAE, reparameterize

IMAGE_SHAPES = [(1, 8, 8), (3, 12, 12)]
AE_VARIANTS = {
    "linear": {"code_dim": 4, "hidden": (), "code_activation": "none"},
    "undercomplete": {"code_dim": 4, "hidden": (32,), "code_activation": "none"},
    "overcomplete_sparse": {"code_dim": 400, "hidden": (), "code_activation": "relu"},
    "sigmoid_code": {"code_dim": 6, "hidden": (16, 16), "code_activation": "sigmoid"},
}


@pytest.mark.parametrize("shape", IMAGE_SHAPES)
@pytest.mark.parametrize("variant", sorted(AE_VARIANTS))
def test_autoencoder_shapes_and_finite(variant: str, shape: tuple[int, ...]) -> None:
    torch.manual_seed(0)
    model = Autoencoder(shape, **AE_VARIANTS[variant])
    x = torch.rand(5, *shape, generator=torch.Generator().manual_seed(0))
    x_hat, h = model(x)
    assert x_hat.shape == x.shape
    assert h.shape == (5, AE_VARIANTS[variant]["code_dim"])
    assert torch.isfinite(x_hat).all() and torch.isfinite(h).all()
    if variant == "overcomplete_sparse":
        assert (h >= 0).all()


def test_linear_autoencoder_is_affine() -> None:
    torch.manual_seed(0)
    model = Autoencoder((1, 4, 4), **AE_VARIANTS["linear"])
    g = torch.Generator().manual_seed(1)
    a, b = torch.rand(2, 1, 4, 4, generator=g)
    mid = model(((a + b) / 2)[None])[0]
    ends = (model(a[None])[0] + model(b[None])[0]) / 2
    torch.testing.assert_close(mid, ends)


def test_unknown_code_activation_is_named() -> None:
    with pytest.raises(ValueError, match="tanh"):
        Autoencoder((1, 4, 4), 3, code_activation="tanh")


@pytest.mark.parametrize("shape", IMAGE_SHAPES)
@pytest.mark.parametrize("latent_dim,hidden", [(1, [8]), (2, [16, 16]), (8, [32])])
def test_vae_shapes_and_finite(
    shape: tuple[int, ...], latent_dim: int, hidden: list
) -> None:
    torch.manual_seed(0)
    model = VAE(shape, latent_dim, hidden)
    x = torch.rand(4, *shape, generator=torch.Generator().manual_seed(0))
    logits, mu, logvar, z = model(x)
    assert logits.shape == x.shape
    assert mu.shape == logvar.shape == z.shape == (4, latent_dim)
    assert all(torch.isfinite(t).all() for t in (logits, mu, logvar, z))
    samples = model.sample(3, generator=torch.Generator().manual_seed(0))
    assert samples.shape == (3, *shape) and samples.min() >= 0 and samples.max() <= 1
    # decode accepts extra leading dims, e.g. (B, K, D) samples
    assert model.decode(torch.zeros(2, 5, latent_dim)).shape == (2, 5, *shape)


def test_vae_decoder_output_depends_only_on_z() -> None:
    torch.manual_seed(0)
    model = VAE((1, 6, 6), 3, [16])
    x = torch.rand(2, 1, 6, 6, requires_grad=True)
    mu, logvar = model.encode(x)
    z = reparameterize(mu, logvar, torch.zeros_like(mu)).detach().requires_grad_()
    logits = model.decode(z)
    (g,) = torch.autograd.grad(logits.sum(), [z], retain_graph=True)
    assert torch.isfinite(g).all() and g.abs().sum() > 0
    # example 0's logits do not depend on example 1's code
    (g,) = torch.autograd.grad(logits[0].sum(), [z])
    assert torch.all(g[1] == 0)


def test_reparameterize_carries_gradients_to_mu_and_logvar() -> None:
    mu = torch.tensor([[0.5, -1.0]], dtype=torch.float64, requires_grad=True)
    logvar = torch.tensor([[0.0, 2.0]], dtype=torch.float64, requires_grad=True)
    eps = torch.tensor([[1.0, -0.5]], dtype=torch.float64)
    z = reparameterize(mu, logvar, eps)
    torch.testing.assert_close(
        z, torch.tensor([[1.5, -1.0 - 0.5 * torch.e]], dtype=torch.float64)
    )
    g_mu, g_lv = torch.autograd.grad(z.sum(), [mu, logvar])
    torch.testing.assert_close(g_mu, torch.ones_like(mu))
    # dz/dlogvar = eps * sigma / 2
    torch.testing.assert_close(g_lv, eps * torch.exp(0.5 * logvar.detach()) / 2)


def test_vae_rejects_empty_latent() -> None:
    with pytest.raises(ValueError, match="latent_dim"):
        VAE((1, 4, 4), 0, [8])


@pytest.mark.parametrize("hidden", [(), (16,)])
def test_gaussian_encoder_shapes_and_the_linear_variant_is_affine(hidden) -> None:
    from coursework.vae.models import GaussianEncoder

    torch.manual_seed(0)
    encoder = GaussianEncoder(16, list(hidden), 3).double()
    g = torch.Generator().manual_seed(1)
    a, b = torch.rand(2, 1, 1, 4, 4, generator=g, dtype=torch.float64)
    mu, logvar = encoder(torch.cat([a, b]))
    assert mu.shape == logvar.shape == (2, 3)
    mid = torch.cat(encoder((a + b) / 2))
    ends = (torch.cat(encoder(a)) + torch.cat(encoder(b))) / 2
    assert torch.allclose(mid, ends) == (not hidden)

"""Stacked 2-D models, DCGAN nets and the training loop: shapes and properties."""

from __future__ import annotations

import pytest
import torch

from coursework.data.mixtures import grid, ring
from coursework.gan.batched import BatchedLinear, Discriminator2D, Generator2D
from coursework.gan.models import DCGANDiscriminator, DCGANGenerator, pack
from coursework.gan.training import (
    forever,
    least_squares,
    standard,
    train_gan,
    wasserstein_gp,
)


def test_batched_linear_equals_separate_layers() -> None:
    torch.manual_seed(0)
    layer = BatchedLinear(3, 4, 5).double()
    x = torch.randn(3, 7, 4, dtype=torch.float64)
    out = layer(x)
    for m in range(3):
        ref = x[m] @ layer.weight[m].T + layer.bias[m]
        torch.testing.assert_close(out[m], ref)


def test_copies_are_independent() -> None:
    """The loss of copy 0 has no gradient on the parameters of copy 1."""
    torch.manual_seed(0)
    d = Discriminator2D(2, hidden=8, depth=2).double()
    x = torch.randn(2 * 6, 2, dtype=torch.float64)
    out = d(x)  # (12,), rows of copy 0 first
    grads = torch.autograd.grad(out[:6].sum(), list(d.parameters()))
    for gr in grads:
        assert gr[1].abs().sum() == 0 and gr[0].abs().sum() > 0


@pytest.mark.parametrize("packing", [1, 2])
def test_2d_shapes_and_packing(packing: int) -> None:
    g = Generator2D(3, latent_dim=2, hidden=8)
    d = Discriminator2D(3, hidden=8, packing=packing)
    z = g.noise_like(torch.zeros(3 * 4, 2))
    x = g(z)
    assert x.shape == (12, 2)
    assert d(x).shape == (12 // packing,)
    assert g.sample(5).shape == (3, 5, 2)
    with pytest.raises(ValueError, match="copies"):
        g(torch.zeros(7, 2))


def test_pack_concatenates_consecutive_images() -> None:
    x = torch.arange(4 * 1 * 2 * 2, dtype=torch.float32).view(4, 1, 2, 2)
    p = pack(x, 2)
    assert p.shape == (2, 2, 2, 2)
    torch.testing.assert_close(p[1, 0], x[2, 0])
    torch.testing.assert_close(p[1, 1], x[3, 0])
    with pytest.raises(ValueError, match="divisible"):
        pack(x[:3], 2)


@pytest.mark.parametrize("size", [16, 28])
@pytest.mark.parametrize(
    "flags",
    [
        {},
        {"norm": "none"},
        {"spectral": True},
        {"packing": 2},
        {"num_classes": 10},
    ],
)
def test_dcgan_shapes(size: int, flags: dict) -> None:
    torch.manual_seed(0)
    classes = flags.get("num_classes", 0)
    g = DCGANGenerator(8, size, width=8, num_classes=classes)
    d = DCGANDiscriminator(size, width=8, **flags)
    y = torch.arange(4) % 10 if classes else None
    x = g(torch.randn(4, 8), y) if classes else g(torch.randn(4, 8))
    low, high = float(x.detach().min()), float(x.detach().max())
    assert x.shape == (4, 1, size, size) and 0 <= low <= high <= 1
    out = d(x, y) if classes else d(x)
    assert out.shape == (4 // flags.get("packing", 1),) and torch.isfinite(out).all()


def test_projection_discriminator_depends_on_the_label() -> None:
    torch.manual_seed(0)
    d = DCGANDiscriminator(16, width=8, num_classes=10)
    torch.nn.init.normal_(d.embed.weight)
    x = torch.rand(2, 1, 16, 16)
    assert not torch.allclose(d(x, torch.tensor([0, 0])), d(x, torch.tensor([1, 1])))
    with pytest.raises(ValueError, match="labels"):
        d(x)


def test_bad_sizes_are_explained() -> None:
    with pytest.raises(ValueError, match="multiple of 4"):
        DCGANGenerator(8, 18)


@pytest.mark.parametrize("objective", [standard(), least_squares(), wasserstein_gp()])
def test_training_loop_runs_and_logs_every_step(objective) -> None:
    torch.manual_seed(0)
    mix = ring()
    g, d = Generator2D(2, hidden=16), Discriminator2D(2, hidden=16)

    def batches():
        while True:
            yield (mix.sample(2 * 32),)

    hist = train_gan(
        g,
        d,
        batches(),
        objective,
        torch.optim.Adam(g.parameters(), 1e-3),
        torch.optim.Adam(d.parameters(), 1e-3),
        steps=6,
        k=2,
        snapshot=lambda s: s,
        snapshot_every=3,
        progress=False,
    )
    assert len(hist.d_loss) == len(hist.g_loss) == 6
    assert sorted(hist.snapshots) == [0, 3, 6]
    assert all(torch.isfinite(torch.tensor(hist.d_loss)))


def test_stacked_training_matches_single_runs() -> None:
    """Copy m of a stacked run follows a single run from the same initial weights."""
    torch.manual_seed(0)
    g2, d2 = Generator2D(2, hidden=8).double(), Discriminator2D(2, hidden=8).double()
    singles = []
    for m in range(2):
        g1, d1 = (
            Generator2D(1, hidden=8).double(),
            Discriminator2D(1, hidden=8).double(),
        )
        for one, two in zip(
            list(g1.parameters()) + list(d1.parameters()),
            list(g2.parameters()) + list(d2.parameters()),
        ):
            one.data.copy_(two.data[m : m + 1])
        singles.append((g1, d1))
    real = torch.randn(2 * 16, 2, dtype=torch.float64)
    z = torch.randn(2 * 16, 2, dtype=torch.float64)

    class Fixed:
        def __init__(self, g):
            self.g = g

    def run(g, d, rows_real, rows_z):
        g.noise_like = lambda r: rows_z  # fixed noise for the comparison
        opt_g = torch.optim.SGD(g.parameters(), lr=0.1)
        opt_d = torch.optim.SGD(d.parameters(), lr=0.1)
        train_gan(
            g,
            d,
            iter(lambda: (rows_real,), None),
            standard(),
            opt_g,
            opt_d,
            3,
            progress=False,
        )

    run(g2, d2, real, z)
    for m, (g1, d1) in enumerate(singles):
        run(g1, d1, real[16 * m : 16 * (m + 1)], z[16 * m : 16 * (m + 1)])
        for one, two in zip(g1.parameters(), g2.parameters()):
            torch.testing.assert_close(one.data[0], two.data[m])


def test_forever_cycles_and_rejects_empty() -> None:
    it = forever([(torch.zeros(1),), (torch.ones(1),)])
    assert [float(next(it)[0]) for _ in range(5)] == [0, 1, 0, 1, 0]
    with pytest.raises(ValueError, match="no batch"):
        next(forever([]))


def test_mixtures() -> None:
    assert ring().centers.shape == (8, 2) and grid().centers.shape == (25, 2)
    torch.testing.assert_close(ring().centers.norm(dim=1), torch.full((8,), 2.0))
    assert ring().sample(3, 4).shape == (3, 4, 2)
    with pytest.raises(ValueError):
        ring().sample(0)

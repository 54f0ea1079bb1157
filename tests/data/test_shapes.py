import torch

from coursework.data.shapes import COLOURS, SHAPES, make_shapes, render, sample_factors


def test_shapes_and_ranges():
    x, f = make_shapes(32, image_size=24, colour=True, seed=1)
    assert x.shape == (32, 3, 24, 24)
    assert 0 <= float(x.min()) and float(x.max()) <= 1
    assert set(f) == {"shape", "scale", "rotation", "x", "y", "colour"}
    assert f["shape"].max() < len(SHAPES) and f["colour"].max() < len(COLOURS)


def test_same_seed_same_images_other_seed_differs():
    a, _ = make_shapes(8, seed=3)
    b, _ = make_shapes(8, seed=3)
    c, _ = make_shapes(8, seed=4)
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_centre_of_mass_follows_position_factor():
    x, f = make_shapes(64, image_size=32, seed=0)
    s = 32
    coords = (torch.arange(s) + 0.5) / s
    mass = x[:, 0].sum((1, 2))
    cx = (x[:, 0] * coords[None, None, :]).sum((1, 2)) / mass
    cy = (x[:, 0] * coords[None, :, None]).sum((1, 2)) / mass
    # squares and ellipses are symmetric about their centre
    sym = f["shape"] != 2
    assert (cx[sym] - f["x"][sym]).abs().max() < 0.03
    assert (cy[sym] - f["y"][sym]).abs().max() < 0.03


def test_area_grows_with_scale_and_rotation_turns_the_ellipse():
    f = sample_factors(2)
    f = {k: v[:1].repeat(2) for k, v in f.items()}
    f["shape"] = torch.tensor([0, 0])
    f["scale"] = torch.tensor([0.5, 1.0])
    small, big = render(f, 32)[:, 0].sum((1, 2))
    assert 3.0 < float(big / small) < 5.0  # area goes with scale squared
    f["shape"] = torch.tensor([1, 1])
    f["scale"] = torch.tensor([1.0, 1.0])
    f["rotation"] = torch.tensor([0.0, torch.pi / 2])
    f["x"] = f["y"] = torch.tensor([0.5, 0.5])
    flat, tall = render(f, 32)[:, 0]
    assert torch.allclose(flat, tall.T, atol=0.05)


def test_colour_factor_tints_the_shape():
    x, f = make_shapes(16, image_size=16, colour=True, seed=2)
    for img, c in zip(x, f["colour"]):
        peak = img.flatten(1).max(1).values
        assert torch.allclose(peak, COLOURS[c], atol=1e-5)

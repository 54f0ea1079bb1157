"""Receptive fields by gradients: the blind spot, counted exactly."""

from __future__ import annotations

import pytest
import torch

from coursework.autoregressive.models import GatedPixelCNN, PixelCNN
from coursework.autoregressive.receptive_field import (
    architecture_field,
    blind_spot,
    receptive_field,
)

SIDE = 15
PIXEL = (10, 6)  # room above, to the left and to the right


def _field(model) -> torch.Tensor:
    model = model.double()
    x_dtype = torch.float64

    def forward(x):
        return model(x.to(x_dtype))

    return receptive_field(forward, (1, SIDE, SIDE), PIXEL, n=8)[0]


@pytest.mark.parametrize("layers", [2, 3, 4])
def test_plain_3x3_stack_misses_a_wedge_of_l_l_minus_1_over_2_pixels(layers: int):
    torch.manual_seed(0)
    field = _field(PixelCNN(1, 2, 16, layers, first_kernel=3))
    spot = blind_spot(field, PIXEL)
    assert int(spot.sum()) == layers * (layers - 1) // 2
    # the field reaches `layers` rows up and `layers` columns to each side
    rows, cols = torch.nonzero(field, as_tuple=True)
    assert int(rows.min()) == PIXEL[0] - layers
    assert int(cols.min()) == PIXEL[1] - layers
    assert int(cols.max()) == PIXEL[1] + layers
    # the wedge: row i - d misses columns j + d + 1 .. j + layers
    i, j = PIXEL
    for d in range(1, layers):
        for c in range(j + d + 1, j + layers + 1):
            assert spot[i - d, c]


def test_two_layers_miss_exactly_one_known_pixel():
    torch.manual_seed(1)
    spot = blind_spot(_field(PixelCNN(1, 2, 16, 2, first_kernel=3)), PIXEL)
    assert torch.nonzero(spot).tolist() == [[PIXEL[0] - 1, PIXEL[1] + 2]]


@pytest.mark.parametrize("layers,first", [(2, 3), (4, 3), (3, 5)])
def test_gated_stack_has_no_blind_spot(layers: int, first: int):
    torch.manual_seed(2)
    model = GatedPixelCNN(1, 2, 16, layers, first_kernel=first)
    field = _field(model)
    assert int(blind_spot(field, PIXEL).sum()) == 0
    # and it sees every pixel before PIXEL within its reach
    i, j = PIXEL
    r = model.reach
    assert bool((field[i - r : i, j - r : j + r + 1] != 0).all())
    assert bool((field[i, j - r : j] != 0).all())
    assert bool((field[i, j:] == 0).all()) and bool((field[i + 1 :] == 0).all())


def test_blind_spot_box_rule():
    field = torch.zeros(5, 5)
    field[1, 0:4] = 1
    field[2, 0:1] = 1
    spot = blind_spot(field, (2, 2))
    # box: rows 1..2, columns 0..3; before (2, 2): row 1 all, row 2 columns 0, 1
    assert torch.nonzero(spot).tolist() == [[2, 1]]
    assert not blind_spot(torch.zeros(3, 3), (1, 1)).any()


# --- the receptive field of the architecture, independent of the weights ---


def _support_field(model: PixelCNN, side: int, pixel: tuple[int, int]) -> torch.Tensor:
    """Slow reference for a one-channel PixelCNN: walk the masks back from ``pixel``.

    A layer's output at ``(r, c)`` reads its input at ``(r + dy - anchor,
    c + dx - radius)`` for every kernel position ``(dy, dx)`` that any of its
    masks lets through; positions outside the image are zero padding.
    """
    reached = {pixel}  # the head's 1 x 1 type B layers stay on the pixel
    for layer in reversed(model.layers):
        support = layer.mask.sum(dim=(0, 1)) > 0  # (kh, kw)
        earlier = set()
        for r, c in reached:
            for dy, dx in torch.nonzero(support).tolist():
                q = (r + dy - layer.anchor_row, c + dx - layer.radius)
                if 0 <= q[0] < side and 0 <= q[1] < side:
                    earlier.add(q)
        reached = earlier
    field = torch.zeros(side, side, dtype=torch.bool)
    for q in reached:
        field[q] = True
    return field


@pytest.mark.parametrize(
    "layers,first,pixel",
    [(2, 3, PIXEL), (4, 5, PIXEL), (3, 3, (1, 13)), (5, 3, (0, 4))],
)
def test_architecture_field_matches_the_masks_walked_back(layers, first, pixel):
    torch.manual_seed(3)
    model = PixelCNN(1, 2, 8, layers, first_kernel=first)
    field = architecture_field(model, (1, SIDE, SIDE), pixel)[0]
    assert torch.equal(field, _support_field(model, SIDE, pixel))


def test_architecture_field_ignores_what_training_did_to_the_weights():
    """A model whose units are all dead has no gradient at all, yet the same field."""
    torch.manual_seed(4)
    fresh = PixelCNN(1, 2, 16, 3, first_kernel=3)
    dead = PixelCNN(1, 2, 16, 3, first_kernel=3)
    with torch.no_grad():
        for p in dead.parameters():
            p.copy_(-p.abs())  # negative weights and biases: every ReLU is off
    assert not bool((_field(dead) != 0).any())  # the trained model's gradients
    expected = architecture_field(fresh, (1, SIDE, SIDE), PIXEL)
    assert torch.equal(architecture_field(dead, (1, SIDE, SIDE), PIXEL), expected)
    spot = blind_spot(expected[0].float(), PIXEL)
    assert int(spot.sum()) == 3 * 2 // 2  # the l(l-1)/2 wedge, as above


def test_architecture_field_leaves_the_model_as_it_was():
    model = GatedPixelCNN(1, 2, 8, 2)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    architecture_field(model, (1, 9, 9), (4, 4))
    after = model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert next(model.parameters()).dtype == torch.float32


@pytest.mark.parametrize("layers,kernel", [(2, 3), (12, 3), (6, 5)])
def test_gated_architecture_field_is_everything_before_the_pixel_within_reach(
    layers, kernel
):
    """Deep gated stacks too: no path vanishes in float64 (no underflow)."""
    side = 2 * layers * (kernel // 2) + 3
    pixel = (side - 2, side // 2)
    model = GatedPixelCNN(1, 2, 16, layers, first_kernel=kernel, kernel=kernel)
    field = architecture_field(model, (1, side, side), pixel)[0]
    i, j, r = *pixel, model.reach
    expected = torch.zeros(side, side, dtype=torch.bool)
    expected[max(i - r, 0) : i, max(j - r, 0) : j + r + 1] = True
    expected[i, max(j - r, 0) : j] = True
    assert torch.equal(field, expected)
    assert int(blind_spot(field.float(), pixel).sum()) == 0


def test_colour_groups_read_the_earlier_colours_of_their_own_pixel():
    """R reads none of this pixel's colours, G reads R, B reads R and G."""
    model = PixelCNN(3, 4, 12, 3)
    centre = (4, 4)
    reads = [
        architecture_field(model, (3, 9, 9), centre, c)[:, 4, 4].tolist()
        for c in range(3)
    ]
    assert reads == [[False] * 3, [True, False, False], [True, True, False]]

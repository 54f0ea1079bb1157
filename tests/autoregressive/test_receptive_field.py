"""Receptive fields by gradients: the blind spot, counted exactly."""

from __future__ import annotations

import pytest
import torch

from coursework.autoregressive.models import GatedPixelCNN, PixelCNN
from coursework.autoregressive.receptive_field import blind_spot, receptive_field

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

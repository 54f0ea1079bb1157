"""Causal masks against the rule written out weight by weight."""

from __future__ import annotations

import pytest
import torch

from coursework.autoregressive.masks import causal_mask, horizontal_mask, vertical_mask


def _mask_loop(o_ch, i_ch, k, mask_type, groups):
    """Keep [o, i, y, x] if (y, x) precedes the centre, or at the centre by colour."""
    r = k // 2
    m = torch.zeros(o_ch, i_ch, k, k)
    for o in range(o_ch):
        for i in range(i_ch):
            for y in range(k):
                for x in range(k):
                    if y < r or (y == r and x < r):
                        m[o, i, y, x] = 1
                    elif y == r and x == r:
                        go, gi = o % groups, i % groups
                        m[o, i, y, x] = gi < go if mask_type == "A" else gi <= go
    return m


@pytest.mark.parametrize(
    "o_ch,i_ch,k,mask_type,groups",
    [
        (4, 1, 3, "A", 1),
        (2, 3, 5, "B", 1),
        (6, 3, 3, "A", 3),
        (6, 6, 5, "B", 3),
        (9, 3, 1, "A", 3),
        (4, 4, 7, "B", 2),
    ],
)
def test_causal_mask_matches_the_loop(o_ch, i_ch, k, mask_type, groups) -> None:
    got = causal_mask(o_ch, i_ch, k, mask_type, groups)
    assert got.dtype == torch.float32
    assert torch.equal(got, _mask_loop(o_ch, i_ch, k, mask_type, groups))


def test_known_3x3_masks() -> None:
    a = torch.tensor([[1.0, 1, 1], [1, 0, 0], [0, 0, 0]])
    b = torch.tensor([[1.0, 1, 1], [1, 1, 0], [0, 0, 0]])
    assert torch.equal(causal_mask(1, 1, 3, "A")[0, 0], a)
    assert torch.equal(causal_mask(1, 1, 3, "B")[0, 0], b)
    # RGB centre, type A: R reads nothing, G reads R, B reads R and G
    centre = causal_mask(3, 3, 1, "A", 3)[:, :, 0, 0]
    assert torch.equal(centre, torch.tensor([[0.0, 0, 0], [1, 0, 0], [1, 1, 0]]))


def test_stack_masks() -> None:
    h = horizontal_mask(2, 2, 5, "A")
    assert h.shape == (2, 2, 1, 5)
    assert torch.equal(h[0, 0, 0], torch.tensor([1.0, 1, 0, 0, 0]))
    v_first = vertical_mask(1, 1, 3, first=True)[0, 0]
    assert torch.equal(v_first, torch.tensor([[1.0, 1, 1], [0, 0, 0]]))
    assert vertical_mask(1, 1, 3, first=False).sum() == 6


@pytest.mark.parametrize(
    "args,words",
    [
        ((4, 1, 3, "C"), "mask_type"),
        ((4, 2, 3, "A", 3), "multiples of groups"),
        ((4, 1, 4, "A"), "odd"),
    ],
)
def test_bad_arguments_are_named(args, words) -> None:
    with pytest.raises(ValueError, match=words):
        causal_mask(*args)

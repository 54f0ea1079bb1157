"""Masked convolutions against an explicit loop over pixels; the gate; window mode."""

from __future__ import annotations

import pytest
import torch

from coursework.autoregressive.layers import (
    GatedBlock,
    MaskedConv2d,
    gated_activation,
    masked_conv2d,
)
from coursework.autoregressive.masks import causal_mask


def _conv_loop(x, weight, bias, mask):
    """y[b, o, i, j] = b_o + sum (W M)[o, c, dy, dx] x[b, c, i + dy - r, j + dx - r]."""
    b_, c_, h, w = x.shape
    o_, _, k, _ = weight.shape
    r = k // 2
    out = []
    for b in range(b_):
        for o in range(o_):
            for i in range(h):
                for j in range(w):
                    total = bias[o] if bias is not None else x.new_zeros(())
                    for c in range(c_):
                        for dy in range(k):
                            for dx in range(k):
                                y, xx = i + dy - r, j + dx - r
                                if 0 <= y < h and 0 <= xx < w and mask[o, c, dy, dx]:
                                    total = (
                                        total + weight[o, c, dy, dx] * x[b, c, y, xx]
                                    )
                    out.append(total)
    return torch.stack(out).view(b_, o_, h, w)


@pytest.mark.parametrize("k,mask_type,groups", [(3, "A", 1), (5, "B", 1), (3, "B", 2)])
def test_masked_conv_matches_the_loop_on_values_and_gradients(k, mask_type, groups):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(2, 2, 4, 5, generator=g, dtype=torch.float64, requires_grad=True)
    w = torch.randn(4, 2, k, k, generator=g, dtype=torch.float64, requires_grad=True)
    b = torch.randn(4, generator=g, dtype=torch.float64, requires_grad=True)
    mask = causal_mask(4, 2, k, mask_type, groups).double()
    fast, slow = masked_conv2d(x, w, b, mask), _conv_loop(x, w, b, mask)
    assert torch.allclose(fast, slow)
    probe = torch.randn(fast.shape, generator=g, dtype=torch.float64)
    g_fast = torch.autograd.grad((fast * probe).sum(), (x, w, b))
    g_slow = torch.autograd.grad((slow * probe).sum(), (x, w, b))
    for a, s in zip(g_fast, g_slow):
        assert torch.allclose(a, s)
    # the masked-out weights get no gradient
    assert (g_fast[1][mask == 0] == 0).all()


def test_module_equals_the_function_and_the_window_equals_the_full_output():
    torch.manual_seed(0)
    layer = MaskedConv2d(causal_mask(3, 2, 5, "B"), anchor_row=2).double()
    x = torch.randn(2, 2, 9, 9, dtype=torch.float64)
    full = layer(x)
    assert torch.allclose(full, masked_conv2d(x, layer.weight, layer.bias, layer.mask))
    # a crop of rows 2..6 and columns 1..7 gives the outputs of rows 4..6, cols 3..5
    win = layer.window(x[:, :, 2:7, 1:8])
    assert win.shape == (2, 3, 3, 3)
    assert torch.allclose(win, full[:, :, 4:7, 3:6])


def test_window_of_a_zero_padded_input_is_the_full_output():
    torch.manual_seed(1)
    layer = MaskedConv2d(causal_mask(2, 1, 3, "A"), anchor_row=1).double()
    x = torch.randn(1, 1, 4, 4, dtype=torch.float64)
    padded = torch.nn.functional.pad(x, (1, 1, 1, 0))  # above and at the sides
    assert torch.allclose(layer.window(padded), layer(x))


def test_gated_activation_matches_the_formula():
    g = torch.Generator().manual_seed(2)
    x = torch.randn(3, 6, 2, 2, generator=g, dtype=torch.float64, requires_grad=True)
    out = gated_activation(x)
    loop = torch.empty(3, 3, 2, 2, dtype=torch.float64)
    for c in range(3):
        loop[:, c] = torch.tanh(x[:, c]) * torch.sigmoid(x[:, c + 3])
    assert torch.allclose(out, loop)
    assert torch.allclose(gated_activation(torch.zeros(1, 2)), torch.zeros(1, 1))


@pytest.mark.parametrize("first", [True, False])
def test_gated_block_is_its_two_stacks(first):
    """forward = the vertical gate, and the horizontal stack fed by V * v."""
    torch.manual_seed(3)
    block = GatedBlock(4, 4, 3, first=first, n_classes=3).double()
    v = torch.randn(2, 4, 7, 9, dtype=torch.float64)
    h = torch.randn(2, 4, 7, 9, dtype=torch.float64)
    y = torch.tensor([0, 2])
    v_full, h_full = block(v, h, y)
    v_pre = block.v_conv(v)
    assert torch.equal(v_full, block.vertical(v_pre, y))
    assert torch.equal(h_full, block.horizontal(block.h_conv(h), v_pre, h, y))
    # by the formula, with the label embeddings as biases
    gate = gated_activation
    assert torch.allclose(
        v_full, gate(v_pre + block.embed_v(y)[:, :, None, None])
    )
    h_new = block.h_out(
        gate(block.h_conv(h) + block.link(v_pre) + block.embed_h(y)[:, :, None, None])
    )
    assert torch.allclose(h_full, h_new + (0 if first else h))


def test_conditional_block_needs_labels():
    block = GatedBlock(2, 2, 3, n_classes=4)
    with pytest.raises(ValueError, match="labels"):
        block(torch.zeros(1, 2, 3, 3), torch.zeros(1, 2, 3, 3))

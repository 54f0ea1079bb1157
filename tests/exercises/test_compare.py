"""Gradient comparison, shared by input gradients and a module's parameters."""

from __future__ import annotations

import torch

from coursework.exercises.compare import (
    compare_gradients,
    compare_parameter_gradients,
    output_gradients,
    weighted_total,
)


class _Scale(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.w = torch.nn.Parameter(torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.w * x


def test_weighted_total_weights_each_element_from_half_to_one_and_a_half() -> None:
    out = torch.ones(3, dtype=torch.float64, requires_grad=True)
    assert float(weighted_total([out])) == 0.5 + 1.0 + 1.5
    assert weighted_total([out.detach()]) is None
    (grad,) = output_gradients(out * 2, [out])
    assert torch.equal(grad, torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64))


def test_compare_gradients_names_a_missing_or_wrong_gradient() -> None:
    ref = [torch.ones(2), None]
    assert compare_gradients([torch.ones(2), None], ref, 1e-6, 1e-6) is None
    msg = compare_gradients([None, None], ref, 1e-6, 1e-6, "critic parameter")
    assert msg == "no gradient reaches critic parameter 0 (is the graph cut?)"
    msg = compare_gradients([2 * torch.ones(2), None], ref, 1e-6, 1e-6)
    assert msg.startswith("gradient w.r.t. input 0: values differ")


def test_parameter_gradients_of_outputs_equal_in_value() -> None:
    module = _Scale()
    x = torch.tensor([1.0, -1.0, 2.0], dtype=torch.float64)
    same = compare_parameter_gradients(module(x), module(x), module, 1e-9, 1e-9)
    assert same is None
    # same values, but the first element's gradient does not reach w
    cut = torch.cat([module(x)[:1].detach(), module(x)[1:]])
    msg = compare_parameter_gradients(cut, module(x), module, 1e-9, 1e-9, "weight")
    assert msg is not None and msg.startswith("gradient w.r.t. weight 0")
    ref = module(x)
    msg = compare_parameter_gradients(ref.detach(), ref, module, 1e-9, 1e-9)
    assert msg == "no gradient reaches the parameters (is the graph cut?)"

"""Comparing a student's output with the reference's: values, then gradients.

:func:`compare_values` walks tensors, numbers, tuples, lists and dicts and
names the first difference (shape, dtype, device, or the largest error and
where). Gradients are compared through one weighted sum of the outputs,
``sum_i w_i out_i`` with weights from 0.5 to 1.5, so that a gradient which is
right only up to a permutation or a constant factor per element still fails:
:func:`output_gradients` takes it with respect to any tensors (a case's inputs,
a module's parameters) and :func:`compare_gradients` names the first that
differs or that no gradient reaches.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch


def _clone(x: Any) -> Any:
    if isinstance(x, torch.Tensor):
        return x.detach().clone()
    if isinstance(x, (list, tuple)):
        return type(x)(_clone(v) for v in x)
    if isinstance(x, dict):
        return {k: _clone(v) for k, v in x.items()}
    return x


def _describe(x: Any) -> str:
    if isinstance(x, torch.Tensor):
        return f"tensor of shape {tuple(x.shape)}, {x.dtype}, on {x.device.type}"
    return type(x).__name__


def compare_values(
    out: Any, expected: Any, atol: float, rtol: float, where: str = "output"
) -> str | None:
    """Describe the first difference between ``out`` and ``expected``, or None.

    Tensors must agree in shape, dtype, device and values (``allclose``); the
    message names what differs and, for values, the largest error and where.
    """
    if expected is None:
        return None if out is None else f"{where}: expected None, got {_describe(out)}"
    if out is None:
        return f"{where}: your function returned None (is a `return` missing?)"
    if isinstance(expected, torch.Tensor):
        if not isinstance(out, torch.Tensor):
            return f"{where}: expected a torch.Tensor, got {_describe(out)}"
        if out.shape != expected.shape:
            return (
                f"{where}: shape {tuple(out.shape)}, expected {tuple(expected.shape)}"
            )
        if out.dtype != expected.dtype:
            return (
                f"{where}: dtype {out.dtype}, expected {expected.dtype} "
                "(keep the input dtype)"
            )
        if out.device.type != expected.device.type:
            return (
                f"{where}: on device {out.device.type}, "
                f"expected {expected.device.type} "
                "(create new tensors with device=x.device, or use *_like functions)"
            )
        a, b = out.detach(), expected.detach()
        if a.is_floating_point() or a.is_complex():
            if torch.allclose(a, b, atol=atol, rtol=rtol, equal_nan=True):
                return None
            err = (a - b).abs().nan_to_num(nan=math.inf)
            idx = int(err.flatten().argmax())
            pos = (
                tuple(int(i) for i in torch.unravel_index(torch.tensor(idx), a.shape))
                if a.dim()
                else ()
            )
            return (
                f"{where}: values differ, "
                f"largest error {float(err.flatten()[idx]):.3g} "
                f"at index {pos}: got {float(a.flatten()[idx]):.6g}, "
                f"expected {float(b.flatten()[idx]):.6g}"
            )
        if torch.equal(a, b):
            return None
        n = int((a != b).sum())
        return f"{where}: {n} of {a.numel()} entries differ"
    if isinstance(expected, (tuple, list)):
        if not isinstance(out, (tuple, list)):
            kind = type(expected).__name__
            return (
                f"{where}: expected a {kind} of {len(expected)}, got {_describe(out)}"
            )
        if len(out) != len(expected):
            return f"{where}: expected {len(expected)} values, got {len(out)}"
        for i, (o, e) in enumerate(zip(out, expected)):
            msg = compare_values(o, e, atol, rtol, f"{where}[{i}]")
            if msg:
                return msg
        return None
    if isinstance(expected, dict):
        if not isinstance(out, dict):
            return f"{where}: expected a dict, got {_describe(out)}"
        missing = set(expected) - set(out)
        if missing:
            return f"{where}: missing keys {sorted(missing)}"
        for k in expected:
            msg = compare_values(out[k], expected[k], atol, rtol, f"{where}[{k!r}]")
            if msg:
                return msg
        return None
    if isinstance(expected, bool) or not isinstance(expected, (int, float)):
        return (
            None if out == expected else f"{where}: got {out!r}, expected {expected!r}"
        )
    if isinstance(out, torch.Tensor) and out.numel() == 1:
        out = out.item()
    if not isinstance(out, (int, float)):
        return f"{where}: expected a number, got {_describe(out)}"
    if math.isclose(out, expected, rel_tol=rtol, abs_tol=atol):
        return None
    return f"{where}: got {out:.6g}, expected {expected:.6g}"


def weighted_total(outputs: Sequence[Any]) -> torch.Tensor | None:
    """``sum_i w_i out_i`` over the floating-point outputs that carry a graph.

    The weights run from 0.5 to 1.5 over each output's elements; None when no
    output carries a graph.
    """
    total = sum(
        (
            o
            * torch.linspace(
                0.5, 1.5, o.numel(), dtype=o.dtype, device=o.device
            ).view_as(o)
        ).sum()
        for o in outputs
        if isinstance(o, torch.Tensor) and o.is_floating_point() and o.requires_grad
    )
    return total if isinstance(total, torch.Tensor) else None


def output_gradients(
    out: Any, wrt: Sequence[torch.Tensor]
) -> list[torch.Tensor | None] | None:
    """Gradients of :func:`weighted_total` of ``out`` (a tensor or a tuple/list).

    Returns one entry per tensor of ``wrt`` (None where no gradient reaches
    it), or None when the output carries no graph at all.
    """
    total = weighted_total(out if isinstance(out, (tuple, list)) else [out])
    if total is None:
        return None
    return list(torch.autograd.grad(total, list(wrt), allow_unused=True))


def compare_gradients(
    grads: Sequence[torch.Tensor | None],
    expected: Sequence[torch.Tensor | None],
    atol: float,
    rtol: float,
    what: str = "input",
) -> str | None:
    """The first gradient that is missing or differs from the reference's, or None.

    ``what`` names the tensors in the message (``"input"``, ``"critic
    parameter"``); entries where the reference has no gradient are skipped.
    """
    for i, (g, r) in enumerate(zip(grads, expected)):
        if r is None:
            continue
        if g is None:
            return f"no gradient reaches {what} {i} (is the graph cut?)"
        msg = compare_values(g, r, atol, rtol, f"gradient w.r.t. {what} {i}")
        if msg:
            return msg
    return None


def compare_parameter_gradients(
    out: torch.Tensor,
    expected: torch.Tensor,
    module: torch.nn.Module,
    atol: float,
    rtol: float,
    what: str = "parameter",
) -> str | None:
    """Compare the gradients that ``out`` and ``expected`` send to ``module``.

    For outputs that are trained through a module the case passes in (a
    critic's penalty, a loss of a network): both must carry a graph to the
    module's parameters, and the gradients of their weighted sums must agree.
    """
    params = list(module.parameters())
    if not out.requires_grad:
        return f"no gradient reaches the {what}s (is the graph cut?)"
    mine = output_gradients(out, params)
    ref = output_gradients(expected, params)
    if mine is None or ref is None:
        return f"no gradient reaches the {what}s (is the graph cut?)"
    return compare_gradients(mine, ref, atol, rtol, what)

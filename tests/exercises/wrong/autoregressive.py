"""Wrong answers to the notebook 02 exercises, one per exercise in ``WRONG``.

``WRONG`` maps each exercise id to a wrong function and words its check's
message must contain; ``tests/exercises/test_topics.py`` runs them.
Every exercise of this topic also has hidden cases (``HIDDEN``).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

HIDDEN = True


def wrong_mask(out_channels, in_channels, kernel_size, mask_type, groups=1):
    k, r = kernel_size, kernel_size // 2
    m = torch.zeros(out_channels, in_channels, k, k)
    m[:, :, :r, :] = 1
    m[:, :, r, : r + 1] = 1  # the centre always kept: type A ignored
    return m


def wrong_conv(x, weight, bias, mask):
    return F.conv2d(x, weight, bias, padding=weight.shape[-1] // 2)  # mask ignored


def wrong_bpd(nll_nats, n_dims):
    return nll_nats / (n_dims * math.log(10))  # wrong base


def wrong_gate(x):
    a, b = x.chunk(2, dim=1)
    return torch.sigmoid(a) * torch.tanh(b)  # halves swapped


def wrong_logistic(x, mu, log_s, levels=256):
    half = 1.0 / (levels - 1)
    xs = 2.0 * x.to(mu.dtype) / (levels - 1) - 1
    s = log_s.exp()
    return torch.log(
        torch.sigmoid((xs + half - mu) / s) - torch.sigmoid((xs - half - mu) / s)
    )


def wrong_step(probs, u):
    return (probs.cumsum(-1) < u[:, None]).sum(-1)  # may return K, no clamp


def badly_typed_step(probs, u):
    return (probs.cumsum(-1) <= u[:, None]).sum(-1).float()  # float, not long


WRONG = {
    "autoregressive.causal_mask": (wrong_mask, "values differ"),
    "autoregressive.masked_conv2d": (wrong_conv, "values differ"),
    "autoregressive.bits_per_dim": (wrong_bpd, "expected"),
    "autoregressive.gated_activation": (wrong_gate, "values differ"),
    "autoregressive.discretized_logistic_log_prob": (wrong_logistic, "values differ"),
    "autoregressive.sample_step": (badly_typed_step, "dtype"),
}

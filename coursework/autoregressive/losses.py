"""Per-sub-pixel log-likelihoods: a K-way softmax and a discretised logistic mixture.

Every function returns ``log p(x_i | x_<i)`` for each sub-pixel, shape
(B, C, H, W); :func:`image_nll` sums them into nats per image.

- Softmax over discrete values: van den Oord, Kalchbrenner & Kavukcuoglu,
  "Pixel Recurrent Neural Networks", ICML 2016 (arXiv:1601.06759),
  section 3.2 ("Pixels as discrete variables").
- Discretised logistic mixture: Salimans, Karpathy, Chen & Kingma,
  "PixelCNN++", ICLR 2017 (arXiv:1701.05517), eq. 2: with values rescaled to
  [-1, 1] and bins of width ``2 / (L - 1)``,
  ``P(x | mu, s) = sigma((x + 1/(L-1) - mu) / s) - sigma((x - 1/(L-1) - mu) / s)``,
  and the edge bins take the whole tails (``x = -1``: ``-inf`` to its upper
  edge; ``x = 1``: its lower edge to ``+inf``), so the L probabilities sum to 1.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

ComponentFn = Callable[[torch.Tensor, torch.Tensor, torch.Tensor, int], torch.Tensor]
MIN_LOG_S = -7.0


def categorical_log_prob(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """``log softmax(logits)[x]`` for every sub-pixel.

    Shape:
        logits: (B, K, C, H, W); x: (B, C, H, W) long in ``0 .. K-1``.
        Returns (B, C, H, W).
    """
    return -F.cross_entropy(logits, x, reduction="none")


def discretized_logistic_log_prob(
    x: torch.Tensor, mu: torch.Tensor, log_s: torch.Tensor, levels: int = 256
) -> torch.Tensor:
    """``log P(x)`` of a logistic(mu, s) discretised to ``levels`` bins on [-1, 1].

    Args:
        x: integer values ``0 .. levels - 1`` (any dtype), any shape.
        mu: the location on the [-1, 1] scale, broadcastable with ``x``.
        log_s: the log of the scale ``s``.
        levels: number of values ``L``.

    Returns:
        The log-probabilities, the broadcast shape of the inputs, float.
    """
    half = 1.0 / (levels - 1)
    x_s = 2.0 * x.to(mu.dtype) / (levels - 1) - 1.0  # rescale to [-1, 1]
    inv_s = torch.exp(-log_s)
    upper = (x_s - mu + half) * inv_s  # (x + half - mu) / s
    lower = (x_s - mu - half) * inv_s
    log_cdf_upper = -F.softplus(-upper)  # log sigma(upper), for x = 0
    log_one_minus_cdf_lower = -F.softplus(lower)  # log (1 - sigma(lower)), x = L-1
    delta = torch.sigmoid(upper) - torch.sigmoid(lower)
    # where the bin's mass underflows, use log(pdf(centre) * bin width)
    centre = (x_s - mu) * inv_s
    log_pdf = centre - log_s - 2.0 * F.softplus(centre) + math.log(2.0 * half)
    log_mid = torch.where(delta > 1e-5, torch.log(delta.clamp(min=1e-12)), log_pdf)
    return torch.where(
        x == 0,
        log_cdf_upper,
        torch.where(x == levels - 1, log_one_minus_cdf_lower, log_mid),
    )


def logistic_mixture_log_prob(
    params: torch.Tensor,
    x: torch.Tensor,
    levels: int = 256,
    component: ComponentFn = discretized_logistic_log_prob,
) -> torch.Tensor:
    """``log sum_m pi_m P(x | mu_m, s_m)`` for every sub-pixel.

    Args:
        params: (B, 3M, C, H, W): mixture logits, ``mu`` and ``log s`` of ``M``
            components, in that order.
        x: (B, C, H, W) integers ``0 .. levels - 1``.
        levels: number of values ``L``.
        component: the log-probability of one discretised logistic.

    Returns:
        (B, C, H, W).
    """
    logit_pi, mu, log_s = params.chunk(3, dim=1)  # each (B, M, C, H, W)
    log_s = log_s.clamp(min=MIN_LOG_S)
    log_p = component(x.unsqueeze(1), mu, log_s, levels)  # (B, M, C, H, W)
    return torch.logsumexp(F.log_softmax(logit_pi, dim=1) + log_p, dim=1)


def image_nll(log_prob: torch.Tensor) -> torch.Tensor:
    """Nats per image: ``-sum`` over every sub-pixel. (B, C, H, W) -> (B,)."""
    return -log_prob.flatten(1).sum(1)


@dataclass(frozen=True)
class Likelihood:
    """How a model's outputs become probabilities over ``levels`` values.

    Attributes:
        kind: ``"softmax"`` (``levels`` logits) or ``"logistic"`` (a mixture).
        levels: number of values per sub-pixel (2 for binary images).
        n_mix: mixture components (logistic only).
        component: the log-probability of one discretised logistic (e.g. your
            own ``discretized_logistic_log_prob``).
    """

    kind: str = "softmax"
    levels: int = 2
    n_mix: int = 5
    component: ComponentFn = field(default=discretized_logistic_log_prob, repr=False)

    def __post_init__(self) -> None:
        if self.kind not in ("softmax", "logistic"):
            raise ValueError(f"kind must be 'softmax' or 'logistic'; got {self.kind!r}")

    @property
    def n_params(self) -> int:
        """Outputs per sub-pixel, ``P``."""
        return self.levels if self.kind == "softmax" else 3 * self.n_mix

    def log_prob(self, params: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """(B, P, C, H, W) and values (B, C, H, W) -> log-probabilities (B, C, H, W)."""
        if self.kind == "softmax":
            return categorical_log_prob(params, x)
        return logistic_mixture_log_prob(params, x, self.levels, self.component)

    def log_probs(self, params: torch.Tensor) -> torch.Tensor:
        """The log-probability of every value for one sub-pixel: (B, P) -> (B, L)."""
        if self.kind == "softmax":
            return F.log_softmax(params, dim=-1)
        values = torch.arange(self.levels, device=params.device)  # (L,)
        b = params.shape[0]
        # treat the L values as L positions: params (B, P, 1, 1, L)
        p = params[:, :, None, None, None].expand(b, params.shape[1], 1, 1, self.levels)
        x = values.view(1, 1, 1, -1).expand(b, 1, 1, self.levels)
        log_p = logistic_mixture_log_prob(p, x, self.levels, self.component)
        return log_p[:, 0, 0]  # (B, L)

"""Metrics of learned representations: codebook use and disentanglement.

- Codebook perplexity ``exp(H(p))`` of the code frequencies ``p``: the
  effective number of codes a VQ-VAE uses (van den Oord et al., 2017,
  arXiv:1711.00937).
- The mutual information between each latent dimension and each true
  generative factor, from histograms, and the Mutual Information Gap of
  Chen et al., "Isolating Sources of Disentanglement in VAEs", NeurIPS 2018
  (arXiv:1802.04942): for each factor, the gap between the two latent dims
  that know most about it, divided by the factor's entropy.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch


def codebook_perplexity(indices: torch.Tensor, num_codes: int) -> torch.Tensor:
    """``exp(-sum_k p_k log p_k)`` of the code frequencies, in [1, num_codes]."""
    p = torch.bincount(indices.flatten(), minlength=num_codes).float()
    p = p / p.sum().clamp(min=1)
    return torch.exp(-(p * torch.log(p.clamp(min=1e-12))).sum())


def discretize(values: torch.Tensor, bins: int) -> torch.Tensor:
    """Equal-frequency bin index of each value, (N,) -> (N,) long in [0, bins).

    Bins by rank, so outlying values do not squeeze the others into one bin.
    """
    ranks = values.argsort().argsort()  # (N,) rank of each value
    return ranks * bins // values.shape[0]


def discrete_mutual_information(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``I(a; b) = sum p(a, b) log p(a, b) / (p(a) p(b))`` in nats, for labels (N,)."""
    na, nb = int(a.max()) + 1, int(b.max()) + 1
    joint = torch.bincount(a * nb + b, minlength=na * nb).view(na, nb).double()
    joint = joint / joint.sum()
    pa, pb = joint.sum(1, keepdim=True), joint.sum(0, keepdim=True)
    ratio = joint / (pa * pb).clamp(min=1e-300)
    return (joint * torch.log(ratio.clamp(min=1e-300))).sum()


def entropy(a: torch.Tensor) -> torch.Tensor:
    """``H(a)`` in nats for labels (N,)."""
    p = torch.bincount(a).double()
    p = p[p > 0] / p.sum()
    return -(p * p.log()).sum()


def mutual_information_matrix(
    latents: torch.Tensor, factors: Mapping[str, torch.Tensor], bins: int = 20
) -> torch.Tensor:
    """Normalised ``I(z_j; v_f) / H(v_f)`` for every latent dim and factor.

    Args:
        latents: (N, D) codes (e.g. the encoder means).
        factors: name -> (N,) values; integer tensors are used as labels,
            floating ones are binned like the latents (equal frequency).
        bins: histogram bins.

    Returns:
        (D, F) in [0, 1] (up to estimation error), factors in the mapping's order.
    """
    z = [discretize(latents[:, j], bins) for j in range(latents.shape[1])]
    v = [
        discretize(f, bins) if f.is_floating_point() else f.long()
        for f in factors.values()
    ]
    mi = [[discrete_mutual_information(zj, vf) / entropy(vf) for vf in v] for zj in z]
    return torch.tensor([[float(m) for m in row] for row in mi])  # (D, F)


def mutual_information_gap(mi: torch.Tensor) -> torch.Tensor:
    """Mean over factors of (top latent MI - second latent MI); ``mi`` is (D, F)."""
    top2 = mi.topk(2, dim=0).values  # (2, F)
    return (top2[0] - top2[1]).mean()

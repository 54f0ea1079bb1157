"""Metrics several lectures share: accuracy, and sample quality without Inception.

* Accuracy: overall, over a group of classes, and within pairs of classes
  that differ only by their motion (01's actions, 05's video probes).

* Modes covered and the share of high-quality samples on a Gaussian mixture
  (Srivastava et al., "VEEGAN", NeurIPS 2017, arXiv:1705.07761; Lin et al.,
  "PacGAN", NeurIPS 2018, arXiv:1712.04086): a sample is high quality when it
  lies within 3 standard deviations of some mode's centre, and a mode is
  covered when enough samples land there.
* The Fréchet distance between Gaussians fitted to features (Heusel et al.,
  "GANs Trained by a Two Time-Scale Update Rule Converge to a Local Nash
  Equilibrium", NeurIPS 2017, arXiv:1706.08500), here on the features of our
  own classifier instead of Inception's:
  ``d^2 = ||mu_1 - mu_2||^2 + tr(C_1 + C_2 - 2 (C_1^{1/2} C_2 C_1^{1/2})^{1/2})``.
* k-NN precision and recall (Kynkäänniemi et al., "Improved Precision and
  Recall Metric for Assessing Generative Models", NeurIPS 2019,
  arXiv:1904.06991): each real feature gets a ball reaching its k-th nearest
  real neighbour; precision is the share of generated samples inside some real
  ball, recall the share of real samples inside some generated ball.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch


def _predictions(logits_or_pred: torch.Tensor) -> torch.Tensor:
    """Class predictions (N,) from logits or probabilities (N, K), or as given."""
    return logits_or_pred.argmax(-1) if logits_or_pred.dim() == 2 else logits_or_pred


def correct(logits_or_pred: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Number of right predictions, for sums over batches; same inputs as accuracy."""
    return (_predictions(logits_or_pred) == labels).sum()


def accuracy(logits_or_pred: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Fraction correct, a float32 scalar.

    Shape: logits/probabilities (N, K) or predictions of any shape, e.g. (N,)
    or per-pixel (N, H, W); labels have the predictions' shape.
    """
    return (_predictions(logits_or_pred) == labels).float().mean()


def group_accuracy(
    pred: torch.Tensor, labels: torch.Tensor, classes: Sequence[int]
) -> torch.Tensor:
    """Accuracy over the examples whose label is in ``classes`` (nan if none)."""
    mask = torch.isin(labels, torch.as_tensor(list(classes), device=labels.device))
    if not bool(mask.any()):
        return torch.tensor(float("nan"))
    return (pred[mask] == labels[mask]).float().mean()


def pair_accuracy(
    pred: torch.Tensor, labels: torch.Tensor, pairs: Sequence[tuple[int, int]]
) -> torch.Tensor:
    """Accuracy within pairs of classes (e.g. move left / move right).

    Among examples of a pair predicted as either member of that pair, the
    fraction with the right member; chance is 0.5.
    """
    hits, total = 0.0, 0
    for a, b in pairs:
        member = (labels == a) | (labels == b)
        in_pair = member & ((pred == a) | (pred == b))
        hits += float((pred[in_pair] == labels[in_pair]).sum())
        total += int(in_pair.sum())
    return torch.tensor(hits / max(total, 1))


def nearest_mode(
    samples: torch.Tensor, centers: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Index of, and distance to, the nearest centre: (..., N) each.

    Shape: samples (..., N, 2), centers (K, 2).
    """
    dist = torch.cdist(samples, centers.to(samples))  # (..., N, K)
    d, idx = dist.min(-1)
    return idx, d


def mode_counts(
    samples: torch.Tensor, centers: torch.Tensor, std: float, radius: float = 3.0
) -> torch.Tensor:
    """Samples within ``radius * std`` of each centre: (..., K) counts."""
    idx, d = nearest_mode(samples, centers)
    close = d < radius * std
    k = centers.shape[0]
    one_hot = torch.nn.functional.one_hot(idx, k) * close[..., None]  # (..., N, K)
    return one_hot.sum(-2)


def modes_covered(
    samples: torch.Tensor,
    centers: torch.Tensor,
    std: float,
    min_count: int = 20,
    radius: float = 3.0,
) -> torch.Tensor:
    """Modes with at least ``min_count`` samples within ``radius * std``: (...,)."""
    return (mode_counts(samples, centers, std, radius) >= min_count).sum(-1)


def high_quality_share(
    samples: torch.Tensor, centers: torch.Tensor, std: float, radius: float = 3.0
) -> torch.Tensor:
    """Share of samples within ``radius * std`` of any centre: (...,) in [0, 1]."""
    _, d = nearest_mode(samples, centers)
    return (d < radius * std).float().mean(-1)


def gaussian_stats(features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean (D,) and unbiased covariance (D, D) of features (N, D)."""
    if features.dim() != 2 or features.shape[0] < 2:
        raise ValueError(
            "gaussian_stats needs features (N, D) with N >= 2; "
            f"got {tuple(features.shape)}"
        )
    mu = features.mean(0)
    centred = features - mu
    return mu, centred.T @ centred / (features.shape[0] - 1)


def _sqrt_psd(c: torch.Tensor) -> torch.Tensor:
    """Symmetric square root of a symmetric positive semi-definite matrix."""
    vals, vecs = torch.linalg.eigh(c)
    return (vecs * vals.clamp(min=0).sqrt()) @ vecs.T


def frechet_distance(
    mu1: torch.Tensor, cov1: torch.Tensor, mu2: torch.Tensor, cov2: torch.Tensor
) -> torch.Tensor:
    """Squared Fréchet (2-Wasserstein) distance between two Gaussians.

    ``C_1^{1/2} C_2 C_1^{1/2}`` is symmetric PSD, so the trace of its square
    root is the sum of the square roots of its eigenvalues.

    Shape: mu (D,), cov (D, D); returns a scalar.
    """
    s1 = _sqrt_psd(cov1)
    middle = s1 @ cov2 @ s1
    middle = 0.5 * (middle + middle.T)  # symmetric up to rounding
    trace_sqrt = torch.linalg.eigvalsh(middle).clamp(min=0).sqrt().sum()
    return (mu1 - mu2).pow(2).sum() + cov1.trace() + cov2.trace() - 2 * trace_sqrt


def feature_frechet_distance(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Fréchet distance between Gaussians fitted to features a (N, D), b (M, D)."""
    return frechet_distance(*gaussian_stats(a.double()), *gaussian_stats(b.double()))


def knn_radii(features: torch.Tensor, k: int = 3) -> torch.Tensor:
    """Distance from each row to its k-th nearest other row: (N,)."""
    if not 1 <= k < features.shape[0]:
        raise ValueError(f"k must be in [1, N-1] for N = {features.shape[0]}; got {k}")
    dist = torch.cdist(features, features)  # (N, N); the 0th neighbour is itself
    return dist.kthvalue(k + 1, dim=1).values


def in_manifold(
    queries: torch.Tensor, support: torch.Tensor, radii: torch.Tensor
) -> torch.Tensor:
    """For each query, whether it lies in some ball ``||q - s_j|| <= r_j``: (Q,)."""
    return (torch.cdist(queries, support) <= radii[None]).any(1)


def precision_recall(
    real: torch.Tensor, fake: torch.Tensor, k: int = 3
) -> tuple[torch.Tensor, torch.Tensor]:
    """k-NN precision and recall (Kynkäänniemi et al., 2019) of fake against real.

    Shape: real (N, D), fake (M, D); returns two scalars in [0, 1].
    """
    precision = in_manifold(fake, real, knn_radii(real, k)).float().mean()
    recall = in_manifold(real, fake, knn_radii(fake, k)).float().mean()
    return precision, recall


def class_histogram(predictions: torch.Tensor, num_classes: int) -> torch.Tensor:
    """Share of samples per predicted class: (num_classes,), summing to 1."""
    counts = torch.bincount(predictions.flatten(), minlength=num_classes).double()
    return counts / counts.sum().clamp(min=1)


def classes_covered(
    histogram: torch.Tensor, min_share: float | None = None
) -> torch.Tensor:
    """Classes that get at least ``min_share`` of the samples (default half of 1/K)."""
    share = 0.5 / histogram.numel() if min_share is None else min_share
    return (histogram >= share).sum()

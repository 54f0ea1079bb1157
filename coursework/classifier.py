"""A digit classifier we train ourselves, and generated samples judged by it.

Shared by every generative lecture (02, 03, 04, 07) and kept out of the topics:
:func:`digit_judge` is the one way the course judges generated digits.

The Fréchet Inception Distance (Heusel et al., 2017, arXiv:1706.08500) and
k-NN precision/recall (Kynkäänniemi et al., 2019, arXiv:1904.06991) compare
*features*. Inception's weights are not available offline and know nothing
about 8 x 8 digits, so a small CNN trained on the real digits supplies the
features (its penultimate layer) and, through its predictions, the class
coverage of a set of samples.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from coursework import metrics
from coursework.train import History, TensorLoader, fit


class ConvClassifier(nn.Module):
    """Two strided convolutions, a feature layer, and a linear head.

    Args:
        image_size: side of the input (any size; pooled to 4 x 4).
        outputs: number of logits (classes) or regression targets.
        channels: input channels.
        width: channels of the first convolution.
        feature_dim: size of the feature layer.

    Shape: x (B, C, S, S) -> (B, outputs); ``features(x)`` -> (B, feature_dim).
    """

    def __init__(
        self,
        image_size: int,
        outputs: int = 10,
        channels: int = 1,
        width: int = 32,
        feature_dim: int = 64,
    ) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, width, 3, 2, 1),
            nn.ReLU(),
            nn.Conv2d(width, 2 * width, 3, 2, 1),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(4),
            nn.Flatten(),
            nn.Linear(2 * width * 16, feature_dim),
            nn.ReLU(),
        )
        self.head = nn.Linear(feature_dim, outputs)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


def classification_loss(
    logits: torch.Tensor, labels: torch.Tensor, weight: torch.Tensor | None = None
) -> dict[str, torch.Tensor]:
    """Cross-entropy and accuracy: tensors in, the logs of ``train.fit`` out.

    Shape: logits (B, K) or per pixel (B, K, H, W), labels (B,) or (B, H, W);
    ``weight`` (K,) rescales each class (colourisation's rebalancing,
    DeepCluster's uniform sampling), normalised by the batch's total weight.
    Half-precision logits (mixed precision) are promoted to float32 first.
    Returns ``{"loss": scalar, "acc": scalar}``.
    """
    logits_f = logits.to(torch.promote_types(logits.dtype, torch.float32))
    loss = F.cross_entropy(logits_f, labels, weight=weight)
    return {"loss": loss, "acc": metrics.accuracy(logits.argmax(1), labels)}


def supervised_loss(
    model: nn.Module, batch: tuple[torch.Tensor, ...]
) -> dict[str, torch.Tensor]:
    """:func:`classification_loss` of ``model`` on a batch ``(x, y)``, for ``fit``."""
    x, y = batch
    return classification_loss(model(x), y)


def train_digit_classifier(
    x_train: torch.Tensor,
    y_train: torch.Tensor,
    x_test: torch.Tensor,
    y_test: torch.Tensor,
    *,
    width: int,
    epochs: int,
    batch_size: int,
    lr: float = 2e-3,
    progress: bool = True,
) -> tuple[ConvClassifier, History]:
    """The judge of generated digits: one recipe for notebooks 04 and 07.

    A :class:`ConvClassifier` with ten outputs, trained with Adam on
    ``(x_train, y_train)`` (images (N, 1, S, S) on the model's device) and
    evaluated on the test digits after every epoch. The same recipe gives
    Fréchet distances, precision and recall on the same scale in both
    notebooks. Seed before calling it for a reproducible classifier.
    """
    model = ConvClassifier(x_train.shape[-1], outputs=10, width=width)
    model = model.to(x_train.device)
    history = fit(
        model,
        TensorLoader(x_train, y_train, batch_size=batch_size),
        supervised_loss,
        torch.optim.Adam(model.parameters(), lr=lr),
        epochs=epochs,
        val_loader=TensorLoader(
            x_test, y_test, batch_size=4 * batch_size, shuffle=False
        ),
        desc="digit classifier",
        progress=progress,
    )
    return model, history


@torch.no_grad()
def embed(
    model: ConvClassifier, x: torch.Tensor, batch_size: int = 512
) -> tuple[torch.Tensor, torch.Tensor]:
    """Features (N, F) and predicted classes (N,) of images x, in eval mode."""
    model.eval()
    feats = torch.cat([model.features(b) for b in x.split(batch_size)])
    return feats.float(), model.head(feats).argmax(1)


@dataclass
class SampleReport:
    """One row of the evaluation table."""

    fd: float
    precision: float
    recall: float
    histogram: torch.Tensor
    classes: int
    n: int = 0  # samples judged


def evaluate_samples(
    model: ConvClassifier,
    real: torch.Tensor,
    samples: torch.Tensor,
    k: int = 3,
    frechet=metrics.frechet_distance,
) -> SampleReport:
    """Fréchet distance, precision, recall and class coverage of ``samples``.

    Args:
        model: the trained classifier whose features are compared.
        real: the reference images (N, C, S, S).
        samples: the images to judge (M, C, S, S).
        k: neighbours for the precision/recall radii.
        frechet: ``(mu1, cov1, mu2, cov2) -> scalar``, e.g. one from a notebook.
    """
    f_real, _ = embed(model, real)
    f_fake, pred = embed(model, samples)
    fd = frechet(
        *metrics.gaussian_stats(f_real.double()),
        *metrics.gaussian_stats(f_fake.double()),
    )
    precision, recall = metrics.precision_recall(f_real, f_fake, k)
    hist = metrics.class_histogram(pred.cpu(), model.head.out_features)
    return SampleReport(
        float(fd),
        float(precision),
        float(recall),
        hist,
        int(metrics.classes_covered(hist)),
        int(samples.shape[0]),
    )


@dataclass
class DrawsReport:
    """One sampler judged over independent draws (:meth:`DigitJudge.over_draws`).

    ``fd``, ``precision`` and ``recall`` are the means over the draws, so a
    report reads like a :class:`SampleReport`; ``fd_values`` keeps each
    draw's Fréchet distance, and ``fd_spread`` their range.
    """

    draws: list[SampleReport]

    @property
    def fd(self) -> float:
        return sum(r.fd for r in self.draws) / len(self.draws)

    @property
    def precision(self) -> float:
        return sum(r.precision for r in self.draws) / len(self.draws)

    @property
    def recall(self) -> float:
        return sum(r.recall for r in self.draws) / len(self.draws)

    @property
    def n(self) -> int:
        """Samples in each judged set (not in all of them)."""
        return self.draws[0].n

    @property
    def fd_values(self) -> list[float]:
        return [r.fd for r in self.draws]

    @property
    def fd_spread(self) -> tuple[float, float]:
        return min(self.fd_values), max(self.fd_values)


JUDGE_MAX_SAMPLES = 2000  # the gpu profile's MNIST has 10,000 test digits


def judge_width(profile) -> int:
    """Channels of the judge's first convolution in a profile (04's GAN width)."""
    return max(8, 3 * profile.width // 32)


@dataclass
class DigitJudge:
    """One way to judge generated digits across the course (02, 03, 04, 07).

    The classifier of :func:`train_digit_classifier` with the profile's
    recipe, the training digits as the reference set, and a fixed number of
    samples per judged set: as many as there are held-out test digits (at
    most ``JUDGE_MAX_SAMPLES``), so
    the held-out digits themselves are judged like any model. Fréchet
    distance rises and recall falls with fewer samples, so only sets judged
    by the same judge with the same count are comparable.

    Attributes:
        classifier: the trained judge.
        reference: the training digits (N, 1, S, S) in [0, 1].
        n_samples: how many samples every judged set must have.
        accuracy: the classifier's accuracy on the held-out digits.
    """

    classifier: ConvClassifier
    reference: torch.Tensor
    n_samples: int
    accuracy: float

    def __call__(
        self, samples: torch.Tensor, frechet=metrics.frechet_distance
    ) -> SampleReport:
        """:func:`evaluate_samples` (k = 3) of exactly ``n_samples`` images."""
        if samples.shape[0] != self.n_samples:
            raise ValueError(
                f"the judge compares sets of {self.n_samples} samples; got "
                f"{samples.shape[0]} (FD and recall depend on the count)"
            )
        return evaluate_samples(
            self.classifier,
            self.reference,
            samples.to(self.reference.device),
            k=3,
            frechet=frechet,
        )

    def over_draws(
        self, draws: Sequence[torch.Tensor], frechet=metrics.frechet_distance
    ) -> DrawsReport:
        """Judge several independent draws of one sampler, each of ``n_samples``.

        A Fréchet distance on a few hundred samples moves from one draw to the
        next by as much as a sampler comparison's margin; the mean over draws
        keeps the count of each judged set (so its expectation is that of one
        draw, comparable with every other figure of this judge) and divides
        the variance by the number of draws.
        """
        if len(draws) == 0:
            raise ValueError("over_draws needs at least one set of samples")
        return DrawsReport([self(x, frechet) for x in draws])

    def class_accuracy(self, samples: torch.Tensor, labels: torch.Tensor) -> float:
        """Share of samples the classifier reads as the requested ``labels``."""
        _, predicted = embed(self.classifier, samples.to(self.reference.device))
        return float((predicted == labels.to(predicted.device)).float().mean())


def digit_judge(
    profile,
    x_train: torch.Tensor,
    y_train: torch.Tensor,
    x_test: torch.Tensor,
    y_test: torch.Tensor,
    progress: bool = True,
) -> DigitJudge:
    """The course's digit judge in ``profile``: seed 0, 04's recipe, as many
    samples as held-out digits.

    Trains :func:`train_digit_classifier` with ``width=judge_width(profile)``,
    ``profile.epochs`` epochs and ``profile.batch_size`` (images (N, 1, S, S)
    in [0, 1] at ``profile.image_size``), after seeding every generator with
    0 (the global generators are left seeded so; reseed afterwards).
    """
    from coursework.runtime import seed_everything

    seed_everything(0)
    model, history = train_digit_classifier(
        x_train,
        y_train,
        x_test,
        y_test,
        width=judge_width(profile),
        epochs=profile.epochs,
        batch_size=profile.batch_size,
        progress=progress,
    )
    n = min(int(x_test.shape[0]), JUDGE_MAX_SAMPLES)
    return DigitJudge(model, x_train, n, history.val["acc"][-1])


def judged_alike(
    recorded: dict[str, float], n_samples: int, fd_real: float, rtol: float = 0.02
) -> str | None:
    """Whether another notebook's recorded figures were judged as ours were.

    Two sets of figures are comparable only when the same judge scored the
    same number of samples (:class:`DigitJudge`). The count is recorded as
    ``judge_samples``; the judge itself is checked by a fingerprint: the
    Fréchet distance it gives the grey held-out digits, ``fd_real``, which
    depends on nothing but the judge's weights, the digits and the count.
    The same recipe in the same profile gives it up to floating-point noise
    (thread counts change the order of sums in training), hence ``rtol``; a
    judge trained otherwise (other epochs, width or data) moves it far more.

    Args:
        recorded: the other notebook's figures (``recorded_metrics``).
        n_samples: our judge's ``n_samples``.
        fd_real: our judge's Fréchet distance of the held-out digits.
        rtol: relative tolerance on ``fd_real``.

    Returns:
        ``None`` when judged alike, otherwise a sentence saying why not.
    """
    if n_samples < 1 or not fd_real > 0:
        raise ValueError(
            f"n_samples must be positive and fd_real a positive distance; got "
            f"{n_samples} and {fd_real} (pass judge.n_samples and the judge's "
            "report on the held-out digits)"
        )
    count = recorded.get("judge_samples")
    if count is None:
        return "it recorded no judged sample count"
    if int(count) != n_samples:
        return f"its samples were judged with {int(count)} samples, not {n_samples}"
    theirs = recorded.get("fd_real")
    if theirs is None:
        return "it recorded no Fréchet distance of the held-out digits (fd_real)"
    if abs(theirs - fd_real) > rtol * fd_real:
        return (
            f"its judge gives the held-out digits a Fréchet distance of "
            f"{theirs:.4g}, ours {fd_real:.4g}: another judge"
        )
    return None

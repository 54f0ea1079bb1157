"""The evaluation report, the figures and the interpolation scrubber, headless."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402

from coursework.classifier import ConvClassifier, evaluate_samples  # noqa: E402
from coursework.data.mixtures import ring  # noqa: E402
from coursework.gan.training import GANHistory  # noqa: E402
from coursework.plot.gan import (  # noqa: E402
    plot_class_histograms,
    plot_gan_losses,
    plot_generator_losses,
    plot_mixture_samples,
    smooth,
)
from coursework.widgets.gan import InterpolationScrubber, interpolation_scrubber  # noqa: E402


def teardown_function():
    plt.close("all")


def test_evaluate_samples_identical_sets() -> None:
    torch.manual_seed(0)
    model = ConvClassifier(16, outputs=10, width=4, feature_dim=8)
    x = torch.rand(40, 1, 16, 16)
    report = evaluate_samples(model, x, x.clone())
    assert abs(report.fd) < 1e-6
    assert report.precision == 1.0 and report.recall == 1.0
    assert float(report.histogram.sum()) == 1.0 and 1 <= report.classes <= 10


def test_scrubber_follows_its_slider() -> None:
    decode = lambda z: torch.sigmoid(z[:, :4].view(-1, 1, 2, 2))  # noqa: E731
    z0, z1 = torch.zeros(4), torch.ones(4)
    scrubber = interpolation_scrubber(decode, z0, z1, steps=5)
    assert isinstance(scrubber, InterpolationScrubber)
    scrubber.toggle.value = "lerp"
    scrubber.slider.value = 0.25
    torch.testing.assert_close(scrubber.code(), torch.full((4,), 0.25))
    assert scrubber.image().shape == (1, 2, 2)
    assert interpolation_scrubber(decode, z0, z1, interactive=False) is None


def test_figures_draw() -> None:
    plot_generator_losses()
    mix = ring()
    fig = plot_mixture_samples(
        {"a": {0: mix.sample(50), 10: mix.sample(50)}}, mix.centers
    )
    assert len(fig.axes) == 2
    hist = GANHistory(d_loss=[1.0, 2.0, 3.0], g_loss=[0.5, 0.5, 0.5])
    plot_gan_losses({"run": hist}, window=2)
    plot_class_histograms({"x": torch.full((10,), 0.1)})
    assert smooth([1, 2, 3, 4], 2).tolist() == [1.0, 1.5, 2.5, 3.5]

"""Each topic's training step under autocast, on the CPU in bfloat16.

On CUDA the course trains under autocast (``coursework.train``); a loss that
mixes dtypes, or a layer that autocast cannot run, would first fail on a GPU.
Here every topic's model and loss, as its notebook trains them, take two
optimiser steps with ``amp=True`` on the CPU (bfloat16 autocast). Each test
checks that the forward pass really ran in bfloat16, that the weights and
their gradients stay float32, that the loss is finite, and that it matches
the float32 loss on the same batch within bfloat16's precision.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from coursework.train import evaluate, train_epoch

CPU = torch.device("cpu")


def _record_dtypes(model: nn.Module) -> list[torch.dtype]:
    """Output dtypes of the layers with a weight matrix (convolutions, linear)."""
    seen: list[torch.dtype] = []

    def hook(module, args, out):
        if isinstance(out, torch.Tensor):
            seen.append(out.dtype)

    for m in model.modules():
        weight = getattr(m, "weight", None)
        if isinstance(weight, torch.Tensor) and weight.dim() >= 2:
            m.register_forward_hook(hook)
    return seen


def _loss_value(model, batch, loss_fn, amp: bool) -> float:
    torch.manual_seed(5)  # the same noise (reparameterisation, crops) both times
    return evaluate(model, [batch], loss_fn, amp=amp)["loss"]


def check_training_step(model: nn.Module, batch: tuple, loss_fn: Callable) -> None:
    """Two bfloat16 autocast steps; the asserts of this file's docstring."""
    dtypes = _record_dtypes(model)
    full = _loss_value(model, batch, loss_fn, amp=False)
    mixed = _loss_value(model, batch, loss_fn, amp=True)
    assert mixed == pytest.approx(full, rel=0.05, abs=0.02)
    dtypes.clear()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    logs = train_epoch(model, [batch, batch], loss_fn, opt, amp=True)
    assert torch.bfloat16 in dtypes, "autocast did not reach the model"
    assert all(math.isfinite(v) for v in logs.values()), logs
    for p in model.parameters():
        assert p.dtype == torch.float32
        assert p.grad is None or p.grad.dtype == torch.float32


def test_video_3d_cnn_clip_loss():
    from coursework.data.video import make_actions
    from coursework.video.models import build_model
    from coursework.video.training import clip_loss

    torch.manual_seed(0)
    x, y = make_actions(1, 10, 16, seed=0)
    # 8-frame clips: PyTorch's CPU bfloat16 Conv3d (2.14) returns garbage weight
    # gradients (inf, NaN, 1e19) when a clip is pooled down to 2 frames under a
    # 3-frame kernel; cuDNN does not, and 8 frames keep 4 at the last conv here.
    for name in ("3d", "early", "3d_nonlocal"):
        model = build_model(name, (3, 8, 16, 16), 8, 4)
        check_training_step(model, (x, y), clip_loss(8, 1))


@pytest.mark.parametrize("kind", ["softmax", "logistic"])
def test_autoregressive_pixelcnns_nll(kind):
    from coursework.autoregressive import (
        GatedPixelCNN,
        Likelihood,
        PixelCNN,
        image_nll,
        to_unit,
    )

    lik = Likelihood(kind, levels=2 if kind == "softmax" else 16, n_mix=2)
    torch.manual_seed(0)
    values = torch.randint(0, lik.levels, (8, 1, 8, 8))
    labels = torch.randint(0, 10, (8,))

    def nll_loss(model, batch):  # as notebook 02
        v = batch[0].long()
        x = to_unit(v, lik.levels)
        params = model(x, batch[1]) if len(batch) > 1 else model(x)
        return image_nll(lik.log_prob(params.float(), v)).mean() / v[0].numel()

    check_training_step(PixelCNN(1, lik.n_params, 12, 3), (values,), nll_loss)
    gated = GatedPixelCNN(1, lik.n_params, 12, 3, n_classes=10)
    check_training_step(gated, (values, labels), nll_loss)


def test_vae_elbo_and_vqvae():
    from coursework.vae.losses import bernoulli_log_likelihood, elbo, vq_losses
    from coursework.vae.models import VAE
    from coursework.vae.vqvae import VQVAE, vector_quantize

    torch.manual_seed(0)
    x = (torch.rand(16, 1, 8, 8) > 0.5).float()

    def vae_loss(model, batch):  # as notebook 03
        logits, mu, logvar, _ = model(batch[0])
        return -elbo(batch[0], logits, mu, logvar).mean()

    check_training_step(VAE((1, 8, 8), 4, [32, 32]), (x,), vae_loss)

    def vqvae_loss(model, batch):  # as notebook 03
        logits, z_e, z_q, _ = model(batch[0], quantize=vector_quantize)
        rec = -bernoulli_log_likelihood(logits, batch[0]).mean()
        codebook, commitment = (t.mean() for t in vq_losses(z_e, z_q))
        return rec + codebook + 0.25 * commitment

    vq = VQVAE(1, width=16, code_dim=4, num_codes=8)
    check_training_step(vq, (x,), vqvae_loss)


def test_pretext_rotation_and_simclr():
    from coursework.pretext.backbone import Backbone, PretextNet
    from coursework.pretext.contrastive import nt_xent
    from coursework.pretext.heads import LinearHead, MLPHead
    from coursework.pretext.rotation import rotate_batch

    torch.manual_seed(0)
    x = torch.rand(8, 3, 16, 16)

    def rotation_loss(model, batch):  # as notebook 05
        x_rot, labels = rotate_batch(batch[0])
        return F.cross_entropy(model(x_rot), labels)

    net = PretextNet(Backbone(8), LinearHead(32, 4))
    check_training_step(net, (x,), rotation_loss)

    def simclr_loss(model, batch):  # as notebook 05, with a fixed second view
        z1, z2 = model(batch[0]), model(batch[0].flip(-1))
        return nt_xent(z1.float(), z2.float(), 0.5)

    check_training_step(PretextNet(Backbone(8), MLPHead(32, 32, 16)), (x,), simclr_loss)


def test_multimodal_towers_info_nce():
    from coursework.data.audiovisual import make_clips
    from coursework.multimodal import (
        AudioVisual,
        crop_frames,
        crop_spectrogram,
        info_nce,
        log_mel_spectrogram,
        mel_filterbank,
    )

    clips = make_clips(8, 8, 16, seed=0)
    bank = mel_filterbank(16, 256, clips.sample_rate)
    spec = log_mel_spectrogram(
        clips.audio, bank, 256, int(clips.sample_rate / clips.fps) // 4
    )
    start = torch.full((8,), 2)

    def loss(model, batch):  # as notebook 06, on fixed windows
        v = crop_frames(batch[0], start, 4)
        a = crop_spectrogram(batch[1], start, 4, 4)
        return info_nce(*model(v, a), 0.1)

    check_training_step(AudioVisual(16, 8, 16), (clips.videos, spec), loss)


def test_shared_classifier():
    from coursework.classifier import ConvClassifier, supervised_loss

    torch.manual_seed(0)
    x, y = torch.rand(16, 1, 16, 16), torch.randint(0, 10, (16,))
    check_training_step(ConvClassifier(16, width=8), (x, y), supervised_loss)


@pytest.mark.parametrize("variant", ["standard", "wgan_gp"])
def test_gan_steps_under_autocast(variant):
    """train_gan under autocast, the gradient penalty's double backward included."""
    from coursework.gan.models import DCGANDiscriminator, DCGANGenerator
    from coursework.gan.training import standard, train_gan, wasserstein_gp

    torch.manual_seed(0)
    g = DCGANGenerator(8, 16, 1, 8, 0)
    norm = "none" if variant == "wgan_gp" else "batch"
    d = DCGANDiscriminator(16, 1, 8, norm, False, 1, 0)
    g_dtypes, d_dtypes = _record_dtypes(g), _record_dtypes(d)
    real = torch.rand(8, 1, 16, 16) * 2 - 1
    objective = wasserstein_gp() if variant == "wgan_gp" else standard()
    opt_g, opt_d = (torch.optim.Adam(m.parameters(), lr=1e-4) for m in (g, d))
    batches = iter([(real,)] * 4)
    hist = train_gan(
        g, d, batches, objective, opt_g, opt_d, 2, amp=True, progress=False
    )
    assert torch.bfloat16 in g_dtypes and torch.bfloat16 in d_dtypes
    assert all(math.isfinite(v) for v in hist.d_loss + hist.g_loss)
    for p in list(g.parameters()) + list(d.parameters()):
        assert p.dtype == torch.float32 and p.grad.dtype == torch.float32


def test_cpu_bfloat16_conv3d_with_two_frames_keeps_finite_weights():
    """oneDNN's bfloat16 Conv3d weight gradient misbehaves at a time axis of 2.

    Without the step's ATen-kernel guard this fails in most of the tries on a
    CPU without native bfloat16; with it, every try stays finite.
    """
    torch.manual_seed(0)
    x, y = torch.randn(8, 8, 2, 8, 8), torch.randint(0, 4, (8,))
    for _ in range(20):
        conv = nn.Conv3d(8, 16, 3, padding=1)
        model = nn.Sequential(conv, nn.Flatten(), nn.Linear(16 * 2 * 8 * 8, 4))
        opt = torch.optim.Adam(model.parameters(), lr=1e-4)
        loss = lambda m, b: F.cross_entropy(m(b[0]), b[1])  # noqa: E731
        train_epoch(model, [(x, y)], loss, opt, amp=True)
        for p in model.parameters():
            assert torch.isfinite(p).all()
    assert torch.backends.mkldnn.enabled  # the guard puts the setting back

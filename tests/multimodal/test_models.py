"""Encoders, audio-visual networks and fusion heads: shapes, time, gradients."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from coursework.multimodal.fusion import FUSIONS, CrossAttentionBlock
from coursework.multimodal.models import (
    AudioVisual,
    Correspondence,
    Localiser,
    SelfLabelling,
    coord_channels,
)

B, T, S, M = 3, 4, 16, 8


def _inputs():
    g = torch.Generator().manual_seed(0)
    frames = torch.randint(0, 256, (B, T, 3, S, S), generator=g, dtype=torch.uint8)
    spec = torch.randn(B, M, 4 * T, generator=g)
    return frames, spec


def test_encoders_keep_one_token_per_frame() -> None:
    frames, spec = _inputs()
    model = AudioVisual(M, width=4, dim=6, steps=2).eval()
    assert model.video.tokens(frames).shape == (B, T, 8)
    assert model.audio.tokens(spec).shape == (B, T, 8)
    assert model.video.feature_map(frames).shape == (B, T, 8, S // 4, S // 4)
    assert model.video.features(frames).shape == (B, 16)
    v, a = model(frames, spec)
    assert v.shape == a.shape == (B, 6)
    # uint8 frames and the same frames as floats in [0, 1] give the same output
    torch.testing.assert_close(model.video(frames.float() / 255), v)


def test_video_encoder_is_per_clip() -> None:
    frames, _ = _inputs()
    model = AudioVisual(M, 4, 6).eval()
    out = model.video(frames)
    torch.testing.assert_close(model.video(frames[1:2]), out[1:2])


def test_coord_channels() -> None:
    x = coord_channels(torch.zeros(2, 1, 3, 5))
    assert x.shape == (2, 3, 3, 5)
    torch.testing.assert_close(x[0, 1, 0], torch.linspace(-1, 1, 5))
    torch.testing.assert_close(x[0, 2, :, 0], torch.linspace(-1, 1, 3))


@pytest.mark.parametrize("cls", [Correspondence, SelfLabelling, Localiser])
def test_networks_run_and_train(cls) -> None:
    frames, spec = _inputs()
    model = cls(M, 4, 6, 5) if cls is SelfLabelling else cls(M, 4, 6)
    out = model(frames, spec)
    outs = out if isinstance(out, tuple) else (out,)
    if cls is Correspondence:
        assert out.shape == (B,)
    elif cls is SelfLabelling:
        assert [o.shape for o in outs] == [(B, 5), (B, 5)]
    else:
        assert outs[0].shape == (B, 6) and outs[1].shape == (B, T, 6, S // 4, S // 4)
    sum(o.float().pow(2).mean() for o in outs).backward()
    assert all(p.grad is not None for p in model.parameters() if p.requires_grad)


def test_correspondence_reads_the_euclidean_distance() -> None:
    """AVE-Net's head: the distance of the normalised embeddings, not its square."""
    model = Correspondence(M, 4, 6, temperature=0.5)
    g = torch.Generator().manual_seed(0)
    v, a = torch.randn(B, 6, generator=g), torch.randn(B + 1, 6, generator=g)
    vn, an = F.normalize(v, dim=1), F.normalize(a, dim=1)
    dist = torch.stack([torch.stack([(x - y).norm() for y in an]) for x in vn])  # loop
    expected = model.bias.detach() - dist / 0.5
    torch.testing.assert_close(model.all_pairs(v, a).detach(), expected)
    torch.testing.assert_close(model.classify(v, a[:B]).detach(), expected.diagonal())
    # unrelated directions start at logit 0: the bias is sqrt(2) / tau
    torch.testing.assert_close(model.bias.detach(), torch.tensor(2**0.5 / 0.5))
    # a perfect match (distance 0) still has a finite gradient
    x = torch.randn(B, 6, generator=g, requires_grad=True)
    model.classify(x, x.detach().clone()).sum().backward()
    model.all_pairs(x, x.detach().clone()).sum().backward()
    assert torch.isfinite(x.grad).all()


@pytest.mark.parametrize("name", sorted(FUSIONS))
def test_fusion_heads(name) -> None:
    g = torch.Generator().manual_seed(0)
    v, a = torch.randn(B, T, 6, generator=g), torch.randn(B, T, 5, generator=g)
    head = FUSIONS[name](6, 5, 8, 4)
    logits = head(v, a)
    assert logits.shape == (B, 4) and torch.isfinite(logits).all()
    # every head reads both modalities
    assert not torch.allclose(head(v, torch.zeros_like(a)), logits)
    assert not torch.allclose(head(torch.zeros_like(v), a), logits)


def test_cross_attention_reads_the_other_modality_only_through_attention() -> None:
    block = CrossAttentionBlock(8, heads=2).eval()
    x, y = torch.randn(2, 3, 8), torch.randn(2, 5, 8)
    out = block(x, y)
    assert out.shape == x.shape
    # permuting the keys (audio tokens) changes nothing: attention is a set operation
    torch.testing.assert_close(block(x, y[:, torch.randperm(5)]), out)

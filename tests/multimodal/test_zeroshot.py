"""Zero-shot classification: prompts, prompt ensembling and logits against a loop."""

from __future__ import annotations

import math

import pytest
import torch

from coursework.multimodal.zeroshot import class_embeddings, prompts, zero_shot_logits


def _loop_logits(clips, prompt_emb, temperature):
    """CLIP's recipe, written out: per class, average the unit prompt vectors,
    renormalise, then a cosine per clip."""
    n, (k, p, _) = clips.shape[0], prompt_emb.shape
    out = torch.zeros(n, k, dtype=clips.dtype)
    for j in range(k):
        centre = sum(prompt_emb[j, q] / prompt_emb[j, q].norm() for q in range(p)) / p
        centre = centre / centre.norm()
        for i in range(n):
            x = clips[i] / clips[i].norm()
            out[i, j] = (x * centre).sum() / temperature
    return out


def test_prompts_are_class_major() -> None:
    out = prompts(["a {}", "a sound of a {}"], ["circle", "square"])
    assert out == ["a circle", "a sound of a circle", "a square", "a sound of a square"]
    with pytest.raises(ValueError, match="exactly one"):
        prompts(["a sound"], ["circle"])


@pytest.mark.parametrize("n,k,p,d,tau", [(5, 3, 1, 4, 1.0), (7, 4, 3, 6, 0.07)])
def test_zero_shot_logits_match_a_loop(n, k, p, d, tau) -> None:
    g = torch.Generator().manual_seed(0)
    clips = torch.randn(n, d, generator=g, dtype=torch.float64, requires_grad=True)
    emb = torch.randn(k, p, d, generator=g, dtype=torch.float64, requires_grad=True)
    out = zero_shot_logits(clips, emb, tau)
    ref = _loop_logits(clips, emb, tau)
    torch.testing.assert_close(out, ref)
    w = torch.randn(n, k, generator=g, dtype=torch.float64)
    grads = torch.autograd.grad((out * w).sum(), (clips, emb))
    ref_grads = torch.autograd.grad((ref * w).sum(), (clips, emb))
    for a, b in zip(grads, ref_grads):
        torch.testing.assert_close(a, b)


def test_known_case() -> None:
    """Clips along the axes and prompts on the axes: logits are the unit matrix."""
    clips = torch.tensor([[3.0, 0.0], [0.0, 0.5], [1.0, 1.0]])
    # class 0: two prompts at +-45 degrees around the x axis average to the x axis
    emb = torch.tensor([[[1.0, 1.0], [2.0, -2.0]], [[0.0, 4.0], [0.0, 1.0]]])
    out = zero_shot_logits(clips, emb, temperature=0.5)
    s = math.sqrt(0.5)
    expected = torch.tensor([[1.0, 0.0], [0.0, 1.0], [s, s]]) / 0.5
    torch.testing.assert_close(out, expected)
    torch.testing.assert_close(class_embeddings(emb), torch.eye(2))


def test_prompt_scale_does_not_matter() -> None:
    """Each prompt is normalised before the average: a long vector has no more say."""
    g = torch.Generator().manual_seed(1)
    clips = torch.randn(4, 5, generator=g)
    emb = torch.randn(3, 2, 5, generator=g)
    scaled = emb.clone()
    scaled[:, 0] *= 100
    expected = zero_shot_logits(clips, emb)
    torch.testing.assert_close(zero_shot_logits(clips, scaled), expected)


def test_errors_name_the_problem() -> None:
    with pytest.raises(ValueError, match=r"\(K classes, P prompts, D\)"):
        zero_shot_logits(torch.randn(3, 4), torch.randn(2, 4))
    with pytest.raises(ValueError, match="D=4"):
        zero_shot_logits(torch.randn(3, 5), torch.randn(2, 1, 4))
    with pytest.raises(ValueError, match="positive"):
        zero_shot_logits(torch.randn(3, 4), torch.randn(2, 1, 4), temperature=0.0)

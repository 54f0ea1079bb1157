"""Zero-shot classification from class-name prompts, as in CLIP.

Radford et al., *Learning Transferable Visual Models From Natural Language
Supervision* (2021, arXiv:2103.00020), Sec. 3.1.2: "we use the names of all
the classes in the dataset as the set of potential text pairings and predict
the most probable (image, text) pair according to CLIP". Each class name is
put into several prompt templates ("a sound of a {}"); Sec. 3.1.4 ensembles
them "over the embedding space instead of probability space": the class
embedding is the mean of the normalised prompt embeddings, normalised again,

``c_k = normalize(1/P sum_p normalize(t_kp))``,
``logit_nk = cos(x_n, c_k) / tau``.

No labelled example is used: the classifier's weights are text embeddings.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F


def prompts(templates: Sequence[str], class_names: Sequence[str]) -> list[str]:
    """Every template filled with every class name, class-major: K * P sentences.

    Sentence ``k * P + p`` is ``templates[p]`` with ``class_names[k]``, so the
    text embeddings reshape to (K, P, D).
    """
    bad = [t for t in templates if t.count("{}") != 1]
    if bad:
        raise ValueError(
            f"each template needs exactly one '{{}}' for the class name; got {bad!r}"
        )
    return [t.format(name) for name in class_names for t in templates]


def class_embeddings(prompt_embeddings: torch.Tensor) -> torch.Tensor:
    """Ensemble P prompt embeddings per class: (K, P, D) -> unit vectors (K, D)."""
    if prompt_embeddings.dim() != 3:
        raise ValueError(
            "prompt_embeddings must be (K classes, P prompts, D); got shape "
            f"{tuple(prompt_embeddings.shape)}: reshape the text embeddings with "
            ".view(K, P, D)"
        )
    # c_k = normalize(mean_p normalize(t_kp))
    return F.normalize(F.normalize(prompt_embeddings, dim=-1).mean(1), dim=-1)


def zero_shot_logits(
    clips: torch.Tensor, prompt_embeddings: torch.Tensor, temperature: float = 1.0
) -> torch.Tensor:
    """Logits of N clips over K classes: ``cos(x_n, c_k) / tau``.

    Args:
        clips: clip embeddings (N, D), not necessarily normalised.
        prompt_embeddings: text embeddings of P prompts per class (K, P, D).
        temperature: ``tau`` > 0; it rescales the logits, not their argmax.

    Returns:
        (N, K) logits; ``argmax(1)`` is the zero-shot prediction.
    """
    if temperature <= 0:
        raise ValueError(f"the temperature must be positive; got {temperature}")
    classes = class_embeddings(prompt_embeddings)  # (K, D)
    if clips.dim() != 2 or clips.shape[1] != classes.shape[1]:
        raise ValueError(
            f"clips must be (N, D) with the D={classes.shape[1]} of the text "
            f"embeddings; got {tuple(clips.shape)}"
        )
    return F.normalize(clips, dim=-1) @ classes.T / temperature  # (N, K)


__all__ = ["class_embeddings", "prompts", "zero_shot_logits"]

"""Pure loss functions shared by the pretext tasks: tensors in, logs out."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def classification_loss(
    logits: torch.Tensor, labels: torch.Tensor, weight: torch.Tensor | None = None
) -> dict[str, torch.Tensor]:
    """Cross-entropy and accuracy, for :func:`coursework.train.fit`.

    Shape: logits (B, K) or (B, K, H, W), labels (B,) or (B, H, W); ``weight``
    (K,) rescales each class (colourisation's rebalancing, DeepCluster's
    uniform sampling), normalised by the batch's total weight.
    """
    loss = F.cross_entropy(logits.float(), labels, weight=weight)
    acc = (logits.argmax(1) == labels).float().mean()
    return {"loss": loss, "acc": acc}

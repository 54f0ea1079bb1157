"""Notebook 05's sizes and objects, derived from a profile as the notebook does.

Shared by the benchmarks that mirror 05 (``moco.py``, ``finetune_deficit.py``):
the backbone width, the pretraining and transfer budgets (sections 1 and 11),
the generated objects of its train and test splits, and their table of means.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

import torch

from coursework.data.objects import OBJECT_CLASSES, make_objects


@dataclass(frozen=True)
class Notebook05:
    """What notebook 05 derives from ``profile`` (its names in the comments)."""

    s: int  # image side, a multiple of 8
    width: int  # WIDTH, base channels of the backbone
    epochs: int  # pretraining epochs
    batch: int
    probe_epochs: int
    few: int  # FEW, labelled images for fine-tuning
    finetune_epochs: int
    finetune_batch: int
    k: int  # classes
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor


def notebook05(profile, device: torch.device) -> Notebook05:
    """05's sizes in ``profile`` and its objects (train seed 0, test seed 1)."""
    s = 8 * (profile.image_size // 8)
    x_train, y_train = make_objects(profile.n_train, s, seed=0, device=device)
    x_test, y_test = make_objects(profile.n_test, s, seed=1, device=device)
    return Notebook05(
        s=s,
        width=max(8, profile.width // 16),
        epochs=max(2, profile.epochs // 2),
        batch=profile.batch_size,
        probe_epochs=profile.epochs,
        few=max(2, profile.n_train // 10),
        finetune_epochs=max(3, profile.epochs // 2),
        finetune_batch=max(8, profile.batch_size // 4),
        k=len(OBJECT_CLASSES),
        x_train=x_train,
        y_train=y_train,
        x_test=x_test,
        y_test=y_test,
    )


def print_means(
    rows: dict[str, list[dict]],
    keys: list[str],
    first: str,
    name_width: int,
    cell_width: int,
) -> None:
    """One line per row name: the mean over its runs of each key (blank where absent).

    Headers are cut to ``cell_width - 1`` characters.
    """
    print(
        f"{first:<{name_width}}"
        + "".join(f"{key[: cell_width - 1]:>{cell_width}}" for key in keys)
    )
    for name, runs in rows.items():
        cells = []
        for key in keys:
            vals = [r[key] for r in runs if key in r]
            mean = f"{statistics.mean(vals):>{cell_width}.3f}" if vals else ""
            cells.append(f"{mean:>{cell_width}}")
        print(f"{name:<{name_width}}" + "".join(cells))

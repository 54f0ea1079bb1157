"""One plain training loop: train an epoch, evaluate, fit.

A loss function takes ``(model, batch)`` and returns a scalar tensor or a dict
of scalar tensors with a ``"loss"`` key (the others are logged). Running sums
stay on the device and are read once per epoch, so the loop never waits for
the GPU inside a step. On CUDA the forward pass runs under autocast (bfloat16
where supported, else float16 with a gradient scaler). ``amp=True`` runs the
same path on the CPU in bfloat16 (slow on most CPUs; the tests use it so that
a dtype error shows without a GPU).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field

import torch
from torch import nn
from tqdm.auto import tqdm

Batch = tuple[torch.Tensor, ...]
LossFn = Callable[[nn.Module, Batch], "torch.Tensor | Mapping[str, torch.Tensor]"]


class TensorLoader:
    """Minibatches of tensors that already live on one device.

    Faster than a DataLoader for data that fits in memory: no workers, no
    host-device copies. Shuffling uses its own CPU generator, so it is
    reproducible and independent of the global seed.

    Args:
        tensors: tensors with the same first dimension ``N``.
        batch_size: rows per batch.
        shuffle: draw a new permutation every epoch.
        drop_last: skip a last, smaller batch.
        seed: seed of the shuffling generator.
    """

    def __init__(
        self,
        *tensors: torch.Tensor,
        batch_size: int = 64,
        shuffle: bool = True,
        drop_last: bool = False,
        seed: int = 0,
    ) -> None:
        if not tensors:
            raise ValueError("TensorLoader needs at least one tensor")
        n = tensors[0].shape[0]
        if any(t.shape[0] != n for t in tensors):
            raise ValueError(
                "all tensors need the same first dimension; "
                f"got {[t.shape[0] for t in tensors]}"
            )
        self.tensors = tensors
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.generator = torch.Generator().manual_seed(seed)

    def __len__(self) -> int:
        n = self.tensors[0].shape[0]
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self) -> Iterator[Batch]:
        n = self.tensors[0].shape[0]
        device = self.tensors[0].device
        if self.shuffle:
            order = torch.randperm(n, generator=self.generator).to(device)
        else:
            order = torch.arange(n, device=device)
        for i in range(len(self)):
            idx = order[i * self.batch_size : (i + 1) * self.batch_size]
            yield tuple(t[idx] for t in self.tensors)


@dataclass
class History:
    """Per-epoch means of every logged value, for training and validation."""

    train: dict[str, list[float]] = field(default_factory=dict)
    val: dict[str, list[float]] = field(default_factory=dict)

    def last(self, key: str = "loss", split: str = "train") -> float:
        """The latest value of ``key``."""
        return getattr(self, split)[key][-1]


def _as_dict(out: torch.Tensor | Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    if isinstance(out, torch.Tensor):
        return {"loss": out}
    if "loss" not in out:
        raise KeyError(
            f"the loss function returned keys {sorted(out)}; one must be 'loss'"
        )
    return dict(out)


def _to_device(batch: object, device: torch.device) -> Batch:
    if isinstance(batch, torch.Tensor):
        batch = (batch,)
    return tuple(
        b.to(device, non_blocking=True) if isinstance(b, torch.Tensor) else b
        for b in batch
    )  # type: ignore[union-attr]


AMP_ENV = "COURSEWORK_AMP"


def amp_enabled(device: torch.device, amp: bool | None = None) -> bool:
    """Whether to compute under autocast.

    ``None`` (the default): on CUDA only, or also on the CPU when
    ``$COURSEWORK_AMP`` is ``1`` (how the tests run every notebook's CUDA
    code path on a CPU). ``True``: on CUDA and on the CPU (bfloat16).
    ``False``: never. Other devices (MPS) run in float32.
    """
    if amp is None:
        amp = device.type == "cuda" or os.environ.get(AMP_ENV, "").strip() == "1"
    return bool(amp) and device.type in ("cuda", "cpu")


def amp_dtype(device: torch.device) -> torch.dtype:
    """bfloat16, or float16 on a GPU without bfloat16 (e.g. a T4 or a V100)."""
    if device.type == "cuda" and not torch.cuda.is_bf16_supported():
        return torch.float16
    return torch.bfloat16


def needs_grad_scaler(device: torch.device, amp: bool | None = None) -> bool:
    """float16 autocast needs a gradient scaler; bfloat16 has float32's range."""
    return amp_enabled(device, amp) and amp_dtype(device) == torch.float16


def autocast(
    device: torch.device, enabled: bool | None = None
) -> contextlib.AbstractContextManager:
    """Autocast where :func:`amp_enabled` allows, in :func:`amp_dtype`; else a no-op."""
    if not amp_enabled(device, enabled):
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype=amp_dtype(device))


@contextlib.contextmanager
def _cpu_amp_kernels(device: torch.device, amp: bool) -> Iterator[None]:
    """Run a CPU bfloat16 step on ATen's own kernels, not oneDNN's.

    With torch 2.14.1 on CPUs without native bfloat16, oneDNN's Conv3d weight
    gradient under bfloat16 autocast returns non-finite values at random when
    the time axis is 2 long (87 of 100 tries; ``tests/test_mixed_precision.py``
    keeps the case). CPU autocast is only the stand-in for the GPU path, so its
    speed does not matter; CUDA steps are untouched.
    """
    if not (amp and device.type == "cpu"):
        yield
        return
    before = torch.backends.mkldnn.enabled
    torch.backends.mkldnn.enabled = False
    try:
        yield
    finally:
        torch.backends.mkldnn.enabled = before


def _device_of(model: nn.Module) -> torch.device:
    p = next(model.parameters(), None)
    return p.device if p is not None else torch.device("cpu")


class _Sums:
    """Running sums of logged values, kept on the device until read."""

    def __init__(self) -> None:
        self.sums: dict[str, torch.Tensor] = {}
        self.count = 0

    def add(self, values: dict[str, torch.Tensor]) -> None:
        for k, v in values.items():
            v = v.detach().float()
            self.sums[k] = self.sums[k] + v if k in self.sums else v
        self.count += 1

    def means(self) -> dict[str, float]:
        if not self.sums:
            return {}
        keys = list(self.sums)
        stacked = torch.stack([self.sums[k] for k in keys]) / max(self.count, 1)
        return dict(zip(keys, stacked.tolist()))  # one host sync per epoch


def train_epoch(
    model: nn.Module,
    loader: Iterable[Batch],
    loss_fn: LossFn,
    optimizer: torch.optim.Optimizer,
    scaler: torch.amp.GradScaler | None = None,
    amp: bool | None = None,
    progress: tqdm | None = None,
    grad_clip: float | None = None,
) -> dict[str, float]:
    """One pass over ``loader``; returns the mean of every logged value."""
    device = _device_of(model)
    amp = amp_enabled(device, amp)  # resolved once, not on every step
    model.train()
    sums = _Sums()
    for batch in loader:
        batch = _to_device(batch, device)
        with _cpu_amp_kernels(device, amp):
            with autocast(device, amp):
                logs = _as_dict(loss_fn(model, batch))
            optimizer.zero_grad(set_to_none=True)
            if scaler is not None and scaler.is_enabled():
                scaler.scale(logs["loss"]).backward()
                scaler.unscale_(optimizer)
                if grad_clip:
                    nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
                scaler.step(optimizer)
                scaler.update()
            else:
                logs["loss"].backward()
                if grad_clip:
                    nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
                optimizer.step()
        sums.add(logs)
        if progress is not None:
            progress.update(1)
    return sums.means()


@torch.no_grad()
def evaluate(
    model: nn.Module, loader: Iterable[Batch], loss_fn: LossFn, amp: bool | None = None
) -> dict[str, float]:
    """Mean of every logged value over ``loader``, in eval mode, without gradients."""
    device = _device_of(model)
    amp = amp_enabled(device, amp)  # resolved once, not on every batch
    was_training = model.training
    model.eval()
    sums = _Sums()
    for batch in loader:
        batch = _to_device(batch, device)
        with autocast(device, amp):
            sums.add(_as_dict(loss_fn(model, batch)))
    model.train(was_training)
    return sums.means()


def fit(
    model: nn.Module,
    train_loader: Iterable[Batch],
    loss_fn: LossFn,
    optimizer: torch.optim.Optimizer,
    epochs: int,
    val_loader: Iterable[Batch] | None = None,
    val_loss_fn: LossFn | None = None,
    scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
    amp: bool | None = None,
    grad_clip: float | None = None,
    desc: str = "training",
    progress: bool = True,
    history: History | None = None,
) -> History:
    """Train for ``epochs`` with a progress bar; return the history of epoch means.

    Args:
        model: the module to train (already on its device).
        train_loader: iterable of batches (tuples of tensors).
        loss_fn: ``(model, batch) -> loss`` or a dict with ``"loss"``.
        optimizer: the optimizer over ``model``'s parameters.
        epochs: passes over ``train_loader``.
        val_loader: evaluated after every epoch when given.
        val_loss_fn: loss for validation (default: ``loss_fn``).
        scheduler: stepped once per epoch.
        amp: mixed precision (see :func:`amp_enabled`); default on CUDA only.
        grad_clip: clip the gradient norm to this value.
        desc: the progress bar's label.
        progress: show the progress bar.
        history: continue an earlier history.
    """
    device = _device_of(model)
    history = history or History()
    scaler = torch.amp.GradScaler("cuda") if needs_grad_scaler(device, amp) else None
    try:
        steps = epochs * len(train_loader)  # type: ignore[arg-type]
    except TypeError:
        steps = None
    bar = tqdm(total=steps, desc=desc, disable=not progress, leave=True)
    for _ in range(epochs):
        logs = train_epoch(
            model, train_loader, loss_fn, optimizer, scaler, amp, bar, grad_clip
        )
        for k, v in logs.items():
            history.train.setdefault(k, []).append(v)
        shown = {f"train_{k}": f"{v:.4g}" for k, v in logs.items() if k == "loss"}
        if val_loader is not None:
            vlogs = evaluate(model, val_loader, val_loss_fn or loss_fn, amp)
            for k, v in vlogs.items():
                history.val.setdefault(k, []).append(v)
            shown.update(
                {f"val_{k}": f"{v:.4g}" for k, v in vlogs.items() if k == "loss"}
            )
        if scheduler is not None:
            scheduler.step()
        bar.set_postfix(shown)
    bar.close()
    return history

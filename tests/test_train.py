import contextlib

import pytest
import torch
from torch import nn

from coursework.train import (
    AMP_ENV,
    History,
    TensorLoader,
    amp_dtype,
    amp_enabled,
    autocast,
    evaluate,
    fit,
    needs_grad_scaler,
    train_epoch,
)


def test_tensor_loader_visits_every_row_once_per_epoch():
    x = torch.arange(10.0)
    loader = TensorLoader(x, x * 2, batch_size=3, seed=1)
    assert len(loader) == 4
    seen = torch.cat([a for a, _ in loader])
    assert torch.equal(seen.sort().values, x)
    for a, b in loader:
        assert torch.equal(b, a * 2)  # rows stay aligned across tensors


def test_tensor_loader_shuffles_reproducibly_and_drops_last():
    x = torch.arange(10)
    first = [b[0].tolist() for b in TensorLoader(x, batch_size=4, seed=7)]
    again = [b[0].tolist() for b in TensorLoader(x, batch_size=4, seed=7)]
    assert first == again
    assert len(TensorLoader(x, batch_size=4, drop_last=True)) == 2
    ordered = [b[0].tolist() for b in TensorLoader(x, batch_size=5, shuffle=False)]
    assert ordered == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]


def test_tensor_loader_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="same first dimension"):
        TensorLoader(torch.zeros(3), torch.zeros(4))


def _regression(n=256):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, 3, generator=g)
    w = torch.tensor([[1.0], [-2.0], [0.5]])
    return x, x @ w + 0.3


def mse(model, batch):
    x, y = batch
    return nn.functional.mse_loss(model(x), y)


def test_fit_learns_a_linear_map_and_records_history():
    torch.manual_seed(0)
    x, y = _regression()
    model = nn.Linear(3, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    loader = TensorLoader(x, y, batch_size=32)
    hist = fit(model, loader, mse, opt, epochs=15, val_loader=loader, progress=False)
    assert len(hist.train["loss"]) == len(hist.val["loss"]) == 15
    assert hist.train["loss"][-1] < 1e-3 < hist.train["loss"][0]
    assert hist.last("loss", "val") == pytest.approx(
        evaluate(model, loader, mse)["loss"]
    )
    assert torch.allclose(model.weight, torch.tensor([[1.0, -2.0, 0.5]]), atol=1e-2)


def test_loss_dicts_are_averaged_and_need_a_loss_key():
    x, y = _regression(64)
    model = nn.Linear(3, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.0)

    def logs(model, batch):
        return {"loss": mse(model, batch), "one": torch.tensor(1.0)}

    out = train_epoch(model, TensorLoader(x, y, batch_size=16), logs, opt)
    assert out["one"] == pytest.approx(1.0)

    def bad(model, batch):
        return {"mse": mse(model, batch)}

    with pytest.raises(KeyError, match="'loss'"):
        train_epoch(model, TensorLoader(x, y, batch_size=16), bad, opt)


def test_evaluate_restores_mode_and_uses_no_grad():
    model = nn.Sequential(nn.Linear(3, 1), nn.Dropout(0.5))
    model.train()
    x, y = _regression(32)

    def loss(model, batch):
        assert not torch.is_grad_enabled() and not model.training
        return mse(model, batch)

    evaluate(model, [(x, y)], loss)
    assert model.training


def test_fit_continues_a_history():
    x, y = _regression(32)
    model = nn.Linear(3, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    hist = fit(model, [(x, y)], mse, opt, epochs=2, progress=False)
    hist = fit(model, [(x, y)], mse, opt, epochs=3, progress=False, history=hist)
    assert isinstance(hist, History) and len(hist.train["loss"]) == 5


# --- mixed precision: the CUDA path, run on the CPU in bfloat16 ---


class _Recorder(nn.Module):
    """A linear map that records the dtype its output was computed in."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(3, 1)
        self.dtypes: list[torch.dtype] = []

    def forward(self, x):
        out = self.linear(x)
        self.dtypes.append(out.dtype)
        return out


def mse_float(model, batch):
    x, y = batch
    return nn.functional.mse_loss(model(x).float(), y)


def test_amp_on_the_cpu_trains_in_bfloat16_with_float32_weights():
    x, y = _regression(128)
    runs = {}
    for amp in (False, True):
        torch.manual_seed(0)
        model = _Recorder()
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        loader = TensorLoader(x, y, batch_size=32)
        hist = fit(model, loader, mse_float, opt, epochs=8, amp=amp, progress=False)
        runs[amp] = (hist, model)
        expected = torch.bfloat16 if amp else torch.float32
        assert set(model.dtypes) == {expected}
        assert all(p.dtype == torch.float32 for p in model.parameters())
        assert all(p.grad.dtype == torch.float32 for p in model.parameters())
    (full, _), (mixed, model) = runs[False], runs[True]
    # bfloat16 keeps 8 bits of mantissa: the same descent, within about 1 %
    for a, b in zip(full.train["loss"][:3], mixed.train["loss"][:3]):
        assert b == pytest.approx(a, rel=0.03)
    assert mixed.train["loss"][-1] < 0.05 * mixed.train["loss"][0]
    model.dtypes.clear()
    evaluate(model, [(x, y)], mse_float, amp=True)
    assert model.dtypes == [torch.bfloat16]


def test_amp_defaults_to_cuda_only(monkeypatch):
    monkeypatch.delenv(AMP_ENV, raising=False)
    x, y = _regression(32)
    model = _Recorder()
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    fit(model, [(x, y)], mse_float, opt, epochs=1, progress=False)
    assert model.dtypes == [torch.float32]
    cpu, cuda, mps = (torch.device(d) for d in ("cpu", "cuda", "mps"))
    assert not amp_enabled(cpu) and amp_enabled(cpu, True)
    assert amp_enabled(cuda) and not amp_enabled(cuda, False)
    assert not amp_enabled(mps, True)  # float32 on Apple GPUs
    assert isinstance(autocast(cpu), contextlib.nullcontext)
    monkeypatch.setenv(AMP_ENV, "1")  # the tests' switch: the CUDA path on the CPU
    assert amp_enabled(cpu) and not amp_enabled(cpu, False)
    model.dtypes.clear()
    fit(model, [(x, y)], mse_float, opt, epochs=1, progress=False)
    assert model.dtypes == [torch.bfloat16]


@pytest.mark.parametrize(
    "bf16,dtype,scaler", [(True, "bfloat16", False), (False, "float16", True)]
)
def test_gpus_without_bfloat16_get_float16_and_a_gradient_scaler(
    monkeypatch, bf16, dtype, scaler
):
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: bf16)
    cuda = torch.device("cuda")
    assert amp_dtype(cuda) == getattr(torch, dtype)
    assert needs_grad_scaler(cuda) is scaler
    assert amp_dtype(torch.device("cpu")) == torch.bfloat16
    assert not needs_grad_scaler(torch.device("cpu"), True)

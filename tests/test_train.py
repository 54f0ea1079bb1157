import pytest
import torch
from torch import nn

from coursework.train import History, TensorLoader, evaluate, fit, train_epoch


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

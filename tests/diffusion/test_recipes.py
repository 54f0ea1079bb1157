"""The small-budget recipes against slow, obvious references (values and gradients)."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from coursework.diffusion import cosine_schedule, euler_sample, linear_schedule
from coursework.diffusion.recipes import (
    EMA,
    DenoisingObjective,
    NoisePrediction,
    ReflowObjective,
    attach_recipes,
    eps_from_velocity,
    euler_path,
    min_snr_weight,
    to_eps,
    to_x0,
    velocity,
)

D = torch.float64


def _loop_velocity(x0, noise, t, alpha_bar):
    out = torch.empty_like(x0)
    for i in range(x0.shape[0]):
        a = float(alpha_bar[t[i]])
        out[i] = math.sqrt(a) * noise[i] - math.sqrt(1 - a) * x0[i]
    return out


@pytest.mark.parametrize("sched", [linear_schedule(30), cosine_schedule(20)])
def test_velocity_and_its_inverse_match_a_loop_values_and_gradients(sched):
    g = torch.Generator().manual_seed(0)
    x0 = torch.randn(5, 1, 3, 3, generator=g, dtype=D, requires_grad=True)
    noise = torch.randn(5, 1, 3, 3, generator=g, dtype=D, requires_grad=True)
    t = torch.randint(sched.T, (5,), generator=g)
    ab = sched.alpha_bar
    v = velocity(x0, noise, t, ab)
    ref = _loop_velocity(x0, noise, t, ab)
    torch.testing.assert_close(v, ref)
    w = torch.randn(v.shape, generator=g, dtype=D)
    g1 = torch.autograd.grad((v * w).sum(), (x0, noise), retain_graph=True)
    g2 = torch.autograd.grad((ref * w).sum(), (x0, noise))
    for a, b in zip(g1, g2):
        torch.testing.assert_close(a, b)
    # x_t and v give back the noise and x0
    xt = torch.stack(
        [
            math.sqrt(float(ab[t[i]])) * x0[i]
            + math.sqrt(1 - float(ab[t[i]])) * noise[i]
            for i in range(5)
        ]
    )
    eps = eps_from_velocity(xt, v, t, ab)
    torch.testing.assert_close(eps, noise)
    ge = torch.autograd.grad((eps * w).sum(), noise)[0]
    torch.testing.assert_close(ge, w)  # eps is the identity in the noise


@pytest.mark.parametrize("prediction", ["eps", "x0", "v"])
def test_conversions_recover_x0_and_eps(prediction):
    g = torch.Generator().manual_seed(1)
    x0, eps = torch.randn(2, 4, 2, generator=g, dtype=D)
    ab = torch.rand(4, 1, generator=g, dtype=D) * 0.98 + 0.01
    xt = ab.sqrt() * x0 + (1 - ab).sqrt() * eps
    out = {"eps": eps, "x0": x0, "v": ab.sqrt() * eps - (1 - ab).sqrt() * x0}[
        prediction
    ]
    torch.testing.assert_close(to_eps(xt, out, ab, prediction), eps)
    torch.testing.assert_close(to_x0(xt, out, ab, prediction), x0)
    with pytest.raises(ValueError):
        to_eps(xt, out, ab, "score")


def test_min_snr_weights_match_the_paper():
    s = torch.tensor([0.1, 1.0, 5.0, 50.0], dtype=D)
    for i, v in enumerate(s.tolist()):
        c = min(v, 5.0)
        assert float(min_snr_weight(s, "eps")[i]) == pytest.approx(c / v)
        assert float(min_snr_weight(s, "v")[i]) == pytest.approx(c / (v + 1))
        assert float(min_snr_weight(s, "x0")[i]) == pytest.approx(c)
    torch.testing.assert_close(min_snr_weight(s, "eps", None), torch.ones_like(s))


class _Linear(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Parameter(torch.tensor(0.7, dtype=D))
        self.b = nn.Parameter(torch.tensor(-0.3, dtype=D))

    def forward(self, x, time, y=None):
        out = self.a * x + self.b * time.view(-1, *[1] * (x.dim() - 1))
        return out if y is None else out + 0.01 * y.view(-1, *[1] * (x.dim() - 1))


@pytest.mark.parametrize(
    "prediction,gamma", [("eps", None), ("v", None), ("x0", 5.0), ("v", 5.0)]
)
def test_denoising_objective_matches_a_loop(prediction, gamma):
    sched = linear_schedule(20)
    x0 = torch.randn(6, 1, 2, 2, generator=torch.Generator().manual_seed(2), dtype=D)
    y = torch.arange(6)
    model = _Linear()
    objective = DenoisingObjective(sched, prediction, gamma, null_label=10)
    torch.manual_seed(3)
    loss = objective(model, (x0, y))["loss"]
    g1 = torch.autograd.grad(loss, list(model.parameters()))
    # the same draws, in the same order, by hand
    torch.manual_seed(3)
    t = torch.randint(20, (6,))
    eps = torch.randn_like(x0)
    keep = torch.rand(y.shape) >= 0.2
    yy = torch.where(keep, y, torch.full_like(y, 10))
    total = 0.0
    for i in range(6):
        a = float(sched.alpha_bar[t[i]])
        xt = math.sqrt(a) * x0[i : i + 1] + math.sqrt(1 - a) * eps[i : i + 1]
        out = model(xt, t[i : i + 1].to(D) / 20, yy[i : i + 1])
        target = {
            "eps": eps[i : i + 1],
            "x0": x0[i : i + 1],
            "v": math.sqrt(a) * eps[i : i + 1] - math.sqrt(1 - a) * x0[i : i + 1],
        }[prediction]
        s = a / (1 - a)
        w = 1.0
        if gamma is not None:
            c = min(s, gamma)
            w = {"eps": c / s, "v": c / (s + 1), "x0": c}[prediction]
        total = total + w * (out - target).pow(2).mean()
    ref = total / 6
    torch.testing.assert_close(loss, ref.float().to(loss.dtype))
    g2 = torch.autograd.grad(ref, list(model.parameters()))
    for a, b in zip(g1, g2):
        torch.testing.assert_close(a.to(D), b, rtol=1e-5, atol=1e-6)


def test_noise_prediction_converts_and_clips():
    sched = linear_schedule(10)
    g = torch.Generator().manual_seed(4)
    x = torch.randn(3, 1, 2, 2, generator=g, dtype=D) * 3
    out = torch.randn(3, 1, 2, 2, generator=g, dtype=D)
    time = torch.tensor([0.0, 0.5, 0.9], dtype=D)

    def predict(xx, tt):
        return out

    for prediction in ("eps", "x0", "v"):
        eps = NoisePrediction(predict, sched, prediction)(x, time)
        clipped = NoisePrediction(predict, sched, prediction, clip=True)(x, time)
        for i, k in enumerate([0, 5, 9]):
            a = float(sched.alpha_bar[k])
            e = {
                "eps": out[i],
                "x0": (x[i] - math.sqrt(a) * out[i]) / math.sqrt(1 - a),
                "v": math.sqrt(a) * out[i] + math.sqrt(1 - a) * x[i],
            }[prediction]
            torch.testing.assert_close(eps[i], e)
            x0 = ((x[i] - math.sqrt(1 - a) * e) / math.sqrt(a)).clamp(-1, 1)
            torch.testing.assert_close(
                clipped[i], (x[i] - math.sqrt(a) * x0) / math.sqrt(1 - a)
            )


def test_ema_follows_the_recurrence_and_warmup_scales_the_rate():
    torch.manual_seed(5)
    model = nn.Linear(3, 2)
    ema = EMA(model, decay=0.9)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    attach_recipes(opt, model, ema, warmup_steps=4)
    ref = [p.detach().clone() for p in model.parameters()]
    lrs = []
    for n in range(6):
        lrs.append(opt.param_groups[0]["lr"])
        opt.zero_grad()
        model(torch.randn(4, 3)).pow(2).sum().backward()
        opt.step()
        d = min(0.9, (1 + n) / (10 + n))
        ref = [d * r + (1 - d) * p.detach() for r, p in zip(ref, model.parameters())]
    for r, p in zip(ref, ema.model.parameters()):
        torch.testing.assert_close(p, r)
    assert lrs == pytest.approx([0.025, 0.05, 0.075, 0.1, 0.1, 0.1])
    assert not any(p.requires_grad for p in ema.model.parameters())


def test_euler_path_matches_the_sampler_and_a_loop():
    g = torch.Generator().manual_seed(6)
    w = torch.randn(3, 3, generator=g, dtype=D)

    def predict(x, time):
        return x @ w * time[:, None] + 1.0

    z = torch.randn(5, 3, generator=g, dtype=D)
    x1, s = euler_path(predict, z, 4)
    torch.testing.assert_close(x1, euler_sample(predict, z, 4))
    x, vs = z, []
    for i in range(4):
        v = predict(x, torch.full((5,), i / 4, dtype=D))
        vs.append(v)
        x = x + v / 4
    ref = sum(((x - z) - v).pow(2).mean() for v in vs) / 4
    torch.testing.assert_close(s, ref)
    # a constant velocity field has straight paths
    _, s0 = euler_path(lambda x, t: torch.ones_like(x), z, 3)
    assert float(s0) < 1e-20


def test_reflow_objective_matches_a_loop():
    model = _Linear()
    g = torch.Generator().manual_seed(7)
    z, x1 = torch.randn(2, 4, 2, generator=g, dtype=D)
    torch.manual_seed(8)
    loss = objective = ReflowObjective()(model, (z, x1))["loss"]
    del objective
    torch.manual_seed(8)
    t = torch.rand(4).to(D)
    ref = (
        sum(
            (
                model((1 - t[i]) * z[i : i + 1] + t[i] * x1[i : i + 1], t[i : i + 1])
                - (x1[i] - z[i])
            )
            .pow(2)
            .mean()
            for i in range(4)
        )
        / 4
    )
    torch.testing.assert_close(loss, ref)
    g1 = torch.autograd.grad(loss, list(model.parameters()))
    g2 = torch.autograd.grad(ref, list(model.parameters()))
    for a, b in zip(g1, g2):
        torch.testing.assert_close(a, b)

"""The shared classifier: its loss against a loop, its fit adapter, its features."""

from __future__ import annotations

import math

import pytest
import torch

from coursework.classifier import (
    ConvClassifier,
    classification_loss,
    embed,
    supervised_loss,
    train_digit_classifier,
)


def _slow_loss(logits, labels, weight=None):
    """Weighted mean of -log softmax(logits)[label], written per example."""
    total, norm = 0.0, 0.0
    for row, y in zip(logits, labels):
        w = 1.0 if weight is None else weight[y]
        log_z = torch.log(sum(torch.exp(v) for v in row))
        total = total + w * (log_z - row[y])
        norm = norm + w
    return total / norm


@pytest.mark.parametrize("weighted", [False, True])
def test_classification_loss_matches_a_loop_in_value_and_gradient(weighted) -> None:
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(6, 4, generator=g, dtype=torch.float64)
    labels = torch.randint(0, 4, (6,), generator=g)
    weight = torch.rand(4, generator=g, dtype=torch.float64) + 0.5 if weighted else None
    a = logits.clone().requires_grad_()
    b = logits.clone().requires_grad_()
    fast = classification_loss(a, labels, weight)["loss"]
    slow = _slow_loss(b, labels, weight)
    assert fast.dtype == torch.float64
    assert float(fast) == pytest.approx(float(slow), rel=1e-12)
    fast.backward()
    slow.backward()
    assert torch.allclose(a.grad, b.grad, atol=1e-12)


def test_classification_loss_exact_case_and_dense_labels() -> None:
    logits = torch.tensor([[2.0, 0.0], [0.0, 2.0]])
    logs = classification_loss(logits, torch.tensor([0, 0]))
    expected = (math.log(1 + math.exp(-2)) + math.log(1 + math.exp(2))) / 2
    assert float(logs["loss"]) == pytest.approx(expected)
    assert float(logs["acc"]) == 0.5
    dense = torch.zeros(2, 3, 4, 4)  # (B, K, H, W): class 1 everywhere
    dense[:, 1] = 5.0
    labels = torch.ones(2, 4, 4, dtype=torch.long)
    labels[0, 0, 0] = 2
    assert float(classification_loss(dense, labels)["acc"]) == pytest.approx(31 / 32)


def test_supervised_loss_is_the_loss_of_the_model_outputs() -> None:
    torch.manual_seed(0)
    model = ConvClassifier(8, outputs=3)
    x, y = torch.rand(5, 1, 8, 8), torch.tensor([0, 1, 2, 0, 1])
    logs = supervised_loss(model, (x, y))
    direct = classification_loss(model(x), y)
    assert torch.equal(logs["loss"], direct["loss"])
    assert torch.equal(logs["acc"], direct["acc"])


def test_embed_returns_features_and_the_heads_predictions() -> None:
    torch.manual_seed(1)
    model = ConvClassifier(8, outputs=3, feature_dim=16)
    x = torch.rand(7, 1, 8, 8)
    feats, pred = embed(model, x, batch_size=3)
    assert feats.shape == (7, 16) and pred.shape == (7,)
    assert torch.equal(pred, model(x).argmax(1))


def test_train_digit_classifier_learns_a_separable_problem() -> None:
    """Ten classes told apart by which row of a 10 x 10 image is lit."""
    torch.manual_seed(0)
    labels = torch.arange(10).repeat(20)
    images = 0.1 * torch.rand(200, 1, 10, 10)
    images[torch.arange(200), 0, labels, :] += 1.0
    model, history = train_digit_classifier(
        images[:160],
        labels[:160],
        images[160:],
        labels[160:],
        width=8,
        epochs=30,
        batch_size=32,
    )
    assert model.head.out_features == 10
    assert history.val["acc"][-1] > 0.9 > history.val["acc"][0]


def _random_digits(seed: int):
    """A one-epoch ci profile, a seeded generator, and 40 + 12 random 16 x 16
    'digits' with labels: (x_train, y_train, x_test, y_test)."""
    from coursework.runtime import get_profile

    profile = get_profile("ci").replace(epochs=1, batch_size=16)
    g = torch.Generator().manual_seed(seed)
    x_train = torch.rand(40, 1, 16, 16, generator=g)
    x_test = torch.rand(12, 1, 16, 16, generator=g)
    labels = torch.arange(40) % 10
    return profile, g, (x_train, labels, x_test, labels[:12])


def test_digit_judge_is_one_recipe_with_a_fixed_sample_count() -> None:
    from coursework.classifier import (
        DigitJudge,
        digit_judge,
        evaluate_samples,
        judge_width,
    )

    profile, g, digits = _random_digits(0)
    x_train = digits[0]
    judge = digit_judge(profile, *digits, progress=False)
    again = digit_judge(profile, *digits, progress=False)
    assert isinstance(judge, DigitJudge) and judge.n_samples == 12
    assert judge.classifier.body[0].out_channels == judge_width(profile)
    for a, b in zip(judge.classifier.parameters(), again.classifier.parameters()):
        torch.testing.assert_close(a, b)  # seeded: the same judge every time
    fake = torch.rand(12, 1, 16, 16, generator=g)
    r = judge(fake)
    ref = evaluate_samples(judge.classifier, x_train, fake, k=3)
    assert (r.fd, r.precision, r.recall, r.n) == (ref.fd, ref.precision, ref.recall, 12)
    with pytest.raises(ValueError, match="12 samples"):
        judge(fake[:10])
    labels = torch.arange(12) % 10
    _, pred = embed(judge.classifier, fake)
    hits = sum(int(p == y) for p, y in zip(pred.tolist(), labels.tolist()))
    assert judge.class_accuracy(fake, labels) == pytest.approx(hits / 12)


def test_over_draws_is_the_mean_of_each_draw_judged_alone() -> None:
    from coursework.classifier import digit_judge

    profile, g, digits = _random_digits(1)
    judge = digit_judge(profile, *digits, progress=False)
    draws = [torch.rand(12, 1, 16, 16, generator=g) for _ in range(3)]
    report = judge.over_draws(draws)
    alone = [judge(x) for x in draws]
    fds = [r.fd for r in alone]
    assert report.fd_values == fds
    assert report.fd == pytest.approx(sum(fds) / 3)
    assert report.precision == pytest.approx(sum(r.precision for r in alone) / 3)
    assert report.recall == pytest.approx(sum(r.recall for r in alone) / 3)
    assert report.fd_spread == (min(fds), max(fds)) and report.n == 12
    assert len(set(fds)) == 3  # three different draws, three different figures
    with pytest.raises(ValueError, match="12 samples"):
        judge.over_draws([draws[0], draws[1][:10]])
    with pytest.raises(ValueError, match="at least one"):
        judge.over_draws([])


def _slow_judged_alike(recorded, n_samples, fd_real, rtol):
    """The rule spelled out: a count, then the fingerprint, each compared plainly."""
    if "judge_samples" not in recorded:
        return False
    if recorded["judge_samples"] != n_samples:
        return False
    if "fd_real" not in recorded:
        return False
    lowest, highest = fd_real * (1 - rtol), fd_real * (1 + rtol)
    return lowest <= recorded["fd_real"] <= highest


def test_judged_alike_agrees_with_the_rule_spelled_out() -> None:
    from coursework.classifier import judged_alike

    cases = [{}, {"fd_real": 12.3}, {"judge_samples": 397.0}]
    for count in (200.0, 397.0):
        for fd in (11.9, 12.05, 12.288, 12.5, 12.6, 40.0):
            cases.append({"judge_samples": count, "fd_real": fd, "fd_x": 1.0})
    for recorded in cases:
        why = judged_alike(recorded, 397, 12.288, rtol=0.02)
        assert (why is None) == _slow_judged_alike(recorded, 397, 12.288, 0.02)
        if why is not None:
            assert isinstance(why, str) and why
    assert "200 samples, not 397" in judged_alike(
        {"judge_samples": 200.0, "fd_real": 12.288}, 397, 12.288
    )
    assert "another judge" in judged_alike(
        {"judge_samples": 397.0, "fd_real": 40.0}, 397, 12.288
    )
    with pytest.raises(ValueError, match="judge.n_samples"):
        judged_alike({}, 0, 12.0)


def test_the_judges_fingerprint_tells_recipes_apart() -> None:
    """fd_real is the same for the same recipe and moves for another one."""
    from coursework.classifier import digit_judge, judged_alike
    from coursework.data import load_images
    from coursework.runtime import get_profile

    profile = get_profile("ci")
    x_train, y_train = load_images(profile, "train")
    x_test, y_test = load_images(profile, "test")

    def fingerprint(prof):
        judge = digit_judge(prof, x_train, y_train, x_test, y_test, progress=False)
        return judge(x_test[: judge.n_samples]).fd, judge.n_samples

    fd, n = fingerprint(profile)
    again, _ = fingerprint(profile)
    other, _ = fingerprint(profile.replace(epochs=profile.epochs + 2))
    assert judged_alike({"judge_samples": n, "fd_real": again}, n, fd) is None
    assert "another judge" in judged_alike(
        {"judge_samples": n, "fd_real": other}, n, fd
    )

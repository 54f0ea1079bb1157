"""The check API's verdicts on right, wrong and badly typed functions."""

import pytest
import torch

from coursework.exercises import core
from coursework.exercises.core import (
    Case,
    CheckError,
    Exercise,
    ExerciseIncomplete,
    check,
    compare_values,
    register,
    register_hidden,
    run_check,
)


def scale_shift(x: torch.Tensor, a: float) -> torch.Tensor:
    return a * x + 1


def _cases(device):
    g = torch.Generator().manual_seed(0)
    return [
        Case("float32", (torch.randn(3, 4, generator=g).to(device), 2.0)),
        Case(
            "float64",
            (torch.randn(5, generator=g, dtype=torch.float64).to(device), -1.0),
        ),
        Case("empty", (torch.zeros(0, 2, device=device), 3.0)),
    ]


EX = register(
    Exercise(
        id="testdemo.scale_shift",
        points=3,
        reference=scale_shift,
        cases=_cases,
        hint="return a * x + 1",
        grad=True,
    )
)


@pytest.fixture(autouse=True)
def _no_hidden():
    """No hidden cases during these tests; the topics' ones come back after."""
    saved = {k: list(v) for k, v in core._HIDDEN.items()}
    core.clear_hidden()
    yield
    core.clear_hidden()
    core._HIDDEN.update(saved)


def test_reference_passes_with_full_points(capsys):
    res = check("testdemo.scale_shift", scale_shift)
    assert res.passed == 3 and res.points == 3 and res.status == "passed"
    out = capsys.readouterr().out
    assert "✓ testdemo.scale_shift: 3/3 cases passed (3/3 points)" in out
    assert "hidden" in out
    assert repr(res) == "<CheckResult testdemo.scale_shift: 3/3 cases, 3/3 points>"


def test_wrong_values_name_the_largest_error(capsys):
    res = check("testdemo.scale_shift", lambda x, a: a * x + 1.5)
    assert res.points == pytest.approx(1.0)  # only the empty case passes
    out = capsys.readouterr().out
    assert "largest error 0.5" in out and "Hint: return a * x + 1" in out


@pytest.mark.parametrize(
    "fn, words",
    [
        (lambda x, a: (a * x + 1).reshape(-1, 1), "shape"),
        (
            lambda x, a: (a * x + 1).float(),
            "dtype torch.float32, expected torch.float64",
        ),
        (lambda x, a: None, "returned None"),
        (lambda x, a: (a * x + 1).tolist(), "expected a torch.Tensor, got list"),
        (lambda x, a: (a * x + 1).detach(), "no gradient"),
        (lambda x, a: 1 / 0, "ZeroDivisionError"),
    ],
)
def test_bad_functions_get_a_clear_message(fn, words):
    res = run_check("testdemo.scale_shift", fn)
    assert res.points < res.max_points
    messages = " ".join(c.message for c in res.cases)
    assert words in messages


def test_raising_reports_the_students_line():
    def broken(x, a):
        y = x * a
        return y + undefined_name  # noqa: F821

    res = run_check("testdemo.scale_shift", broken)
    assert res.status == "error"
    assert "NameError" in res.cases[0].message
    assert "undefined_name" in res.cases[0].message


def test_wrong_device_is_named():
    exercise = Exercise(
        id="testdemo.to_meta",
        points=1,
        reference=lambda x: x + 1,
        cases=lambda d: [Case("one", (torch.ones(2),))],
    )
    register(exercise)
    res = run_check("testdemo.to_meta", lambda x: (x + 1).to("meta"))
    assert "on device meta, expected cpu" in res.cases[0].message


def test_stub_stops_the_notebook_with_one_line():
    def stub(x, a):
        raise NotImplementedError("Exercise testdemo.scale_shift: replace this line")

    with pytest.raises(ExerciseIncomplete, match="testdemo.scale_shift is not done"):
        check("testdemo.scale_shift", stub)
    rendered = ExerciseIncomplete("x")._render_traceback_()
    assert rendered == ["ExerciseIncomplete: x"]


def test_non_callable_and_unknown_ids(capsys):
    res = check("testdemo.scale_shift", 42)
    assert res.points == 0 and "expected a function, got int" in res.note
    assert "✗ testdemo.scale_shift" in capsys.readouterr().out
    with pytest.raises(CheckError, match="testdemo.scale_shift"):
        run_check("testdemo.scale_shif", scale_shift)
    with pytest.raises(CheckError, match="look like"):
        run_check("scale_shift", scale_shift)


def test_hidden_cases_run_only_when_asked():
    register_hidden(
        "testdemo.scale_shift",
        lambda d: [Case("big a", (torch.ones(2, device=d), 1e3))],
    )
    assert len(run_check("testdemo.scale_shift", scale_shift).cases) == 3
    res = run_check("testdemo.scale_shift", scale_shift, hidden=True)
    assert len(res.cases) == 4 and res.cases[-1].hidden and res.points == 3


def test_inputs_are_not_mutated_between_calls():
    def in_place(x, a):
        x.mul_(a).add_(1)
        return x

    # the reference sees fresh inputs even if the student's call mutates them
    assert run_check("testdemo.scale_shift", in_place).cases[0].status in {
        "passed",
        "error",  # in-place ops on a leaf requiring grad raise, as they should
    }


def test_stochastic_cases_are_reseeded():
    exercise = Exercise(
        id="testdemo.noisy",
        points=1,
        reference=lambda x: x + torch.randn_like(x),
        cases=lambda d: [Case("seeded", (torch.zeros(4, device=d),), seed=5)],
    )
    register(exercise)
    assert run_check("testdemo.noisy", lambda x: x + torch.randn_like(x)).points == 1


def test_compare_values_on_nested_outputs():
    t = torch.ones(2)
    assert compare_values((t, {"a": 1.0}), (t, {"a": 1.0}), 1e-6, 1e-6) is None
    assert "missing keys" in compare_values({}, {"a": 1}, 1e-6, 1e-6)
    assert "expected 2 values" in compare_values((t,), (t, t), 1e-6, 1e-6)
    assert "got 2, expected 3" in compare_values(2.0, 3.0, 1e-6, 1e-6)
    assert compare_values(torch.tensor(3.0), 3.0, 1e-6, 1e-6) is None
    ints = compare_values(torch.tensor([1, 2]), torch.tensor([1, 3]), 0, 0)
    assert "1 of 2 entries differ" in ints


def test_error_inside_torch_points_at_the_students_line():
    def bad_matmul(x, a):
        w = torch.ones(7, 7, dtype=x.dtype)
        return x @ w  # wrong inner size

    res = run_check("testdemo.scale_shift", bad_matmul)
    assert res.cases[0].status == "error"
    assert "return x @ w" in res.cases[0].message


def test_sys_exit_in_a_function_is_an_error_not_an_exit():
    import sys

    res = run_check("testdemo.scale_shift", lambda x, a: sys.exit(3))
    assert res.status == "error" and "SystemExit" in res.cases[0].message


def test_exercises_for_a_topic_without_a_module():
    assert [e.id for e in core.exercises_for("testdemo")][:1] == [
        "testdemo.scale_shift"
    ]
    assert core.exercises_for("nosuchtopic") == []

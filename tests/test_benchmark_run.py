"""``make bench`` (benchmarks/run.py) shows each notebook's cpu time beside its budget.

A fake ``run_notebook`` stands in for the notebook executions (the real cpu
benchmark takes about an hour), so this checks what is printed and the exit
status, not the timings themselves.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STEMS = sorted(p.stem for p in (ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))


@pytest.fixture(scope="module")
def bench():
    path = ROOT / "benchmarks" / "run.py"
    spec = importlib.util.spec_from_file_location("notebook_benchmark", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _fake(seconds: dict[str, float], status: dict[str, str] | None = None):
    calls = []

    def run_notebook(path: Path, profile: str, timeout: int, seed: int = 0) -> dict:
        calls.append((path.stem, profile))
        return {
            "notebook": path.stem,
            "profile": profile,
            "seed": seed,
            "seconds": seconds.get(path.stem, 1.0) if profile == "cpu" else 5.0,
            "target_seconds": {"ci": 90, "cpu": 600, "gpu": 1800}[profile],
            "status": (status or {}).get(path.stem, "ok"),
            "metrics": {},
        }

    return run_notebook, calls


def _budget_lines(out: str) -> list[str]:
    head = "cpu profile against the budget of 600 s per notebook:"
    assert head in out, out
    return out.split(head, 1)[1].strip("\n").splitlines()


def test_every_notebook_is_shown_beside_the_ten_minute_budget(
    bench, monkeypatch, tmp_path, capsys
):
    assert bench.TARGET_SECONDS["cpu"] == 600
    times = {stem: 100.0 + i for i, stem in enumerate(STEMS)}
    fake, calls = _fake(times)
    monkeypatch.setattr(bench, "run_notebook", fake)
    assert bench.main(["--out", str(tmp_path)]) == 0
    # the default runs both profiles, every notebook
    assert sorted(calls) == sorted((s, p) for s in STEMS for p in ("ci", "cpu"))
    lines = _budget_lines(capsys.readouterr().out)
    assert len(lines) == len(STEMS)
    for line, stem in zip(lines, STEMS, strict=True):
        assert line.split()[:4] == [stem, f"{times[stem]:.1f}", "s", "/"]
        assert "600 s" in line and "to spare" in line and "OVER" not in line
    assert list(tmp_path.glob("notebooks-*.json"))


def test_a_notebook_past_the_budget_is_flagged_and_fails(
    bench, monkeypatch, tmp_path, capsys
):
    slow, failed = STEMS[1], STEMS[2]
    fake, _ = _fake({slow: 661.0}, status={failed: "timeout"})
    monkeypatch.setattr(bench, "run_notebook", fake)
    code = bench.main(["--profiles", "cpu", "--out", str(tmp_path)])
    lines = _budget_lines(capsys.readouterr().out)
    flagged = [line for line in lines if "OVER" in line]
    assert len(flagged) == 1 and flagged[0].split()[0] == slow
    assert "OVER by 61 s" in flagged[0]
    assert any(line.split()[0] == failed and "(timeout)" in line for line in lines)
    assert code == 1


def test_over_budget_alone_fails(bench, monkeypatch, tmp_path, capsys):
    fake, _ = _fake({STEMS[0]: 600.5})
    monkeypatch.setattr(bench, "run_notebook", fake)
    assert bench.main(["--profiles", "cpu", "--out", str(tmp_path)]) == 1
    fake, _ = _fake({STEMS[0]: 600.0})  # the budget itself is within it
    monkeypatch.setattr(bench, "run_notebook", fake)
    assert bench.main(["--profiles", "cpu", "--out", str(tmp_path)]) == 0


def test_no_budget_table_without_the_cpu_profile(bench, monkeypatch, tmp_path, capsys):
    fake, _ = _fake({})
    monkeypatch.setattr(bench, "run_notebook", fake)
    assert bench.main(["--profiles", "ci", "--out", str(tmp_path)]) == 0
    assert "budget of" not in capsys.readouterr().out


def test_bands_from_runs_of_one_profile_leave_the_other_profiles_file_alone(
    bench, tmp_path, monkeypatch, capsys
):
    import coursework.bands as bands

    monkeypatch.setattr(bands, "BANDS_DIR", tmp_path)
    rows = [
        {
            "notebook": "01_video",
            "profile": "ci",
            "seed": seed,
            "seconds": 9.0,
            "status": "ok",
            "metrics": {"flow_epe": 0.2 + seed / 100},
        }
        for seed in (0, 1, 2)
    ]
    bench._store_bands(rows, ["ci", "cpu"], "2.14.1", "test machine")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ci.json"]
    assert bands.load_bands("ci")["01_video"]["metrics"]["flow_epe"]["high"] == 0.22
    assert "no run of cpu" in capsys.readouterr().out

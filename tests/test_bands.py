"""The course's reference bands (coursework.bands) and its metric descriptions."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from coursework import bands
from coursework.bands import (
    NOTEBOOKS,
    bands_from_runs,
    classify,
    compare,
    compare_to_bands,
    comparison_line,
    fmt,
    load_bands,
    write_bands,
)
from coursework.bands.descriptions import PATTERNS, SECTIONS, describe

ROOT = Path(__file__).resolve().parents[1]


def _rows(values: dict[int, dict[str, float]], notebook: str = "04_gan") -> list[dict]:
    return [
        {"notebook": notebook, "profile": "ci", "seed": seed, "seconds": 1.0 + seed,
         "metrics": metrics}
        for seed, metrics in values.items()
    ]


def test_a_band_is_the_range_over_the_seeds_that_all_recorded_it():
    rows = _rows({
        0: {"fd_wgan_gp": 44.0, "fd_gan": 3.0, "recall_gan": float("nan")},
        1: {"fd_wgan_gp": 40.0, "fd_gan": 5.0, "recall_gan": 0.1},
        2: {"fd_wgan_gp": 48.0, "recall_gan": 0.2},
    })
    found = bands_from_runs(rows, torch_version="2.x", machine="m", date="2026-01-02")
    entry = found["04_gan"]
    assert entry["seeds"] == [0, 1, 2] and entry["profile"] == "ci"
    assert entry["torch"] == "2.x" and entry["date"] == "2026-01-02"
    assert entry["metrics"] == {
        "fd_wgan_gp": {"low": 40.0, "high": 48.0, "mean": 44.0,
                       "values": [44.0, 40.0, 48.0]},
    }  # fd_gan is missing from seed 2, recall_gan is NaN once
    assert bands_from_runs(rows[:1], torch_version="2.x", machine="m") == {}


def test_write_bands_refreshes_one_notebook_and_keeps_the_others(tmp_path, monkeypatch):
    monkeypatch.setattr(bands, "BANDS_DIR", tmp_path)
    first = bands_from_runs(
        _rows({0: {"a": 1.0}, 1: {"a": 2.0}}, "03_vae")
        + _rows({0: {"fd_gan": 1.0}, 1: {"fd_gan": 2.0}}),
        torch_version="t", machine="m",
    )
    write_bands("ci", first)
    again = bands_from_runs(
        _rows({0: {"fd_gan": 5.0}, 1: {"fd_gan": 6.0}}), torch_version="t", machine="m"
    )
    path = write_bands("ci", again)
    stored = load_bands("ci")
    assert stored["03_vae"]["metrics"]["a"]["high"] == 2.0
    assert stored["04_gan"]["metrics"]["fd_gan"]["low"] == 5.0
    assert '"values": [5.0, 6.0]' in path.read_text()  # one line per list
    assert load_bands("cpu") == {}


def test_compare_lists_banded_metrics_first_in_section_order(tmp_path, monkeypatch):
    monkeypatch.setattr(bands, "BANDS_DIR", tmp_path)
    write_bands("ci", bands_from_runs(
        _rows({0: {"fd_wgan_gp": 4.0, "ring_modes_gan": 6.0},
               1: {"fd_wgan_gp": 5.0, "ring_modes_gan": 8.0}}),
        torch_version="t", machine="m",
    ))
    found = compare("04", {"fd_wgan_gp": 4.5, "zzz": 1.0}, "ci")
    assert [(c.info.name, c.status) for c in found] == [
        ("ring_modes_gan", "not run"), ("fd_wgan_gp", "within"), ("zzz", "no band")
    ]


def test_classify_within_near_far_better_and_times():
    fd = describe("04_gan", "fd_wgan_gp")  # lower is better
    assert classify(44.0, 40.0, 48.0, fd) == "within"
    assert classify(30.0, 40.0, 48.0, fd) == "better"
    assert classify(52.0, 40.0, 48.0, fd) == "near"
    assert classify(70.0, 40.0, 48.0, fd) == "far"
    # outside by less than the printed precision: what the reader sees is an edge
    assert fmt(0.73512) == fmt(0.73494)
    assert classify(0.73512, 0.448, 0.73494, fd) == "within"
    assert classify(0.7362, 0.448, 0.73494, fd) == "near"
    acc = describe("01_video", "c3d_accuracy")  # higher is better
    assert classify(0.2, 0.5, 0.6, acc) == "far"
    assert classify(0.9, 0.5, 0.6, acc) == "better"
    seconds = describe("01_video", "c3d_train_seconds")
    assert seconds.timing and classify(60.0, 1.0, 2.0, seconds) == "near"


def test_the_summary_line_reads_as_the_issue_asks():
    c = bands.Comparison(describe("04_gan", "fd_wgan_gp"), 44.1, 40.0, 48.0, 5,
                         "within")
    assert comparison_line(c, "cpu") == (
        "Fréchet distance, WGAN-GP (lower is better): yours 44.1, course 40 to 48 "
        "(cpu, 5 seeds) ✓"
    )
    far = bands.Comparison(describe("04_gan", "fd_wgan_gp"), 90.0, 40.0, 48.0, 5,
                           "far")
    assert comparison_line(far, "cpu").endswith(
        "✗ far outside: look at section 6 (WGAN-GP, LSGAN and spectral normalisation)"
    )


def test_no_band_is_invented_where_none_is_stored(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(bands, "BANDS_DIR", tmp_path)
    compare_to_bands("04", profile="cpu", metrics={"fd_wgan_gp": 44.1})
    out = capsys.readouterr().out
    assert "no band for this profile yet (cpu)" in out
    assert "course 4" not in out and " to " not in out and "✓" not in out
    compare_to_bands("04_gan", profile="cpu-custom", metrics={"fd_wgan_gp": 44.1})
    assert "sizes changed from the profile" in capsys.readouterr().out
    with pytest.raises(ValueError, match="no notebook '09'"):
        compare_to_bands("09", profile="ci", metrics={})


def test_a_far_metric_points_at_its_section(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(bands, "BANDS_DIR", tmp_path)
    write_bands("ci", bands_from_runs(
        _rows({0: {"fd_wgan_gp": 4.0, "ring_modes_gan": 6.0},
               1: {"fd_wgan_gp": 5.0, "ring_modes_gan": 8.0}}),
        torch_version="t", machine="m",
    ))
    compare_to_bands("04", profile="ci",
                     metrics={"fd_wgan_gp": 15.2, "ring_modes_gan": 7.0, "new": 1.0})
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("04_gan: your results against the course's bands")
    assert "Modes of the ring covered, DCGAN (non-saturating) (higher is better): " \
        "yours 7 of 8, course 6 to 8 of 8 (ci, 2 seeds) ✓" in out[1]
    assert "yours 15.2, course 4 to 5 (ci, 2 seeds) ✗ far outside: look at " \
        "section 6" in out[2]
    assert "new (a reference): yours 1; no band for this metric yet" in out[3]
    assert out[-1] == (
        "04_gan: 1 within or better, 0 just outside, 1 far outside; look at section "
        "6 (WGAN-GP, LSGAN and spectral normalisation)"
    )


def test_every_pattern_compiles_and_says_unit_and_direction():
    for notebook, pattern, words, unit, better, where, _ in PATTERNS:
        assert notebook in NOTEBOOKS
        re.compile(pattern)
        assert better in ("higher", "lower", "neither") and words
        assert unit is not None and (where == "m" or where in SECTIONS[notebook])


# --- the stored bands ---------------------------------------------------------

STORED = load_bands("ci")
SOLUTIONS = sorted((ROOT / "solutions").glob("[0-9][0-9]_*.py"))


def test_ci_bands_are_stored_for_every_notebook_from_several_seeds():
    assert sorted(STORED) == [p.stem for p in SOLUTIONS] == list(NOTEBOOKS)
    for name, entry in STORED.items():
        assert entry["profile"] == "ci"
        assert len(set(entry["seeds"])) >= 3, name
        assert entry["torch"] and re.fullmatch(r"\d{4}-\d\d-\d\d", entry["date"])
        for metric, band in entry["metrics"].items():
            assert len(band["values"]) == len(entry["seeds"]), (name, metric)
            assert band["low"] == min(band["values"]) <= band["high"] == max(
                band["values"]
            )


@pytest.mark.parametrize("name", sorted(STORED))
def test_every_banded_metric_has_a_description(name):
    """The results page and the summary name every metric in words."""
    undescribed = [
        m for m in STORED[name]["metrics"]
        if describe(name, m).words == m.replace("_", " ")
    ]
    assert undescribed == []


@pytest.mark.parametrize("source", SOLUTIONS, ids=lambda p: p.stem)
def test_every_summary_compares_to_the_bands(source):
    text = source.read_text()
    call = f'compare_to_bands("{source.stem[:2]}")'
    assert text.rstrip().endswith(call)
    assert json.dumps(source.stem)[1:-1] in NOTEBOOKS


def test_the_benchmark_makes_bands_from_runs_made_apart(tmp_path, monkeypatch):
    """benchmarks/run.py --from-runs: seeds 0-1 and 2 run apart, one band."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "bench_run", ROOT / "benchmarks" / "run.py"
    )
    run = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(run)
    monkeypatch.setattr(bands, "BANDS_DIR", tmp_path)
    machine = "x86_64, 2 cores, torch 9.9"
    files = []
    for i, seeds in enumerate(([0, 1], [2])):
        rows = [dict(r, status="ok") for r in _rows(
            {s: {"fd_gan": float(s)} for s in seeds})]
        path = tmp_path / f"out{i}.json"
        path.write_text(json.dumps({"machine": machine, "rows": rows}))
        files.append(str(path))
    assert run.main(["--profiles", "ci", "--from-runs", *files]) == 0
    entry = load_bands("ci")["04_gan"]
    assert entry["seeds"] == [0, 1, 2] and entry["torch"] == "9.9"
    assert entry["metrics"]["fd_gan"]["high"] == 2.0


def test_course_figures_are_shipped_and_read_back():
    """The benchmark figures a notebook draws when this machine has none."""
    from coursework.bands import FIGURES_DIR, course_figures

    budget = course_figures("05_video_budget", "cpu")
    raw = json.loads((FIGURES_DIR / "cpu" / "05_video_budget.json").read_text())
    assert budget and budget == {k: float(v) for k, v in raw.items()}
    assert any(k.startswith("seed0/probe/") for k in budget)
    recipes = course_figures("07_recipes", "cpu")
    assert recipes["judge_samples"] > 0
    assert course_figures("05_video_budget", "no-such-profile") == {}


def test_benchmark_figures_prefer_this_machines_record(tmp_path, monkeypatch):
    """No record here: the course's shipped run, said so; a record: that one."""
    from coursework.bands import benchmark_figures, course_figures
    from coursework.runtime import metrics_path

    monkeypatch.setenv("COURSEWORK_DATA", str(tmp_path))
    figures, source = benchmark_figures("05_video_budget", "cpu")
    assert figures == course_figures("05_video_budget", "cpu") and "course" in source
    path = metrics_path("05_video_budget", "cpu")
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"steps_per_budget": 7}))
    figures, source = benchmark_figures("05_video_budget", "cpu")
    assert figures == {"steps_per_budget": 7.0} and source == "recorded on this machine"

"""Progress: every check is kept in a small JSON file, and ``progress()`` shows it.

The file lives at ``$COURSEWORK_PROGRESS`` (here a temporary file for each
test) or in ``~/.cache/coursework``; recording never breaks a check.
"""

from __future__ import annotations

import base64
import json
import warnings
from pathlib import Path

import matplotlib
import pytest

import coursework
from coursework.exercises import check, progress
from coursework.exercises import tracking as tr
from coursework.exercises.core import run_check
from coursework.exercises.registry import all_topics, exercises_for
from coursework.plot.progress import STYLES, _short, plot_progress

matplotlib.use("Agg")

SOLUTIONS = Path(__file__).resolve().parents[2] / "solutions"


def cfg_right(cond, uncond, w):
    return (1 + w) * cond - w * uncond


def cfg_wrong(cond, uncond, w):
    return cond + w * uncond


@pytest.fixture
def path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh progress file for the test, and a fresh warn-once flag."""
    file = tmp_path / "sub" / "progress.json"
    monkeypatch.setenv(tr.ENV_VAR, str(file))
    monkeypatch.setattr(tr, "_WARNED", [])
    monkeypatch.delenv("COLAB_RELEASE_TAG", raising=False)
    return file


def test_the_notebooks_are_the_courses_notebooks_and_topics() -> None:
    on_disk = sorted(p.stem for p in SOLUTIONS.glob("[0-9][0-9]_*.py"))
    assert list(tr.NOTEBOOKS) == on_disk
    assert sorted(n.split("_", 1)[1] for n in tr.NOTEBOOKS) == all_topics()


def test_progress_path_env_default_and_off(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv(tr.ENV_VAR, str(tmp_path / "p.json"))
    assert tr.progress_path() == tmp_path / "p.json"
    monkeypatch.setenv(tr.ENV_VAR, "off")
    assert tr.progress_path() is None
    monkeypatch.delenv(tr.ENV_VAR)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert tr.progress_path() == tmp_path / ".cache" / "coursework" / "progress.json"


def test_a_check_records_its_latest_verdict(path: Path, capsys) -> None:
    check("diffusion.cfg_combine", cfg_wrong)
    data = json.loads(path.read_text())
    rec = data["exercises"]["diffusion.cfg_combine"]
    assert data["format"] == tr.FORMAT
    assert rec["status"] == "fail" and rec["checks"] == 1
    assert rec["passed"] < rec["cases"] and rec["max_points"] == 1
    check("diffusion.cfg_combine", cfg_right)
    rec = tr.load_progress()["diffusion.cfg_combine"]
    assert rec["status"] == "pass" and rec["checks"] == 2
    assert rec["passed"] == rec["cases"] == 3 and rec["points"] == 1
    assert rec["when"].endswith("+00:00")
    assert not list(path.parent.glob(".progress-*"))  # no temporary file left


def test_an_unfinished_exercise_records_nothing(path: Path) -> None:
    def stub(*args):
        raise NotImplementedError

    with pytest.raises(coursework.exercises.ExerciseIncomplete):
        check("diffusion.cfg_combine", stub)
    assert tr.load_progress() == {}


def test_off_records_nothing(path: Path, monkeypatch) -> None:
    monkeypatch.setenv(tr.ENV_VAR, "off")
    result = run_check("diffusion.cfg_combine", cfg_right, device="cpu")
    assert tr.record_check(result) is False
    assert not path.exists()


def test_an_unwritable_file_warns_once_and_never_breaks_a_check(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(tr.ENV_VAR, str(blocker / "progress.json"))
    monkeypatch.setattr(tr, "_WARNED", [])
    with pytest.warns(tr.ProgressWarning, match="could not record") as caught:
        result = check("diffusion.cfg_combine", cfg_right)
        check("diffusion.cfg_combine", cfg_wrong)
    assert len(caught) == 1
    assert result.status == "passed"
    assert "✓ diffusion.cfg_combine" in capsys.readouterr().out


def test_a_broken_file_counts_as_empty(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    with pytest.warns(tr.ProgressWarning, match="could not read"):
        assert tr.load_progress() == {}
    result = run_check("diffusion.cfg_combine", cfg_right, device="cpu")
    assert tr.record_check(result) is True  # written anew
    assert tr.load_progress()["diffusion.cfg_combine"]["status"] == "pass"


def _partly_done(path: Path) -> None:
    """07 partly done: one exercise passes, one fails; nothing else checked."""
    tr.record_check(run_check("diffusion.cfg_combine", cfg_right, device="cpu"))

    def flow_wrong(x0, x1, t):
        return x0, x1

    tr.record_check(run_check("diffusion.flow_interpolant", flow_wrong, device="cpu"))


def test_course_progress_lists_every_exercise_of_every_notebook(path: Path) -> None:
    _partly_done(path)
    notebooks = tr.course_progress()
    assert [nb.notebook for nb in notebooks] == list(tr.NOTEBOOKS)
    for nb in notebooks:
        topic = nb.notebook.split("_", 1)[1]
        assert [e.exercise_id for e in nb.exercises] == [
            e.id for e in exercises_for(topic)
        ]
    diffusion = {e.name: e.status for e in notebooks[-1].exercises}
    assert diffusion["cfg_combine"] == tr.PASS
    assert diffusion["flow_interpolant"] == tr.FAIL
    assert diffusion["q_sample"] == tr.TODO
    assert notebooks[-1].count(tr.TODO) == len(diffusion) - 2
    assert all(nb.count(tr.TODO) == len(nb.exercises) for nb in notebooks[:-1])


def test_an_instructors_extra_topic_gets_its_own_group(path: Path) -> None:
    records = {"extra.thing": {"status": "pass", "passed": 1, "cases": 1}}
    notebooks = tr.course_progress(records=records)
    assert notebooks[-1].notebook == "extra"
    assert [(e.name, e.status) for e in notebooks[-1].exercises] == [("thing", "pass")]


def test_summary_and_table(path: Path) -> None:
    _partly_done(path)
    notebooks = tr.course_progress()
    total = sum(len(nb.exercises) for nb in notebooks)
    summary = tr.progress_summary(notebooks)
    assert summary == (
        f"Course progress: 1 of {total} exercises pass, 1 fails, "
        f"{total - 2} not done yet"
    )
    table = tr.progress_table(notebooks)
    lines = table.splitlines()
    assert lines[0].split() == ["notebook", "exercise", "status", "cases", "checked"]
    assert any(line.startswith("01_video") and "7 not done" in line for line in lines)
    row = next(line for line in lines if "cfg_combine" in line)
    assert "✓ pass" in row and "3/3" in row
    row = next(line for line in lines if "flow_interpolant" in line)
    assert "✗ fail" in row and "0/3" in row
    row = next(line for line in lines if " q_sample" in line)
    assert "– not done" in row
    # a notebook with nothing checked takes one line, so no 01 exercise appears
    assert "sample_clip" not in table


def test_progress_prints_the_table_and_shows_the_figure(
    path: Path, capsys, monkeypatch
) -> None:
    _partly_done(path)
    shown = []
    monkeypatch.setattr(tr, "show_figure", lambda fig, alt: shown.append((fig, alt)))
    assert progress() is None
    out = capsys.readouterr().out
    assert out.startswith("Course progress: 1 of ")
    assert f"Progress is kept in {path}" in out
    assert "cfg_combine" in out and "Colab" not in out
    ((fig, alt),) = shown
    assert alt == fig.axes[0].get_title() and alt.startswith("Course progress: 1 of")
    progress(figure=False)
    assert len(shown) == 1


def test_show_figure_in_a_notebook_sends_a_png_with_alt_text(monkeypatch) -> None:
    import IPython
    import IPython.display

    fig = plot_progress(["01_x"], [[("a", "pass")]], "Course progress: all")
    assert tr.show_figure(fig, "alt") is False  # no notebook kernel here
    sent = []

    class Kernel:
        kernel = object()

    monkeypatch.setattr(IPython, "get_ipython", lambda: Kernel())
    monkeypatch.setattr(IPython.display, "display", lambda d, raw: sent.append(d))
    assert tr.show_figure(fig, "Course progress: all") is True
    ((data,),) = [sent]
    assert data["text/plain"] == "Course progress: all"
    assert base64.b64decode(data["image/png"]).startswith(b"\x89PNG")


def test_progress_of_one_notebook(path: Path, capsys) -> None:
    _partly_done(path)
    for key in ("07", "07_diffusion", "diffusion"):
        progress(key, figure=False)
        out = capsys.readouterr().out
        assert "07_diffusion" in out and "01_video" not in out.split("\n\n")[1]
    with pytest.raises(ValueError, match="no notebook 'nope'"):
        progress("nope")


def test_coursework_progress_is_the_same(path: Path, capsys) -> None:
    _partly_done(path)
    coursework.progress(figure=False)
    assert "cfg_combine" in capsys.readouterr().out


def test_in_colab_the_note_says_how_to_keep_the_file(path: Path, monkeypatch) -> None:
    assert not tr.in_colab()
    assert "Drive" not in tr.where_note()
    monkeypatch.setenv("COLAB_RELEASE_TAG", "release-colab_20261201")
    assert tr.in_colab()
    note = tr.where_note()
    assert "deleted when the runtime ends" in note
    assert "drive.mount('/content/drive')" in note and tr.COLAB_DRIVE_FILE in note
    monkeypatch.setenv(tr.ENV_VAR, tr.COLAB_DRIVE_FILE)
    assert "deleted" not in tr.where_note()  # already on Drive
    monkeypatch.setenv(tr.ENV_VAR, "off")
    assert "not recorded" in tr.where_note()


def test_the_figure_tells_status_by_symbol_and_pattern_not_colour_alone(
    path: Path,
) -> None:
    _partly_done(path)
    notebooks = tr.course_progress()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. a glyph missing from the font
        fig = tr.progress_figure(notebooks)
        fig.canvas.draw()
    ax = fig.axes[0]
    assert ax.get_title() == tr.progress_summary(notebooks)
    assert [t.get_text() for t in ax.get_yticklabels()] == list(tr.NOTEBOOKS)
    squares = list(ax.patches)
    assert len(squares) == sum(len(nb.exercises) for nb in notebooks)
    texts = [t.get_text() for t in ax.texts]
    assert texts.count("✓") == 1 and texts.count("✗") == 1
    assert texts.count("–") == len(squares) - 2
    hatched = [p for p in squares if p.get_hatch()]
    assert len(hatched) == 1  # the failed one
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["✓ passes", "✗ fails (hatched)", "– not done"]
    colours = {s["color"] for s in STYLES.values()}
    assert len(colours) == 3 and "#0072B2" in colours and "#E69F00" in colours


def test_plot_progress_handles_an_empty_course_and_long_names() -> None:
    fig = plot_progress(["01_x"], [[]], "nothing")
    assert fig.axes[0].get_title() == "nothing"
    assert _short("q_sample") == "q_sample"
    two = _short("discretized_logistic_log_prob")
    assert "\n" in two and all(len(line) <= 18 for line in two.split("\n"))


def test_record_check_of_a_result_without_cases(path: Path) -> None:
    result = run_check("diffusion.cfg_combine", None, device="cpu")
    assert result.cases == []
    assert tr.record_check(result)
    assert tr.load_progress()["diffusion.cfg_combine"]["status"] == "fail"


def test_exercise_progress_name() -> None:
    assert tr.ExerciseProgress("vae.elbo", tr.TODO).name == "elbo"


def test_progress_survives_a_second_process_writing(path: Path) -> None:
    """Two kernels (two notebooks) write the same file: both verdicts stay."""
    tr.record_check(run_check("diffusion.cfg_combine", cfg_right, device="cpu"))
    data = json.loads(path.read_text())
    data["exercises"]["vae.elbo"] = {"status": "pass", "passed": 3, "cases": 3}
    path.write_text(json.dumps(data))
    tr.record_check(run_check("diffusion.cfg_combine", cfg_wrong, device="cpu"))
    records = tr.load_progress()
    assert records["vae.elbo"]["status"] == "pass"
    assert records["diffusion.cfg_combine"]["status"] == "fail"

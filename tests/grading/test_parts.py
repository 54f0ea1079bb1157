"""Fast tests of the grader's parts: intake, definitions, sandbox, reports."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest
import torch
import torch.nn.functional as F

from coursework.grading.definitions import read_definitions, uses_reference
from coursework.grading.report import feedback_html, feedback_markdown
from coursework.grading.sandbox import Limits, wrap
from coursework.grading.submissions import (
    SubmissionsError,
    extract_zip,
    find_submissions,
    read_notebook,
    safe_id,
)


def notebook(*sources: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    return nb


def test_student_ids_from_names_pattern_mapping_and_duplicates(tmp_path: Path) -> None:
    for name in ["doe_42_03_vae.ipynb", "roe_7_03_vae.ipynb", "x y.ipynb"]:
        (tmp_path / name).write_text("{}")
    (tmp_path / ".ipynb_checkpoints").mkdir()
    (tmp_path / ".ipynb_checkpoints" / "a.ipynb").write_text("{}")
    plain = [s.student for s in find_submissions(tmp_path)]
    assert plain == ["doe_42_03_vae", "roe_7_03_vae", "x_y"]
    by_pattern = [
        s.student for s in find_submissions(tmp_path, id_pattern=r"^(?P<id>[a-z]+)_")
    ]
    assert by_pattern == ["doe", "roe", "x_y"]
    mapped = find_submissions(
        tmp_path, mapping={"x y.ipynb": "s1", "roe_7_03_vae.ipynb": "s1"}
    )
    assert [s.student for s in mapped] == ["doe_42_03_vae", "s1", "s1-2"]
    with pytest.raises(SubmissionsError, match="named group"):
        find_submissions(tmp_path, id_pattern="([a-z]+)")


def test_safe_id_strips_path_tricks() -> None:
    assert safe_id("../../etc/passwd") == "etc_passwd"
    assert safe_id("") == "student"


def test_zip_extraction_skips_escapes(tmp_path: Path) -> None:
    archive = tmp_path / "a.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("ok/n.ipynb", "{}")
        zf.writestr("../../escape.ipynb", "{}")
    into = tmp_path / "x"
    into.mkdir()
    extract_zip(archive, into)
    assert (into / "ok" / "n.ipynb").exists()
    assert not list(tmp_path.rglob("escape.ipynb"))
    (tmp_path / "bad.zip").write_text("not a zip")
    with pytest.raises(SubmissionsError, match="zip"):
        extract_zip(tmp_path / "bad.zip", into)


@pytest.mark.parametrize(
    "text, why",
    [
        ("", "empty"),
        ("{", "JSON"),
        ('{"nbformat": 99, "cells": []}', "version 99"),
        ("[1, 2]", "not a Jupyter notebook"),
    ],
)
def test_unreadable_notebooks_say_why(tmp_path: Path, text: str, why: str) -> None:
    path = tmp_path / "n.ipynb"
    path.write_text(text)
    nb, message = read_notebook(path)
    assert nb is None and why in message


def test_definitions_keep_imports_defs_and_needed_constants() -> None:
    nb = notebook(
        "%matplotlib inline\nimport torch\nSCALE = 2.0\nmodel = train_for_an_hour()",
        "def f(x):\n    return SCALE * x\n\nf(1)\nprint('PASS')",
        "def broken(:\n",
    )
    defs = read_definitions(nb)
    kept = [type(s.node).__name__ for s in defs.statements]
    assert kept == ["Import", "Assign", "FunctionDef"]
    assert 2 in defs.syntax_errors


ALIAS = "import torch.nn.functional as F\nsoftplus = F.softplus"
PARTIAL = "import functools, torch.nn.functional as F\n" + (
    "softplus = functools.partial(F.softplus)"
)
WRAPPER = "import torch\ndef softplus(x):\n    return torch.nn.functional.softplus(x)"
OWN = "def softplus(x):\n    return torch.logaddexp(x, torch.zeros_like(x))"


@pytest.mark.parametrize(
    "source, flagged",
    [
        (ALIAS, True),
        ("from torch.nn.functional import softplus", True),
        (WRAPPER, True),
        (PARTIAL, True),
        ("import torch\n" + OWN, False),
        (ALIAS + "\nimport torch\n" + OWN, False),
    ],
)
def test_uses_reference(source: str, flagged: bool) -> None:
    defs = read_definitions(notebook(source), {"softplus"})
    found = uses_reference(defs, "softplus", lambda obj: obj is F.softplus)
    assert bool(found) == flagged


def test_sandbox_sets_limits() -> None:
    limits = Limits(cpu_seconds=7, file_mb=3, open_files=99, process_margin=None)
    code = (
        "import resource as r; print(r.getrlimit(r.RLIMIT_CPU)[0], "
        "r.getrlimit(r.RLIMIT_FSIZE)[0], r.getrlimit(r.RLIMIT_NOFILE)[0])"
    )
    out = subprocess.run(
        wrap([sys.executable, "-c", code], limits),
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.split() == ["7", str(3 * 2**20), "99"]


def test_sandbox_file_size_limit_stops_big_writes(tmp_path: Path) -> None:
    limits = Limits(file_mb=1, process_margin=None)
    code = f"open({str(tmp_path / 'big')!r}, 'wb').write(b'x' * 2**21)"
    out = subprocess.run(
        wrap([sys.executable, "-c", code], limits), capture_output=True, text=True
    )
    assert out.returncode != 0 and "File too large" in out.stderr


def test_feedback_shows_hidden_cases_by_number_only() -> None:
    record = {
        "student": "s1",
        "exercises": [
            {
                "exercise": "demo.f",
                "status": "failed",
                "points": 1.0,
                "max_points": 2.0,
                "seconds": 0.1,
                "message": "values differ",
                "hint": "look at <b>",
                "cases": [
                    {
                        "name": "public",
                        "status": "passed",
                        "message": "",
                        "hidden": False,
                    },
                    {
                        "name": "secret edge case",
                        "status": "failed",
                        "message": "values differ",
                        "hidden": True,
                    },
                ],
            }
        ],
    }
    md = feedback_markdown(record)
    assert "hidden case 1" in md and "secret edge case" not in md
    assert "Hint: look at <b>" in md
    page = feedback_html(md, "s1")
    assert "&lt;b&gt;" in page and "<li>" in page


def test_remote_gradient_matches_in_process(tmp_path: Path) -> None:
    from coursework.grading.remote import ChildProcess, make_proxy

    defs = read_definitions(
        notebook(
            "import torch\ndef f(x, y):\n    return (x * y.exp()).sum(-1), x.argmax()"
        )
    )
    child = ChildProcess(tmp_path, Limits(process_margin=None, exercise_seconds=60))
    try:
        reply = child.request(
            {
                "op": "define",
                "sources": defs.sources,
                "statements": [(s.cell, s.first, s.last) for s in defs.statements],
                "names": ["f"],
            }
        )
        assert reply["found"] == {"f": "callable"}
        proxy = make_proxy(child, "f", [])
        gen = torch.Generator().manual_seed(0)
        x = torch.randn(3, 4, generator=gen, dtype=torch.float64, requires_grad=True)
        y = torch.randn(3, 4, generator=gen, dtype=torch.float64, requires_grad=True)
        out, idx = proxy(x, y)
        gx, gy = torch.autograd.grad(
            (out * torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)).sum(), (x, y)
        )
        ref = (x * y.exp()).sum(-1)
        rx, ry = torch.autograd.grad(
            (ref * torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)).sum(), (x, y)
        )
        assert torch.allclose(out, ref) and int(idx) == int(x.argmax())
        assert torch.allclose(gx, rx) and torch.allclose(gy, ry)
    finally:
        child.stop()


def test_mapping_file_names_students(tmp_path: Path) -> None:
    from coursework.grading.submissions import read_mapping

    (tmp_path / "map.csv").write_text("file,student\nsub/a.ipynb,s-001\n")
    assert read_mapping(tmp_path / "map.csv") == {"a.ipynb": "s-001"}
    (tmp_path / "bad.csv").write_text("name,id\na,b\n")
    with pytest.raises(SubmissionsError, match="'file' and 'student'"):
        read_mapping(tmp_path / "bad.csv")


def test_child_reports_unsupported_output_and_survives_exit(tmp_path: Path) -> None:
    from coursework.grading.remote import ChildGone, ChildProcess, make_proxy

    source = "import os\ndef f(x):\n    return object()\ndef g(x):\n    os._exit(3)"
    defs = read_definitions(notebook(source))
    child = ChildProcess(tmp_path, Limits(process_margin=None, exercise_seconds=60))
    try:
        define = {
            "op": "define",
            "sources": defs.sources,
            "statements": [(s.cell, s.first, s.last) for s in defs.statements],
            "names": ["f", "g"],
        }
        assert child.request(define)["found"] == {"f": "callable", "g": "callable"}
        errors: list[str] = []
        with pytest.raises(Exception, match="cannot compare"):
            make_proxy(child, "f", errors)(torch.zeros(2))
        with pytest.raises(ChildGone):
            make_proxy(child, "g", errors)(torch.zeros(2))
        assert child.failure == "kernel-died" and "exit code 3" in child.why
    finally:
        child.stop()

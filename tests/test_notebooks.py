"""Student notebooks: executing one stops at its first unfinished exercise.

(The solution notebooks are executed by nbval: ``pytest --nbval-lax solutions/``.)
"""

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parent.parent
STUDENT = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


@pytest.mark.parametrize("path", STUDENT, ids=[p.stem for p in STUDENT])
def test_student_notebook_stops_at_first_exercise(path, monkeypatch):
    nb = nbformat.read(path, as_version=4)
    exercises = [c.metadata["exercise"] for c in nb.cells if "exercise" in c.metadata]
    assert exercises, f"{path.name} has no exercises"
    monkeypatch.setenv("COURSEWORK_PROFILE", "ci")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    client = NotebookClient(
        nb,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    with pytest.raises(CellExecutionError) as err:
        client.execute(env=dict(os.environ))
    assert err.value.ename == "ExerciseIncomplete"
    assert f"exercise {exercises[0]} is not done yet" in err.value.evalue
    # the error shows one line, not a traceback through the package
    assert "coursework/exercises/core.py" not in str(err.value.traceback)


def test_every_source_has_both_notebooks():
    sources = sorted(p.stem for p in (ROOT / "solutions").glob("[0-9][0-9]_*.py"))
    assert sources == sorted(p.stem for p in STUDENT)
    assert sources == sorted(
        p.stem for p in (ROOT / "solutions").glob("[0-9][0-9]_*.ipynb")
    )


def test_a_notebook_cell_that_writes_to_stderr_fails(tmp_path):
    """solutions/conftest.py makes nbval fail on warnings and other stderr text."""
    import shutil
    import subprocess
    import sys

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("print('fine')"),
        nbformat.v4.new_code_cell("import warnings; warnings.warn('old API')"),
    ]
    nbformat.write(nb, tmp_path / "t.ipynb")
    shutil.copy(ROOT / "solutions" / "conftest.py", tmp_path / "conftest.py")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "--nbval-lax", "--nbval-current-env", "t.ipynb"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 1, result.stdout
    assert "1 failed, 1 passed" in result.stdout
    assert "wrote to stderr" in result.stdout and "old API" in result.stdout

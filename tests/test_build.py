"""The build: determinism, stubs, solution leaks, stale notebooks, bad sources."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from coursework.build import BuildError, build, split_notebook
from coursework.build import sources as list_sources

HEADER = """# ---
# jupyter:
#   jupytext:
#     text_representation:
#       format_name: percent
# ---
"""

SOURCE = (
    HEADER
    + '''
# %% [markdown]
# # Demo notebook

# %% exercise="demo.double"
def double(x):
    """Return 2x."""
    ### BEGIN SOLUTION
    doubled = x * 2
    return doubled
    ### END SOLUTION

# %% [markdown]
# Why does it work?
# ### BEGIN SOLUTION
# Because multiplication by two doubles every value.
# ### END SOLUTION
'''
)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "solutions").mkdir()
    (tmp_path / "solutions" / "99_demo.py").write_text(SOURCE)
    return tmp_path


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text())["cells"]


def test_build_writes_both_versions_with_badge_and_setup(repo):
    assert build(repo) == []
    sol = _cells(repo / "solutions" / "99_demo.ipynb")
    stu = _cells(repo / "notebooks" / "99_demo.ipynb")
    for cells, folder in ((sol, "solutions"), (stu, "notebooks")):
        assert "colab-badge.svg" in "".join(cells[0]["source"])
        assert f"blob/main/{folder}/99_demo.ipynb" in "".join(cells[0]["source"])
        assert 'find_spec("coursework")' in "".join(cells[1]["source"])
        assert all(c.get("outputs", []) == [] for c in cells)
    code = "".join(stu[3]["source"])
    assert "raise NotImplementedError('Exercise demo.double:" in code
    assert "doubled" not in code and "BEGIN SOLUTION" not in code
    assert "_Your answer here._" in "".join(stu[4]["source"])
    sol_code = "".join(sol[3]["source"])
    assert "doubled = x * 2" in sol_code and "BEGIN SOLUTION" not in sol_code
    assert "multiplication by two" in "".join(sol[4]["source"])
    assert stu[3]["metadata"]["exercise"] == "demo.double"


def test_build_is_byte_identical_across_runs(repo):
    build(repo)
    first = {p: p.read_bytes() for p in repo.rglob("*.ipynb")}
    build(repo)
    assert first == {p: p.read_bytes() for p in repo.rglob("*.ipynb")}
    ids = [c["id"] for c in _cells(repo / "notebooks" / "99_demo.ipynb")]
    assert ids == [f"99-demo-{i:03d}" for i in range(len(ids))]


def test_check_passes_when_in_sync_and_names_stale_files(repo):
    build(repo)
    assert build(repo, check=True) == []
    src = repo / "solutions" / "99_demo.py"
    src.write_text(src.read_text().replace("Demo notebook", "Demo, edited"))
    problems = build(repo, check=True)
    assert any("solutions/99_demo.ipynb: differs" in p for p in problems)
    assert any("notebooks/99_demo.ipynb: differs" in p for p in problems)


def test_check_catches_solution_text_in_student_notebook(repo):
    build(repo)
    shutil.copy(
        repo / "solutions" / "99_demo.ipynb", repo / "notebooks" / "99_demo.ipynb"
    )
    problems = build(repo, check=True)
    assert any("contains the solution of demo.double" in p for p in problems)


def test_check_reports_missing_and_orphan_notebooks(repo):
    problems = build(repo, check=True)
    assert any("missing" in p for p in problems)
    build(repo)
    (repo / "notebooks" / "42_orphan.ipynb").write_text("{}")
    assert any("42_orphan" in p for p in build(repo, check=True))


@pytest.mark.parametrize(
    "body, words",
    [
        (
            "# %%\nx = 1\n### BEGIN SOLUTION\nx = 2\n### END SOLUTION\n",
            "needs the exercise id",
        ),
        ('# %% exercise="demo.a"\n### BEGIN SOLUTION\nx = 2\n', "never closed"),
        ('# %% exercise="demo.a"\nx = 2\n### END SOLUTION\n', "without"),
        ('# %% exercise="Demo A"\nx = 1\n', "is not like"),
        ('# %% exercise="demo.a"\nx = 2  ### BEGIN SOLUTION\n', "stand alone"),
    ],
)
def test_malformed_sources_name_file_and_cell(tmp_path, body, words):
    src = tmp_path / "solutions" / "98_bad.py"
    src.parent.mkdir()
    src.write_text(HEADER + "\n" + body)
    with pytest.raises(BuildError, match=words) as err:
        split_notebook(src)
    assert "98_bad.py, cell" in str(err.value)
    assert any(words in p for p in build(tmp_path, check=True))


def test_committed_notebooks_match_their_sources():
    root = Path(__file__).resolve().parent.parent
    if not list_sources(root):
        pytest.skip("no notebook sources yet")
    assert build(root, check=True) == []


def test_setup_cell_does_nothing_where_the_package_is_installed():
    from coursework.build import SETUP_SOURCE

    namespace: dict = {}
    exec(SETUP_SOURCE, namespace)  # coursework is importable here
    assert "pip" not in namespace


def test_setup_cell_fails_with_one_line_when_the_install_fails(tmp_path):
    """As on Colab with a wrong address: one line naming it, no pip traceback."""
    from coursework.build import setup_source

    url = (tmp_path / "no-such-course").as_uri()
    code = (
        "import importlib.util\n"
        "importlib.util.find_spec = lambda name, *a: None  # as if not installed\n"
        "try:\n"
        + "\n".join("    " + line for line in setup_source(url).splitlines())
        + "\nexcept Exception as exc:\n"
        "    print('\\n'.join(exc._render_traceback_()))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 1, out.stdout + out.stderr
    assert lines[0].startswith("SetupFailed: could not install the course from")
    assert url in lines[0]

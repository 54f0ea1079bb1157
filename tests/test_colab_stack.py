"""Installing the course on Colab replaces nothing Colab preinstalls.

A virtual environment is set up like Colab: its kernel packages and
ipywidgets 7 at Colab's versions, installed from the package registry, and
torch with torchvision as a matching pair (linked from this environment rather
than copied: the CUDA build is several GB). The other packages Colab
preinstalls and the course requires with a lower bound only (matplotlib,
scikit-learn, tqdm) are linked from this environment too, at the versions
constraints.txt pins (which meet those bounds, as Colab's do), instead of being
downloaded and installed again (scipy and matplotlib took most of the set-up
time). Then:

- ``pip install --dry-run`` of the course into it would install the course
  package and nothing else;
- the widget explorers and progress bars build there, under ipywidgets 7 (the
  rest of the suite runs them under ipywidgets 8).

Needs the package registry; skips, saying why, where pip cannot reach it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sysconfig
import venv
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
# What Colab has preinstalled at its versions, from the package registry: the
# kernel and the widgets, the packages whose old versions the course must meet.
COLAB = [
    "ipykernel==6.17.1",
    "ipywidgets==7.7.1",
    "jupyter-client==6.1.12",
]
# Linked from this environment, with what they require: the torch pair, the
# test runner, and Colab's other preinstalled packages that the course requires
# with lower bounds only (any version meeting them will do; these do).
LINKED = [
    "torch", "torchvision", "pytest", "pytest-timeout",
    "matplotlib", "scikit-learn", "tqdm",
]


def _closure(names: list[str]) -> set[str]:
    """These distributions and everything they require, as installed here.

    Requirements are followed as pip follows them: markers evaluated for this
    machine, and the extras asked for included (torch asks for
    ``cuda-toolkit[cublas,...]``, whose ``nvidia-*`` packages come only with
    those extras). A requirement missed here would be installed by pip into the
    Colab environment, through the linked folders, into this one.
    """
    seen: set[str] = set()
    done: set[tuple[str, frozenset[str]]] = set()
    todo = [(name, frozenset[str]()) for name in names]
    while todo:
        raw, extras = todo.pop()
        name = canonicalize_name(raw)
        if (name, extras) in done:
            continue
        done.add((name, extras))
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # an optional or platform-specific requirement
        seen.add(name)
        for text in dist.requires or []:
            req = Requirement(text)
            wanted = [{"extra": e} for e in extras] or [{"extra": ""}]
            if req.marker and not any(req.marker.evaluate(env) for env in wanted):
                continue
            todo.append((req.name, frozenset(req.extras)))
    return seen


def _through_links(installs: list[dict], site: Path) -> list[str]:
    """What pip would write through a link into this environment.

    ``installs`` is pip's ``--report`` list. A distribution installed here
    whose top-level folders (or metadata) are linked into ``site`` would have
    its files replaced in this environment, under the processes using them.
    """
    found = []
    for item in installs:
        name = item["metadata"]["name"]
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        tops = {Path(str(f)).parts[0] for f in dist.files or []}
        linked = sorted(t for t in tops if (site / t).is_symlink())
        if linked:
            found.append(f"{name} ({', '.join(linked)})")
    return found


def _link(names: set[str], site: Path) -> None:
    """Symlink each distribution's top-level files and metadata into ``site``."""
    here = Path(sysconfig.get_paths()["purelib"])
    for name in names:
        dist = metadata.distribution(name)
        tops = {Path(str(f)).parts[0] for f in dist.files or []}
        for top in tops:
            source = here / top
            if top not in ("..", "__pycache__") and source.exists():
                target = site / top
                if not target.exists():
                    target.symlink_to(source)


def _run(python: Path, code: str) -> str:
    return subprocess.check_output([str(python), "-c", code], text=True).strip()


def _site(python: Path) -> Path:
    """The site-packages folder of another environment's python."""
    code = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    return Path(_run(python, code))


def _pip(python: Path, *args: str, timeout: int = 900) -> subprocess.CompletedProcess:
    env = dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1")
    return subprocess.run(
        [str(python), "-m", "pip", *args],
        capture_output=True, text=True, timeout=timeout, env=env,
    )


@pytest.fixture(scope="module")
def colab(tmp_path_factory) -> Path:
    """The python of a Colab-like environment."""
    folder = tmp_path_factory.mktemp("colab") / "venv"
    venv.create(folder, with_pip=True)
    python = folder / "bin" / "python"
    site = _site(python)
    _link(_closure(LINKED), site)
    pins = [f"{n}=={metadata.version(n)}" for n in ("torch", "torchvision", "numpy")]
    report = folder.parent / "install.json"
    done = _pip(python, "install", "-q", "--dry-run", "--report", str(report),
                *pins, *COLAB)
    if done.returncode == 0:
        unsafe = _through_links(json.loads(report.read_text())["install"], site)
        assert not unsafe, f"would overwrite this environment's files: {unsafe}"
        done = _pip(python, "install", "-q", *pins, *COLAB)
    if done.returncode != 0:
        if re.search(r"connection|resolve|network|index", done.stderr, re.I):
            pytest.skip(f"cannot reach the package registry: {done.stderr[-300:]}")
        raise AssertionError(done.stderr[-3000:])
    return python


def test_installing_the_course_on_colab_installs_only_the_course(colab, tmp_path):
    report = tmp_path / "report.json"
    done = _pip(
        colab, "install", "--dry-run", "--quiet", "--report", str(report), str(ROOT)
    )
    assert done.returncode == 0, done.stderr[-3000:]
    installs = json.loads(report.read_text())["install"]
    names = sorted(item["metadata"]["name"] for item in installs)
    assert names == ["coursework"], f"would also install {names}"


def test_widgets_and_progress_bars_build_under_ipywidgets_7(colab):
    (_site(colab) / "coursework.pth").write_text(str(ROOT) + "\n")
    version = _run(colab, "import ipywidgets; print(ipywidgets.__version__)")
    assert version == "7.7.1"
    files = sorted(str(p) for p in ROOT.glob("tests/*/test_*widget*.py"))
    assert files
    bar = (
        "from tqdm.auto import tqdm; import ipywidgets;"
        "from coursework.train import TensorLoader, fit;"
        "import torch; m = torch.nn.Linear(2, 1);"
        "x = torch.randn(8, 2);"
        "fit(m, TensorLoader(x, batch_size=4), lambda m, b: m(b[0]).pow(2).mean(),"
        " torch.optim.SGD(m.parameters(), 0.1), epochs=1);"
        "print('progress bar ok')"
    )
    done = subprocess.run(
        [str(colab), "-c", bar], capture_output=True, text=True, timeout=300, cwd=ROOT
    )
    assert "progress bar ok" in done.stdout, done.stderr[-3000:]
    done = subprocess.run(
        [str(colab), "-m", "pytest", "-q", "-p", "no:cacheprovider", *files],
        capture_output=True, text=True, timeout=900, cwd=ROOT,
        env=dict(os.environ, MPLBACKEND="Agg", COURSEWORK_THREADS="1"),
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert re.search(r"\d+ passed", done.stdout)

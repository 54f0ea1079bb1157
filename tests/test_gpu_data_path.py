"""Every notebook's ``gpu`` profile code path runs on the CPU.

A GPU user (Colab's default profile) must never be stopped by a shape, a
channel count, an image size or a dataset branch that only the ``gpu`` profile
picks. Every cell of every solution notebook runs with
``COURSEWORK_PROFILE=gpu`` and tiny sizes, against MNIST and CIFAR-10 files in
their real formats written here (nothing is downloaded), so that each model
the profile builds is trained (tiny budget), sampled and evaluated once. The
cells that load data carry ``tags=["data"]`` (checked here without running
them), so that a reader, or a partial run, can find them.

Training runs under autocast in bfloat16 (``COURSEWORK_AMP=1``), the mixed
precision path that CUDA takes, so that a dtype error shows without a GPU.

Each notebook runs in its own fresh kernel limited to one thread
(``COURSEWORK_THREADS=1``), so two kernels run at a time (``WORKERS``), one
per core of the 2-core CI machine: the runs start together when the first test
asks, and each test waits for its own notebook's run and checks it.
"""

from __future__ import annotations

import json
import os
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import jupytext
import nbformat
import pytest
from nbclient import NotebookClient

from coursework.build import sources

TINY = (
    "n_train=64,n_test=32,n_videos=4,epochs=1,steps=12,batch_size=16,width=32,"
    "diffusion_steps=12,diffusion_T=20,diffusion_samples=32,diffusion_width=8,"
    "diffusion_reflow_pairs=32,diffusion_reflow_steps=12"
)
# Kernels running at once, each on one thread: the CI machine's two cores.
WORKERS = 2
# torchvision checks CIFAR-10's files against the real archive's checksums,
# which files written here cannot match; everything else is the real reader.
BYPASS_CHECKSUM = """\
import torchvision.datasets.cifar as _cifar
_cifar.CIFAR10._check_integrity = lambda self: True
_cifar.check_integrity = lambda *args, **kwargs: True
"""


def data_notebook(path: Path) -> nbformat.NotebookNode:
    """Setup cell, imports cell and the data-tagged cells of one source."""
    cells = jupytext.read(path, fmt="py:percent").cells
    code = [c for c in cells if c.cell_type == "code"]
    tagged = [c for c in code[2:] if "data" in c.metadata.get("tags", [])]
    assert tagged, f'{path.name}: tag the cells that load data `# %% tags=["data"]`'
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c.source) for c in code[:2] + tagged]
    return nb


def all_cells(path: Path) -> nbformat.NotebookNode:
    """Every code cell of one source, in order."""
    cells = jupytext.read(path, fmt="py:percent").cells
    nb = nbformat.v4.new_notebook()
    code = [c.source for c in cells if c.cell_type == "code"]
    nb.cells = [nbformat.v4.new_code_cell(source) for source in code]
    return nb


def run_in_gpu_profile(
    nb: nbformat.NotebookNode, path: Path, root: Path, fake_data, metrics: Path
) -> None:
    """Run ``nb`` in the gpu profile, tiny sizes, data files under ``root``."""
    fake_data.mnist(root, "MNIST", n=64)
    fake_data.cifar10(root, n=16)
    startup = root / "startup"
    startup.mkdir()
    (startup / "sitecustomize.py").write_text(BYPASS_CHECKSUM)
    env = dict(
        os.environ,
        COURSEWORK_PROFILE="gpu",
        COURSEWORK_OVERRIDES=TINY,
        COURSEWORK_DATA=str(root),
        COURSEWORK_THREADS="1",
        COURSEWORK_METRICS=str(metrics),
        COURSEWORK_AMP="1",  # train under autocast (bfloat16), as on CUDA
        MPLBACKEND="Agg",
        PYTHONPATH=str(startup),
    )
    client = NotebookClient(
        nb,
        timeout=600,
        # A kernel that starts beside another run (WORKERS) on a loaded machine
        # can take longer than the default minute to answer.
        startup_timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute(env=env)  # raises CellExecutionError on any failing cell
    first = "".join(o.get("text", "") for o in nb.cells[0].outputs)
    assert "profile=gpu" in first and "n_train=64" in first


@pytest.mark.parametrize("path", sources(), ids=lambda p: p.stem)
def test_data_cells_are_tagged(path):
    nb = data_notebook(path)  # fails with a pointed message when none is tagged
    assert all(cell.source.strip() for cell in nb.cells)


@pytest.fixture(scope="module")
def gpu_runs(request, tmp_path_factory, fake_data) -> dict[Path, Future]:
    """The gpu-profile run of each selected notebook, ``WORKERS`` at a time.

    Every run has its own kernel, data folder and metrics folder, as when the
    runs were one per test; a run's future holds its metrics folder, or raises
    what the run raised.
    """
    selected = [
        item.callspec.params["path"]
        for item in request.session.items
        if getattr(item, "function", None) is test_every_cell_runs_in_the_gpu_profile
    ]

    def run(path: Path) -> Path:
        root = tmp_path_factory.mktemp(f"gpu-{path.stem}")
        metrics = root / "metrics"
        run_in_gpu_profile(all_cells(path), path, root, fake_data, metrics)
        return metrics

    pool = ThreadPoolExecutor(WORKERS, thread_name_prefix="gpu-path")
    try:
        yield {path: pool.submit(run, path) for path in selected}
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


@pytest.mark.parametrize("path", sources(), ids=lambda p: p.stem)
def test_every_cell_runs_in_the_gpu_profile(path, gpu_runs):
    metrics = gpu_runs[path].result()  # raises CellExecutionError on a failing cell
    # it reached its last cells: the headline figures were recorded, as numbers
    recorded = json.loads((metrics / f"{path.stem}.json").read_text())
    assert recorded and all(isinstance(v, float) for v in recorded.values())

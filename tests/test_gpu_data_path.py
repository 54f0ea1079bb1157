"""Every notebook's data cells run in the ``gpu`` profile's code path, on CPU.

A GPU user (Colab's default profile) must never be stopped at the data. Each
notebook tags the cells that load or generate its data (``tags=["data"]``);
this test runs the setup cell, the imports cell and those cells with
``COURSEWORK_PROFILE=gpu`` and tiny sizes, against MNIST and CIFAR-10 files in
their real formats written here (nothing is downloaded).
"""

from __future__ import annotations

import os
from pathlib import Path

import jupytext
import nbformat
import pytest
from nbclient import NotebookClient

from coursework.build import sources

TINY = "n_train=64,n_test=32,n_videos=4,epochs=1,steps=4,batch_size=16,width=32"
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


@pytest.mark.parametrize("path", sources(), ids=lambda p: p.stem)
def test_data_cells_run_in_the_gpu_profile(path, tmp_path, fake_data):
    fake_data.mnist(tmp_path, "MNIST", n=64)
    fake_data.cifar10(tmp_path, n=16)
    startup = tmp_path / "startup"
    startup.mkdir()
    (startup / "sitecustomize.py").write_text(BYPASS_CHECKSUM)
    env = dict(
        os.environ,
        COURSEWORK_PROFILE="gpu",
        COURSEWORK_OVERRIDES=TINY,
        COURSEWORK_DATA=str(tmp_path),
        COURSEWORK_THREADS="1",
        MPLBACKEND="Agg",
        PYTHONPATH=str(startup),
    )
    nb = data_notebook(path)
    client = NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute(env=env)  # raises CellExecutionError on any failing cell
    first = "".join(o.get("text", "") for o in nb.cells[0].outputs)
    assert "profile=gpu" in first and "n_train=64" in first

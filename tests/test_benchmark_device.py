"""benchmarks/device.py keeps working: every entry trains, the sampler rows agree.

The script runs for real only on a GPU (or with ``--cpu``, for minutes), so
these tests build each notebook's workload at tiny sizes and take one step,
in float32 and under bfloat16 autocast, so that a change in a topic's API
shows here rather than in the GPU's time slot.
"""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import pytest
import torch

from coursework.build import sources
from coursework.runtime import get_profile

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def device_py():
    path = ROOT / "benchmarks" / "device.py"
    spec = importlib.util.spec_from_file_location("device_benchmark", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


TINY = dict(width=48, batch_size=8, n_train=64, n_videos=4, frames=8, frame_size=32)


def test_every_notebook_has_an_entry(device_py):
    names = {p.stem for p in sources()}
    missing = names - set(device_py.ENTRIES)
    assert not missing, f"add an @entry to benchmarks/device.py for {missing}"


@pytest.mark.parametrize("amp", [False, True])
def test_each_entry_takes_a_training_step(device_py, amp):
    profile = get_profile("gpu", **TINY)
    for name, make in device_py.ENTRIES.items():
        torch.manual_seed(0)
        work = make(profile, torch.device("cpu"))
        work.train(1, amp)
        assert work.full_steps >= 1, name
        for p in work.model.parameters():
            assert torch.isfinite(p).all(), name


def test_sampler_part_compares_whole_images(device_py):
    profile = get_profile("cpu", image_size=6, width=24)  # embedded digits: 6 x 6
    rows = device_py.part_sampler(torch.device("cpu"), 1e9, profile)
    cached, naive, ratio = rows
    assert naive["note"] == "both whole" and ratio["note"] == "same samples: True"
    assert math.isclose(ratio["value"], naive["value"] / cached["value"])


def test_table_has_one_line_per_row(device_py):
    rows = [device_py.row("a", "b", "c", 1.5, "d"), device_py.row("x", "y", "z", 2e4)]
    lines = device_py.table(rows).splitlines()
    assert len(lines) == 4 and "20,000" in lines[-1] and "1.5" in lines[2]

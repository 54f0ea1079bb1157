"""UCF-101 from its files (written here in the real layout), and the video choice."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from coursework.data.real import DatasetUnavailable
from coursework.data.ucf101 import decoding_problem, load_ucf101, read_split
from coursework.data.video import choose_video_dataset
from coursework.runtime import get_profile

NAMES = ["ApplyEyeMakeup", "Archery"]


def write_tiny_ucf101(folder: Path, frames: int = 8) -> tuple[Path, Path]:
    """Two classes, two videos each, in UCF-101's layout; class 1 is brighter."""
    from coursework.data.ucf101 import encode_avi

    root, splits = folder / "UCF-101", folder / "ucfTrainTestlist"
    splits.mkdir(parents=True)
    train, test = [], []
    for k, name in enumerate(NAMES):
        (root / name).mkdir(parents=True)
        for g in (1, 2):
            rel = f"{name}/v_{name}_g0{g}_c01.avi"
            video = np.full((frames, 32, 32, 3), 40 + 150 * k, dtype=np.uint8)
            video[:, :, :4] = 10 * np.arange(frames).reshape(-1, 1, 1, 1)  # changes
            (root / rel).write_bytes(encode_avi(video, frame_rate=10))
            (train if g == 1 else test).append(rel)
    (splits / "classInd.txt").write_text(
        "".join(f"{i + 1} {n}\n" for i, n in enumerate(NAMES))
    )
    (splits / "trainlist01.txt").write_text(
        "".join(f"{r} {NAMES.index(r.split('/')[0]) + 1}\n" for r in train)
    )
    (splits / "testlist01.txt").write_text("".join(f"{r}\n" for r in test))
    return root, splits


def test_ucf101_missing_says_where_to_get_it_and_the_alternative(tmp_path):
    with pytest.raises(DatasetUnavailable, match="make_actions") as err:
        load_ucf101(tmp_path / "nope", tmp_path / "splits", frames=4, frame_size=16)
    assert "crcv.ucf.edu" in str(err.value)


def test_split_files_are_read_with_and_without_labels(tmp_path):
    (tmp_path / "classInd.txt").write_text("1 A\n2 B\n")
    (tmp_path / "trainlist01.txt").write_text("B/v_B_g01_c01.avi 2\n")
    (tmp_path / "testlist01.txt").write_text("A/v_A_g02_c01.avi\n")
    assert read_split(tmp_path, "train") == (["A", "B"], [("B/v_B_g01_c01.avi", 1)])
    assert read_split(tmp_path, "test")[1] == [("A/v_A_g02_c01.avi", 0)]
    with pytest.raises(ValueError, match="folds 1, 2 and 3"):
        read_split(tmp_path, "train", fold=4)


def test_ucf101_loads_a_tiny_written_dataset(tmp_path):
    problem = decoding_problem()
    if problem:
        pytest.skip(f"UCF-101 decoding cannot run here: {problem}")
    root, splits = write_tiny_ucf101(tmp_path)
    x, y, classes = load_ucf101(root, splits, frames=4, frame_size=16, split="test")
    assert classes == NAMES
    assert x.shape == (2, 4, 3, 16, 16) and x.dtype == torch.uint8
    assert y.tolist() == [0, 1]
    # the second class was written brighter (MPEG-4 is lossy: compare means)
    assert float(x[1, :, :, :, 8:].float().mean()) > float(
        x[0, :, :, :, 8:].float().mean()
    ) + 100
    # the clip comes from the middle of the 8 frames, in order: the left band grows
    band = x[0, :, :, :, :1].float().mean((1, 2, 3))
    assert torch.all(band[1:] > band[:-1])
    # fewer frames in the video than asked for: the last frame repeats
    x, _, _ = load_ucf101(root, splits, frames=12, frame_size=16, n=1)
    assert x.shape == (1, 12, 3, 16, 16)
    assert torch.equal(x[0, -1], x[0, -2])


def test_the_ucf101_test_skips_when_the_decoder_cannot_load(tmp_path):
    """With a decoder that fails to load, the loading test skips, not fails."""
    fake = tmp_path / "fake"
    (fake / "av").mkdir(parents=True)
    # what a wheel whose shared libraries are missing does on import
    (fake / "av" / "__init__.py").write_text(
        "raise OSError('libavutil.so.59: cannot open shared object file')\n"
    )
    env = dict(os.environ, PYTHONPATH=str(fake))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider",
         f"{__file__}::test_ucf101_loads_a_tiny_written_dataset"],
        env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 skipped" in result.stdout
    assert "libavutil.so.59" in result.stdout  # the reason names the problem


def test_decoding_problem_is_none_where_pyav_works():
    pytest.importorskip("av")
    assert decoding_problem() is None


def test_gpu_profile_uses_generated_videos_without_ucf101(tmp_path, capsys):
    assert choose_video_dataset(get_profile("gpu"), root=tmp_path) == "synthetic"
    assert "generated actions" in capsys.readouterr().out
    asked = get_profile("gpu", video_dataset="ucf101")
    with pytest.raises(DatasetUnavailable, match="was asked for"):
        choose_video_dataset(asked, root=tmp_path)


def test_gpu_profile_uses_ucf101_where_its_files_are(tmp_path, capsys):
    (tmp_path / "UCF-101").mkdir()
    (tmp_path / "ucfTrainTestlist").mkdir()
    (tmp_path / "ucfTrainTestlist" / "classInd.txt").write_text("1 A\n")
    assert choose_video_dataset(get_profile("gpu"), root=tmp_path) == "ucf101"
    assert "UCF-101 from" in capsys.readouterr().out
    cpu = get_profile("cpu")
    assert choose_video_dataset(cpu, root=tmp_path) == "synthetic"

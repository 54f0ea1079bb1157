"""Helpers that run inside training steps never read a device tensor on the host.

Reading a value of a CUDA tensor (``int(t)``, ``t.item()``, ``bool(t.any())``)
makes the step wait for the GPU. Tensors on PyTorch's ``meta`` device have
shapes but no values, so any such read raises: a CPU-only stand-in for
``torch.cuda.set_sync_debug_mode("error")``, which benchmarks/device.py runs
on a real GPU.
"""

from __future__ import annotations

import pytest
import torch

from coursework.multimodal import crop_frames, crop_spectrogram, random_starts
from coursework.video.clips import random_starts as clip_starts
from coursework.video.clips import sample_clip

META = torch.device("meta")


def test_meta_tensors_refuse_host_reads():
    with pytest.raises((RuntimeError, NotImplementedError)):
        int(torch.zeros(3, device=META).max())


def test_clip_sampling_reads_nothing_from_the_device():
    videos = torch.zeros(4, 12, 3, 8, 8, dtype=torch.uint8, device=META)
    starts = clip_starts(4, 12, 3, 2, META)
    assert sample_clip(videos, starts, 3, 2).shape == (4, 3, 3, 8, 8)


def test_window_crops_read_nothing_from_the_device():
    videos = torch.zeros(4, 16, 3, 8, 8, device=META)
    spec = torch.zeros(4, 5, 64, device=META)
    start = random_starts(4, 16, 4, META)
    assert crop_frames(videos, start, 4).shape == (4, 4, 3, 8, 8)
    assert crop_spectrogram(spec, start, 4, 4).shape == (4, 5, 16)

"""Benchmark the audio-visual data: generation and log-mel time per profile.

Generates the train and test clips of notebook 06 at each profile's sizes
(``8 n_videos`` and ``2 n_videos`` clips of ``frames`` frames of
``frame_size`` pixels) and computes their log-mel spectrograms in one
batched ``torch.stft``, on the device in use; prints seconds and sizes.
The notebooks' own figures come from ``benchmarks/run.py``.

    .venv/bin/python benchmarks/multimodal.py [--profiles ci cpu gpu] [--repeats 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from coursework.data.audiovisual import make_clips  # noqa: E402
from coursework.multimodal.audio import log_mel_spectrogram, mel_filterbank  # noqa: E402
from coursework.runtime import PROFILES, get_device, set_threads  # noqa: E402


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def time_profile(name: str, device: torch.device, repeats: int) -> dict[str, float]:
    """Best-of-``repeats`` seconds to generate one profile's clips and spectrograms."""
    prof = PROFILES[name]
    n_train, n_test = 8 * prof.n_videos, 2 * prof.n_videos
    best_gen = best_spec = float("inf")
    for r in range(repeats):
        _sync(device)
        start = time.perf_counter()
        train = make_clips(n_train, prof.frames, prof.frame_size, seed=r, device=device)
        test = make_clips(
            n_test, prof.frames, prof.frame_size, seed=r + 1, device=device
        )
        _sync(device)
        best_gen = min(best_gen, time.perf_counter() - start)
        fb = mel_filterbank(32, 512, train.sample_rate).to(device)
        hop = int(train.sample_rate / train.fps) // 4
        start = time.perf_counter()
        for clips in (train, test):
            log_mel_spectrogram(clips.audio, fb, 512, hop)
        _sync(device)
        best_spec = min(best_spec, time.perf_counter() - start)
    video_mb = (train.videos.numel() + test.videos.numel()) / 2**20
    audio_mb = 4 * (train.audio.numel() + test.audio.numel()) / 2**20
    return {
        "clips": n_train + n_test,
        "generate_s": best_gen,
        "log_mel_s": best_spec,
        "video_MiB": video_mb,
        "audio_MiB": audio_mb,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", nargs="+", default=["ci", "cpu", "gpu"])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default=None, help="cpu, cuda, ...")
    args = parser.parse_args()
    set_threads()
    device = get_device(args.device)
    threads = torch.get_num_threads()
    print(f"device {device}, {threads} CPU threads, torch {torch.__version__}")
    print(f"{'profile':8} {'clips':>6} {'generate s':>11} {'log-mel s':>10} "
          f"{'video MiB':>10} {'audio MiB':>10}")
    for name in args.profiles:
        r = time_profile(name, device, args.repeats)
        print(
            f"{name:8} {r['clips']:6d} {r['generate_s']:11.2f} "
            f"{r['log_mel_s']:10.3f} {r['video_MiB']:10.1f} {r['audio_MiB']:10.1f}"
        )


if __name__ == "__main__":
    main()

"""Benchmark the pretext batch-making functions: images per second, on one device.

Every batch-maker of ``coursework.pretext`` runs batched on the device (no
Python loop over images); this measures how many images per second each one
turns into ``(inputs, targets)``, on the generated objects (or the action
videos for the video tasks), after a warm-up, synchronising CUDA around the
timed loop. The figures go through ``record_metrics("05_pretext_batches", ...)``
as ``<task>_images_per_s``.

    .venv/bin/python benchmarks/pretext.py [--device cuda] [--batch 256] [--size 32]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from coursework.data.objects import make_objects  # noqa: E402
from coursework.data.video import make_actions  # noqa: E402
from coursework.pretext.augment import augment  # noqa: E402
from coursework.pretext.color import ab_bins, colorization_batch, rgb_to_lab  # noqa: E402
from coursework.pretext.inpainting import inpainting_batch  # noqa: E402
from coursework.pretext.permutations import maximal_hamming_set  # noqa: E402
from coursework.pretext.rotation import rotate_batch  # noqa: E402
from coursework.pretext.tiles import (  # noqa: E402
    jigsaw_batch,
    largest_tile,
    relative_position_batch,
)
from coursework.pretext.video import (  # noqa: E402
    arrow_of_time_batch,
    odd_one_out_batch,
    shuffle_learn_batch,
)
from coursework.runtime import get_device, record_metrics, set_threads  # noqa: E402


def images_per_second(
    fn: Callable[[], object], n_images: int, device: torch.device, repeats: int
) -> float:
    """Images per second of ``fn`` (which handles ``n_images``), after a warm-up."""
    for _ in range(2):
        fn()
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return n_images * repeats / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default=None, help="default: CUDA if available")
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--size", type=int, default=24, help="image side")
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    set_threads()
    device = get_device(args.device)
    torch.manual_seed(0)
    b, s = args.batch, args.size
    x, _ = make_objects(max(8, b), s, seed=0, device=device)
    x = x[:b]
    videos, _ = make_actions(max(1, b // 8), 24, 32, seed=0, device=device)
    centres, _ = ab_bins(rgb_to_lab(x)[:, 1:])
    perms = maximal_hamming_set(9, 32).to(device)
    gap, jitter = max(1, s // 12), max(0, s // 24)
    tile = largest_tile(s, gap, jitter)
    tasks = {
        "augment": lambda: augment(x),
        "rotation": lambda: rotate_batch(x),
        "jigsaw": lambda: jigsaw_batch(x, perms, tile, gap, jitter),
        "relpos": lambda: relative_position_batch(x, tile, gap, jitter),
        "colorization": lambda: colorization_batch(x, centres),
        "inpainting": lambda: inpainting_batch(x),
    }
    video_tasks = {
        "shuffle_learn": lambda: shuffle_learn_batch(videos, 2),
        "odd_one_out": lambda: odd_one_out_batch(videos, 3, 3, 2),
        "arrow_of_time": lambda: arrow_of_time_batch(videos, 4, 2),
    }
    print(
        f"device {device}, batch {b}, images {s}x{s}, {torch.get_num_threads()} threads"
    )
    rates = {}
    for name, fn in tasks.items():
        rates[f"{name}_images_per_s"] = images_per_second(fn, b, device, args.repeats)
    for name, fn in video_tasks.items():
        n = videos.shape[0]
        rates[f"{name}_videos_per_s"] = images_per_second(fn, n, device, args.repeats)
    record_metrics("05_pretext_batches", **rates)


if __name__ == "__main__":
    main()

"""Runtime: the profile (``ci`` / ``cpu`` / ``gpu``), the device, seeding, data folder.

Every notebook reads its budget (dataset size, image size, epochs, widths,
batch size) from one :class:`Profile`, so nothing in a notebook hard-codes a
size. The profile comes from the ``COURSEWORK_PROFILE`` environment variable,
or from the hardware: ``gpu`` when CUDA is available, ``cpu`` otherwise.
"""

from __future__ import annotations

import dataclasses
import os
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

PROFILE_ENV = "COURSEWORK_PROFILE"
DATA_ENV = "COURSEWORK_DATA"
THREADS_ENV = "COURSEWORK_THREADS"
OVERRIDES_ENV = "COURSEWORK_OVERRIDES"
SEED_ENV = "COURSEWORK_SEED"


@dataclass(frozen=True)
class Profile:
    """The sizes one run of a notebook may spend.

    Attributes:
        name: ``ci``, ``cpu`` or ``gpu``.
        description: where the profile is meant to run, and its time budget.
        image_dataset: ``digits`` (embedded) or ``mnist`` (torchvision download).
        n_train: training images for the image notebooks.
        n_test: test images for the image notebooks.
        image_size: side of the square images the image notebooks use.
        batch_size: minibatch size.
        epochs: passes over the training set for the main models.
        width: hidden units (MLPs) or base channels (CNNs).
        steps: optimisation steps, for notebooks that count steps (GANs).
        video_dataset: ``synthetic`` (generated), ``ucf101`` (its files, which
            need a manual download) or ``auto`` (UCF-101 where its files are,
            generated videos otherwise).
        n_videos: training clips per class for the video notebook.
        frames: frames per clip (``T``).
        frame_size: side of a video frame.
        diffusion_steps: optimisation steps of each digit model in notebook 07.
        diffusion_width: base channels of notebook 07's U-Net.
        diffusion_T: steps ``T`` of notebook 07's forward process.
        diffusion_reflow_pairs: noise-sample pairs drawn from 07's flow for reflow.
        diffusion_reflow_steps: optimisation steps of 07's reflow.
        diffusion_samples: samples per evaluated set in notebook 07 (at most
            the test set's size).
        diffusion_judge_draws: independent draws of the judge's sample count
            over which notebook 07 averages each sampler it compares with
            DDPM (at least 2: one Fréchet distance moves between draws).
    """

    name: str
    description: str
    image_dataset: str
    n_train: int
    n_test: int
    image_size: int
    batch_size: int
    epochs: int
    width: int
    steps: int
    video_dataset: str
    n_videos: int
    frames: int
    frame_size: int
    diffusion_steps: int = 400
    diffusion_width: int = 16
    diffusion_T: int = 200
    diffusion_samples: int = 200
    diffusion_reflow_pairs: int = 2000
    diffusion_reflow_steps: int = 400
    diffusion_judge_draws: int = 2

    def replace(self, **changes: object) -> Profile:
        """Return a copy with some sizes changed, e.g. ``profile.replace(epochs=2)``."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]


PROFILES: dict[str, Profile] = {
    "ci": Profile(
        name="ci",
        description="tests on 2 CPU cores, about a minute per notebook",
        image_dataset="digits",
        n_train=600,
        n_test=200,
        image_size=16,
        batch_size=64,
        epochs=3,
        width=64,
        steps=150,
        video_dataset="synthetic",
        n_videos=24,
        frames=8,
        frame_size=32,
        diffusion_steps=300,
        diffusion_width=16,
        diffusion_T=50,
        diffusion_samples=200,
        diffusion_reflow_pairs=500,
        diffusion_reflow_steps=100,
    ),
    "cpu": Profile(
        name="cpu",
        description="a laptop CPU, about ten minutes per notebook",
        image_dataset="digits",
        n_train=1400,
        n_test=397,
        image_size=28,
        batch_size=64,
        epochs=30,
        width=256,
        steps=3000,
        video_dataset="synthetic",
        n_videos=120,
        frames=16,
        frame_size=32,
        diffusion_steps=10000,
        diffusion_width=16,
        diffusion_T=200,
        diffusion_samples=200,
        diffusion_reflow_pairs=2000,
        diffusion_reflow_steps=500,
        diffusion_judge_draws=4,
    ),
    "gpu": Profile(
        name="gpu",
        description="a CUDA GPU (Colab T4 or better), 20-30 minutes per notebook",
        image_dataset="mnist",
        n_train=60000,
        n_test=10000,
        image_size=28,
        batch_size=128,
        epochs=20,
        width=512,
        steps=20000,
        video_dataset="auto",
        n_videos=400,
        frames=16,
        frame_size=64,
        diffusion_steps=6000,
        diffusion_width=64,
        diffusion_T=1000,
        diffusion_samples=2000,
        diffusion_reflow_pairs=10000,
        diffusion_reflow_steps=3000,
    ),
}


class ProfileError(ValueError):
    """An unknown profile name."""


def get_profile(name: str | None = None, **overrides: object) -> Profile:
    """The profile ``name``, else ``$COURSEWORK_PROFILE``, else chosen by hardware.

    Sizes can be changed without editing a notebook: ``$COURSEWORK_OVERRIDES``
    (``"n_train=256,epochs=2"``) first, then keyword arguments
    (``get_profile("gpu", video_dataset="ucf101")``).

    Raises:
        ProfileError: the name is not one of the profiles, or an override names
            no field or has a value of the wrong type; the message lists the valid
            choices.
    """
    chosen = name or os.environ.get(PROFILE_ENV, "").strip()
    if not chosen:
        chosen = "gpu" if torch.cuda.is_available() else "cpu"
    key = chosen.lower()
    if key not in PROFILES:
        valid = ", ".join(sorted(PROFILES))
        source = "argument" if name else f"${PROFILE_ENV}"
        raise ProfileError(
            f"Unknown profile {chosen!r} (from the {source}). Valid profiles: {valid}. "
            f"Set it with e.g. `export {PROFILE_ENV}=cpu` or get_profile('cpu')."
        )
    changes = parse_overrides(os.environ.get(OVERRIDES_ENV, ""))
    changes.update(overrides)
    return _apply(PROFILES[key], changes)


def parse_overrides(text: str) -> dict[str, object]:
    """``"n_train=256, epochs=2"`` -> ``{"n_train": 256, "epochs": 2}``.

    Raises:
        ProfileError: an item is not ``field=value``.
    """
    changes: dict[str, object] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        field, sep, value = item.partition("=")
        if not sep or not field.strip():
            raise ProfileError(
                f"${OVERRIDES_ENV}: {item!r} is not field=value; e.g. "
                f"`export {OVERRIDES_ENV}=n_train=256,epochs=2`."
            )
        changes[field.strip()] = value.strip()
    return changes


def _apply(profile: Profile, changes: dict[str, object]) -> Profile:
    """Profile with ``changes``, strings converted to each field's type."""
    if not changes:
        return profile
    fields = dataclasses.fields(profile)
    types = {f.name: type(getattr(profile, f.name)) for f in fields}
    typed: dict[str, object] = {}
    for field, value in changes.items():
        if field not in types or field == "name":
            valid = ", ".join(k for k in types if k != "name")
            raise ProfileError(f"Profile has no size {field!r}; valid: {valid}.")
        try:
            typed[field] = types[field](value)
            if types[field] is int and str(typed[field]) != str(value).strip():
                raise ValueError
        except ValueError:
            raise ProfileError(
                f"Profile size {field}={value!r} must be "
                f"{'a whole number' if types[field] is int else 'text'}."
            ) from None
    return dataclasses.replace(profile, **typed)  # type: ignore[arg-type]


def get_device(prefer: str | None = None) -> torch.device:
    """The device to compute on: CUDA, then Apple MPS, then CPU.

    Args:
        prefer: force a device (``"cpu"``, ``"cuda"``, ``"mps"``), e.g. for grading.
    """
    if prefer:
        return torch.device(prefer)
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def seed_offset() -> int:
    """The run's seed offset, ``$COURSEWORK_SEED`` (0 when unset).

    The benchmark (``benchmarks/run.py --seeds 0 1 2``) runs each notebook once
    per offset to measure how far its figures move from seed to seed; a student's
    run has offset 0, the course's default.

    Raises:
        ValueError: the variable is not a whole number.
    """
    value = os.environ.get(SEED_ENV, "").strip()
    if not value:
        return 0
    try:
        return int(value)
    except ValueError:
        raise ValueError(
            f"{SEED_ENV}={value!r} is not a whole number; e.g. `export {SEED_ENV}=1`,"
            " or unset it for the course's seeds."
        ) from None


def seed_everything(seed: int = 0) -> torch.Generator:
    """Seed Python, NumPy and torch (all devices); return a seeded CPU generator.

    The seed used is ``seed`` plus :func:`seed_offset` (``$COURSEWORK_SEED``), so
    a benchmark can rerun a whole notebook with other seeds without editing it.
    Generators a notebook seeds itself (``torch.Generator().manual_seed``) and the
    generated datasets stay fixed.
    """
    seed = seed + seed_offset()
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def data_dir() -> Path:
    """Folder for downloads: ``$COURSEWORK_DATA`` or ``~/.cache/coursework``."""
    root = os.environ.get(DATA_ENV) or Path.home() / ".cache" / "coursework"
    path = Path(root).expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


def setup(
    profile: str | None = None, seed: int = 0, **overrides: object
) -> tuple[Profile, torch.device]:
    """First cell of every notebook: pick profile and device, seed, print one line.

    Keyword arguments change the profile's sizes, e.g. ``setup("cpu", epochs=5)``.
    """
    prof = get_profile(profile, **overrides)
    device = get_device()
    set_threads()
    seed_everything(seed)
    _RUN["profile"] = metrics_profile(prof)
    print(
        f"coursework: profile={prof.name} ({prof.description}) | device={device} "
        f"| torch {torch.__version__} | {torch.get_num_threads()} CPU threads"
    )
    changed = {
        f.name: getattr(prof, f.name)
        for f in dataclasses.fields(prof)
        if getattr(prof, f.name) != getattr(PROFILES[prof.name], f.name)
    }
    if changed:
        print("coursework: sizes changed from the profile: " + ", ".join(
            f"{k}={v}" for k, v in changed.items()
        ))
    if seed_offset():
        print(f"coursework: seeds offset by {seed_offset()} (${SEED_ENV})")
    return prof, device


def set_threads(threads: int | str | None = None) -> int:
    """Limit torch's CPU threads to ``threads`` or ``$COURSEWORK_THREADS``, if set.

    Small models on a busy machine often run faster on one thread than on
    threads that compete for the same cores (grading sets this too).

    Raises:
        ValueError: the value is not a positive whole number.
    """
    value = threads if threads is not None else os.environ.get(THREADS_ENV, "")
    if value in ("", None):
        return torch.get_num_threads()
    try:
        n = int(value)
        if n < 1:
            raise ValueError
    except ValueError:
        raise ValueError(
            f"{THREADS_ENV}={value!r} is not a positive whole number; "
            f"e.g. `export {THREADS_ENV}=1`, or unset it to use every core."
        ) from None
    torch.set_num_threads(n)
    return n


METRICS_ENV = "COURSEWORK_METRICS"
_RUN = {"profile": ""}  # the profile that setup() chose, for record_metrics


def metrics_profile(profile: Profile | None = None) -> str:
    """The folder name figures are recorded under: the profile's name, with
    ``-custom`` appended when its sizes were changed (they are other figures)."""
    prof = profile or get_profile()
    same = prof == PROFILES[prof.name]
    return prof.name if same else f"{prof.name}-custom"


def metrics_path(notebook: str, profile: str) -> Path:
    """``<data dir>/metrics/<profile>/<notebook>.json``, where figures are kept."""
    return data_dir() / "metrics" / profile / f"{notebook}.json"


def _merge_json(path: Path, values: dict[str, float]) -> None:
    import json

    path.parent.mkdir(parents=True, exist_ok=True)
    old = json.loads(path.read_text()) if path.exists() else {}
    old.update(values)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(old, indent=1, sort_keys=True))
    tmp.replace(path)


def record_metrics(notebook: str, **values: float) -> dict[str, float]:
    """Print the figures a notebook reaches and keep them for later readers.

    The values are merged into ``<data dir>/metrics/<profile>/<notebook>.json``
    (see :func:`recorded_metrics`; the profile is the one :func:`setup` chose)
    and, when ``$COURSEWORK_METRICS`` names a folder, into
    ``<folder>/<notebook>.json`` for the benchmark script.
    """
    clean = {k: float(v) for k, v in values.items()}
    for k, v in clean.items():
        print(f"{notebook}: {k} = {v:.4f}")
    _merge_json(metrics_path(notebook, _RUN["profile"] or metrics_profile()), clean)
    folder = os.environ.get(METRICS_ENV)
    if folder:
        _merge_json(Path(folder) / f"{notebook}.json", clean)
    return clean


def recorded_metrics(notebook: str, profile: str | Profile) -> dict[str, float]:
    """The figures ``notebook`` last recorded in ``profile``; ``{}`` if none.

    Args:
        notebook: e.g. ``"04_gan"``.
        profile: a profile or its folder name (``"cpu"``, ``"gpu-custom"``).
    """
    import json

    name = profile if isinstance(profile, str) else metrics_profile(profile)
    path = metrics_path(notebook, name)
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return {k: float(v) for k, v in data.items() if isinstance(v, (int, float))}

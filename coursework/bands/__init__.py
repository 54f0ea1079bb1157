"""The course's reference bands: how far each recorded metric moves from seed to seed.

A band is the range (lowest to highest) of one metric over the benchmark's runs
of a notebook with several seeds (``benchmarks/run.py --seeds 0 1 2 --bands``,
``make bench``). They are stored with the package, one file per profile,
``coursework/bands/<profile>.json``; each notebook's entry says which seeds,
profile, torch version, machine and date it came from. A profile without a
stored band says so: bands are measured, never made up.

The summary cell of each notebook prints the student's figures against them
(:func:`compare_to_bands`).
"""

from __future__ import annotations

import datetime as _dt
import json
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

BANDS_DIR = Path(__file__).resolve().parent


def bands_path(profile: str) -> Path:
    """``coursework/bands/<profile>.json``."""
    return BANDS_DIR / f"{profile}.json"


def load_bands(profile: str) -> dict[str, dict[str, Any]]:
    """The stored bands of ``profile``, by notebook (``{}`` when none are stored).

    Each notebook's entry has ``seeds``, ``profile``, ``torch``, ``date``,
    ``machine``, ``seconds`` (per seed) and ``metrics``: for each metric its
    ``low``, ``high``, ``mean`` and per-seed ``values``.
    """
    path = bands_path(profile)
    if not path.exists():
        return {}
    return json.loads(path.read_text())["notebooks"]


def bands_from_runs(
    rows: Iterable[Mapping[str, Any]], torch_version: str, machine: str,
    date: str | None = None,
) -> dict[str, dict[str, Any]]:
    """Bands from the benchmark's successful runs (one row per notebook and seed).

    A metric gets a band only when every seed's run of its notebook recorded it
    as a finite number; a notebook with fewer than two seeds gets none.

    Args:
        rows: dicts with ``notebook``, ``profile``, ``seed``, ``seconds`` and
            ``metrics`` (as ``benchmarks/run.py`` returns them), one profile.
        torch_version: the torch the runs used.
        machine: where they ran, in words.
        date: ISO date of the runs (today by default).
    """
    by_notebook: dict[str, list[Mapping[str, Any]]] = {}
    for row in rows:
        by_notebook.setdefault(row["notebook"], []).append(row)
    out: dict[str, dict[str, Any]] = {}
    for notebook, runs in sorted(by_notebook.items()):
        runs = sorted(runs, key=lambda r: r["seed"])
        if len({r["seed"] for r in runs}) < 2:
            continue
        names = set.intersection(*(set(r["metrics"]) for r in runs))
        metrics = {}
        for name in sorted(names):
            values = [float(r["metrics"][name]) for r in runs]
            if not all(math.isfinite(v) for v in values):
                continue
            metrics[name] = {
                "low": min(values),
                "high": max(values),
                "mean": sum(values) / len(values),
                "values": values,
            }
        out[notebook] = {
            "profile": runs[0]["profile"],
            "seeds": [r["seed"] for r in runs],
            "torch": torch_version,
            "machine": machine,
            "date": date or _dt.date.today().isoformat(),
            "seconds": [r["seconds"] for r in runs],
            "metrics": metrics,
        }
    return out


def write_bands(profile: str, notebooks: Mapping[str, dict[str, Any]]) -> Path:
    """Store ``notebooks``' bands in ``coursework/bands/<profile>.json``.

    Notebooks not in ``notebooks`` keep their stored bands, so a benchmark of
    one notebook refreshes that notebook only.
    """
    path = bands_path(profile)
    stored = load_bands(profile)
    stored.update(notebooks)
    text = json.dumps(
        {
            "about": "Reference bands: each metric's range over the seeds of "
            "benchmarks/run.py --seeds ... --bands (see coursework.bands).",
            "profile": profile,
            "notebooks": dict(sorted(stored.items())),
        },
        indent=1,
        sort_keys=False,
    )
    path.write_text(text + "\n")
    return path

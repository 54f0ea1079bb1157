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
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coursework.bands.descriptions import SECTIONS, MetricInfo, describe

BANDS_DIR = Path(__file__).resolve().parent
#: Every notebook of the course, by its full name.
NOTEBOOKS: tuple[str, ...] = tuple(sorted(SECTIONS))


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
    # one line per list of numbers (seeds, seconds, values)
    text = re.sub(
        r"\[\s*([-+0-9.eE,\s]+?)\s*\]",
        lambda m: "[" + ", ".join(m.group(1).split()).replace(",,", ",") + "]",
        text,
    )
    path.write_text(text + "\n")
    return path


def notebook_name(notebook: str) -> str:
    """``"04"`` or ``"04_gan"`` -> ``"04_gan"``.

    Raises:
        ValueError: no notebook of the course has that number or name.
    """
    for name in NOTEBOOKS:
        if notebook in (name, name[:2]):
            return name
    raise ValueError(
        f"no notebook {notebook!r}; the course's are {', '.join(NOTEBOOKS)}"
    )


@dataclass(frozen=True)
class Comparison:
    """One of a student's metrics against the course's band.

    Attributes:
        info: the metric described (words, unit, better direction, section).
        value: the student's value, or None if they have not recorded it.
        low: the band's lowest value, None where no band is stored.
        high: the band's highest value.
        seeds: how many seeds the band spans (0 where none).
        status: "within", "better" (outside, on the better side), "near" (just
            outside), "far" (far outside: look at ``info.section``),
            "no band" or "not run".
    """

    info: MetricInfo
    value: float | None
    low: float | None
    high: float | None
    seeds: int
    status: str


def classify(value: float, low: float, high: float, info: MetricInfo) -> str:
    """Where ``value`` lies against the band ``[low, high]``.

    Outside by at most the band's width (or 10% of its size, whichever is
    larger) is "near"; further out is "far", unless it is on the better side
    ("better") or the metric is a time, which depends on the machine ("near").
    A value that prints the same as an edge of the band is within it: the
    reader sees "yours 0.735, course 0.448 to 0.735", which must not say
    "outside".
    """
    if low <= value <= high or fmt(value) in (fmt(low), fmt(high)):
        return "within"
    above = value > high
    if (above and info.better == "higher") or (not above and info.better == "lower"):
        return "better"
    margin = max(high - low, 0.1 * max(abs(low), abs(high)), 1e-12)
    distance = value - high if above else low - value
    return "near" if distance <= margin or info.timing else "far"


def fmt(value: float) -> str:
    """A figure as a reader wants it: 44.1, 0.912, 1.23e-05, 7."""
    if value == int(value) and abs(value) < 1e6:
        return str(int(value))
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def _with_unit(text: str, unit: str) -> str:
    if unit in ("", "fraction"):
        return text
    return f"{text}{unit}" if unit == "×" else f"{text} {unit}"


_MARKS = {
    "within": "✓",
    "better": "✓ (better than the band)",
    "near": "~ just outside",
    "far": "✗ far outside",
}


def compare(
    notebook: str, metrics: Mapping[str, float], profile: str
) -> list[Comparison]:
    """A student's ``metrics`` of ``notebook`` against the stored bands of ``profile``.

    Every metric with a band comes first (in notebook-section order), then any
    recorded metric without one. Nothing is compared where no band is stored.
    """
    name = notebook_name(notebook)
    entry = load_bands(profile).get(name, {})
    bands = entry.get("metrics", {})
    seeds = len(entry.get("seeds", []))
    out = []
    for metric in sorted(set(bands) | set(metrics)):
        info = describe(name, metric)
        value = metrics.get(metric)
        band = bands.get(metric)
        if band is None:
            out.append(Comparison(info, value, None, None, 0, "no band"))
        elif value is None:
            out.append(Comparison(info, None, band["low"], band["high"], seeds,
                                  "not run"))
        else:
            status = classify(float(value), band["low"], band["high"], info)
            out.append(Comparison(info, float(value), band["low"], band["high"],
                                  seeds, status))

    def order(c: Comparison) -> tuple[int, int, str]:
        number = re.match(r"section (\d+)", c.info.section)
        return (c.low is None, int(number.group(1)) if number else 99, c.info.name)

    return sorted(out, key=order)


def comparison_line(c: Comparison, profile: str) -> str:
    """E.g. "Fréchet distance, WGAN-GP (lower is better): yours 44.1, course 40-48
    (cpu, 5 seeds) ✓"."""
    head = f"{c.info.words} ({c.info.direction})"
    yours = "not recorded" if c.value is None else _with_unit(fmt(c.value), c.info.unit)
    if c.low is None or c.high is None:
        return f"{head}: yours {yours}; no band for this metric yet"
    span = fmt(c.low) if fmt(c.low) == fmt(c.high) else f"{fmt(c.low)} to {fmt(c.high)}"
    course = _with_unit(span, c.info.unit)
    line = f"{head}: yours {yours}, course {course} ({profile}, {c.seeds} seeds)"
    if c.status == "not run":
        return line
    line += f" {_MARKS[c.status]}"
    if c.status == "far":
        line += f": look at {c.info.section}"
    if c.info.timing and c.status != "within":
        line += " (a time: it depends on the machine)"
    return line


def compare_to_bands(
    notebook: str,
    profile: str | None = None,
    metrics: Mapping[str, float] | None = None,
) -> None:
    """Print this run's recorded metrics beside the course's bands: the summary cell.

    Args:
        notebook: ``"04"`` or ``"04_gan"``.
        profile: the profile's folder name; by default the one :func:`coursework.
            runtime.setup` chose (``"cpu-custom"`` when sizes were changed, which
            has no band).
        metrics: the figures to compare; by default those the notebook recorded
            with ``record_metrics`` in that profile.

    Each line names the metric in words, with its unit and better direction,
    then "yours" against the band and a mark; one far outside the band names the
    section to look at. :func:`compare` returns the same as data.
    """
    from coursework.runtime import _RUN, metrics_profile, recorded_metrics

    name = notebook_name(notebook)
    profile = profile or _RUN["profile"] or metrics_profile()
    if metrics is None:
        metrics = recorded_metrics(name, profile)
    entry = load_bands(profile).get(name)
    if entry is None:
        reason = (
            "sizes changed from the profile: the bands are for its own sizes"
            if profile.endswith("-custom")
            else "the course has not benchmarked it over several seeds"
        )
        print(
            f"{name}: no band for this profile yet ({profile}): {reason}. "
            f"Bands are stored for: {', '.join(stored_profiles()) or 'none'}."
        )
        return
    if not metrics:
        print(f"{name}: no recorded metrics in the {profile} profile yet: run the "
              "cells above first.")
        return
    found = compare(name, metrics, profile)
    seeds = ", ".join(map(str, entry["seeds"]))
    print(
        f"{name}: your results against the course's bands, the range over seeds "
        f"{seeds} (profile {profile}, torch {entry['torch']}, {entry['date']}):"
    )
    for c in found:
        print("  " + comparison_line(c, profile))
    counts = {k: sum(c.status == k for c in found) for k in _MARKS}
    far = sorted({c.info.section for c in found if c.status == "far"})
    tally = (
        f"{counts['within'] + counts['better']} within or better, "
        f"{counts['near']} just outside, {counts['far']} far outside"
    )
    print(f"{name}: {tally}" + (f"; look at {'; '.join(far)}" if far else ""))


def stored_profiles() -> list[str]:
    """The profiles that have stored bands."""
    return sorted(p.stem for p in BANDS_DIR.glob("*.json"))


FIGURES_DIR = BANDS_DIR / "figures"


def course_figures(name: str, profile: str) -> dict[str, float]:
    """Figures a benchmark script recorded as ``name`` for the course in ``profile``.

    Some figures take longer to measure than a notebook may run (05's video
    budget curve, 07's table of recipes); their scripts record them with
    ``record_metrics`` on the machine that ran them, and the course ships
    that run's file as ``coursework/bands/figures/<profile>/<name>.json``.
    A notebook reads this machine's own record first
    (:func:`coursework.runtime.recorded_metrics`), then these. ``{}`` if none.
    """
    path = FIGURES_DIR / profile / f"{name}.json"
    if not path.exists():
        return {}
    data = json.loads(path.read_text())
    return {k: float(v) for k, v in data.items() if isinstance(v, (int, float))}


def benchmark_figures(name: str, profile: str) -> tuple[dict[str, float], str]:
    """This machine's record of ``name`` in ``profile``, else the course's; and which.

    Returns ``(figures, source)``: :func:`coursework.runtime.recorded_metrics`
    when this machine recorded any, else :func:`course_figures` (``{}`` if
    neither), with ``source`` saying where they came from, for a notebook to
    print beside them.
    """
    from coursework.runtime import recorded_metrics

    figures = recorded_metrics(name, profile)
    if figures:
        return figures, "recorded on this machine"
    return course_figures(name, profile), (
        "the course's run, shipped in coursework/bands/figures"
    )

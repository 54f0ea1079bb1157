"""Gradebook, per-check results, class summary and per-student feedback.

Everything is written atomically from the records in memory, so a run that
is interrupted leaves the previous files intact, and anything a student's
code wrote into the results folder while it ran is overwritten.

- ``grades.csv``: one row per student, a column per exercise, the total.
- ``results.csv``: one row per student and exercise: points, max, status,
  seconds, cases passed, message.
- ``summary.csv``: per exercise, across the class: mean points, pass rate and
  how many students got each status.
- ``feedback/<student>.md`` and ``.html``: the isolation the submission was
  graded under (e.g. "isolation: process only"), each exercise's verdict, the
  failing cases and the hint; hidden cases appear by number only.
"""

from __future__ import annotations

import csv
import html
import io
from collections import Counter
from pathlib import Path
from typing import Any

from coursework.grading.collect import STATUSES
from coursework.grading.worker import write_atomic


def _csv(rows: list[list[Any]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue().encode()


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def total(record: dict[str, Any]) -> tuple[float, float]:
    """(points, max points) of one student's record."""
    rows = record.get("exercises", [])
    return sum(r["points"] for r in rows), sum(r["max_points"] for r in rows)


def write_gradebook(out: Path, records: list[dict[str, Any]], ids: list[str]) -> None:
    """Write ``grades.csv``, ``results.csv`` and ``summary.csv``."""
    records = sorted(records, key=lambda r: r["student"])
    grades = [["student", *ids, "total", "max"]]
    results = [
        [
            "student",
            "exercise",
            "points",
            "max",
            "status",
            "seconds",
            "cases_passed",
            "cases",
            "message",
        ]
    ]
    for rec in records:
        by_id = {r["exercise"]: r for r in rec.get("exercises", [])}
        got, most = total(rec)
        grades.append(
            [
                rec["student"],
                *(_fmt(by_id[i]["points"]) if i in by_id else "" for i in ids),
                _fmt(got),
                _fmt(most),
            ]
        )
        for i in ids:
            if i not in by_id:
                continue
            r = by_id[i]
            passed = sum(c["status"] == "passed" for c in r["cases"])
            results.append(
                [
                    rec["student"],
                    i,
                    _fmt(r["points"]),
                    _fmt(r["max_points"]),
                    r["status"],
                    f"{r['seconds']:.2f}",
                    passed,
                    len(r["cases"]),
                    r["message"][:500],
                ]
            )
    write_atomic(out / "grades.csv", _csv(grades))
    write_atomic(out / "results.csv", _csv(results))
    write_atomic(out / "summary.csv", _csv(summary_rows(records, ids)))


def summary_rows(records: list[dict[str, Any]], ids: list[str]) -> list[list[Any]]:
    """Per exercise: students, pass rate, mean points and a count per status."""
    rows: list[list[Any]] = [
        ["exercise", "students", "pass_rate", "mean_points", "max", *STATUSES]
    ]
    for i in ids:
        entries = [
            r for rec in records for r in rec.get("exercises", []) if r["exercise"] == i
        ]
        if not entries:
            continue
        counts = Counter(r["status"] for r in entries)
        n = len(entries)
        rows.append(
            [
                i,
                n,
                f"{counts['passed'] / n:.3f}",
                _fmt(sum(r["points"] for r in entries) / n),
                _fmt(entries[0]["max_points"]),
                *(counts[s] for s in STATUSES),
            ]
        )
    return rows


_WORDS = {
    "passed": "passed",
    "failed": "failed",
    "error": "raised an error",
    "timeout": "ran out of time",
    "missing": "not found or not done",
    "kernel-died": "crashed the process running it",
    "invalid-notebook": "not graded: the notebook could not be read",
    "uses-reference": "uses the course package's own implementation (no points)",
    "tampered": "not graded: the course package changed while your notebook ran",
}


def feedback_markdown(record: dict[str, Any]) -> str:
    """The feedback for one student, as Markdown."""
    got, most = total(record)
    lines = [
        f"# Feedback for {record['student']}",
        "",
        f"**Total: {_fmt(got)} / {_fmt(most)} points**",
        "",
    ]
    if record.get("isolation"):
        lines += [f"Graded with {record['isolation']}.", ""]
    if record.get("tampered"):
        lines += [
            "Your notebook was not graded: the course package or the checks "
            "changed while it ran; your instructor has been told.",
            "",
        ]
    if record.get("invalid"):
        lines += [f"Your notebook could not be graded: {record['invalid']}.", ""]
    if record.get("crashed"):
        lines += [
            "The grader failed on your notebook; your instructor has been told.",
            "",
        ]
    events = record.get("execution", {}).get("events", [])
    if events:
        lines += ["## While running your notebook", ""]
        for e in events[:20]:
            lines.append(f"- cell {e['cell'] + 1}: {e['kind']}: {e['message']}")
        if record["execution"].get("budget_exhausted"):
            lines.append(
                "- the notebook ran out of its time budget; later cells did not run"
            )
        lines.append("")
    for r in record.get("exercises", []):
        mark = "✓" if r["status"] == "passed" else "✗"
        lines += [
            f"## {mark} `{r['exercise']}`: "
            f"{_fmt(r['points'])} / {_fmt(r['max_points'])}",
            "",
        ]
        lines.append(f"Verdict: {_WORDS.get(r['status'], r['status'])}.")
        if r["status"] != "passed" and r["message"]:
            lines.append(f"{r['message']}")
        hidden = 0
        shown = []
        for c in r["cases"]:
            if c["hidden"]:
                hidden += 1
                name = f"hidden case {hidden}"
            else:
                name = c["name"]
            tail = "" if c["status"] == "passed" else f": {c['status']}: {c['message']}"
            shown.append(f"- {'✓' if c['status'] == 'passed' else '✗'} {name}{tail}")
        if shown:
            lines += ["", *shown]
        if r["status"] != "passed" and r.get("hint"):
            lines += ["", f"Hint: {r['hint']}"]
        lines.append("")
    return "\n".join(lines)


def feedback_html(markdown: str, title: str) -> str:
    """A standalone HTML page for the Markdown feedback (headings, lists, text)."""
    body = []
    in_list = False
    for line in markdown.splitlines():
        text = html.escape(line)
        text = _inline(text)
        if line.startswith("- "):
            if not in_list:
                body.append("<ul>")
                in_list = True
            body.append(f"<li>{text[2:]}</li>")
            continue
        if in_list:
            body.append("</ul>")
            in_list = False
        if line.startswith("## "):
            body.append(f"<h2>{text[3:]}</h2>")
        elif line.startswith("# "):
            body.append(f"<h1>{text[2:]}</h1>")
        elif line.strip():
            body.append(f"<p>{text}</p>")
    if in_list:
        body.append("</ul>")
    style = (
        "body{font-family:sans-serif;max-width:50em;margin:2em auto}"
        "code{background:#eee}"
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title>"
        f"<style>{style}</style></head><body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )


def _inline(text: str) -> str:
    parts = text.split("**")
    text = "".join(f"<b>{p}</b>" if i % 2 else p for i, p in enumerate(parts))
    parts = text.split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))


def write_feedback(out: Path, record: dict[str, Any]) -> None:
    """Write ``feedback/<student>.md`` and ``.html``."""
    md = feedback_markdown(record)
    write_atomic(out / "feedback" / f"{record['student']}.md", md.encode())
    html_text = feedback_html(md, f"Feedback: {record['student']}")
    write_atomic(out / "feedback" / f"{record['student']}.html", html_text.encode())


def screen_summary(
    records: list[dict[str, Any]],
    ids: list[str],
    skipped: int,
    seconds: float,
    out: Path,
) -> str:
    """A one-screen summary of the batch."""
    n = len(records)
    totals = [total(r) for r in records]
    most = max((m for _, m in totals), default=0.0)
    mean = sum(g for g, _ in totals) / n if n else 0.0
    statuses = Counter(r["status"] for rec in records for r in rec.get("exercises", []))
    lines = [
        f"Graded {n - skipped} submission(s), reused {skipped} from an earlier run, "
        f"in {seconds:.0f} s.",
        f"Mean total {mean:.2f} / {most:g}; "
        f"full marks: {sum(g >= m > 0 for g, m in totals)}; "
        f"zero: {sum(g == 0 for g, _ in totals)}.",
        "",
        f"{'exercise':<36} {'pass rate':>9} {'mean pts':>9}",
    ]
    for row in summary_rows(records, ids)[1:]:
        lines.append(f"{row[0]:<36} {float(row[2]):>9.0%} {row[3]:>9}")
    lines.append("")
    lines.append(
        "statuses: " + ", ".join(f"{s} {statuses[s]}" for s in STATUSES if statuses[s])
    )
    broken = [r["student"] for r in records if r.get("invalid") or r.get("crashed")]
    if broken:
        lines.append(f"not gradable ({len(broken)}): " + ", ".join(broken[:10]))
    tampered = [r["student"] for r in records if r.get("tampered")]
    if tampered:
        lines.append(f"TAMPERED ({len(tampered)}): " + ", ".join(tampered[:10]))
    lines.append(f"gradebook: {out / 'grades.csv'}   feedback: {out / 'feedback'}")
    return "\n".join(lines)

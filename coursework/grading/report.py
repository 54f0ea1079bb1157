"""Gradebook, per-check results, class summary and per-student feedback.

Everything is written atomically from the records in memory, so a run that
is interrupted leaves the previous files intact, and anything a student's
code wrote into the results folder while it ran is overwritten.

- ``grades.csv``: one row per student: the submitted file, a column per
  exercise, the total.
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
import re
from collections import Counter
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt

from coursework.grading.records import Record, Status
from coursework.grading.signing import write_atomic

STATUSES = tuple(Status)


FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "|", "%")


def neutral(text: str) -> str:
    """``text`` made inert in a spreadsheet: a leading formula character gets a ``'``.

    Spreadsheets run a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and
    some, after a tab or a line break) as a formula: ``=HYPERLINK(...)``,
    ``+cmd|...``, ``-2+3+cmd``. Leading spaces are looked through as well.
    """
    if text.lstrip(" ").startswith(FORMULA_START):
        return "'" + text
    return text


def _csv(rows: list[list[Any]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue().encode()


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def write_gradebook(
    out: Path,
    records: list[Record],
    ids: list[str],
    files: dict[str, str] | None = None,
) -> None:
    """Write ``grades.csv``, ``results.csv`` and ``summary.csv``.

    ``files`` maps a student id to the submitted file it was given for (its
    path inside the submissions), shown in the gradebook's ``file`` column.
    """
    records = sorted(records, key=lambda r: r.student)
    files = files or {}
    grades = [["student", "file", *ids, "total", "max"]]
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
        by_id = {r.exercise: r for r in rec.exercises}
        got, most = rec.total()
        grades.append(
            [
                rec.student,
                neutral(files.get(rec.student, "")),
                *(_fmt(by_id[i].points) if i in by_id else "" for i in ids),
                _fmt(got),
                _fmt(most),
            ]
        )
        for i in ids:
            if i not in by_id:
                continue
            r = by_id[i]
            passed = sum(c.status == Status.PASSED for c in r.cases)
            results.append(
                [
                    rec.student,
                    i,
                    _fmt(r.points),
                    _fmt(r.max_points),
                    str(r.status),
                    f"{r.seconds:.2f}",
                    passed,
                    len(r.cases),
                    neutral(r.message[:500]),
                ]
            )
    write_atomic(out / "grades.csv", _csv(grades))
    write_atomic(out / "results.csv", _csv(results))
    write_atomic(out / "summary.csv", _csv(summary_rows(records, ids)))


def summary_rows(records: list[Record], ids: list[str]) -> list[list[Any]]:
    """Per exercise: students, pass rate, mean points and a count per status."""
    rows: list[list[Any]] = [
        ["exercise", "students", "pass_rate", "mean_points", "max", *STATUSES]
    ]
    for i in ids:
        entries = [r for rec in records for r in rec.exercises if r.exercise == i]
        if not entries:
            continue
        counts = Counter(r.status for r in entries)
        n = len(entries)
        rows.append(
            [
                i,
                n,
                f"{counts[Status.PASSED] / n:.3f}",
                _fmt(sum(r.points for r in entries) / n),
                _fmt(entries[0].max_points),
                *(counts[s] for s in STATUSES),
            ]
        )
    return rows


_WORDS = {
    Status.PASSED: "passed",
    Status.FAILED: "failed",
    Status.ERROR: "raised an error",
    Status.TIMEOUT: "ran out of time",
    Status.MISSING: "not found or not done",
    Status.KERNEL_DIED: "crashed the process running it",
    Status.INVALID: "not graded: the notebook could not be read",
    Status.USES_REFERENCE: "uses the course package's own implementation (no points)",
    Status.TAMPERED: "not graded: the course package changed while your notebook ran",
}


def code(text: str) -> str:
    """``text`` as one Markdown code span: shown verbatim, never read as markup.

    The fence is one backtick longer than the longest run inside, and line
    breaks become spaces, so no student string can end the span, start a
    heading or a list, or inject HTML (:func:`feedback_html` turns raw HTML
    off as well).
    """
    text = " ".join(str(text).split())
    if not text:
        return ""
    runs = [len(r) for r in re.findall(r"`+", text)]
    fence = "`" * (max(runs, default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def feedback_markdown(record: Record) -> str:
    """The feedback for one student, as Markdown (student text in code spans)."""
    got, most = record.total()
    lines = [
        f"# Feedback for {code(record.student)}",
        "",
        f"**Total: {_fmt(got)} / {_fmt(most)} points**",
        "",
    ]
    if record.isolation:
        lines += [f"Graded with {record.isolation}.", ""]
    if record.tampered:
        lines += [
            "Your notebook was not graded: the course package or the checks "
            "changed while it ran; your instructor has been told.",
            "",
        ]
    if record.invalid:
        lines += [f"Your notebook could not be graded: {code(record.invalid)}.", ""]
    if record.crashed:
        lines += [
            "The grader failed on your notebook; your instructor has been told.",
            "",
        ]
    if record.execution is None and not (
        record.invalid or record.tampered or record.crashed
    ):
        lines += [
            "Your functions were checked from your notebook's source; the "
            "notebook itself was not run.",
            "",
        ]
    events = record.execution.events if record.execution else []
    if events:
        lines += ["## While running your notebook", ""]
        for e in events[:20]:
            lines.append(f"- cell {e.cell + 1}: {e.kind}: {code(e.message)}")
        if record.execution is not None and record.execution.budget_exhausted:
            lines.append(
                "- the notebook ran out of its time budget; later cells did not run"
            )
        lines.append("")
    for r in record.exercises:
        mark = "✓" if r.status == Status.PASSED else "✗"
        lines += [
            f"## {mark} `{r.exercise}`: {_fmt(r.points)} / {_fmt(r.max_points)}",
            "",
        ]
        lines.append(f"Verdict: {_WORDS.get(r.status, str(r.status))}.")
        if r.status != Status.PASSED and r.message:
            lines.append(code(r.message))
        hidden = 0
        shown = []
        for c in r.cases:
            ok = c.status == Status.PASSED
            if c.hidden:  # its verdict only: the message may hold expected values
                hidden += 1
                name = f"hidden case {hidden}"
                tail = "" if ok else f": {c.status}"
            else:
                name = code(c.name)
                tail = "" if ok else f": {c.status}: {code(c.message)}"
            shown.append(f"- {'✓' if ok else '✗'} {name}{tail}")
        if shown:
            lines += ["", *shown]
        if r.status != Status.PASSED and r.hint:
            lines += ["", f"Hint: {r.hint}"]
        lines.append("")
    return "\n".join(lines)


_MARKDOWN = MarkdownIt("commonmark", {"html": False})


def feedback_html(markdown: str, title: str) -> str:
    """A standalone HTML page for the Markdown feedback (CommonMark, raw HTML off)."""
    style = (
        "body{font-family:sans-serif;max-width:50em;margin:2em auto}"
        "code{background:#eee}"
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title>"
        f"<style>{style}</style></head><body>\n"
        + _MARKDOWN.render(markdown)
        + "</body></html>\n"
    )


def write_feedback(out: Path, record: Record) -> None:
    """Write ``feedback/<student>.md`` and ``.html``."""
    md = feedback_markdown(record)
    write_atomic(out / "feedback" / f"{record.student}.md", md.encode())
    html_text = feedback_html(md, f"Feedback: {record.student}")
    write_atomic(out / "feedback" / f"{record.student}.html", html_text.encode())


def screen_summary(
    records: list[Record],
    ids: list[str],
    skipped: int,
    seconds: float,
    out: Path,
) -> str:
    """A one-screen summary of the batch."""
    n = len(records)
    totals = [r.total() for r in records]
    most = max((m for _, m in totals), default=0.0)
    mean = sum(g for g, _ in totals) / n if n else 0.0
    statuses = Counter(r.status for rec in records for r in rec.exercises)
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
    broken = [r.student for r in records if r.invalid or r.crashed]
    if broken:
        lines.append(f"not gradable ({len(broken)}): " + ", ".join(broken[:10]))
    tampered = [r.student for r in records if r.tampered]
    if tampered:
        lines.append(f"TAMPERED ({len(tampered)}): " + ", ".join(tampered[:10]))
    lines.append(f"gradebook: {out / 'grades.csv'}   feedback: {out / 'feedback'}")
    return "\n".join(lines)

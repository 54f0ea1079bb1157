"""Grade one submission in its own process: run the notebook, then the checks.

Started by the batch grader as ``python -m coursework.grading.worker JOB``,
with the per-run secret on standard input (never in the arguments or the
environment, which the kernel inherits or can read). The result goes to a
file named in the job, signed with that secret (HMAC-SHA256), so nothing the
student's code prints or writes can pass for a result.

The job names the isolation and, for ``user`` modes, the job's own user id:
the scratch folder is handed to that user, and every process it still runs
is killed when the job ends. The job also carries the integrity baseline,
checked after every kernel and before every checks process; a change stops
the job with a ``tampered`` result.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from coursework.grading.integrity import Baseline, Tampered
from coursework.grading.sandbox import Limits


def sign(payload: bytes, secret: bytes) -> str:
    """HMAC-SHA256 of ``payload`` under ``secret``, hex."""
    return hmac.new(secret, payload, hashlib.sha256).hexdigest()


def write_signed(path: Path, record: dict[str, Any], secret: bytes) -> None:
    """Write ``record`` as JSON with its HMAC under ``secret``, atomically."""
    payload = json.dumps(record, sort_keys=True, default=str).encode()
    signed = {"record": payload.decode(), "hmac": sign(payload, secret)}
    write_atomic(path, json.dumps(signed).encode())


def read_signed(path: Path, secret: bytes) -> dict[str, Any] | None:
    """The record in ``path`` if its HMAC under ``secret`` is right, else None."""
    try:
        signed = json.loads(path.read_text())
        payload = signed["record"].encode()
        if hmac.compare_digest(signed["hmac"], sign(payload, secret)):
            return json.loads(payload)
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return None


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so readers see the old file or the new, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def grade_submission(job: dict[str, Any]) -> dict[str, Any]:
    """Run one job and return the result record (never raises for the notebook)."""
    from coursework.exercises.core import get_exercise
    from coursework.grading.checks import load_checks
    from coursework.grading.collect import INVALID, TAMPERED, check_exercises
    from coursework.grading.definitions import read_definitions
    from coursework.grading.execute import execute_notebook
    from coursework.grading.isolation import give_to, kill_user
    from coursework.grading.submissions import read_notebook

    start = time.monotonic()
    limits = dataclasses.replace(Limits(**job["limits"]), uid=job.get("uid"))
    baseline = Baseline.from_json(job["baseline"]) if job.get("baseline") else None

    def verify(when: str) -> None:
        if baseline is not None:
            baseline.verify(when)

    load_checks([Path(p) for p in job["checks"]])
    exercises = [get_exercise(i) for i in job["exercises"]]
    record: dict[str, Any] = {"student": job["student"], "sha256": job["sha256"]}
    digest = hashlib.sha256(Path(job["path"]).read_bytes()).hexdigest()
    if digest != job["sha256"]:
        raise RuntimeError("the submitted file changed while grading ran")
    nb, why = read_notebook(Path(job["path"]))
    if nb is None:
        record["invalid"] = why
        record["exercises"] = [
            {
                "exercise": ex.id,
                "status": INVALID,
                "points": 0.0,
                "max_points": ex.points,
                "seconds": 0.0,
                "message": why,
                "cases": [],
                "hint": ex.hint,
            }
            for ex in exercises
        ]
        record["seconds"] = time.monotonic() - start
        return record
    workdir = Path(tempfile.mkdtemp(prefix="coursework-grade-"))
    try:
        if job.get("folder"):
            shutil.copytree(job["folder"], workdir, dirs_exist_ok=True, symlinks=True)
        shutil.copy2(job["path"], workdir / "submission.ipynb")
        if limits.uid is not None:
            give_to(workdir, limits.uid)
        executed, report = execute_notebook(
            nb, workdir, limits, after_kernel=lambda: verify("after a kernel")
        )
        if job.get("executed"):
            data = json.dumps(executed, sort_keys=True, default=str).encode()
            write_atomic(Path(job["executed"]), data)
        record["execution"] = dataclasses.asdict(report)
        defs = read_definitions(nb, {ex.function_name for ex in exercises})
        results = check_exercises(
            exercises,
            defs,
            workdir,
            limits,
            before_child=lambda: verify("before a checks process"),
        )
        record["exercises"] = [dataclasses.asdict(r) for r in results]
    except Tampered as exc:
        record["tampered"] = str(exc)
        record["exercises"] = [
            {
                "exercise": ex.id,
                "status": TAMPERED,
                "points": 0.0,
                "max_points": ex.points,
                "seconds": 0.0,
                "message": "the course package changed while your notebook ran "
                f"({exc})",
                "cases": [],
                "hint": "",
            }
            for ex in exercises
        ]
    finally:
        if limits.uid is not None:
            kill_user(limits.uid)
        shutil.rmtree(workdir, ignore_errors=True)
    record["seconds"] = time.monotonic() - start
    return record


def main() -> None:
    """Entry point: ``python -m coursework.grading.worker JOB`` (secret on stdin)."""
    secret = sys.stdin.buffer.readline().strip()
    sys.stdin.close()
    job_path = Path(sys.argv[1])
    job = json.loads(job_path.read_text())
    try:
        record = grade_submission(job)
    except Exception as exc:  # the grader's own failure: report it, signed
        record = {
            "student": job["student"],
            "sha256": job["sha256"],
            "crashed": f"{type(exc).__name__}: {exc}",
        }
    write_signed(Path(job["result"]), record, secret)


if __name__ == "__main__":
    main()

"""Grade one submission in its own process: run the notebook, then the checks.

The run feeds the feedback (cell errors, the executed copy); the grade comes
from the checks alone, which rebuild the functions from the source, so
``--no-run`` (``Limits.run_notebook``) skips the run and gives the same grades.

Started by the batch grader as ``python -m coursework.grading.worker JOB``,
with the per-run secret on standard input (never in the arguments or the
environment, which the kernel inherits or can read). The result goes to a
file named in the job, signed with that secret (HMAC-SHA256), so nothing the
student's code prints or writes can pass for a result.

The job names the isolation and, for ``user`` modes, the job's own user id:
the scratch folder is handed to that user. With ``Limits.disk_quota`` the
scratch folder is a tmpfs of ``--disk-mb``, mounted by this worker: as root,
or, for an ordinary user, as root of the user and mount namespaces the
batch started it in (root there only), so the kernel, which binds its
sockets there, and every checks child see the same folder, and nothing
outside sees it. Run as root, the batch also puts
the job's processes in a pids cgroup of their own (the process cap); every
process still in it, or running as the job's user, is killed when the job
ends (with namespaces they have already died with their init). In every
mode the worker is the reaper of the job's orphans (a double-forked or
``setsid`` process stays its descendant) and kills its descendants last. The job
also carries the integrity baseline, checked after every kernel and
before every checks process; a change stops the job with a ``tampered`` result.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from coursework.exercises.registry import get_exercise
from coursework.grading.checks import load_checks
from coursework.grading.collect import check_exercises
from coursework.grading.definitions import read_definitions
from coursework.grading.execute import execute_notebook
from coursework.grading.integrity import Baseline, Tampered, foreign_imports
from coursework.grading.oscalls import (
    WORKER_CAPABILITIES,
    become_subreaper,
    give_to,
    keep_capabilities,
    kill_cgroup,
    kill_descendants,
    kill_user,
    mount_quota,
    unmount,
)
from coursework.grading.records import ExerciseResult, Record, Status
from coursework.grading.sandbox import Limits, cap_own_memory
from coursework.grading.signing import write_atomic, write_signed
from coursework.grading.submissions import no_links, read_notebook


def grade_submission(job: dict[str, Any]) -> Record:
    """Run one job and return the result record (never raises for the notebook)."""
    start = time.monotonic()
    limits = dataclasses.replace(Limits(**job["limits"]), uid=job.get("uid"))
    baseline = Baseline.from_json(job["baseline"]) if job.get("baseline") else None

    phases: dict[str, float] = {}
    hashing = [0.0]  # seconds spent checking the package against the baseline

    def verify(when: str) -> None:
        if baseline is not None:
            began = time.monotonic()
            try:
                baseline.verify(when)
            finally:
                hashing[0] += time.monotonic() - began

    if baseline is not None:  # this process too runs only the hashed package
        found = foreign_imports(baseline.package, [])
        if found:
            raise Tampered(f"the worker imported {'; '.join(found[:3])}")
    load_checks([Path(p) for p in job["checks"]])
    exercises = [get_exercise(i) for i in job["exercises"]]
    record = Record(job["student"], job["sha256"])
    digest = hashlib.sha256(Path(job["path"]).read_bytes()).hexdigest()
    if digest != job["sha256"]:
        raise RuntimeError("the submitted file changed while grading ran")
    nb, why = read_notebook(Path(job["path"]))
    if nb is None:
        record.invalid = why
        record.exercises = [
            ExerciseResult.zero(ex.id, Status.INVALID, ex.points, why, ex.first_hint)
            for ex in exercises
        ]
        record.seconds = time.monotonic() - start
        return record
    phases["read"] = time.monotonic() - start
    # this process computes with the student's replies: its memory is capped,
    # and as root it keeps only the capabilities a job's set-up and end need
    cap_own_memory(limits.memory_mb + 512)
    keep_capabilities(WORKER_CAPABILITIES)
    become_subreaper()  # orphans of the job stay below this worker
    workdir = Path(tempfile.mkdtemp(prefix="coursework-grade-"))
    # the job's disk quota: a tmpfs of its own, mounted as root or as root of
    # the job's own user and mount namespaces (the batch started this worker
    # in them); without, the per-file limit only
    quota = limits.disk_quota and mount_quota(workdir, limits.disk_mb)
    if limits.disk_quota and not quota:  # announced in every feedback file
        os.rmdir(workdir)
        raise RuntimeError(f"cannot mount the job's disk quota on {workdir}")
    cgroup = Path(limits.cgroup) if limits.cgroup else None  # made by the batch
    try:
        if job.get("folder"):
            shutil.copytree(
                job["folder"],
                workdir,
                dirs_exist_ok=True,
                symlinks=True,
                ignore=no_links,
            )
        shutil.copy2(job["path"], workdir / "submission.ipynb")
        if limits.uid is not None:
            give_to(workdir, limits.uid)
        phases["copy"] = time.monotonic() - start - phases["read"]
        if limits.run_notebook:  # for the feedback only: grades come from the checks
            executed, report = execute_notebook(
                nb, workdir, limits, after_kernel=lambda: verify("after a kernel")
            )
            phases["kernel start"] = report.startup_seconds
            phases["cells"] = report.seconds - report.startup_seconds - hashing[0]
            if job.get("executed"):
                data = json.dumps(executed, sort_keys=True, default=str).encode()
                write_atomic(Path(job["executed"]), data)
            record.execution = report
        defs = read_definitions(nb, {ex.function_name for ex in exercises})
        hashed = hashing[0]
        results = check_exercises(
            exercises,
            defs,
            workdir,
            limits,
            before_child=lambda: verify("before a checks process"),
            phases=phases,
        )
        phases["checks"] -= hashing[0] - hashed
        record.exercises = results
    except Tampered as exc:
        record.tampered = str(exc)
        why = f"the course package changed while your notebook ran ({exc})"
        record.exercises = [
            ExerciseResult.zero(ex.id, Status.TAMPERED, ex.points, why)
            for ex in exercises
        ]
    finally:  # every process of the job, however it forked
        ending = time.monotonic()
        if cgroup is not None:
            kill_cgroup(cgroup)
        if limits.uid is not None:
            kill_user(limits.uid)
        kill_descendants()  # the orphans this worker reaps, in every mode
        if quota:
            unmount(workdir)
        shutil.rmtree(workdir, ignore_errors=True)
        phases["clean-up"] = time.monotonic() - ending
    phases["integrity"] = hashing[0]
    record.seconds = time.monotonic() - start
    record.phases = {k: round(v, 3) for k, v in phases.items()}
    return record


def main() -> None:
    """Entry point: ``python -m coursework.grading.worker JOB`` (secret on stdin)."""
    secret = sys.stdin.buffer.readline().strip()
    sys.stdin.close()
    job_path = Path(sys.argv[1])
    job = json.loads(job_path.read_text())
    try:
        record = grade_submission(job)
    except Tampered as exc:  # it imported code from outside the hashed package
        record = Record(job["student"], job["sha256"], tampered=str(exc))
    except Exception as exc:  # the grader's own failure: report it, signed
        record = Record(job["student"], job["sha256"])
        record.crashed = f"{type(exc).__name__}: {exc}"
    write_signed(Path(job["result"]), record.to_json(), secret)


if __name__ == "__main__":
    main()

"""Run worker processes for a batch and keep their results, signed, for resuming.

:class:`Runner` copies each submission, just before grading it, into a
folder of its own inside the grader's private folder (mode 0700), so that
nothing done to the original changes what is graded; the copy is deleted as
soon as that submission is done. It starts one worker process per submission
(:mod:`coursework.grading.worker`) with a fresh secret on its standard input,
waits for it within a budget, and accepts its result only if the HMAC under
that secret matches. With a disk quota, an ordinary user's worker starts as
root of user and mount namespaces of its own, where it mounts the job's
tmpfs (:func:`~coursework.grading.oscalls.quota_namespace_command`). Around
every worker it checks the integrity baseline
(:mod:`coursework.grading.integrity`): on a change it stops the batch, marks
the submission(s) that ran last ``tampered`` and starts no other worker.
:class:`StateStore` keeps finished results in ``RESULTS/.state``, signed with
a key of its own, loaded once at start, so a run that is interrupted resumes
where it stopped and anything a student wrote there is ignored.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import secrets
import shutil
import subprocess
import tempfile
import threading
from dataclasses import asdict
from pathlib import Path

from coursework.exercises.registry import get_exercise
from coursework.grading.integrity import Baseline, Tampered
from coursework.grading.oscalls import (
    kill_cgroup,
    make_pids_cgroup,
    pick_uid,
    quota_namespace_command,
)
from coursework.grading.records import ExerciseResult, Record, Status
from coursework.grading.sandbox import Limits, grader_environment, kill_tree, python
from coursework.grading.signing import read_signed, write_atomic, write_signed
from coursework.grading.submissions import Submission, no_links


class StateStore:
    """Signed per-student results in ``RESULTS/.state``, loaded once at start."""

    def __init__(self, out: Path) -> None:
        self.folder = out / ".state"
        self.folder.mkdir(parents=True, exist_ok=True)
        os.chmod(self.folder, 0o700)
        key_path = self.folder / "key"
        if not key_path.exists():
            write_atomic(key_path, secrets.token_hex(32).encode())
            os.chmod(key_path, 0o600)
        self.key = key_path.read_bytes().strip()
        self.records: dict[str, Record] = {}
        for path in sorted(self.folder.glob("*.json")):
            data = read_signed(path, self.key)
            try:
                record = Record.from_json(data) if data is not None else None
            except (KeyError, ValueError, TypeError):
                record = None  # an older format: graded again
            if record is not None:
                self.records[record.student] = record

    def save(self, record: Record) -> None:
        """Write one student's record, signed, atomically."""
        write_signed(self.folder / f"{record.student}.json", record.to_json(), self.key)


def fingerprint(ids: list[str], checks: list[Path], limits: Limits) -> str:
    """Hash of what a grade depends on besides the notebook (checks, limits)."""
    h = hashlib.sha256(json.dumps([ids, asdict(limits)], sort_keys=True).encode())
    for folder in checks:
        for path in sorted(folder.glob("*.py")):
            h.update(path.read_bytes())
    return h.hexdigest()[:16]


class Runner:
    """Runs worker processes and verifies what they hand back."""

    def __init__(
        self,
        limits: Limits,
        exercises: list[str],
        checks: list[Path],
        out: Path,
        baseline: Baseline | None = None,
    ) -> None:
        self.limits, self.exercises, self.checks, self.out = (
            limits,
            exercises,
            checks,
            out,
        )
        self.baseline = baseline
        self.private = Path(tempfile.mkdtemp(prefix="coursework-grader-"))
        os.chmod(self.private, 0o700)
        self.running: dict[int, subprocess.Popen[bytes]] = {}
        self.lock = threading.Lock()
        self.stopping = False
        self.halted: str | None = None  # why the batch stopped (tampering)
        self.suspects: list[str] = []  # the submissions that ran when it happened
        self.in_flight: list[str] = []
        self.last_done: list[str] = []

    def snapshot(self, sub: Submission, folder: Path) -> Submission:
        """Copy a submission into ``folder``, out of other students' reach."""
        if sub.folder is not None:  # links are not copied: data, never paths
            shutil.copytree(
                sub.folder, folder, symlinks=True, dirs_exist_ok=True, ignore=no_links
            )
            path = folder / sub.path.relative_to(sub.folder)
        else:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / sub.path.name
            shutil.copy2(sub.path, path)
        return dataclasses.replace(
            sub, path=path, folder=folder if sub.folder else None
        )

    def _halt(self, why: str, suspects: list[str]) -> None:
        """Stop the batch after tampering (call with the lock held)."""
        if self.halted is None:
            self.halted, self.suspects = why, sorted(set(suspects))
            self.stopping = True
            for pid in list(self.running):
                kill_tree(pid)

    def grade(self, sub: Submission) -> Record | None:
        """Grade one submission in a fresh worker process; never raises.

        Returns None when the batch was stopped before this submission ran.
        """
        with self.lock:
            if self.halted is not None:
                return None
            try:
                if self.baseline is not None:
                    self.baseline.verify(f"before grading {sub.student}")
            except Tampered as exc:
                self._halt(str(exc), self.last_done)
                return None
            self.in_flight.append(sub.student)
        tag = secrets.token_hex(8)
        folder = self.private / tag
        folder.mkdir(mode=0o700)
        try:
            record = self._run_worker(self.snapshot(sub, folder / "submission"), tag)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        with self.lock:
            self.in_flight.remove(sub.student)
            why = record.tampered or None
            if why is None and self.halted is None and self.baseline is not None:
                try:
                    self.baseline.verify(f"after grading {sub.student}")
                except Tampered as exc:
                    why = str(exc)
            if why is not None:
                self._halt(why, [sub.student, *self.in_flight])
            self.last_done = [sub.student]
            if sub.student in self.suspects:
                return self.tampered_record(sub.student, sub.sha256)
            if self.halted is not None and record.crashed:
                return None  # stopped because another submission tampered
        return record

    def tampered_record(self, student: str, sha256: str) -> Record:
        """The record of a submission that ran when the package changed."""
        others = [s for s in self.suspects if s != student]
        also = f"; graded at the same time: {', '.join(others)}" if others else ""
        why = (
            f"the course package or the checks changed while your notebook was "
            f"graded ({self.halted}{also}); grading stopped"
        )
        rows = [_zero_row(i, Status.TAMPERED, why) for i in self.exercises]
        return Record(student, sha256, rows, tampered=why)

    def _run_worker(self, sub: Submission, tag: str) -> Record:
        """Run the worker for a snapshot; its verified record or a crash record."""
        secret = secrets.token_hex(32).encode()
        result = self.private / f"{tag}.result.json"
        uid = pick_uid() if "user" in self.limits.isolation else None
        limits, cgroup = self.limits, None
        if os.geteuid() == 0 and limits.process_margin is not None:
            cgroup = make_pids_cgroup(f"coursework-{tag}", limits.process_margin)
            limits = dataclasses.replace(limits, cgroup=str(cgroup) if cgroup else None)
        job = {
            "student": sub.student,
            "path": str(sub.path),
            "folder": str(sub.folder) if sub.folder else None,
            "sha256": sub.sha256,
            "exercises": self.exercises,
            "checks": [str(c) for c in self.checks],
            "limits": asdict(limits),
            "result": str(result),
            "executed": str(self.out / "executed" / f"{sub.student}.ipynb"),
            "uid": uid,
            "baseline": self.baseline.to_json() if self.baseline else None,
        }
        job_path = self.private / f"{tag}.job.json"
        job_path.write_text(json.dumps(job))
        log = open(self.private / f"{tag}.log", "wb")
        budget = (
            self.limits.notebook_seconds
            + len(self.exercises) * (self.limits.exercise_seconds + 20)
            + 180
        )
        command = python("-m", "coursework.grading.worker", str(job_path))
        if limits.disk_quota and os.geteuid() != 0:  # where it may mount a tmpfs
            command = [*(quota_namespace_command() or []), *command]
        proc = subprocess.Popen(  # isolated mode, outside every job's folder
            command,
            cwd=self.private,
            env=grader_environment(),
            stdin=subprocess.PIPE,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
        with self.lock:
            self.running[proc.pid] = proc
        try:
            assert proc.stdin is not None
            proc.stdin.write(secret + b"\n")
            proc.stdin.close()
            proc.wait(timeout=budget)
        except subprocess.TimeoutExpired:
            kill_tree(proc.pid)
            proc.wait()
        except BrokenPipeError:
            proc.wait()
        finally:
            with self.lock:
                self.running.pop(proc.pid, None)
            log.close()
            if cgroup is not None:  # whatever the worker left, even if it was killed
                kill_cgroup(cgroup)
        data = read_signed(result, secret)
        try:
            record = Record.from_json(data) if data is not None else None
        except (KeyError, ValueError, TypeError):
            record = None
        if record is None or record.student != sub.student:
            tail = (
                (self.private / f"{tag}.log")
                .read_bytes()[-600:]
                .decode(errors="replace")
            )
            why = (
                "was stopped"
                if self.stopping
                else f"failed (exit {proc.returncode}): {tail.strip()[-300:]}"
            )
            record = Record(sub.student, sub.sha256, crashed=f"the grader {why}")
        if record.crashed and not record.tampered:
            record.exercises = [
                _zero_row(i, Status.ERROR, record.crashed) for i in self.exercises
            ]
        return record

    def stop_all(self) -> None:
        """Kill every running worker (their kernels exit when their parent goes)."""
        self.stopping = True
        with self.lock:
            for pid in list(self.running):
                kill_tree(pid)


def _zero_row(exercise_id: str, status: Status, why: str) -> ExerciseResult:
    return ExerciseResult.zero(
        exercise_id, status, get_exercise(exercise_id).points, why
    )

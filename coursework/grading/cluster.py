"""Grade on a Dask cluster when one machine is not enough.

The unit of work is one submission, graded exactly as the local runner grades
it: the same :class:`~coursework.grading.batch.Runner`, worker process,
sandbox and integrity checks, on whichever machine the task lands. What
changes is only where that happens:

1. The coordinator (``python -m coursework grade ... --dask-workers N`` for a
   local cluster, or ``--scheduler ADDRESS`` for an existing one, e.g. one
   started by dask-jobqueue on Slurm) reads the submissions, takes the
   integrity baseline, and packs each submission into a :class:`Task`: the
   notebook and its folder's files as bytes (links are dropped, as the local
   runner drops them), the exercise ids, the private checks' source, the
   limits, and the hashes of the coordinator's installed package.
2. A Dask worker runs :func:`run_task`. It first hashes its own installed
   ``coursework`` and compares it with the coordinator's: a machine with a
   different package grades nothing, and the record says which files differ.
   It checks that it can give the isolation the coordinator announced (the
   same layers everywhere, so a grade does not depend on where it was made),
   writes the submission and the checks into a private folder, and grades.
3. The record and the executed notebook come back. The coordinator alone
   writes the signed state and the feedback, so a run started on Dask can be
   finished by the local runner, or the other way round: the state does not
   know where a record was made.

The hidden checks travel with each task and are written into that task's
private folder, which goes when the task ends; a Dask worker that died
mid-task leaves its folder, and the next task on that machine removes the
folders of every dead worker process. A local cluster that the grader
starts (``--dask-workers``) speaks TLS with keys made for this run
(``Security.temporary()``) and listens on the loopback device only: without
the keys nothing, student code included, can submit work to it.

A worker lost mid-run costs nothing but time: the scheduler runs its tasks
again elsewhere (Dask's ``allowed-failures``), and grading is deterministic,
so the gradebook is the same. A task that reports tampering stops the batch
as the local runner does. Dask is an optional dependency (the ``cluster``
extra); the local runner needs none.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coursework.grading.batch import Runner, _zero_row
from coursework.grading.checks import load_checks
from coursework.grading.integrity import Baseline, hash_files
from coursework.grading.oscalls import package_dir
from coursework.grading.probe import IsolationError, probe
from coursework.grading.records import Record, Status
from coursework.grading.sandbox import Limits
from coursework.grading.signing import write_atomic
from coursework.grading.submissions import Submission

INSTALL_HINT = "pip install 'coursework[cluster]' (Dask distributed, cryptography)"


class ClusterError(RuntimeError):
    """Dask is missing or its scheduler unreachable; the message says what to do."""


@dataclass(frozen=True)
class Task:
    """Everything a worker machine needs to grade one submission.

    Attributes:
        student: the student id.
        sha256: hash of the submitted notebook.
        notebook: the notebook's path inside ``files``.
        files: the submission as bytes by relative path: the notebook and, for a
            student folder, every regular file in it (links are not sent).
        folder: whether the submission was a folder (else a lone notebook).
        exercises: the exercise ids to grade.
        checks: the private checks, one ``{file name: source}`` per folder.
        limits: the limits, with the isolation the coordinator announced.
        package: SHA-256 of every file of the coordinator's ``coursework``.
    """

    student: str
    sha256: str
    notebook: str
    files: dict[str, bytes]
    folder: bool
    exercises: list[str]
    checks: list[dict[str, bytes]]
    limits: Limits
    package: dict[str, str] = field(repr=False)


def pack(
    sub: Submission,
    exercises: list[str],
    checks: list[Path],
    limits: Limits,
    baseline: Baseline,
) -> Task:
    """The :class:`Task` for one submission (read now, on the coordinator)."""
    if sub.folder is not None:
        files = {
            str(p.relative_to(sub.folder)): p.read_bytes()
            for p in sorted(sub.folder.rglob("*"))
            if p.is_file() and not _linked(p, sub.folder)
        }
        notebook = str(sub.path.relative_to(sub.folder))
    else:
        files, notebook = {sub.path.name: sub.path.read_bytes()}, sub.path.name
    package = {
        k.removeprefix("package/"): v
        for k, v in baseline.files.items()
        if k.startswith("package/")
    }
    sources = [{p.name: p.read_bytes() for p in sorted(c.glob("*.py"))} for c in checks]
    return Task(
        sub.student,
        sub.sha256,
        notebook,
        files,
        sub.folder is not None,
        exercises,
        sources,
        limits,
        package,
    )


def _linked(path: Path, top: Path) -> bool:
    """Whether ``path`` or a folder between it and ``top`` is a symbolic link."""
    while path != top:
        if path.is_symlink():
            return True
        path = path.parent
    return False


@dataclass
class Outcome:
    """What a worker hands back: the record, the executed notebook, the machine."""

    record: dict[str, Any]
    executed: bytes | None
    host: str


# One worker process grades one task at a time; which checks it imported and
# its isolation probe are kept between tasks.
_loaded_checks: set[str] = set()
TASK_PREFIX = "coursework-task-"
_probed: dict[tuple[str, bool], str] = {}
_lock = threading.Lock()


def run_task(task: Task) -> Outcome:
    """Grade one :class:`Task` on this machine (runs on a Dask worker)."""
    host = os.uname().nodename
    mine = hash_files(package_dir())
    if mine != task.package:
        differ = sorted(
            k
            for k in set(mine) | set(task.package)
            if mine.get(k) != task.package.get(k)
        )
        why = (
            f"worker {host} has a different coursework package than the "
            f"coordinator ({len(differ)} files differ, e.g. {differ[:3]}); "
            "install the same version on every machine"
        )
        return _failed(task, why, host)
    problem = _isolation_problem(task.limits)
    if problem:
        return _failed(task, f"worker {host}: {problem}", host)
    _sweep()
    scratch = Path(tempfile.mkdtemp(prefix=f"{TASK_PREFIX}{os.getpid()}-"))
    try:
        os.chmod(scratch, 0o700)
        with _lock:
            checks = _checks_folders(task.checks, scratch / "checks")
        sub = _unpack(task, scratch / "submission")
        baseline = Baseline.take(package_dir(), checks)
        runner = Runner(task.limits, task.exercises, checks, scratch / "out", baseline)
        try:
            record = runner.grade(sub)
            if runner.halted is not None or record is None:
                record = runner.tampered_record(task.student, task.sha256)
        finally:
            shutil.rmtree(runner.private, ignore_errors=True)
        executed_path = scratch / "out" / "executed" / f"{task.student}.ipynb"
        executed = executed_path.read_bytes() if executed_path.exists() else None
        return Outcome(record.to_json(), executed, host)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _failed(task: Task, why: str, host: str) -> Outcome:
    rows = [_zero_row(i, Status.ERROR, why) for i in task.exercises]
    return Outcome(
        Record(task.student, task.sha256, rows, crashed=why).to_json(), None, host
    )


def _isolation_problem(limits: Limits) -> str:
    """Why this machine cannot give ``limits``' isolation ("" when it can)."""
    key = (limits.isolation, limits.network)
    with _lock:
        if key not in _probed:
            try:
                found = probe(limits.isolation, network=limits.network)
                lacking = [
                    what
                    for what, wanted, here in [
                        ("namespaces", limits.namespaces, found.namespaces),
                        ("a disk quota", limits.disk_quota, bool(found.disk_quota)),
                    ]
                    if wanted and not here
                ]
                _probed[key] = (
                    f"the coordinator announced {' and '.join(lacking)}, "
                    "which this machine refuses"
                    if lacking
                    else ""
                )
            except IsolationError as exc:
                _probed[key] = str(exc)
        return _probed[key]


def _checks_folders(sources: list[dict[str, bytes]], base: Path) -> list[Path]:
    """The checks written under ``base`` (the task's own folder, removed with it)
    and imported once per worker process (call with ``_lock``)."""
    digest = hashlib.sha256(
        repr(
            sorted(
                (i, name, hashlib.sha256(data).hexdigest())
                for i, folder in enumerate(sources)
                for name, data in folder.items()
            )
        ).encode()
    ).hexdigest()
    if _loaded_checks and digest not in _loaded_checks:
        raise RuntimeError(
            "this worker already loaded other checks; restart "
            "the Dask workers between runs with different checks"
        )
    base.mkdir(mode=0o700)
    folders = []
    for i, files in enumerate(sources):
        folder = base / str(i)
        folder.mkdir(mode=0o700)
        for name, data in files.items():
            write_atomic(folder / Path(name).name, data)
        folders.append(folder)
    if digest not in _loaded_checks:
        load_checks(folders)
        _loaded_checks.add(digest)
    return folders


def _sweep() -> None:
    """Remove the task folders (hidden checks included) of dead worker processes."""
    for folder in Path(tempfile.gettempdir()).glob(f"{TASK_PREFIX}*"):
        pid = folder.name[len(TASK_PREFIX) :].split("-")[0]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            pass


def _unpack(task: Task, folder: Path) -> Submission:
    """Write the submission's files under ``folder``; its :class:`Submission`."""
    folder.mkdir(mode=0o700)
    for rel, data in task.files.items():
        target = (folder / rel).resolve()
        if folder.resolve() not in target.parents:  # never outside the folder
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return Submission(
        task.student,
        folder / task.notebook,
        folder if task.folder else None,
        task.sha256,
    )


class DaskRunner:
    """Grades submissions as Dask tasks; the local runner's interface for the CLI.

    Args:
        limits: as for :class:`~coursework.grading.batch.Runner`.
        exercises: the exercise ids.
        checks: the private checks folders (their source travels with each task).
        out: the results folder (executed notebooks are written here).
        baseline: the coordinator's integrity baseline.
        scheduler: address of a running scheduler (``tcp://host:8786``), or
        workers: the number of worker processes of a local cluster.
    """

    def __init__(
        self,
        limits: Limits,
        exercises: list[str],
        checks: list[Path],
        out: Path,
        baseline: Baseline,
        scheduler: str | None = None,
        workers: int | None = None,
    ) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:
            raise ClusterError(f"grading on Dask needs {INSTALL_HINT}") from exc
        self.limits, self.exercises, self.checks = limits, exercises, checks
        self.out, self.baseline = out, baseline
        self.halted: str | None = None
        self.suspects: list[str] = []
        self.hosts: dict[str, str] = {}
        self.private = Path(tempfile.mkdtemp(prefix="coursework-coordinator-"))
        self.cluster = None
        try:
            if scheduler:
                self.client = Client(scheduler)  # distributed.comm.timeouts.connect
            else:
                from distributed.security import Security

                try:  # keys made now, in memory: only this run can connect
                    security = Security.temporary()
                except ImportError as exc:
                    raise ClusterError(
                        f"a local cluster's TLS needs {INSTALL_HINT}"
                    ) from exc
                self.cluster = LocalCluster(
                    n_workers=max(1, workers or 1),
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    protocol="tls://",
                    security=security,
                    dashboard_address=None,
                    silence_logs=logging.ERROR,  # the grader's own lines only
                )
                self.client = Client(self.cluster, security=security)
        except (OSError, TimeoutError) as exc:
            raise ClusterError(
                f"cannot reach the Dask scheduler {scheduler}: {exc}; "
                "check the address and that it is running"
            ) from exc
        self.futures: list[Any] = []

    def results(self, subs: list[Submission]) -> Iterator[Record]:
        """Submit every submission; yield records as they finish.

        A record that reports tampering stops the batch: the remaining tasks are
        cancelled and the submission is marked, as the local runner does.
        """
        from distributed import as_completed

        tasks = {
            self.client.submit(
                run_task,
                pack(s, self.exercises, self.checks, self.limits, self.baseline),
                key=f"grade-{s.student}-{s.sha256[:12]}",
                pure=False,
            ): s
            for s in subs
        }
        self.futures = list(tasks)
        for future in as_completed(self.futures):
            sub = tasks[future]
            try:
                outcome: Outcome = future.result()
                record = Record.from_json(outcome.record)
            except Exception as exc:  # the task itself failed: a grader failure
                why = f"the grader failed on Dask: {type(exc).__name__}: {exc}"
                rows = [_zero_row(i, Status.ERROR, why) for i in self.exercises]
                yield Record(sub.student, sub.sha256, rows, crashed=why)
                continue
            self.hosts[record.student] = outcome.host
            if outcome.executed is not None:
                write_atomic(
                    self.out / "executed" / f"{sub.student}.ipynb", outcome.executed
                )
            if record.tampered:
                self.halted = record.tampered
                self.suspects = sorted({*self.suspects, sub.student})
                self.stop_all()
            yield record
            if self.halted is not None:
                return

    def tampered_record(self, student: str, sha256: str) -> Record:
        """The record of a submission that ran when the package changed."""
        why = (
            f"the course package or the checks changed while your notebook was "
            f"graded ({self.halted}); grading stopped"
        )
        rows = [_zero_row(i, Status.TAMPERED, why) for i in self.exercises]
        return Record(student, sha256, rows, tampered=why)

    def stop_all(self) -> None:
        """Cancel every task not yet finished."""
        if self.futures:
            self.client.cancel(self.futures)

    def close(self) -> None:
        """Close the client and, for a local cluster, its workers."""
        try:
            self.client.close()
        finally:
            if self.cluster is not None:
                self.cluster.close()
                _sweep()  # what workers killed mid-task left (hidden checks)
            shutil.rmtree(self.private, ignore_errors=True)

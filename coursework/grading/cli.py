"""``python -m coursework grade SUBMISSIONS --out RESULTS``: grade a class's notebooks.

Each submission is graded by its own worker process
(:mod:`coursework.grading.worker`), ``--jobs`` at a time. The worker runs the
notebook in a sandboxed kernel and then the checks in a separate process out
of the student's reach, and hands its result back through a file signed with
a secret made for this run. Finished results are kept, signed, in
``RESULTS/.state``, so an interrupted run loses nothing: a re-run reuses
every result whose notebook, checks and settings are unchanged (``--force``
regrades everything). The gradebook and feedback are rewritten from memory
at the end, atomically.

Before any student code runs, the grader finds the strongest isolation that
works on this machine (:mod:`coursework.grading.probe`; ``--isolation``
insists on one) and hashes the package and the checks
(:mod:`coursework.grading.integrity`). What isolation was in force is printed
and written at the top of every feedback file; a change to the package or the
checks stops the run with exit status 3.
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import signal
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from coursework.grading.batch import Runner, StateStore, fingerprint
from coursework.grading.checks import ChecksError, exercises_of, load_checks, topic_of
from coursework.grading.cluster import INSTALL_HINT, ClusterError, DaskRunner
from coursework.grading.integrity import Baseline
from coursework.grading.oscalls import MODES, package_dir
from coursework.grading.probe import IsolationError, probe
from coursework.grading.records import Record
from coursework.grading.report import screen_summary, write_feedback, write_gradebook
from coursework.grading.sandbox import Limits
from coursework.grading.submissions import (
    SubmissionsError,
    extract_zip,
    find_submissions,
    notebook_name,
    read_mapping,
    read_notebook,
)

USAGE_EXAMPLE = "python -m coursework grade submissions.zip --out results --jobs 2"


def build_parser() -> argparse.ArgumentParser:
    """The command-line options."""
    d = Limits()
    p = argparse.ArgumentParser(
        prog="coursework grade",
        description="Grade a folder or zip of submitted notebooks.",
        epilog=f"example: {USAGE_EXAMPLE}",
    )
    p.add_argument(
        "submissions", type=Path, help="folder of .ipynb files, or a zip export"
    )
    p.add_argument("--out", type=Path, required=True, help="results folder")
    p.add_argument(
        "--checks",
        type=Path,
        action="append",
        default=[],
        help="folder of private check modules (repeatable)",
    )
    p.add_argument(
        "--notebook",
        help="the course notebook, e.g. 03_vae (default: the notebooks' metadata)",
    )
    p.add_argument(
        "--map",
        type=Path,
        help="CSV with columns file,student naming who submitted which file",
    )
    p.add_argument(
        "--id-pattern",
        help="regex with a group 'id' taking the student id from the file name",
    )
    p.add_argument(
        "--jobs", type=int, default=1, help="submissions graded in parallel (default 1)"
    )
    p.add_argument(
        "--dask-workers",
        type=int,
        metavar="N",
        help="grade on a local Dask cluster of N worker processes "
        f"(needs {INSTALL_HINT})",
    )
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="grade on the Dask cluster whose scheduler is at ADDRESS, e.g. "
        "tcp://10.0.0.1:8786 (Slurm: dask-jobqueue; Kubernetes: dask-kubernetes)",
    )
    p.add_argument(
        "--force", action="store_true", help="regrade submissions already graded"
    )
    p.add_argument(
        "--profile",
        default=d.profile,
        help=f"COURSEWORK_PROFILE for student code (default {d.profile})",
    )
    p.add_argument(
        "--device",
        default=d.device,
        choices=("cpu", "cuda"),
        help="cpu hides CUDA (default)",
    )
    p.add_argument(
        "--threads", type=int, default=d.threads, help="torch threads per submission"
    )
    p.add_argument(
        "--cell-timeout",
        type=float,
        default=d.cell_seconds,
        help="seconds per notebook cell",
    )
    p.add_argument(
        "--notebook-timeout",
        type=float,
        default=d.notebook_seconds,
        help="seconds per notebook",
    )
    p.add_argument(
        "--exercise-timeout",
        type=float,
        default=d.exercise_seconds,
        help="seconds for the checks of one exercise",
    )
    p.add_argument(
        "--memory-mb",
        type=int,
        default=d.memory_mb,
        help="resident memory cap per student process",
    )
    p.add_argument(
        "--disk-mb",
        type=int,
        default=d.disk_mb,
        help="what one submission may store on disk in all (a tmpfs per job, "
        "mounted as root or, for an ordinary user, in a user namespace of the "
        f"job's own, where the machine allows; default {d.disk_mb})",
    )
    p.add_argument(
        "--cpu-seconds",
        type=int,
        default=d.cpu_seconds,
        help="CPU-time limit per student process",
    )
    p.add_argument(
        "--max-processes",
        type=int,
        default=d.process_margin,
        help="processes (tasks) a submission may run at once "
        f"(default {d.process_margin})",
    )
    p.add_argument(
        "--no-process-limit", action="store_true", help="no cap on processes"
    )
    p.add_argument(
        "--no-run",
        action="store_true",
        help="check the functions without running the notebooks first: the same "
        "grades (the checks rebuild each function from the source anyway) in a "
        "fraction of the time, but the feedback lists no cell errors and no "
        "executed notebooks are kept",
    )
    p.add_argument(
        "--network",
        action="store_true",
        help="let student code use the network (default: a network namespace "
        "of its own, with nothing in it, where the machine allows)",
    )
    p.add_argument(
        "--isolation",
        default="auto",
        choices=("auto", *MODES),
        help="OS isolation of student code (default auto: the strongest that "
        "works here; 'process' turns it off)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def _limits(args: argparse.Namespace) -> Limits:
    return Limits(
        cell_seconds=args.cell_timeout,
        notebook_seconds=args.notebook_timeout,
        exercise_seconds=args.exercise_timeout,
        cpu_seconds=args.cpu_seconds,
        memory_mb=args.memory_mb,
        disk_mb=args.disk_mb,
        process_margin=None if args.no_process_limit else args.max_processes,
        network=args.network,
        run_notebook=not args.no_run,
        threads=args.threads,
        profile=args.profile,
        device=args.device,
    )


def main(argv: list[str]) -> int:
    """Run the grader; exit status 0 done, 1 bad input, 3 tampered, 130 stopped."""
    temporary: list[Path] = []
    try:
        return _main(argv, temporary)
    finally:  # on every return path, and on an exception
        for folder in temporary:
            shutil.rmtree(folder, ignore_errors=True)


NETWORK_ALONE = (
    "grade: --network gives student code the machine's network, where a job "
    "can find and reach the sockets of the jobs graded beside it (a classmate's "
    "kernel) and of a Dask cluster; so with --network, grade one submission at a "
    "time: use --jobs 1 and no --dask-workers or --scheduler (or drop --network)"
)


def _main(argv: list[str], temporary: list[Path]) -> int:
    args = build_parser().parse_args(argv)
    if args.network and (args.jobs > 1 or args.dask_workers or args.scheduler):
        print(NETWORK_ALONE, file=sys.stderr)
        return 1
    start = time.monotonic()
    limits = _limits(args)
    try:
        checks = [c.resolve() for c in args.checks]
        load_checks(checks)
        root = args.submissions
        if not root.exists():
            raise SubmissionsError(f"{root}: no such folder or zip file")
        unpacked = None
        if root.is_file():
            unpacked = Path(tempfile.mkdtemp(prefix="coursework-submissions-"))
            temporary.append(unpacked)
            root = extract_zip(root, unpacked)
        mapping = read_mapping(args.map) if args.map else None
        subs = find_submissions(root.resolve(), mapping, args.id_pattern)
    except (ChecksError, SubmissionsError) as exc:
        print(f"grade: {exc}", file=sys.stderr)
        return 1
    if not subs:
        print(f"grade: no .ipynb files found in {args.submissions}", file=sys.stderr)
        return 1
    name = args.notebook
    if not name:
        names = Counter(notebook_name(read_notebook(s.path)[0], s.path) for s in subs)
        names.pop(None, None)
        if not names:
            print(
                "grade: cannot tell which notebook these are; pass --notebook 03_vae",
                file=sys.stderr,
            )
            return 1
        name = names.most_common(1)[0][0]
    exercises = exercises_of(topic_of(name))
    if not exercises:
        print(
            f"grade: no exercises registered for {name!r}; check --notebook, --checks",
            file=sys.stderr,
        )
        return 1
    ids = [e.id for e in exercises]
    baseline = Baseline.take(package_dir(), checks)  # before any student code
    try:
        isolation = probe(args.isolation, network=args.network)
    except IsolationError as exc:
        print(f"grade: {exc}", file=sys.stderr)
        return 1
    limits = dataclasses.replace(
        limits,
        isolation=isolation.mode,
        namespaces=isolation.namespaces,
        disk_quota=bool(isolation.disk_quota),
    )
    _announce(isolation)
    if isolation.mode == "user":  # only file permissions keep the checks hidden
        for folder in checks:
            if folder.stat().st_mode & 0o005:
                print(
                    f"grade: WARNING: --checks {folder} is open to other users; "
                    f"`chmod 700 {folder}` keeps student code out of it",
                    file=sys.stderr,
                )
    if not args.out.exists():
        args.out.mkdir(parents=True)
        args.out.chmod(0o700)
    store = StateStore(args.out)
    settings = fingerprint(ids, checks, limits)
    records: dict[str, Record] = {}
    todo = []
    for sub in subs:
        old = store.records.get(sub.student)
        if (
            not args.force
            and old
            and old.sha256 == sub.sha256
            and old.fingerprint == settings
        ):
            records[sub.student] = old
        else:
            todo.append(sub)
    reused = len(records)
    on_dask = bool(args.scheduler or args.dask_workers)
    try:
        runner: Runner | DaskRunner = (
            DaskRunner(
                limits,
                ids,
                checks,
                args.out.resolve(),
                baseline,
                args.scheduler,
                args.dask_workers,
            )
            if on_dask
            else Runner(limits, ids, checks, args.out.resolve(), baseline)
        )
    except ClusterError as exc:
        print(f"grade: {exc}", file=sys.stderr)
        return 1
    temporary.append(runner.private)
    previous = signal.signal(
        signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt())
    )
    interrupted = False
    bar = _progress(len(todo), args.quiet)
    pool = None
    if isinstance(runner, DaskRunner):
        finished = runner.results(todo)
    else:
        pool = ThreadPoolExecutor(max_workers=max(1, args.jobs))
        futures = [pool.submit(runner.grade, s) for s in todo]
        finished = (f.result() for f in as_completed(futures))
    try:
        for record in finished:
            bar.update(1)
            if record is None:  # not graded: the batch stopped
                continue
            record.fingerprint = settings
            record.isolation = isolation.describe()
            records[record.student] = record
            store.save(record)
            write_feedback(args.out, record)
            bar.set_postfix_str(record.student[:20])
    except KeyboardInterrupt:
        interrupted = True
        runner.stop_all()
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        if isinstance(runner, DaskRunner):
            runner.close()
        bar.close()
        signal.signal(signal.SIGTERM, previous)
    by_student = {s.student: s for s in subs}
    for student in runner.suspects:  # also those whose result came in earlier
        record = runner.tampered_record(student, by_student[student].sha256)
        record.fingerprint, record.isolation = settings, isolation.describe()
        records[student] = record
    done = [records[s.student] for s in subs if s.student in records]
    for record in done:  # undo anything student code wrote into the results folder
        store.save(record)
        write_feedback(args.out, record)
    files = {s.student: str(s.path.relative_to(root.resolve())) for s in subs}
    write_gradebook(args.out, done, ids, files)
    shutil.rmtree(runner.private, ignore_errors=True)
    print(screen_summary(done, ids, reused, time.monotonic() - start, args.out))
    print(isolation.describe())
    if runner.halted is not None:
        print(
            f"grade: STOPPED: the course package or the checks changed "
            f"({runner.halted}).\n  Marked tampered: {', '.join(runner.suspects)}."
            f"\n  {len(subs) - len(done)} submission(s) not graded. Restore the "
            "package (git checkout / pip install) and re-run to grade the rest.",
            file=sys.stderr,
        )
        return 3
    if interrupted:
        print(
            f"grade: interrupted; {len(done)} of {len(subs)} graded, re-run to finish",
            file=sys.stderr,
        )
        return 130
    return 0


def _announce(isolation: Any) -> None:
    """Say which isolation is in force; loudly when there is none."""
    print(f"grade: {isolation.describe()}", file=sys.stderr)
    if not isolation.disk_quota and isolation.mode != "process":
        for note in isolation.notes:
            if note.startswith("disk quota"):
                print(f"grade:   not used: {note}", file=sys.stderr)
    if isolation.mode == "process":
        for note in isolation.notes:
            print(f"grade:   not used: {note}", file=sys.stderr)
        print(
            "grade: WARNING: student code runs with the grader's own rights: it "
            "can read other submissions and the hidden checks and signal the "
            "grader; run as root or on Linux >= 5.13 (Landlock) to isolate it.",
            file=sys.stderr,
        )


def _progress(total: int, quiet: bool) -> Any:
    from tqdm.auto import tqdm

    return tqdm(
        total=total,
        desc="grading",
        unit="notebook",
        disable=quiet or total == 0,
        file=sys.stderr,
    )

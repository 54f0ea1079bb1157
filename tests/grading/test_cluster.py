"""Grading on a Dask cluster gives the local runner's gradebook, whatever happens.

One set of submissions (honest, blank, broken and hostile, from the battery
of ``test_grading.py``) is graded once by the local runner, as the reference;
then on a cluster of two Dask workers with one worker killed mid-run
(``--scheduler``), and on a local Dask cluster (``--dask-workers 2``)
interrupted and finished by the local runner. Each must give the same
``grades.csv``, byte for byte.
"""

# ruff: noqa: F811  (pytest passes the imported package_copy fixture by name)
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import test_grading as tg  # noqa: E402  (the battery and its helpers)
from test_grading import package_copy  # noqa: E402, F401  (a fixture)

distributed = pytest.importorskip("distributed", reason="the cluster extra")

pytestmark = pytest.mark.timeout(1800)

# The honest and the hostile: a busy loop, runaway processes and memory, a
# formula, a display flood, a crafted file, and the attacks on the grader
# and on classmates where the machine isolates student code.
NAMES = ["solution", "student", "loop", "escapee", "mixed", "invalid_json", "nested"]
SECURITY = ["a_attacker", "z_blank"]


def env(package: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(package), "COURSEWORK_THREADS": "1"}


def command(subs: Path, out: Path, *extra: str) -> list[str]:
    args = [*tg.FAST, *extra]
    return [
        sys.executable,
        "-m",
        "coursework",
        "grade",
        str(subs),
        "--out",
        str(out),
        *args,
    ]


@pytest.fixture(scope="module")
def submissions(
    tmp_path_factory: pytest.TempPathFactory, package_copy: Path
) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("cluster")
    subs = base / "submissions"
    checks = tg.private_checks(base)
    solution, student = tg.demo_notebooks()
    items = tg.battery(solution, student, subs, base / "local", checks, tg.probe())
    names = NAMES + [n for n in SECURITY if n in items]
    tg.write_submissions(subs, {n: items[n] for n in names})
    return {"base": base, "subs": subs, "checks": checks}


def grade(package: Path, s: dict[str, Path], out: str, *extra: str):
    args = command(s["subs"], s["base"] / out, "--checks", str(s["checks"]), *extra)
    return subprocess.run(
        args,
        cwd=package,
        env=env(package),
        capture_output=True,
        text=True,
        timeout=1500,
    )


@pytest.fixture(scope="module")
def reference(package_copy: Path, submissions: dict[str, Path]) -> bytes:
    """The local runner's gradebook, with --no-run (the run feeds only the
    feedback; the interrupted Dask run below runs the notebooks, so its equal
    gradebook also shows that)."""
    done = grade(package_copy, submissions, "local", "--no-run")
    assert done.returncode == 0, done.stderr
    return (submissions["base"] / "local" / "grades.csv").read_bytes()


@pytest.fixture
def scheduler(package_copy: Path) -> Iterator[tuple[str, object]]:
    """A two-worker cluster with the package copy on its path; (address, client)."""
    from distributed import Client, LocalCluster

    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = str(package_copy)  # the workers import the copy
    try:
        cluster = LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        )
    finally:
        if old is None:
            os.environ.pop("PYTHONPATH")
        else:
            os.environ["PYTHONPATH"] = old
    client = Client(cluster)
    yield cluster.scheduler_address, client
    client.close()
    cluster.close()


def start(args: list[str], package: Path) -> subprocess.Popen:
    """The grader in the background, on the package copy, output captured."""
    return subprocess.Popen(
        args,
        cwd=package,
        env=env(package),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_records(out: Path, n: int, proc: subprocess.Popen, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while len(list((out / ".state").glob("*.json"))) < n:
        assert proc.poll() is None, proc.communicate()[1]
        assert time.monotonic() < deadline, "no record came back in time"
        time.sleep(0.2)


def test_a_worker_lost_mid_run_costs_nothing(
    package_copy: Path, submissions: dict[str, Path], reference: bytes, scheduler
) -> None:
    address, client = scheduler
    out = submissions["base"] / "lost"
    args = command(
        submissions["subs"],
        out,
        "--checks",
        str(submissions["checks"]),
        "--scheduler",
        address,
        "--no-run",  # what is tested is the lost worker, not the notebook run
    )
    proc = start(args, package_copy)
    wait_for_records(out, 1, proc, 600)
    busy = [w for w, tasks in client.processing().items() if tasks]
    assert busy, "both workers idle before the end of the run"
    # the worker dies with a task on it (so it cannot answer: on_error)
    client.run(os._exit, 1, workers=busy[:1], on_error="ignore")
    stdout, stderr = proc.communicate(timeout=1500)
    assert proc.returncode == 0, stderr
    assert (out / "grades.csv").read_bytes() == reference


def task_folders() -> set[Path]:
    """Folders that hold (or held) a task's hidden checks on this machine."""
    tmp = Path(tempfile.gettempdir())
    return {*tmp.glob("coursework-task-*"), *tmp.glob("coursework-checks-*")}


def test_a_dask_run_interrupted_resumes_on_the_local_runner(
    package_copy: Path, submissions: dict[str, Path], reference: bytes
) -> None:
    """Also issue 28 (8): no copy of the hidden checks is left on disk."""
    before = task_folders()
    out = submissions["base"] / "resumed"
    args = command(
        submissions["subs"],
        out,
        "--checks",
        str(submissions["checks"]),
        "--dask-workers",
        "2",
    )
    proc = start(args, package_copy)
    wait_for_records(out, 2, proc, 600)
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=300)
    assert proc.returncode == 130
    assert task_folders() <= before
    graded_on_dask = len(list((out / ".state").glob("*.json")))
    for path in (out / ".state").glob("*.json"):  # executed notebooks came back
        record = json.loads(json.loads(path.read_text())["record"])
        ran = record["execution"] is not None
        assert (out / "executed" / f"{record['student']}.ipynb").exists() == ran
    done = grade(package_copy, submissions, "resumed")  # the local runner
    assert done.returncode == 0, done.stderr
    assert f"reused {graded_on_dask}" in done.stdout
    assert (out / "grades.csv").read_bytes() == reference


def test_a_worker_with_another_package_grades_nothing(tmp_path: Path) -> None:
    """run_task refuses when its machine's package differs from the coordinator's."""
    from coursework.grading.cluster import Task, run_task
    from coursework.grading.sandbox import Limits

    task = Task(
        "s1",
        "0" * 64,
        "s1.ipynb",
        {"s1.ipynb": b"{}"},
        False,
        [],
        [],
        Limits(),
        package={"__init__.py": "not the same"},
    )
    outcome = run_task(task)
    assert "different coursework package" in outcome.record["crashed"]
    assert "install the same version" in outcome.record["crashed"]


def test_dask_missing_or_unreachable_is_a_clear_error(
    tmp_path: Path, package_copy: Path, submissions: dict[str, Path]
) -> None:
    os.environ["DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT"] = "3s"
    try:
        done = grade(
            package_copy, submissions, "nowhere", "--scheduler", "tcp://127.0.0.1:9"
        )
    finally:
        del os.environ["DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT"]
    assert done.returncode == 1
    assert "cannot reach the Dask scheduler tcp://127.0.0.1:9" in done.stderr


def test_a_local_cluster_speaks_tls_on_the_loopback_only(tmp_path: Path) -> None:
    """Issue 28 (6): the cluster the grader starts listens on 127.0.0.1 with
    TLS keys made for the run: a plain client, or one with other keys, cannot
    reach it (student code with the network could otherwise submit work)."""
    from distributed import Client
    from distributed.security import Security

    from coursework.grading.cluster import DaskRunner
    from coursework.grading.integrity import Baseline
    from coursework.grading.sandbox import Limits

    runner = DaskRunner(Limits(), [], [], tmp_path, Baseline(tg.PACKAGE, []), workers=1)
    try:
        address = runner.client.scheduler.address
        assert address.startswith("tls://127.0.0.1:"), address
        assert runner.client.run_on_scheduler(lambda: 1) == 1  # the run's keys work
        for other in (
            {"address": address.replace("tls://", "tcp://")},
            {"address": address, "security": Security.temporary()},
        ):
            with pytest.raises((OSError, TimeoutError)):
                Client(**other, timeout="3s")
    finally:
        runner.close()

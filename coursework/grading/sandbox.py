"""Resource limits and a scrubbed environment for code that a student wrote.

Two kinds of process run student code during grading: the notebook's kernel
and the process that calls the exercise functions for the checks. Both are
started through this module (``python -P -s -m coursework.grading.sandbox
[limits] -- command ...``, from outside the job's folder), which sets POSIX
resource limits and the isolation layers, enters the job's folder last
(``--chdir``), and then replaces itself with the command (itself a ``-P -s``
interpreter), so nothing in that folder is ever on a grader-side
``sys.path``, and the limits hold for the student process and whatever it
forks:

- CPU seconds (``RLIMIT_CPU``): a busy loop ends with SIGXCPU.
- file size (``RLIMIT_FSIZE``): a write past it fails with ``OSError`` (Python
  ignores SIGXFSZ), so a student cannot fill the disk.
- open files (``RLIMIT_NOFILE``) and core dumps (``RLIMIT_CORE = 0``).
- processes (``RLIMIT_NPROC``), only when asked: Linux counts every thread of
  the user, so the grader sets it to the user's current count plus a margin;
  it does not bind root, so a root grader also puts each job in a pids
  cgroup (``--cgroup``).

A student process's address space is deliberately not limited (``RLIMIT_AS``
breaks PyTorch, which reserves large virtual ranges; the checker's own is, by
:func:`cap_own_memory`, above what it already uses); memory is watched instead by
:class:`MemoryWatch`, which kills a process tree whose resident size passes a
cap, and a process found over the cap when its time runs out is reported as
using too much memory, not as slow, however busy the machine is.

Then the isolation chosen for the run (the calls of
:mod:`coursework.grading.oscalls`, chosen by :mod:`coursework.grading.probe`)
is applied before the command starts. Run as root, the grader gives each
submission's processes a user id of their own, without capabilities, whose
scratch folder no one else can open; with Landlock (Linux 5.13 and later,
root or not) they may read only the system's libraries, the Python
installation and the package, write only their scratch folder, and, from
Linux 6.12, signal only their own processes. Where neither works, the grader
says "isolation: process only" on screen and in every feedback file.

A sandbox that runs as root of a user namespace (an ordinary user's worker
is, to mount the job's disk quota there) empties its bounding set before
the command, as root does, so student code keeps none of that root's
capabilities and cannot unmount or resize the quota.

With namespaces (:func:`~coursework.grading.oscalls.unshare_command`) the
command also runs as the init of user, process and network namespaces of its
own, so the network is closed, ``/proc`` shows only the job, and every
process of the job dies with it and counts in :class:`MemoryWatch`. A user
of its own alone (no Landlock) relies on file permissions, so the hidden
checks must not be readable by others; with process-only isolation student
code can read and write whatever the grader can, so only the package's hash
check (:mod:`coursework.grading.integrity`) stops a changed grader.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from coursework.grading import oscalls
from coursework.grading.integrity import foreign_imports

PASSED_THROUGH_ENV = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "VIRTUAL_ENV")
# Every grader-side interpreter: -P puts neither the working directory nor a
# script's folder on sys.path, -s skips the user's site-packages (and its
# usercustomize and .pth files). -I would also ignore PYTHONPATH, which is how
# each process is pinned to the package the grader hashed (the copy that the
# tests grade with, or the installation itself); the environment is scrubbed
# instead (:func:`environment`, :func:`grader_environment`).
PYTHON_FLAGS = ("-P", "-s")
# The sandbox found a module imported from where it may not come from.
FOREIGN_IMPORT_EXIT = 72


def python(*args: str) -> list[str]:
    """A command line for a grader-side interpreter: ``python -P -s ARGS``."""
    return [sys.executable, *PYTHON_FLAGS, *args]


def grader_environment(base: dict[str, str] | None = None) -> dict[str, str]:
    """``base`` (default ``os.environ``) without ``PYTHON*`` variables, with
    ``PYTHONPATH`` naming only the folder of the package the grader hashed."""
    env = dict(os.environ if base is None else base)
    for key in list(env):
        if key.startswith("PYTHON"):
            del env[key]
    env["PYTHONPATH"] = str(oscalls.package_dir().parent)
    env["PYTHONNOUSERSITE"] = "1"
    return env


@dataclass(frozen=True)
class Limits:
    """Budgets for one submission.

    Attributes:
        cell_seconds: wall-clock limit per notebook cell.
        notebook_seconds: wall-clock limit for executing the whole notebook.
        exercise_seconds: wall-clock limit for the checks of one exercise.
        cpu_seconds: CPU-time limit per student process.
        memory_mb: resident memory cap per student process tree.
        file_mb: largest file a student process may write.
        disk_mb: what a job may store in all in its scratch folder (with
            ``disk_quota``).
        disk_quota: the job's scratch folder is a tmpfs of ``disk_mb`` (set
            from the probe): mounted by a root worker, or by an ordinary
            user's worker in user and mount namespaces of the job's own
            (:func:`~coursework.grading.oscalls.quota_namespace_command`).
        open_files: most file descriptors a student process may hold.
        process_margin: extra tasks the user may start (``None``: no limit).
        output_kb: captured notebook output kept per submission.
        threads: torch/OpenMP threads for student code.
        profile: ``COURSEWORK_PROFILE`` for student code.
        device: ``cpu`` hides CUDA from student code; ``cuda`` keeps it.
        isolation: the layers in :data:`coursework.grading.oscalls.MODES`.
        uid: the job's own user id (``user`` modes; set per job).
        namespaces: run in user, process and (unless ``network``) network
            namespaces of the job's own.
        network: leave the network open to student code.
        cgroup: the job's pids cgroup (root; set per job).
        run_notebook: run the notebook for the feedback (its cell errors and
            the executed copy); the grade never depends on it, since the
            checks rebuild the functions from the source.
    """

    cell_seconds: float = 120.0
    notebook_seconds: float = 900.0
    exercise_seconds: float = 60.0
    cpu_seconds: int = 3600
    memory_mb: int = 4096
    file_mb: int = 64
    disk_mb: int = 1024
    disk_quota: bool = False
    open_files: int = 1024
    process_margin: int | None = 512
    output_kb: int = 512
    threads: int = 1
    profile: str = "ci"
    device: str = "cpu"
    isolation: str = "process"
    uid: int | None = None
    namespaces: bool = False
    network: bool = False
    cgroup: str | None = None
    run_notebook: bool = True


def _user_tasks() -> int:
    """Threads currently owned by this user (what ``RLIMIT_NPROC`` counts)."""
    uid, total = os.getuid(), 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if int(fields.get("Uid", "-1").split()[0]) == uid:
            total += int(fields.get("Threads", "1"))
    return total


def wrap(command: list[str], limits: Limits, scratch: Path | None = None) -> list[str]:
    """The command line that runs ``command`` under ``limits``.

    Args:
        command: what to run.
        limits: the budgets and the isolation.
        scratch: the one folder the command may write (needed for isolation).
    """
    args = [
        *python("-m", "coursework.grading.sandbox"),
        "--package",
        str(oscalls.package_dir()),
        "--cpu",
        str(limits.cpu_seconds),
        "--file-mb",
        str(limits.file_mb),
        "--open-files",
        str(limits.open_files),
    ]
    if limits.process_margin is not None and Path("/proc").is_dir():
        own = "user" in limits.isolation and limits.uid is not None
        taken = 0 if own else _user_tasks()
        args += ["--processes", str(taken + limits.process_margin)]
    if limits.isolation != "process":
        if scratch is None:
            raise ValueError(f"isolation {limits.isolation!r} needs a scratch folder")
        args += ["--scratch", str(scratch)]
    if scratch is not None:  # entered only once every limit and layer is on
        args += ["--chdir", str(scratch)]
    if "landlock" in limits.isolation:
        args.append("--landlock")
        if limits.device == "cuda":
            args.append("--gpu")
    if "user" in limits.isolation:
        if limits.uid is None:
            raise ValueError("isolation 'user' needs Limits.uid")
        args += ["--uid", str(limits.uid)]
    if limits.namespaces:
        args.append("--namespaces")
    if limits.network:
        args.append("--network")
    if limits.cgroup:
        args += ["--cgroup", limits.cgroup]
    return args + ["--", *command]


def environment(workdir: Path, limits: Limits) -> dict[str, str]:
    """A scrubbed environment: no inherited secrets, home and temp inside ``workdir``.

    Threads are fixed so results do not depend on the machine's core count,
    CUDA is hidden unless ``limits.device`` asks for it, and the profile is set.
    """
    env = {k: os.environ[k] for k in PASSED_THROUGH_ENV if k in os.environ}
    home, tmp = workdir / ".home", workdir / ".tmp"
    for folder in (home, tmp):  # never through a student's link
        if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
            folder.unlink()
        folder.mkdir(exist_ok=True)
        if limits.uid is not None:
            os.lchown(folder, limits.uid, limits.uid)
    threads = str(limits.threads)
    env.update(
        HOME=str(home),
        TMPDIR=str(tmp),
        MPLBACKEND="Agg",
        PYTHONHASHSEED="0",
        PYTHONDONTWRITEBYTECODE="1",
        OMP_NUM_THREADS=threads,
        MKL_NUM_THREADS=threads,
        OPENBLAS_NUM_THREADS=threads,
        COURSEWORK_THREADS=threads,
        COURSEWORK_PROFILE=limits.profile,
        COURSEWORK_DATA=str(home / "data"),
        JUPYTER_PLATFORM_DIRS="1",
        PYTHONPATH=str(oscalls.package_dir().parent),  # the package the grader hashed
        PYTHONNOUSERSITE="1",
    )
    if limits.device == "cpu":
        env["CUDA_VISIBLE_DEVICES"] = ""
    return env


def cap_own_memory(extra_mb: int) -> int | None:
    """Cap this grader process's address space at its size now plus ``extra_mb``.

    The checker computes with what student code sent; this bounds what one
    reply can make it allocate (a ``MemoryError`` there is that student's
    error alone). Only the soft limit is set: :func:`main` lifts it again
    in every sandboxed process, whose memory :class:`MemoryWatch` caps.
    Returns the cap in bytes (None where ``/proc`` is missing).
    """
    import resource

    try:
        status = Path("/proc/self/status").read_text()
        size_kb = int(status.split("VmSize:")[1].split()[0])
    except (OSError, IndexError, ValueError):
        return None
    cap = size_kb * 1024 + extra_mb * 2**20
    hard = resource.getrlimit(resource.RLIMIT_AS)[1]
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    return cap


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants, in MiB (Linux)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
            pages = int((entry / "statm").read_text().split()[1])
        except (OSError, IndexError, ValueError):
            continue
        ppid = int(text.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
        rss[int(entry.name)] = pages
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        total += rss.get(p, 0)
        stack += children.get(p, [])
    return total * os.sysconf("SC_PAGE_SIZE") / 2**20


class MemoryWatch(threading.Thread):
    """Kill a process (group) whose tree's resident memory passes ``limit_mb``.

    Args:
        pid: the process to watch; it should lead its own process group.
        limit_mb: the cap.
        interval: seconds between polls.
    """

    def __init__(self, pid: int, limit_mb: float, interval: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.pid, self.limit_mb, self.interval = pid, limit_mb, interval
        self.tripped = False
        self._stop_event = threading.Event()
        self._lock = threading.Lock()

    def run(self) -> None:
        while not self._stop_event.wait(self.interval):
            if self.over_limit() is not False:
                return

    def over_limit(self) -> bool | None:
        """Measure now; kill the tree and return True if it is over the cap.

        Called by the watch thread and by whoever is about to declare a
        timeout, so that a process over its memory cap is reported as such
        even when a busy machine kept the watch from polling in time. Returns
        None when the process is gone.
        """
        with self._lock:
            if self.tripped:
                return True
            try:
                used = tree_rss_mb(self.pid)
            except OSError:
                return None
            if used > self.limit_mb:
                self.tripped = True
                kill_tree(self.pid)
            return self.tripped

    def stop(self) -> None:
        """Stop watching."""
        self._stop_event.set()


def kill_tree(pid: int) -> None:
    """SIGKILL a process's group (falling back to the process itself)."""
    try:
        os.killpg(os.getpgid(pid), signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def main(argv: list[str] | None = None) -> None:
    """Set the limits and the layers, then ``exec`` the command after ``--``.

    With ``--namespaces`` this runs twice: outside, it joins the cgroup, sets
    the limits and switches user, then executes ``unshare``, which runs this
    module again (``--inner``) as the init of the job's namespaces; inside,
    Landlock is applied (it forbids the ``/proc`` mount that ``unshare``
    makes, so it must come after) and capabilities are dropped.
    """
    import resource

    argv = list(sys.argv[1:] if argv is None else argv)
    if "--" not in argv:
        raise SystemExit("usage: sandbox [limits] -- command ...")
    split = argv.index("--")
    parser = argparse.ArgumentParser(prog="coursework.grading.sandbox")
    parser.add_argument("--cpu", type=int)
    parser.add_argument("--file-mb", type=int)
    parser.add_argument("--open-files", type=int)
    parser.add_argument("--processes", type=int)
    parser.add_argument("--scratch", type=Path)
    parser.add_argument("--landlock", action="store_true")
    parser.add_argument("--gpu", action="store_true")
    parser.add_argument("--uid", type=int)
    parser.add_argument("--namespaces", action="store_true")
    parser.add_argument("--network", action="store_true")
    parser.add_argument("--cgroup", type=Path)
    parser.add_argument("--inner", action="store_true")
    parser.add_argument("--chdir", type=Path)
    parser.add_argument("--package", type=Path)
    opts = parser.parse_args(argv[:split])
    command = argv[split + 1 :]
    check_imports(opts.package, opts.chdir, opts.scratch)

    # the grader's own address-space cap (cap_own_memory) is not the job's
    resource.setrlimit(
        resource.RLIMIT_AS, (resource.getrlimit(resource.RLIMIT_AS)[1],) * 2
    )

    def cap(which: int, value: int | None) -> None:
        if value is None:
            return
        soft, hard = resource.getrlimit(which)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(which, (value, value))

    if opts.cgroup is not None:
        try:
            oscalls.join_cgroup(opts.cgroup)
        except OSError as exc:
            print(f"sandbox: cannot join {opts.cgroup}: {exc}", file=sys.stderr)
            raise SystemExit(70) from None
    cap(resource.RLIMIT_CPU, opts.cpu)
    cap(resource.RLIMIT_FSIZE, None if opts.file_mb is None else opts.file_mb * 2**20)
    cap(resource.RLIMIT_NOFILE, opts.open_files)
    cap(resource.RLIMIT_CORE, 0)
    if opts.processes:
        cap(resource.RLIMIT_NPROC, opts.processes)
    if opts.namespaces and not opts.inner:
        isolate(None, False, opts.uid)
        prefix = oscalls.unshare_command(opts.network)
        if prefix is None:
            print("sandbox: isolation failed: no unshare", file=sys.stderr)
            raise SystemExit(70)
        inner = [*python("-m", "coursework.grading.sandbox"), "--inner"]
        if opts.package is not None:
            inner += ["--package", str(opts.package)]
        if opts.chdir is not None:
            inner += ["--chdir", str(opts.chdir)]
        if opts.landlock:
            inner += ["--landlock", "--scratch", str(opts.scratch)]
            inner += ["--gpu"] if opts.gpu else []
            inner += ["--network"] if opts.network else []
        command = [*prefix, *inner, "--", *command]
    else:
        isolate(
            opts.scratch,
            opts.landlock,
            opts.uid,
            opts.gpu,
            # root of a user namespace (the inner run, or the worker's own
            # for the quota, which must not be unmounted or resized)
            drop=opts.inner or oscalls.in_user_namespace(),
            network=opts.network,
        )
        if opts.chdir is not None:  # the job's folder, now that every layer is on
            try:
                os.chdir(opts.chdir)
            except OSError as exc:
                print(f"sandbox: cannot enter {opts.chdir}: {exc}", file=sys.stderr)
                raise SystemExit(70) from None
    try:
        os.execvp(command[0], command)
    except OSError as exc:
        who = f"user {opts.uid}" if opts.uid is not None else "the sandbox"
        print(f"sandbox: {who} cannot run {command[0]}: {exc}", file=sys.stderr)
        raise SystemExit(71) from None


def check_imports(package: Path | None, *job: Path | None) -> None:
    """Exit (status :data:`FOREIGN_IMPORT_EXIT`) if this process imported a
    module from a job's folder, or ``coursework`` from outside ``package``."""
    found = foreign_imports(package, [j for j in job if j is not None])
    if found:
        print(f"sandbox: foreign imports: {'; '.join(found[:5])}", file=sys.stderr)
        raise SystemExit(FOREIGN_IMPORT_EXIT)


def isolate(
    scratch: Path | None,
    landlock: bool,
    uid: int | None,
    gpu: bool = False,
    drop: bool = False,
    network: bool = False,
) -> None:
    """Apply the isolation layers to this process; exit (status 70) if one fails.

    Without ``network``, Landlock (from ABI 4) also refuses TCP connections.

    Order matters: Landlock rules are opened while still privileged, the
    capability bounding set is emptied while ``CAP_SETPCAP`` is held (always
    with ``drop``: root inside a user namespace), and the user switch comes
    last.
    """
    try:
        if landlock:
            writable = [scratch] if scratch else []
            oscalls.apply_landlock(writable, gpu=gpu, connect_tcp=network)
        if os.geteuid() == 0 and (landlock or uid is not None or drop):
            oscalls.drop_capabilities()
        if uid is not None:
            oscalls.become(uid)
    except (OSError, oscalls.IsolationError) as exc:
        print(f"sandbox: isolation failed: {exc}", file=sys.stderr)
        raise SystemExit(70) from None


if __name__ == "__main__":
    main()

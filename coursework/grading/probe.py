"""Which isolation works on this machine: each layer tried on a throw-away child.

Which layers a grading run gets is decided once, at the start, by
:func:`probe`, which applies each layer to a throw-away child process and
checks what that child can still do (nothing is assumed from a kernel version
or an import):

- ``user``: when the grader runs as root, every job runs its student processes
  under a user id of its own, unused by anything else, with no supplementary
  groups and no capabilities; its scratch folder belongs to that user, mode
  0700. Other jobs' folders, the grader's private folder and the results
  (files written 0600 by root) are closed to it by ordinary permissions, and
  it cannot signal any process but its own.
- ``landlock`` (Linux >= 5.13, with or without root): the process may read
  only the system's libraries, the Python installation, the installed
  ``coursework`` package and its own scratch folder, and write only that
  folder (and ``/dev/null``). From Landlock ABI 6 (Linux 6.12) it also cannot
  signal processes outside its own sandbox. As root without a user of its own,
  the process also loses every capability.
- ``process``: resource limits and a scrubbed environment only. Student code
  can then read and write whatever the grader's user can; the grader says so
  on screen and in every feedback file, and its integrity check
  (:mod:`coursework.grading.integrity`) is the only defence of the package.

On top of the mode found, namespaces of the job's own (user, process and,
unless ``--network``, network) are tried the same way and kept only if the
probe then sees no other process and cannot reach a socket the grader
listens on. Where they are refused, Landlock from ABI 4 (Linux 6.7) still
refuses every TCP connection unless ``--network``; the isolation line says
which of the two closed the network, or that it is open.

The disk quota is tried the same way (:func:`_quota_works`): a child mounts
a tmpfs of 1 MB as a job's worker would (as root, or, for an ordinary user,
as root of user and mount namespaces of its own) and must fail to store
1.2 MB in three files. The isolation line says "a disk quota per
submission (a tmpfs ...)" and how, or "no disk quota (per-file limit
only ...)", and the grader says why on screen. A folder that
student code may read (the package, the Python installation) must not hold
the hidden checks.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coursework.grading.oscalls import (
    MODES,
    IsolationError,
    give_to,
    landlock_abi,
    package_dir,
    pick_uid,
    quota_namespace_command,
)
from coursework.grading.sandbox import Limits, python, wrap

__all__ = ["MODES", "Isolation", "IsolationError", "probe"]


_PROBE = """
import json, os, sys
from pathlib import Path
scratch, secret, package = map(Path, sys.argv[1:4])
port, grader = int(sys.argv[4]), int(sys.argv[5])
seen = {}
def attempt(name, fn):
    try:
        fn()
        seen[name] = True
    except Exception:
        seen[name] = False
attempt("write_scratch", lambda: (scratch / "ok").write_text("ok"))
attempt("read_secret", lambda: secret.read_text())
attempt("list_secret", lambda: os.listdir(secret.parent))
attempt("write_package", lambda: open(package / "__init__.py", "a").close())
attempt("signal_parent", lambda: os.kill(grader, 0))
def can_import():
    import importlib.util
    import coursework
    open(importlib.util.find_spec("torch").origin, "rb").close()
attempt("imports", can_import)
def connect():
    import socket
    socket.create_connection(("127.0.0.1", port), timeout=5).close()
attempt("connect_local", connect)
seen["processes"] = sum(p.isdigit() for p in os.listdir("/proc"))
print(json.dumps(seen))
"""


@dataclass(frozen=True)
class Isolation:
    """The layers a run uses, and why others are not used."""

    mode: str
    landlock_abi: int
    signals_contained: bool = False
    notes: tuple[str, ...] = ()
    namespaces: bool = False
    network: bool = False
    tcp_closed: bool = False
    disk_quota: str = ""  # how each job's scratch folder is capped ("": it is not)

    def describe(self) -> str:
        """One line for the screen and the feedback header."""
        net = "; network open (--network)" if self.network else ""
        if not (self.network or self.namespaces or self.tcp_closed):
            net = "; network open (no network namespace here)"
        disk = (
            f"; a disk quota per submission ({self.disk_quota})"
            if self.disk_quota
            else "; no disk quota (per-file limit only: no tmpfs could be mounted)"
        )
        net = disk + net
        if self.mode == "process" and not self.namespaces:
            return (
                "isolation: process only (resource limits; student code can read "
                f"and write whatever the grader can; the package is hash-checked){net}"
            )
        parts = []
        if self.namespaces:
            parts.append(
                "process and IPC namespaces of its own"
                if self.network
                else "process, IPC and network namespaces of its own (no network)"
            )
        if self.mode == "process":
            parts.append("no file isolation (the package is hash-checked)")
        if "user" in self.mode:
            parts.append("a user of its own per submission")
        if "landlock" in self.mode:
            closed = " (no TCP connections)" if self.tcp_closed else ""
            parts.append(f"Landlock ABI {self.landlock_abi}{closed}")
        kill = "" if self.signals_contained else "; signals not contained"
        return f"isolation: {' + '.join(parts)}{kill}{net}"


def _run_probe(
    mode: str,
    scratch: Path,
    secret: Path,
    uid: int | None,
    port: int,
    namespaces: bool = False,
    network: bool = False,
) -> dict[str, Any] | str:
    """Run the probe under the sandbox in ``mode``; what it could do, or why not."""
    limits = Limits(
        process_margin=None,
        isolation=mode,
        uid=uid,
        namespaces=namespaces,
        network=network,
    )
    command = [
        *python("-c", _PROBE),
        str(scratch),
        str(secret),
        str(package_dir()),
        str(port),
        str(os.getpid()),
    ]
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(package_dir().parent),
        "PYTHONNOUSERSITE": "1",
        "HOME": str(scratch),
        "OMP_NUM_THREADS": "1",
    }
    try:
        done = subprocess.run(
            wrap(command, limits, scratch),
            capture_output=True,
            text=True,
            env=env,
            cwd="/",  # the sandbox enters scratch itself
            timeout=120,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{type(exc).__name__}: {exc}"
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return f"exit {done.returncode}: {tail[:200]}"
    try:
        return json.loads(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return f"unreadable probe output: {done.stdout[-200:]!r}"


def probe(wanted: str = "auto", network: bool = False) -> Isolation:
    """Find the strongest isolation that works here (or check the one ``wanted``).

    The file layers (:data:`MODES`) are tried first, strongest first; then,
    on top of the one found, namespaces of the job's own (user, process and,
    unless ``network``, network), which are kept only if the probe then sees
    no other process and cannot reach a socket the grader listens on.

    Args:
        wanted: ``auto``, or one of :data:`MODES` to insist on (``process``
            turns every layer off, namespaces included).
        network: leave student code the network.

    Raises:
        IsolationError: ``wanted`` names a mode that does not work here.
    """
    quota, refused = _quota_works()
    notes: list[str] = [refused] if refused else []
    if wanted == "process":
        why = ("asked for process only", *notes)
        return Isolation(
            "process", landlock_abi(), False, why, network=network, disk_quota=quota
        )
    abi = landlock_abi()
    candidates = [m for m in MODES if m != "process"] if wanted == "auto" else [wanted]
    with (
        tempfile.TemporaryDirectory(prefix="coursework-probe-") as tmp,
        socket.create_server(("127.0.0.1", 0)) as listener,
    ):
        port = listener.getsockname()[1]
        base = Path(tmp)
        os.chmod(base, 0o755)
        secret = base / "private" / "secret.txt"
        secret.parent.mkdir()
        secret.write_text("secret")
        os.chmod(secret.parent, 0o700)

        def attempt(mode: str, namespaces: bool) -> dict[str, Any] | None:
            scratch = Path(tempfile.mkdtemp(dir=base, prefix=f"scratch-{mode}-"))
            uid = pick_uid() if "user" in mode else None
            if uid is not None:
                give_to(scratch, uid)
            seen = _run_probe(mode, scratch, secret, uid, port, namespaces, network)
            what = f"{mode}{' + namespaces' if namespaces else ''}"
            if isinstance(seen, str):
                notes.append(f"{what}: the probe failed ({seen})")
                return None
            leaks = [
                k
                for k in ("read_secret", "list_secret", "write_package")
                if seen.get(k) and mode != "process"
            ]
            if namespaces:
                if seen.get("processes", 99) > 3:
                    leaks.append("see other processes")
                if seen.get("connect_local") and not network:
                    leaks.append("reach the grader's network")
            if not seen.get("write_scratch") or not seen.get("imports"):
                notes.append(f"{what}: student code could not run ({seen})")
            elif leaks:
                notes.append(f"{what}: student code could still {', '.join(leaks)}")
            else:
                return seen
            return None

        found, seen = "process", None
        for mode in candidates:
            if "user" in mode and os.geteuid() != 0:
                notes.append(f"{mode}: the grader does not run as root")
                continue
            if "landlock" in mode and abi < 1:
                notes.append(f"{mode}: Landlock is not available in this kernel")
                continue
            seen = attempt(mode, False)
            if seen is not None:
                found = mode
                break
        if found == "process" and wanted != "auto":
            raise IsolationError(
                f"--isolation {wanted} does not work here: {notes[-1]}"
            )
        in_namespaces = attempt(found, True)
        if in_namespaces is not None:
            seen = in_namespaces
        contained = seen is not None and not seen.get("signal_parent")
        # without a network namespace, Landlock (ABI 4) may still close TCP
        tcp_closed = (
            in_namespaces is None
            and "landlock" in found
            and not network
            and seen is not None
            and not seen.get("connect_local")
        )
        return Isolation(
            found,
            abi,
            contained,
            tuple(notes),
            in_namespaces is not None,
            network,
            tcp_closed,
            quota,
        )


_QUOTA_PROBE = """
import errno, sys
from pathlib import Path
from coursework.grading.oscalls import mount_quota, unmount
folder = Path(sys.argv[1])
if not mount_quota(folder, 1):
    print("the mount was refused")
    raise SystemExit(0)
wrote, why = 0, "three files of 400 kB all fit in 1 MB"
try:
    for i in range(3):
        (folder / f"f{i}").write_bytes(b"x" * 400_000)
        wrote += 1
except OSError as exc:
    why = "holds" if exc.errno == errno.ENOSPC and wrote else repr(exc)
finally:
    unmount(folder)
print(why)
"""


def _quota_works() -> tuple[str, str]:
    """Whether a job's scratch folder can be a size-limited tmpfs, tried by use.

    A child mounts a tmpfs of 1 MB, as the worker would (as root, or as root
    of user and mount namespaces of its own:
    :func:`~coursework.grading.oscalls.quota_namespace_command`), and writes
    three files of 400 kB into it: the third must fail with ``ENOSPC``.
    Returns how the quota is mounted ("" where it does not hold) and, where
    it does not, why.
    """
    prefix: list[str] | None = []
    how = "a tmpfs"
    if os.geteuid() != 0:
        prefix, how = (
            quota_namespace_command(),
            "a tmpfs in a user namespace of its own",
        )
        if prefix is None:
            return "", "disk quota: no unshare (util-linux) here"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(package_dir().parent),
        "PYTHONNOUSERSITE": "1",
    }
    with tempfile.TemporaryDirectory(prefix="coursework-probe-") as tmp:
        try:
            done = subprocess.run(
                [*prefix, *python("-c", _QUOTA_PROBE, tmp)],
                capture_output=True,
                text=True,
                env=env,
                cwd="/",
                timeout=120,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            return "", f"disk quota ({how}): {type(exc).__name__}: {exc}"
    said = (done.stdout.strip().splitlines() or [""])[-1]
    if done.returncode == 0 and said == "holds":
        return how, ""
    if not said:
        said = (done.stderr.strip().splitlines() or ["no output"])[-1][:200]
    return "", f"disk quota: {how} failed ({said})"

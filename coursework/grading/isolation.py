"""Operating-system isolation of student code: its own user, Landlock, or neither.

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

Limits: the network is not restricted (the kernel talks to the grader over
local TCP), ``/proc`` and ``/sys`` stay readable, and a folder that student
code may read (the package, the Python installation) must not hold the hidden
checks.
"""

from __future__ import annotations

import ctypes
import json
import os
import secrets
import site
import subprocess
import sys
import sysconfig
import tempfile
from dataclasses import dataclass
from pathlib import Path

# Landlock (include/uapi/linux/landlock.h); the syscall numbers are shared by
# every architecture that uses the generic table (x86-64, arm64, riscv, ...).
SYS_CREATE_RULESET, SYS_ADD_RULE, SYS_RESTRICT_SELF = 444, 445, 446
CREATE_RULESET_VERSION = 1
RULE_PATH_BENEATH = 1
FS_EXECUTE = 1 << 0
FS_WRITE_FILE = 1 << 1
FS_READ_FILE = 1 << 2
FS_READ_DIR = 1 << 3
FS_REFER = 1 << 13  # ABI 2
FS_TRUNCATE = 1 << 14  # ABI 3
FS_IOCTL_DEV = 1 << 15  # ABI 5
SCOPE_ABSTRACT_UNIX_SOCKET = 1 << 0  # ABI 6
SCOPE_SIGNAL = 1 << 1  # ABI 6
FILE_RIGHTS = FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_TRUNCATE | FS_IOCTL_DEV
READ = FS_EXECUTE | FS_READ_FILE | FS_READ_DIR
PR_SET_NO_NEW_PRIVS = 38
PR_CAPBSET_DROP = 24

SYSTEM_READ = ("/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin", "/proc", "/sys")
ETC_READ = (
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "localtime",
    "timezone",
    "nsswitch.conf",
    "passwd",
    "group",
    "hosts",
    "host.conf",
    "resolv.conf",
    "gai.conf",
    "ssl",
    "ca-certificates",
    "fonts",
    "mime.types",
    "os-release",
    "matplotlibrc",
)
UID_BASE, UID_SPAN = 1_900_000_000, 1 << 20

MODES = ("user+landlock", "user", "landlock", "process")


class IsolationError(RuntimeError):
    """A layer could not be applied (the sandbox then refuses to run the command)."""


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def landlock_abi() -> int:
    """The kernel's Landlock ABI version, 0 where Landlock is missing or disabled."""
    if not sys.platform.startswith("linux"):
        return 0
    libc = _libc()
    libc.syscall.restype = ctypes.c_long
    version = libc.syscall(
        ctypes.c_long(SYS_CREATE_RULESET),
        None,
        ctypes.c_size_t(0),
        ctypes.c_uint32(CREATE_RULESET_VERSION),
    )
    return max(int(version), 0)


def package_dir() -> Path:
    """The folder of the ``coursework`` package that this process imported."""
    import coursework

    return Path(coursework.__file__).resolve().parent


def readable_roots() -> tuple[list[Path], list[Path]]:
    """(folders and files student code may read, folders it may only list)."""
    roots = [Path(p) for p in SYSTEM_READ]
    roots += [Path("/etc") / name for name in ETC_READ]
    prefixes = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    roots += [Path(p) for p in prefixes]
    roots.append(Path(os.path.realpath(sys.executable)).parent)
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        roots.append(Path(sysconfig.get_paths()[key]))
    roots += [Path(p) for p in site.getsitepackages()]
    package = package_dir()
    roots.append(package)
    listable = [package.parent]
    return [r for r in roots if r.exists()], listable


def apply_landlock(
    writable: list[Path], abi: int | None = None, gpu: bool = False
) -> None:
    """Restrict this process (and what it executes) to reading the installation.

    Args:
        writable: folders (or files) the process may also create, change and
            delete in.
        abi: the Landlock ABI (default: asked of the kernel).
        gpu: also open the NVIDIA device files for reading, writing and ioctl.

    Raises:
        IsolationError: Landlock is missing or a syscall failed.
    """
    abi = landlock_abi() if abi is None else abi
    if abi < 1:
        raise IsolationError("Landlock is not available in this kernel")
    libc = _libc()
    libc.syscall.restype = ctypes.c_long
    handled = (1 << 13) - 1
    if abi >= 2:
        handled |= FS_REFER
    if abi >= 3:
        handled |= FS_TRUNCATE
    if abi >= 5:
        handled |= FS_IOCTL_DEV
    scoped = SCOPE_SIGNAL | SCOPE_ABSTRACT_UNIX_SOCKET if abi >= 6 else 0
    fields = [handled, 0, scoped]  # handled_access_fs, _net, scoped
    size = 8 if abi < 4 else 16 if abi < 6 else 24
    attr = (ctypes.c_uint64 * 3)(*fields)
    ruleset = libc.syscall(
        ctypes.c_long(SYS_CREATE_RULESET),
        ctypes.byref(attr),
        ctypes.c_size_t(size),
        ctypes.c_uint32(0),
    )
    if ruleset < 0:
        error = os.strerror(ctypes.get_errno())
        raise IsolationError(f"landlock_create_ruleset: {error}")
    try:
        read, listable = readable_roots()
        rules = [(p, READ) for p in read] + [(p, FS_READ_DIR) for p in listable]
        rules.append((Path("/dev"), FS_READ_FILE | FS_READ_DIR | FS_IOCTL_DEV))
        rules.append((Path("/dev/null"), FS_READ_FILE | FS_WRITE_FILE | FS_TRUNCATE))
        rules += [(Path(p), handled) for p in writable]
        if gpu:
            device = FS_READ_FILE | FS_WRITE_FILE | FS_IOCTL_DEV
            rules += [(p, device) for p in Path("/dev").glob("nvidia*")]
        for path, access in rules:
            _add_rule(libc, ruleset, path, access & handled)
        if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise IsolationError("prctl(PR_SET_NO_NEW_PRIVS) failed")
        if libc.syscall(ctypes.c_long(SYS_RESTRICT_SELF), ruleset, ctypes.c_uint32(0)):
            error = os.strerror(ctypes.get_errno())
            raise IsolationError(f"landlock_restrict_self: {error}")
    finally:
        os.close(ruleset)


def _add_rule(libc: ctypes.CDLL, ruleset: int, path: Path, access: int) -> None:
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return  # a path that is not there grants nothing
    try:
        if not os.path.isdir(path):
            access &= FILE_RIGHTS
        rule = ctypes.create_string_buffer(
            access.to_bytes(8, sys.byteorder) + fd.to_bytes(4, sys.byteorder), 12
        )
        if libc.syscall(
            ctypes.c_long(SYS_ADD_RULE),
            ctypes.c_int(ruleset),
            ctypes.c_int(RULE_PATH_BENEATH),
            rule,
            ctypes.c_uint32(0),
        ):
            error = os.strerror(ctypes.get_errno())
            raise IsolationError(f"landlock_add_rule({path}): {error}")
    finally:
        os.close(fd)


def drop_capabilities() -> None:
    """Empty the capability bounding set, so a root process loses them on ``exec``."""
    libc = _libc()
    last = int(Path("/proc/sys/kernel/cap_last_cap").read_text())
    for cap in range(last + 1):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise IsolationError(f"cannot drop capability {cap}")


def become(uid: int) -> None:
    """Switch this (root) process to ``uid``, group ``uid``, no other groups."""
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)
    if os.getuid() != uid or os.geteuid() != uid:
        raise IsolationError(f"could not switch to user {uid}")


def pick_uid() -> int:
    """A user id that no account and no running process uses."""
    import pwd

    used = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                used.add(entry.stat().st_uid)
            except OSError:
                pass
    while True:
        uid = UID_BASE + secrets.randbelow(UID_SPAN)
        try:
            pwd.getpwuid(uid)
        except KeyError:
            if uid not in used:
                return uid


def give_to(folder: Path, uid: int) -> None:
    """Hand ``folder`` and everything in it to ``uid``, readable by it alone."""
    os.chown(folder, uid, uid)
    os.chmod(folder, 0o700)
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            os.lchown(os.path.join(root, name), uid, uid)


# ------------------------------------------------------------------ probing

_PROBE = """
import json, os, sys
from pathlib import Path
scratch, secret, package = map(Path, sys.argv[1:4])
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
attempt("signal_parent", lambda: os.kill(os.getppid(), 0))
def can_import():
    import importlib.util
    import coursework
    open(importlib.util.find_spec("torch").origin, "rb").close()
attempt("imports", can_import)
print(json.dumps(seen))
"""


@dataclass(frozen=True)
class Isolation:
    """The layers a run uses, and why others are not used."""

    mode: str
    landlock_abi: int
    signals_contained: bool = False
    notes: tuple[str, ...] = ()

    def describe(self) -> str:
        """One line for the screen and the feedback header."""
        if self.mode == "process":
            return (
                "isolation: process only (resource limits; student code can read "
                "and write whatever the grader can; the package is hash-checked)"
            )
        parts = []
        if "user" in self.mode:
            parts.append("a user of its own per submission")
        if "landlock" in self.mode:
            parts.append(f"Landlock ABI {self.landlock_abi}")
        kill = "" if self.signals_contained else "; signals not contained"
        return f"isolation: {' + '.join(parts)}{kill}"


def _run_probe(
    mode: str, scratch: Path, secret: Path, uid: int | None
) -> dict[str, bool] | str:
    """Run the probe under the sandbox in ``mode``; what it could do, or why not."""
    from coursework.grading.sandbox import Limits, wrap

    limits = Limits(process_margin=None, isolation=mode, uid=uid)
    command = [
        sys.executable,
        "-c",
        _PROBE,
        str(scratch),
        str(secret),
        str(package_dir()),
    ]
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(package_dir().parent),
        "HOME": str(scratch),
        "OMP_NUM_THREADS": "1",
    }
    try:
        done = subprocess.run(
            wrap(command, limits, scratch),
            capture_output=True,
            text=True,
            env=env,
            cwd=scratch,
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


def probe(wanted: str = "auto") -> Isolation:
    """Find the strongest isolation that works here (or check the one ``wanted``).

    Args:
        wanted: ``auto``, or one of :data:`MODES` to insist on.

    Raises:
        IsolationError: ``wanted`` names a mode that does not work here.
    """
    if wanted == "process":
        return Isolation("process", landlock_abi(), False, ("asked for process only",))
    abi = landlock_abi()
    notes: list[str] = []
    candidates = [m for m in MODES if m != "process"] if wanted == "auto" else [wanted]
    with tempfile.TemporaryDirectory(prefix="coursework-probe-") as tmp:
        base = Path(tmp)
        secret = base / "private" / "secret.txt"
        secret.parent.mkdir()
        secret.write_text("secret")
        os.chmod(secret.parent, 0o700)
        for mode in candidates:
            if "user" in mode and os.geteuid() != 0:
                notes.append(f"{mode}: the grader does not run as root")
                continue
            if "landlock" in mode and abi < 1:
                notes.append(f"{mode}: Landlock is not available in this kernel")
                continue
            scratch = base / f"scratch-{mode}"
            scratch.mkdir()
            uid = pick_uid() if "user" in mode else None
            if uid is not None:
                give_to(scratch, uid)
            seen = _run_probe(mode, scratch, secret, uid)
            if isinstance(seen, str):
                notes.append(f"{mode}: the probe failed ({seen})")
                continue
            leaks = [
                k
                for k in ("read_secret", "list_secret", "write_package")
                if seen.get(k)
            ]
            if not seen.get("write_scratch") or not seen.get("imports"):
                notes.append(f"{mode}: student code could not run ({seen})")
            elif leaks:
                notes.append(f"{mode}: student code could still {', '.join(leaks)}")
            else:
                return Isolation(
                    mode, abi, not seen.get("signal_parent"), tuple(notes)
                )
    if wanted != "auto":
        raise IsolationError(f"--isolation {wanted} does not work here: {notes[-1]}")
    return Isolation("process", abi, False, tuple(notes))


def kill_user(uid: int) -> None:
    """SIGKILL every process that runs as ``uid`` (a job's user, when it is done)."""
    import signal

    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if entry.stat().st_uid == uid:
                os.kill(int(entry.name), signal.SIGKILL)
        except OSError:
            pass

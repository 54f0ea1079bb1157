"""The operating-system calls that isolate student code (a leaf module).

Landlock (``landlock_create_ruleset``, ``_add_rule``, ``_restrict_self``),
the capability bounding set, switching to a job's own user id, handing a
folder to that user and killing every process it runs. :mod:`~coursework.
grading.sandbox` calls these in a fresh process before it executes student
code; :mod:`~coursework.grading.probe` decides, once per run, which of them
work on this machine. Why each layer exists is written in the threat model of
:mod:`coursework.grading`.
"""

from __future__ import annotations

import ctypes
import os
import secrets
import shutil
import signal
import site
import sys
import sysconfig
import time
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
NET_CONNECT_TCP = 1 << 1  # ABI 4 (handled_access_net)
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
    writable: list[Path],
    abi: int | None = None,
    gpu: bool = False,
    connect_tcp: bool = True,
) -> None:
    """Restrict this process (and what it executes) to reading the installation.

    Args:
        writable: folders (or files) the process may also create, change and
            delete in.
        abi: the Landlock ABI (default: asked of the kernel).
        gpu: also open the NVIDIA device files for reading, writing and ioctl.
        connect_tcp: whether the process may open TCP connections. Without
            (from ABI 4, Linux 6.7) it cannot reach a classmate's kernel, the
            grader or the internet over TCP even where it shares the
            machine's network; it may still bind and listen, as a kernel's
            channels do.

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
    net = NET_CONNECT_TCP if abi >= 4 and not connect_tcp else 0
    fields = [handled, net, scoped]  # handled_access_fs, _net, scoped
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


# What a root worker uses: hand folders to a job's user (chown, and remove or
# write in them: dac_override, fowner), kill its processes (kill), start the
# sandbox that switches to that user (setuid, setgid) and empties its
# bounding set (setpcap), map root into the job's user namespace (setfcap,
# Linux >= 5.12) and mount the job's quota (sys_admin).
CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER = 0, 1, 2, 3
CAP_KILL, CAP_SETGID, CAP_SETUID, CAP_SETPCAP, CAP_SYS_ADMIN = 5, 6, 7, 8, 21
CAP_SETFCAP = 31
WORKER_CAPABILITIES = frozenset(
    {
        CAP_CHOWN,
        CAP_DAC_OVERRIDE,
        CAP_DAC_READ_SEARCH,
        CAP_FOWNER,
        CAP_KILL,
        CAP_SETGID,
        CAP_SETUID,
        CAP_SETPCAP,
        CAP_SYS_ADMIN,
        CAP_SETFCAP,
    }
)
_CAP_VERSION_3 = 0x20080522


def keep_capabilities(keep: frozenset[int]) -> list[int]:
    """Drop every capability but ``keep`` from this process and what it runs.

    Empties the rest of the bounding set (so no program it executes regains
    them) and of the permitted, effective and inheritable sets. Returns the
    capabilities still held. A process without ``CAP_SETPCAP`` changes
    nothing (not root: it holds none).
    """
    libc = _libc()
    header = (ctypes.c_uint32 * 2)(_CAP_VERSION_3, 0)
    data = (ctypes.c_uint32 * 6)()
    if libc.capget(header, data) != 0:
        raise IsolationError(f"capget: {os.strerror(ctypes.get_errno())}")
    last = int(Path("/proc/sys/kernel/cap_last_cap").read_text())
    mask = [0, 0]
    for cap in keep:
        mask[cap // 32] |= 1 << (cap % 32)
    held = data[1] | (data[4] << 32)  # permitted
    if not held >> CAP_SETPCAP & 1:
        return [c for c in range(last + 1) if held >> c & 1]
    for cap in range(last + 1):
        if cap not in keep:
            libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)
    for i in range(2):  # data: (effective, permitted, inheritable) x 2 words
        for j in range(3):
            data[3 * i + j] &= mask[i]
    if libc.capset(header, data) != 0:
        raise IsolationError(f"capset: {os.strerror(ctypes.get_errno())}")
    return [c for c in range(last + 1) if c in keep and held >> c & 1]


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


def kill_user(uid: int) -> None:
    """SIGKILL every process that runs as ``uid`` (a job's user, when it is done)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if entry.stat().st_uid == uid:
                os.kill(int(entry.name), signal.SIGKILL)
        except OSError:
            pass


PR_SET_CHILD_SUBREAPER = 36


def become_subreaper() -> bool:
    """Make this process the reaper of its orphaned descendants (Linux 3.4+).

    A double-forked or ``setsid`` process then stays this process's
    descendant, so :func:`kill_descendants` finds it in every mode, even
    without root, a cgroup or namespaces. False where the call is refused.
    """
    try:
        return _libc().prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _parents() -> dict[int, int]:
    parents = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            pass
    return parents


def kill_descendants(pid: int | None = None) -> int:
    """SIGKILL every descendant of ``pid`` (default: this process) until none is
    left, and reap those that became this process's children; how many died."""
    root = os.getpid() if pid is None else pid
    killed: set[int] = set()
    for _ in range(200):
        parents = _parents()
        below, grew = {root}, True
        while grew:
            more = {c for c, p in parents.items() if p in below and c not in below}
            below |= more
            grew = bool(more)
        below.discard(root)
        for child in below:
            try:
                os.kill(child, signal.SIGKILL)
                killed.add(child)
            except OSError:
                pass
        while True:  # reap: a zombie still counts as a process
            try:
                done, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if done == 0:
                break
        if not below:
            break
        time.sleep(0.01)
    return len(killed)


# ----------------------------------------------------- namespaces and cgroups

UNSHARE_FLAGS = (
    "--user",
    "--map-root-user",
    "--pid",
    "--mount-proc",
    "--ipc",
    "--kill-child",
)


def unshare_command(network: bool) -> list[str] | None:
    """The util-linux ``unshare`` prefix that puts a command in namespaces of its own.

    A user namespace (the caller becomes root inside, no one outside), a
    process namespace (``/proc`` shows only the job; the command is its init,
    so every process of the job dies with it, and the job's orphans stay its
    descendants), an IPC namespace (SysV shared memory, semaphores and
    message queues of its own, gone with the job), and, unless ``network``,
    a network namespace with nothing but a loopback device that is down. None
    where ``unshare`` is missing.
    """
    binary = shutil.which("unshare")
    if binary is None:
        return None
    return [binary, *UNSHARE_FLAGS, *(() if network else ("--net",)), "--"]


CGROUP_ROOTS = (Path("/sys/fs/cgroup/pids"), Path("/sys/fs/cgroup"))


def make_pids_cgroup(name: str, max_pids: int) -> Path | None:
    """A pids cgroup capped at ``max_pids`` tasks (root only), or None where refused.

    ``RLIMIT_NPROC`` does not bind root, so a job graded as root gets its
    process cap here; the same group lists every process of the job, however
    it forked, for :func:`kill_cgroup`.
    """
    for root in CGROUP_ROOTS:
        v2 = (root / "cgroup.controllers").exists()
        if not (root / "cgroup.procs").exists():
            continue
        if v2:
            try:
                if "pids" not in (root / "cgroup.subtree_control").read_text().split():
                    continue
            except OSError:
                continue
        elif not (root / "pids.max").exists() and root.name != "pids":
            continue
        group = root / name
        try:
            group.mkdir(mode=0o755)
        except OSError:
            continue
        try:
            (group / "pids.max").write_text(str(max_pids))
            return group
        except OSError:
            group.rmdir()
    return None


def join_cgroup(group: Path) -> None:
    """Move this process (and so everything it starts) into ``group``."""
    (group / "cgroup.procs").write_text(str(os.getpid()))


def kill_cgroup(group: Path) -> None:
    """SIGKILL every process in ``group`` until it is empty, then remove it."""
    for _ in range(200):
        try:
            pids = [int(p) for p in (group / "cgroup.procs").read_text().split()]
        except (OSError, ValueError):
            return
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.01)
    try:
        group.rmdir()
    except OSError:
        pass


# ------------------------------------------------------------- the disk quota

MS_NOSUID, MS_NODEV = 2, 4
MNT_DETACH = 2


def mount_quota(folder: Path, size_mb: int) -> bool:
    """Mount a tmpfs of ``size_mb`` on ``folder`` (root, or root of a user
    namespace that owns this mount namespace: :func:`quota_namespace_command`);
    False where refused.

    The job's scratch folder then holds at most ``size_mb``: a write past it
    fails with ``ENOSPC`` in that job alone, however many files it spreads
    the data over (``RLIMIT_FSIZE`` caps one file only).
    """
    libc = _libc()
    options = f"size={int(size_mb)}m,mode=0700".encode()
    done = libc.mount(
        b"tmpfs", str(folder).encode(), b"tmpfs", MS_NOSUID | MS_NODEV, options
    )
    return done == 0


def unmount(folder: Path) -> None:
    """Detach a :func:`mount_quota` mount (its memory is freed with it)."""
    _libc().umount2(str(folder).encode(), MNT_DETACH)


# An ordinary user may not mount anything; as root of a user namespace of its
# own, with a mount namespace that the user namespace owns, it may mount a
# tmpfs there. Mounts made inside never propagate out (private).
QUOTA_NAMESPACE_FLAGS = (
    "--user",
    "--map-root-user",
    "--mount",
    "--propagation",
    "private",
)


def in_user_namespace() -> bool:
    """Whether this process lives in a user namespace other than the machine's
    (whose map covers every id: ``0 0 4294967295``)."""
    try:
        rows = Path("/proc/self/uid_map").read_text().split()
    except OSError:
        return False
    return rows != ["0", "0", "4294967295"]


def quota_namespace_command() -> list[str] | None:
    """The ``unshare`` prefix that runs an ordinary user's worker where it may
    mount the job's quota; None where ``unshare`` is missing.

    The worker runs as root of user and mount namespaces of its own: root
    only there (its files are the grader's user's outside, and it can do
    nothing to the machine that user cannot), so :func:`mount_quota` works
    and the tmpfs is seen by the worker and every process it starts (the
    kernel binds its sockets in it, the grader connects to them) and by no
    one outside; it goes when the job's last process does. Without
    ``--fork``, ``unshare`` becomes the worker: the same process id.
    """
    binary = shutil.which("unshare")
    if binary is None:
        return None
    return [binary, *QUOTA_NAMESPACE_FLAGS, "--"]

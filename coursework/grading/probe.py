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

Limits: the network is not restricted (the kernel talks to the grader over
local TCP), ``/proc`` and ``/sys`` stay readable, and a folder that student
code may read (the package, the Python installation) must not hold the hidden
checks.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from coursework.grading.oscalls import (
    MODES,
    IsolationError,
    give_to,
    landlock_abi,
    package_dir,
    pick_uid,
)
from coursework.grading.sandbox import Limits, wrap

__all__ = ["MODES", "Isolation", "IsolationError", "probe"]


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
                return Isolation(mode, abi, not seen.get("signal_parent"), tuple(notes))
    if wanted != "auto":
        raise IsolationError(f"--isolation {wanted} does not work here: {notes[-1]}")
    return Isolation("process", abi, False, tuple(notes))

"""Running the grader as an unprivileged user from a root test run.

The tests run as root (here and in CI), and the recommended deployment is
an ordinary user. The Python that runs the tests may live where no other
user can reach it (``/root/.pyenv``, ``/root`` mode 0700), so
:func:`as_nobody` starts a command in a private mount namespace (root's,
nothing in it propagates to the machine) in which each folder on the way to
what the command needs is a fresh tmpfs of mode 0755 holding only that path,
the real folder bound back at its end, and only then switches to user 65534
with ``setpriv``. Nothing on the machine changes mode, and the user reaches
the interpreter, the virtual environment and the package, and nothing else
of root's.
"""

from __future__ import annotations

import shlex
import shutil
import site
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

NOBODY = 65534


def _blocked(path: Path) -> Path | None:
    """The outermost folder on the way to ``path`` that others cannot enter."""
    for folder in [*reversed(path.parents), path]:
        try:
            if not folder.stat().st_mode & 0o001:
                return folder
        except OSError:
            return None
    return None


def python_roots() -> list[Path]:
    """What this interpreter needs: its installation and the environment's."""
    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    roots |= {str(Path(sys.executable).resolve().parent)}
    roots |= {sysconfig.get_paths()[k] for k in ("stdlib", "purelib", "platlib")}
    roots |= set(site.getsitepackages())
    return [Path(r).resolve() for r in roots if Path(r).exists()]


def opening_script(
    needed: list[Path], hidden: Path, home: Path, tools: dict[str, str]
) -> str:
    """Shell commands, for a private mount namespace, that make ``needed``
    reachable by others and then run ``"$@"`` as :data:`NOBODY` (``tools``:
    where ``mkdir``, ``mount`` and ``setpriv`` are, whatever ``PATH`` says)."""
    mkdir, mount, setpriv = (
        shlex.quote(tools[t]) for t in ("mkdir", "mount", "setpriv")
    )
    needed = sorted({p.resolve() for p in needed})
    # a folder inside another one that is bound back comes with it
    needed = [p for p in needed if not any(q in p.parents for q in needed)]
    lines = ["set -e", "umask 022"]
    opened: dict[Path, Path] = {}
    for path in needed:
        top = _blocked(path)
        if top is None or top == path:  # reachable, or closed itself: nothing to do
            continue
        if top not in opened:
            keep = hidden / str(len(opened))
            opened[top] = keep
            lines += [
                f"{mkdir} -p {shlex.quote(str(keep))}",
                f"{mount} --bind {shlex.quote(str(top))} {shlex.quote(str(keep))}",
                f"{mount} -t tmpfs -o mode=0755 tmpfs {shlex.quote(str(top))}",
            ]
        real = opened[top] / path.relative_to(top)
        lines += [
            f"{mkdir} -p {shlex.quote(str(path))}",
            f"{mount} --bind {shlex.quote(str(real))} {shlex.quote(str(path))}",
        ]
    lines += [
        f"export HOME={shlex.quote(str(home))}",
        f'exec {setpriv} --reuid={NOBODY} --regid={NOBODY} --clear-groups -- "$@"',
    ]
    return "\n".join(lines)


@pytest.fixture(scope="session")
def as_nobody() -> Iterator[Callable[[list[Path], Path], list[str]]]:
    """A function ``(needed, home) -> prefix``: the prefix runs a command as
    user 65534 (``HOME`` = ``home``) where it can reach ``needed`` and this
    Python. Skips, saying why, where the machine cannot do it."""
    import os

    if os.geteuid() != 0:
        pytest.skip("the tests already run as an unprivileged user")
    tools = {t: shutil.which(t) for t in ("unshare", "setpriv", "mount", "mkdir", "sh")}
    missing = [t for t, found in tools.items() if found is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed (util-linux, coreutils)")
    hidden = Path(tempfile.mkdtemp(prefix="coursework-hidden-"))  # root's, 0700
    home = Path(tempfile.mkdtemp(prefix="coursework-nobody-home-"))
    os.chown(home, NOBODY, NOBODY)

    found = {t: str(path) for t, path in tools.items()}

    def prefix(needed: list[Path], home: Path = home) -> list[str]:
        script = opening_script([*python_roots(), *needed], hidden, home, found)
        unshare = [found["unshare"], "--mount", "--propagation", "private"]
        return [*unshare, "--", found["sh"], "-c", script, "sh"]

    again = (  # the grader starts this interpreter again, as the same installation
        "import subprocess, sys\n"
        "subprocess.run([sys.executable, '-c', 'import torch, coursework.grading.cli'],"
        " check=True)\n"
        "print(sys.base_prefix)\n"
    )
    package = Path(__file__).resolve().parents[2]
    try:
        done = subprocess.run(
            [*prefix([package]), sys.executable, "-c", again],
            cwd="/",
            env={**os.environ, "PYTHONPATH": str(package)},
            capture_output=True,
            text=True,
            timeout=300,
        )
        if done.returncode != 0 or done.stdout.strip() != sys.base_prefix:
            tail = (done.stderr.strip().splitlines() or [done.stdout.strip()])[-1]
            pytest.skip(
                f"user {NOBODY} cannot run {sys.executable} here, even in a "
                f"private mount namespace that opens the way to it: {tail}"
            )
        yield prefix
    finally:
        shutil.rmtree(hidden, ignore_errors=True)
        shutil.rmtree(home, ignore_errors=True)

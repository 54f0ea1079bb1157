"""Hashes of the code a grade depends on: the installed package and the checks.

The batch grader takes a :class:`Baseline` when a run starts, before any
student code runs, and compares it with the files on disk before it starts
each submission's worker and after that worker ends; the worker compares it
too, after every kernel and before every checks process. A difference means
that student code changed the grader, whatever the OS isolation said: the
run stops, the submission that ran last is marked ``tampered``, and no other
submission is graded with the changed code.

Hashing the files is not enough if a process imports something else: a
``coursework/`` or ``sitecustomize.py`` in a job's folder, or a path that a
``.pth`` file added. So every grader-side process started for a job (the
sandbox, the checks child, the worker) also checks :func:`foreign_imports`
before any student code runs: every module it imported of ``coursework`` lies
in the package that was hashed, and nothing it imported, nor any entry of
``sys.path``, lies in the job's folder; a finding is tampering. The kernel's
first cell checks too, and a finding there goes in the feedback (the kernel
is the student's process: files in its home run in it first).
"""

from __future__ import annotations

import hashlib
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

SKIPPED_PARTS = ("__pycache__",)


class Tampered(Exception):
    """The package or the checks changed while grading ran; the message says how."""


def hash_files(folder: Path, pattern: str = "**/*") -> dict[str, str]:
    """SHA-256 of every file under ``folder`` (caches skipped), by relative path."""
    digests = {}
    for path in sorted(folder.glob(pattern)):
        rel = path.relative_to(folder)
        if any(part in SKIPPED_PARTS for part in rel.parts) or path.suffix == ".pyc":
            continue
        if path.is_symlink() or path.is_file():
            try:
                digests[str(rel)] = hashlib.sha256(path.read_bytes()).hexdigest()
            except OSError as exc:
                digests[str(rel)] = f"unreadable: {exc.strerror}"
    return digests


@dataclass
class Baseline:
    """The package folder, the checks folders, and their files' hashes at start."""

    package: Path
    checks: list[Path]
    files: dict[str, str] = field(default_factory=dict)

    @classmethod
    def take(cls, package: Path, checks: list[Path]) -> Baseline:
        """Hash ``package`` and every ``checks`` folder now."""
        base = cls(package, list(checks))
        base.files = base.current()
        return base

    def current(self) -> dict[str, str]:
        """The hashes as the files are now."""
        files = {f"package/{k}": v for k, v in hash_files(self.package).items()}
        for i, folder in enumerate(self.checks):
            for k, v in hash_files(folder).items():
                files[f"checks{i}/{k}"] = v
        return files

    @property
    def digest(self) -> str:
        """One hash over every file's name and hash."""
        h = hashlib.sha256()
        for name, value in sorted(self.files.items()):
            h.update(f"{name}\0{value}\n".encode())
        return h.hexdigest()

    def changes(self) -> list[str]:
        """The files added, removed or changed since the baseline (empty: intact)."""
        now = self.current()
        names = sorted(set(now) | set(self.files))
        return [n for n in names if now.get(n) != self.files.get(n)]

    def verify(self, when: str) -> None:
        """Raise :class:`Tampered` if anything changed; ``when`` goes in the message.

        Raises:
            Tampered: the files differ from the baseline.
        """
        changed = self.changes()
        if changed:
            shown = ", ".join(_shown(n, self) for n in changed[:5])
            more = f" and {len(changed) - 5} more" if len(changed) > 5 else ""
            raise Tampered(f"{when}: changed {shown}{more}")

    def to_json(self) -> dict[str, object]:
        """A form a worker can rebuild with :meth:`from_json`."""
        return {
            "package": str(self.package),
            "checks": [str(c) for c in self.checks],
            "files": self.files,
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Baseline:
        """The baseline :meth:`to_json` wrote."""
        return cls(
            Path(str(data["package"])),
            [Path(str(c)) for c in data["checks"]],  # type: ignore[attr-defined]
            dict(data["files"]),  # type: ignore[call-overload]
        )


def _shown(name: str, base: Baseline) -> str:
    """``package/exercises/core.py`` -> ``coursework/exercises/core.py``."""
    head, _, rest = name.partition("/")
    if head == "package":
        return f"{base.package.name}/{rest}"
    return str(base.checks[int(head[len("checks") :])] / rest)


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def foreign_imports(package: Path | None, job: list[Path]) -> list[str]:
    """What this process imported from where it may not: one line each.

    Args:
        package: the ``coursework`` folder that was hashed (None: not checked).
        job: folders a student can write (the job's scratch folder).
    """
    job = [Path(os.path.realpath(j)) for j in job]
    package = Path(os.path.realpath(package)) if package is not None else None
    found = []
    for name, module in sorted(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if not isinstance(file, str) or not os.path.isabs(file):
            continue  # a built-in, or a name only (torch.classes): no file read
        path = Path(os.path.realpath(file))
        ours = name == "coursework" or name.startswith("coursework.")
        if ours and package is not None and not _inside(path, package):
            found.append(f"{name} from {path}, not from {package}")
        elif any(_inside(path, j) for j in job):
            found.append(f"{name} from the job's folder ({path})")
    for entry in sys.path:
        where = Path(os.path.realpath(entry or "."))
        if any(_inside(where, j) for j in job):
            found.append(f"sys.path entry {entry!r} in the job's folder")
    return found


class ForeignImport(Exception):
    """A grader-side process imported code from where a student can write."""


def check_imports(package: str | None, job: str) -> None:
    """Raise :class:`ForeignImport` if :func:`foreign_imports` finds anything
    (the first cell of every kernel, before any student code runs)."""
    found = foreign_imports(Path(package) if package else None, [Path(job)])
    if found:
        raise ForeignImport("; ".join(found[:5]))

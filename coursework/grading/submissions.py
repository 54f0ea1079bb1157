"""Find the submitted notebooks and who submitted them.

``SUBMISSIONS`` is a folder of ``.ipynb`` files, or a zip as learning-
management systems export it (flat files, or one folder per student). The
student id is, in order of preference: the mapping file's entry for the file
name (a CSV with columns ``file,student``), the ``id`` group of
``--id-pattern`` matched against the file name, the student's folder (when
each notebook sits in its own folder), or the file name without extension.
Ids are Unicode-normalised (NFKC, accents dropped) and reduced to letters,
digits, ``.``, ``_`` and ``-`` so they are safe as file names; a file whose id
is taken, ignoring case, gets the first of ``-2``, ``-3``, ... that no other
file has or would get by its own name, so no two students ever share an id.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import shutil
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

import nbformat

MAX_ZIP_BYTES = 2 * 2**30
MAX_NOTEBOOK_BYTES = 64 * 2**20


class SubmissionsError(ValueError):
    """The submissions path or the mapping file cannot be used."""


@dataclass(frozen=True)
class Submission:
    """One submitted notebook.

    Attributes:
        student: the student id (safe as a file name).
        path: the notebook file.
        folder: the folder copied with it (the student's own folder, else None).
        sha256: hash of the file, so a re-run regrades only changed files.
    """

    student: str
    path: Path
    folder: Path | None
    sha256: str


def safe_id(text: str) -> str:
    """Reduce ``text`` to a file-name-safe id (NFKC, accents dropped, ASCII)."""
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text))
    text = "".join(c for c in text if not unicodedata.combining(c))
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._-")
    return cleaned[:80] or "student"


def unique_ids(wanted: list[str]) -> list[str]:
    """``wanted`` with every repeat (ignoring case) made unique by a suffix.

    The first file of each id keeps it; a repeat gets ``-2``, ``-3``, ... the
    first suffix that is neither taken nor another file's own id.
    """
    natural = {w.casefold() for w in wanted}
    taken: set[str] = set()
    ids = []
    for want in wanted:
        student, n = want, 1
        while student.casefold() in taken or (n > 1 and student.casefold() in natural):
            n += 1
            student = f"{want[:72]}-{n}"
        taken.add(student.casefold())
        ids.append(student)
    return ids


MAX_ZIP_ENTRIES = 10_000


def extract_zip(archive: Path, into: Path) -> Path:
    """Extract ``archive`` safely: every entry is checked before anything is written.

    Entries with absolute paths, ``..``, links or folders are skipped; an
    encrypted entry, too many entries or more than 2 GiB in all (as declared,
    and as actually decompressed) refuse the archive, and so does a corrupt
    entry; ``into`` is then left empty.

    Raises:
        SubmissionsError: the archive cannot be used; the message says why.
    """
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise SubmissionsError(f"{archive}: not a readable zip file ({exc})") from exc
    with zf:
        entries = []
        for info in zf.infolist():
            parts = Path(info.filename).parts
            if (
                info.is_dir()
                or not parts
                or ".." in parts
                or info.filename.startswith("/")
                or (info.external_attr >> 16) & 0o170000 == 0o120000  # a symlink
            ):
                continue
            if info.flag_bits & 0x1:
                raise SubmissionsError(
                    f"{archive}: {info.filename!r} is encrypted; export without "
                    "a password"
                )
            entries.append((info, parts))
        if len(entries) > MAX_ZIP_ENTRIES:
            raise SubmissionsError(f"{archive}: more than {MAX_ZIP_ENTRIES} files")
        if sum(info.file_size for info, _ in entries) > MAX_ZIP_BYTES:
            raise SubmissionsError(
                f"{archive}: unpacks to more than {MAX_ZIP_BYTES:,} bytes"
            )
        written = 0
        try:
            for info, parts in entries:
                target = into.joinpath(*parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, open(target, "xb") as dst:
                    while chunk := src.read(1 << 20):
                        written += len(chunk)
                        if written > MAX_ZIP_BYTES:
                            why = f"unpacks to more than {MAX_ZIP_BYTES:,} bytes"
                            raise SubmissionsError(f"{archive}: {why}")
                        dst.write(chunk)
        except SubmissionsError:
            _empty(into)
            raise
        except Exception as exc:  # corrupt data, a bad CRC, a duplicate name
            _empty(into)
            raise SubmissionsError(
                f"{archive}: entry {info.filename!r} cannot be read "
                f"({type(exc).__name__}: {exc})"
            ) from exc
    return into


def _empty(folder: Path) -> None:
    for entry in folder.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)


def no_links(folder: str, names: list[str]) -> set[str]:
    """For :func:`shutil.copytree`: leave out every symbolic link."""
    return {n for n in names if os.path.islink(os.path.join(folder, n))}


def read_mapping(path: Path) -> dict[str, str]:
    """Read a ``file,student`` CSV (file names without folders)."""
    try:
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
    except OSError as exc:
        raise SubmissionsError(f"mapping file {path}: {exc}") from exc
    if rows and not {"file", "student"} <= set(rows[0]):
        raise SubmissionsError(
            f"mapping file {path}: needs the columns 'file' and 'student'"
        )
    return {Path(r["file"]).name: r["student"] for r in rows if r.get("file")}


def find_submissions(
    root: Path,
    mapping: dict[str, str] | None = None,
    id_pattern: str | None = None,
) -> list[Submission]:
    """Every ``.ipynb`` under ``root`` (checkpoints and hidden folders skipped)."""
    pattern = re.compile(id_pattern) if id_pattern else None
    if pattern is not None and "id" not in pattern.groupindex:
        raise SubmissionsError(
            "--id-pattern needs a named group, e.g. '^(?P<id>[^_]+)_'"
        )
    files = sorted(
        p
        for p in root.rglob("*.ipynb")
        if p.is_file()
        and not p.is_symlink()
        and not any(q.is_symlink() for q in p.relative_to(root).parents if q.parts)
        and not any(part.startswith(".") for part in p.relative_to(root).parts)
        and "__MACOSX" not in p.parts
    )
    wanted = []
    for path in files:
        rel = path.relative_to(root)
        folder = root / rel.parts[0] if len(rel.parts) > 1 else None
        if mapping and path.name in mapping:
            raw = mapping[path.name]
        elif pattern is not None and (m := pattern.search(path.name)):
            raw = m.group("id")
        elif folder is not None:
            raw = rel.parts[0]
        else:
            raw = path.stem
        wanted.append((safe_id(raw), path, folder))
    found = []
    for student, (_, path, folder) in zip(unique_ids([w[0] for w in wanted]), wanted):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        found.append(Submission(student, path, folder, digest))
    return found


def read_notebook(path: Path) -> tuple[nbformat.NotebookNode | None, str]:
    """Read a submitted notebook as nbformat 4; on failure return (None, why)."""
    try:
        size = path.stat().st_size
        if size == 0:
            return None, "the file is empty"
        if size > MAX_NOTEBOOK_BYTES:
            return None, f"the file is larger than {MAX_NOTEBOOK_BYTES // 2**20} MB"
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        return None, f"the file cannot be read ({exc})"
    except json.JSONDecodeError as exc:
        return None, f"not valid JSON (truncated or edited by hand?): {exc}"
    except (RecursionError, MemoryError, ValueError) as exc:  # crafted nesting
        return None, f"not a notebook the grader can read ({type(exc).__name__})"
    if not isinstance(raw, dict) or not isinstance(raw.get("nbformat"), int):
        return None, "not a Jupyter notebook (no 'nbformat' field)"
    version = raw["nbformat"]
    if version not in (3, 4):
        return None, f"nbformat version {version} is not supported (expected 4)"
    try:
        nb = nbformat.reads(json.dumps(raw), as_version=4)
    except Exception as exc:
        return None, f"not a valid notebook ({type(exc).__name__}: {str(exc)[:200]})"
    cells = nb.get("cells")
    if not isinstance(cells, list) or not all(
        isinstance(c, dict)
        and c.get("cell_type") in ("code", "markdown", "raw")
        and isinstance(c.get("source"), str)
        for c in cells
    ):
        return None, "the notebook's cells are malformed"
    return nb, ""


def notebook_name(nb: nbformat.NotebookNode | None, path: Path) -> str | None:
    """The course notebook this file is (``03_vae``), from metadata or the file name."""
    if nb is not None:
        meta = nb.get("metadata", {}).get("coursework", {})
        if isinstance(meta, dict) and isinstance(meta.get("notebook"), str):
            return meta["notebook"]
    match = re.search(r"\d\d_[a-z0-9]+", path.stem)
    return match.group(0) if match else None

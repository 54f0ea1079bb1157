"""Find the submitted notebooks and who submitted them.

``SUBMISSIONS`` is a folder of ``.ipynb`` files, or a zip as learning-
management systems export it (flat files, or one folder per student). The
student id is, in order of preference: the mapping file's entry for the file
name (a CSV with columns ``file,student``), the ``id`` group of
``--id-pattern`` matched against the file name, the student's folder (when
each notebook sits in its own folder), or the file name without extension.
Ids are reduced to letters, digits, ``.``, ``_`` and ``-`` so they are safe as
file names; two files with the same id get ``-2``, ``-3`` appended.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import shutil
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
    """Reduce ``text`` to a file-name-safe id."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._-")
    return cleaned[:80] or "student"


def extract_zip(archive: Path, into: Path) -> Path:
    """Extract ``archive`` safely (no absolute paths, no ``..``, no links, size cap)."""
    try:
        zf = zipfile.ZipFile(archive)
    except zipfile.BadZipFile as exc:
        raise SubmissionsError(f"{archive}: not a readable zip file ({exc})") from exc
    total = 0
    with zf:
        for info in zf.infolist():
            parts = Path(info.filename).parts
            if (
                info.is_dir()
                or not parts
                or ".." in parts
                or info.filename.startswith("/")
            ):
                continue
            if (info.external_attr >> 16) & 0o170000 == 0o120000:  # a symlink
                continue
            total += info.file_size
            if total > MAX_ZIP_BYTES:
                raise SubmissionsError(f"{archive}: unpacks to more than 2 GiB")
            target = into.joinpath(*parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst)
    return into


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
        and not any(part.startswith(".") for part in p.relative_to(root).parts)
        and "__MACOSX" not in p.parts
    )
    seen: dict[str, int] = {}
    found = []
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
        student = safe_id(raw)
        seen[student] = seen.get(student, 0) + 1
        if seen[student] > 1:
            student = f"{student}-{seen[student]}"
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
    if not isinstance(raw, dict) or not isinstance(raw.get("nbformat"), int):
        return None, "not a Jupyter notebook (no 'nbformat' field)"
    version = raw["nbformat"]
    if version not in (3, 4):
        return None, f"nbformat version {version} is not supported (expected 4)"
    try:
        nb = nbformat.reads(json.dumps(raw), as_version=4)
    except Exception as exc:
        return None, f"not a valid notebook ({type(exc).__name__}: {exc})"
    cells = nb.get("cells")
    if not isinstance(cells, list) or not all(
        isinstance(c, dict) and c.get("cell_type") in ("code", "markdown", "raw")
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

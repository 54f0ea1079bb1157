"""Signed records and atomic writes (a leaf: imports no grading module).

A worker hands its result back in a file that student code could reach, and
``RESULTS/.state`` outlives the run; both are signed with HMAC-SHA256 under a
secret the student's processes never see, so nothing a student writes passes
for a result. Every file the grader writes goes through :func:`write_atomic`:
readers see the old file or the new one, never half of one.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import tempfile
from pathlib import Path
from typing import Any


def sign(payload: bytes, secret: bytes) -> str:
    """HMAC-SHA256 of ``payload`` under ``secret``, hex."""
    return hmac.new(secret, payload, hashlib.sha256).hexdigest()


def write_signed(path: Path, record: dict[str, Any], secret: bytes) -> None:
    """Write ``record`` as JSON with its HMAC under ``secret``, atomically."""
    payload = json.dumps(record, sort_keys=True, default=str).encode()
    signed = {"record": payload.decode(), "hmac": sign(payload, secret)}
    write_atomic(path, json.dumps(signed).encode())


def read_signed(path: Path, secret: bytes) -> dict[str, Any] | None:
    """The record in ``path`` if its HMAC under ``secret`` is right, else None."""
    try:
        signed = json.loads(path.read_text())
        payload = signed["record"].encode()
        if hmac.compare_digest(signed["hmac"], sign(payload, secret)):
            return json.loads(payload)
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return None


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so readers see the old file or the new, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise

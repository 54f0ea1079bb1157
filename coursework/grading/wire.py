"""The messages between the checker and the student's child (a leaf module).

Framing is :class:`multiprocessing.connection.Connection` over two pipes.
Requests go checker -> child pickled (the child trusts the checker); replies go
child -> checker as ``torch.save`` payloads of plain data, which the checker
loads with ``weights_only=True``, so a hostile reply cannot run code in the
checker. The first message from the child is empty: its imports are done.
"""

from __future__ import annotations

import io
import pickle
from multiprocessing.connection import Connection
from typing import Any

import torch

MAX_REPLY_BYTES = 1 << 30
# The child's first message, when its imports did not all come from the
# hashed package (then followed by what came from where).
FOREIGN = b"foreign:"


def reader(fd: int) -> Connection:
    """A read-only connection on pipe end ``fd`` (which it then owns)."""
    return Connection(fd, writable=False)


def writer(fd: int) -> Connection:
    """A write-only connection on pipe end ``fd`` (which it then owns)."""
    return Connection(fd, readable=False)


def encode_request(request: dict[str, Any]) -> bytes:
    """A checker's request, as bytes for the child."""
    return pickle.dumps(request)


def decode_request(raw: bytes) -> dict[str, Any]:
    """A request, in the child (it comes from the checker, whom the child trusts)."""
    return pickle.loads(raw)


def encode_reply(reply: dict[str, Any]) -> bytes:
    """The child's reply as a ``torch.save`` payload (or an error reply)."""
    buffer = io.BytesIO()
    try:
        torch.save(reply, buffer)
    except Exception as exc:
        buffer = io.BytesIO()
        message = f"could not send the output: {exc}"
        torch.save({"ok": False, "missing": False, "message": message}, buffer)
    return buffer.getvalue()


def decode_reply(raw: bytes) -> dict[str, Any]:
    """A reply, in the checker: plain data only (``weights_only``); raises if not."""
    reply = torch.load(io.BytesIO(raw), weights_only=True)
    if not isinstance(reply, dict):
        raise TypeError(f"a reply must be a dict, not {type(reply).__name__}")
    return reply

"""The checker's handle on the student's child process, and the proxy that calls it.

:class:`ChildProcess` starts :mod:`coursework.grading.child` under the
sandbox limits and talks to it in the format of
:mod:`coursework.grading.wire` (answers loaded with ``weights_only=True``);
it enforces the exercise's deadline and tells a timeout from a death.
Statuses do not depend on how busy the machine is:
the student's clock starts when the child reports that its imports are
done, time the child spends waiting for a CPU does not count, and a child
over its memory cap when its time runs out counts as a memory death.
:func:`make_proxy` returns a function that
:func:`~coursework.exercises.core.run_check` can call like the student's:
arguments go to the child, outputs come back, and, for gradient checks,
:class:`_Remote` (a custom autograd function) gets the vector-Jacobian
product of the same call from the child in its backward pass.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import torch

from coursework.grading import wire
from coursework.grading.integrity import Tampered
from coursework.grading.oscalls import package_dir
from coursework.grading.records import Status
from coursework.grading.sandbox import (
    FOREIGN_IMPORT_EXIT,
    Limits,
    MemoryWatch,
    environment,
    kill_tree,
    python,
    wrap,
)

TIMEOUT, KERNEL_DIED = Status.TIMEOUT, Status.KERNEL_DIED
STARTUP_SECONDS = 120.0


class ChildGone(Exception):
    """The child timed out or died; the message says which."""


class ChildProcess:
    """A sandboxed child holding the student's definitions."""

    def __init__(self, workdir: Path, limits: Limits) -> None:
        self.limits = limits
        # a reply is read whole into the checker: at most a quarter of the cap
        self.max_reply_bytes = min(wire.MAX_REPLY_BYTES, limits.memory_mb * 2**18)
        c_in, p_out = os.pipe()
        p_in, c_out = os.pipe()
        child = ("-m", "coursework.grading.child", str(c_in), str(c_out))
        command = wrap(python(*child, str(package_dir())), limits, workdir)
        self.process = subprocess.Popen(  # the sandbox enters workdir, last
            command,
            cwd="/",
            env=environment(workdir, limits),
            pass_fds=(c_in, c_out),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        os.close(c_in)
        os.close(c_out)
        self.outbox, self.inbox = wire.writer(p_out), wire.reader(p_in)
        self._stalled = False
        self.watch = MemoryWatch(self.process.pid, limits.memory_mb)
        self.watch.start()
        self.failure: str | None = None
        self.why = ""
        self.ready = False
        self.set_budget(STARTUP_SECONDS)

    def set_budget(self, seconds: float) -> None:
        """Give the child ``seconds`` of its own time, starting now.

        The clock runs only while a request is out: the checker's own work
        between requests (references, comparisons) is not charged, and
        neither is the time the child waits on a busy machine's run queue
        (``/proc/PID/schedstat``; the deadline then moves, up to four times
        the budget), so a status does not depend on how many other processes
        run.
        """
        now = time.monotonic()
        self.deadline = now + seconds
        self._backstop = now + 4 * seconds
        self._credited = self._run_delay()
        self._idle_since: float | None = now

    def _run_delay(self) -> float:
        """Seconds the child's main thread has waited for a CPU (0 if unknown)."""
        try:
            stat = Path(f"/proc/{self.process.pid}/schedstat").read_text()
            return int(stat.split()[1]) / 1e9
        except (OSError, IndexError, ValueError):
            return 0.0

    def _wait_ready(self) -> None:
        """Wait for the child's first message: its imports done, and from where.

        Raises:
            Tampered: the sandbox or the child imported code from the job's
                folder, or ``coursework`` from outside the hashed package.
        """
        first = self._receive()
        if first is not None and first.startswith(wire.FOREIGN):
            self.stop(KERNEL_DIED)
            raise Tampered(
                f"the checks process imported {first[len(wire.FOREIGN) :]!r}"
            )
        if first != b"":
            self.stop(TIMEOUT if self._stalled else KERNEL_DIED)
            if self.process.returncode == FOREIGN_IMPORT_EXIT:
                raise Tampered("the sandbox of a checks process imported foreign code")
            raise ChildGone(self.failure)
        self.ready = True
        self.set_budget(self.limits.exercise_seconds)

    def request(self, message: dict[str, Any]) -> dict[str, Any]:
        """Send a request and wait, until the deadline, for the reply."""
        if self.failure:
            raise ChildGone(self.failure)
        if not self.ready:
            self._wait_ready()
        if self._idle_since is not None:  # the checker's own time is not charged
            shift = time.monotonic() - self._idle_since
            self.deadline += shift
            self._backstop += shift
            self._idle_since = None
        try:
            self.outbox.send_bytes(wire.encode_request(message))
            raw = self._receive()
        except OSError:
            raw = None
        finally:
            self._idle_since = time.monotonic()
        if raw is None:
            self.stop(TIMEOUT if self._stalled else KERNEL_DIED)
            raise ChildGone(self.failure)
        try:
            return wire.decode_reply(raw)
        except Exception as exc:
            self.stop(KERNEL_DIED)
            raise ChildGone(f"{KERNEL_DIED}: unreadable reply ({exc})") from None

    def _receive(self) -> bytes | None:
        """The child's next message before the deadline; None if it died.

        Raises:
            ChildGone: the deadline passed (the child is killed first).
        """
        while not self.inbox.poll(max(0.0, self.deadline - time.monotonic())):
            over = self.watch.over_limit()  # memory first, then the clock
            if not over and self._extend():
                continue
            self.stop(KERNEL_DIED if over else TIMEOUT)
            raise ChildGone(self.failure)
        # A message has begun; one that stalls half-way is cut at the backstop.
        timer = threading.Timer(
            max(1.0, self._backstop - time.monotonic()), self._stall
        )
        timer.start()
        try:
            return self.inbox.recv_bytes(self.max_reply_bytes)
        except (EOFError, OSError):
            return None
        finally:
            timer.cancel()

    def _stall(self) -> None:
        self._stalled = True
        kill_tree(self.process.pid)

    def _extend(self) -> bool:
        """Move the deadline by the time the child spent waiting for a CPU."""
        delay = self._run_delay()
        extra = delay - self._credited
        if extra < 0.01 or time.monotonic() >= self._backstop:
            return False
        self._credited = delay
        self.deadline = min(self.deadline + extra, self._backstop)
        return True

    def stop(self, reason: str = "") -> None:
        """Kill the child (if still running) and remember why (a status)."""
        if reason and not self.failure:
            self.failure = reason
            if reason == KERNEL_DIED:
                try:  # the pipe closes a moment before the process is reaped
                    code = self.process.wait(timeout=2)
                except subprocess.TimeoutExpired:
                    code = None
                self.why = (
                    f"used more than {self.limits.memory_mb} MB of memory"
                    if self.watch.tripped
                    else f"the process running your code died (exit code {code})"
                    if code is not None
                    else "the process running your code stopped answering"
                )
            else:
                self.why = (
                    f"ran past the {self.limits.exercise_seconds:g} s limit "
                    "for this exercise"
                )
        self.watch.stop()
        kill_tree(self.process.pid)
        self.process.wait()
        for end in (self.inbox, self.outbox):
            end.close()


class _Remote(torch.autograd.Function):
    """Forward: the child's output. Backward: the child's vector-Jacobian product."""

    @staticmethod
    def forward(
        ctx: Any,
        child: ChildProcess,
        top: list[Any],
        diff: list[bool],
        *leaves: torch.Tensor,
    ) -> Any:  # type: ignore[override]
        ctx.child, ctx.n_leaves = child, len(leaves)
        tensors = [o for o in top if isinstance(o, torch.Tensor)]
        flags = [d for o, d in zip(top, diff) if isinstance(o, torch.Tensor)]
        ctx.flags = flags
        ctx.mark_non_differentiable(
            *[t for t, d in zip(tensors, flags) if not d or not t.is_floating_point()]
        )
        return tuple(tensors)

    @staticmethod
    def backward(ctx: Any, *grad_outputs: torch.Tensor) -> Any:
        grads = [g for g, d in zip(grad_outputs, ctx.flags) if d]
        reply = ctx.child.request({"op": "backward", "grads": grads})
        if "error" in reply:
            raise RuntimeError(reply["error"])
        return (None, None, None, *reply["grads"])


def leaf_tensor(args: Any, i: int, j: int | None) -> torch.Tensor:
    """Argument ``i``, or parameter ``j`` of the module that argument ``i`` is."""
    return args[i] if j is None else list(args[i].parameters())[j]


class StudentRaised(Exception):
    """The student's function raised; the message is the child's description."""


class UsesReference(Exception):
    """The student's function called the package's own implementation at run time."""

    message = "calls the course package's own implementation"


# A reply's tensors may hold at most this many elements, or REPLY_FACTOR times
# as many as the expected output, whichever is more.
MIN_REPLY_ELEMENTS = 1 << 16
REPLY_FACTOR = 4
# Without an expected output (a proxy called outside run_check), the limit.
UNKNOWN, UNKNOWN_ELEMENTS = object(), 1 << 26


class BadReply(Exception):
    """The child's output is not one the checker computes with; the message says why."""


def _tensors(x: Any, depth: int = 0) -> list[torch.Tensor]:
    if depth > 20:
        return []
    if isinstance(x, torch.Tensor):
        return [x]
    if isinstance(x, (tuple, list)):
        return [t for v in x for t in _tensors(v, depth + 1)]
    if isinstance(x, dict):
        return [t for v in x.values() for t in _tensors(v, depth + 1)]
    return []


def _dense(t: torch.Tensor) -> bool:
    """Whether ``t``'s storage holds at least one element per element of ``t``
    (an expanded or stride-0 view does not: it balloons when computed with)."""
    if t.numel() == 0:
        return True
    storage = t.untyped_storage().nbytes() // max(t.element_size(), 1)
    return storage - t.storage_offset() >= t.numel()


def checked_reply(out: Any, expected: Any = UNKNOWN) -> tuple[Any, list[bool]]:
    """The child's output made safe to compute with, before any arithmetic.

    Every tensor holds at most :data:`MIN_REPLY_ELEMENTS` elements or
    :data:`REPLY_FACTOR` times the expected output's, else :class:`BadReply`;
    one whose storage is smaller than its element count (a stride-0 view) is
    materialised, which that limit bounds. Returns the output and, for each
    top-level value, whether it has the expected shape and dtype: only those
    join the autograd graph, so a wrong one reaches the comparison, which
    names the difference, without any computation on it first.
    """
    known = expected is not UNKNOWN
    want = sum(t.numel() for t in _tensors(expected)) if known else 0
    limit = max(MIN_REPLY_ELEMENTS, REPLY_FACTOR * want) if known else UNKNOWN_ELEMENTS

    def fix(x: Any, depth: int = 0) -> Any:
        if isinstance(x, torch.Tensor):
            if x.numel() > limit:
                raise BadReply(
                    f"returned a tensor of {x.numel():,} elements, shape "
                    f"{tuple(x.shape)}; the expected output has {want:,} in all"
                )
            return x if _dense(x) else x.contiguous()
        if isinstance(x, (tuple, list)) and depth <= 20:
            return type(x)(fix(v, depth + 1) for v in x)
        if isinstance(x, dict) and depth <= 20:
            return {k: fix(v, depth + 1) for k, v in x.items()}
        return x

    sizes = [t.numel() for t in _tensors(out)]
    if sum(sizes) > 2 * limit and max(sizes) <= limit:  # many, each within the limit
        raise BadReply(
            f"returned {sum(sizes):,} tensor elements in all; the expected output "
            f"has {want:,}"
        )
    out = fix(out)
    top = list(out) if isinstance(out, (tuple, list)) else [out]
    if not known:
        return out, [True] * len(top)
    ref = list(expected) if isinstance(expected, (tuple, list)) else [expected]
    ref += [None] * (len(top) - len(ref))
    fits = [
        not isinstance(o, torch.Tensor)
        or (isinstance(e, torch.Tensor) and o.shape == e.shape and o.dtype == e.dtype)
        for o, e in zip(top, ref)
    ]
    return out, fits


def make_proxy(
    child: ChildProcess,
    name: str,
    errors: list[str],
    reference: Any = None,
) -> Any:
    """A stand-in for the student's function that runs it in the child.

    ``reference``, when given, is watched for in the child: a call of it from
    the student's code makes the call raise :class:`UsesReference`. The
    proxy's ``expect`` (pass it to :func:`~coursework.exercises.core.run_check`)
    receives each case's expected output, against which the reply is checked
    (:func:`checked_reply`) before anything is computed with it.
    """
    expected: list[Any] = [UNKNOWN]
    where = None
    module = getattr(reference, "__module__", None)
    qualname = getattr(reference, "__qualname__", None)
    if isinstance(module, str) and isinstance(qualname, str):
        where = (module, qualname)

    def proxy(*args: Any, **kwargs: Any) -> Any:
        # what gradients flow back to: (i, None) for a tensor argument i that
        # requires grad, (i, j) for parameter j of a module argument i (a critic)
        leaves: list[tuple[int, int | None]] = []
        for i, a in enumerate(args):
            if isinstance(a, torch.Tensor) and a.requires_grad:
                leaves.append((i, None))
            elif isinstance(a, torch.nn.Module):
                params = enumerate(a.parameters())
                leaves += [(i, j) for j, p in params if p.requires_grad]
        plain = [a.detach() if isinstance(a, torch.Tensor) else a for a in args]
        kwargs = {
            k: v.detach() if isinstance(v, torch.Tensor) else v
            for k, v in kwargs.items()
        }
        reply = child.request(
            {
                "op": "call",
                "name": name,
                "args": plain,
                "kwargs": kwargs,
                "leaves": leaves,
                "rng": torch.get_rng_state(),
                "reference": where,
            }
        )
        if reply.get("reference"):
            errors.append(UsesReference.message)
            raise UsesReference(UsesReference.message)
        if not reply.get("ok"):
            if reply.get("missing"):
                raise NotImplementedError(reply.get("message", ""))
            errors.append(str(reply.get("message", "raised an exception")))
            raise StudentRaised(errors[-1])
        try:
            out, fits = checked_reply(reply.get("out"), expected[0])
            if not isinstance(reply.get("diff"), list):
                raise BadReply("sent a malformed reply")
        except BadReply as exc:
            errors.append(str(exc))
            raise StudentRaised(errors[-1]) from None
        top = list(out) if isinstance(out, (tuple, list)) else [out]
        diff = [bool(d) and f for d, f in zip(reply["diff"], fits)]
        diff += [False] * (len(top) - len(diff))
        if not leaves or not any(isinstance(o, torch.Tensor) for o in top):
            return out
        tensors = [leaf_tensor(args, i, j) for i, j in leaves]
        tracked = iter(_Remote.apply(child, top, diff, *tensors))
        top = [next(tracked) if isinstance(o, torch.Tensor) else o for o in top]
        return type(out)(top) if isinstance(out, (tuple, list)) else top[0]

    def expect(value: Any) -> None:
        expected[0] = value

    proxy.expect = expect  # type: ignore[attr-defined]
    return proxy

"""The student's side of the checks: rebuild the definitions, call them on request.

This process runs under the sandbox limits and holds nothing worth
protecting: it knows no expected output, no comparison and no grade. The
checker (:mod:`coursework.grading.collect`) sends it requests over a pipe
and it answers with plain data (tensors, numbers, strings, tuples, lists,
dicts), in the format of :mod:`coursework.grading.wire`.

Once its imports are done the child sends one empty message, so that the
checker can start the student's clock only then. Requests: ``define``
(execute the kept top-level statements), ``call`` (run one function on one
case, keeping the autograd graph) and ``backward`` (the
vector-Jacobian product of the last call, for gradient checks).
"""

from __future__ import annotations

import ast
import importlib
import inspect
import linecache
import os
import signal
import sys
import threading
import traceback
import types
from pathlib import Path
from typing import Any

import torch

from coursework.grading import wire
from coursework.grading.integrity import foreign_imports

# CPU seconds (ITIMER_PROF): time spent waiting for a busy machine's CPU does
# not count, and a statement that only waits is ended by the exercise's clock.
STATEMENT_SECONDS = 10.0


class _StatementTimeout(Exception):
    pass


def _alarm(signum: int, frame: Any) -> None:
    raise _StatementTimeout


def _student_error(exc: BaseException) -> str:
    """The exception and the student's line that raised it."""
    frames = [
        f
        for f in traceback.extract_tb(exc.__traceback__)
        if f.filename.startswith("<cell")
    ]
    where = ""
    if frames:
        f = frames[-1]
        where = f" ({f.filename[1:-1]}, line {f.lineno}: `{(f.line or '').strip()}`)"
    text = str(exc)[:500]
    return f"raised {type(exc).__name__}: {text}{where}"


def _plain(x: Any, depth: int = 0) -> Any:
    """A copy of ``x`` made of types the checker can load safely, or TypeError."""
    if depth > 20:
        raise TypeError("a structure nested too deeply")
    if isinstance(x, torch.Tensor):
        return (
            x.detach().clone()
            if type(x) is torch.Tensor
            else x.detach().as_subclass(torch.Tensor).clone()
        )
    if x is None or isinstance(x, (bool, int, float, complex, str, torch.dtype)):
        return x
    if isinstance(x, torch.Size):
        return tuple(int(v) for v in x)
    if type(x) in (tuple, list):
        return type(x)(_plain(v, depth + 1) for v in x)
    if type(x) is dict and all(isinstance(k, (str, int)) for k in x):
        return {k: _plain(v, depth + 1) for k, v in x.items()}
    if hasattr(x, "item") and hasattr(x, "dtype") and getattr(x, "shape", None) == ():
        return x.item()  # a NumPy scalar
    raise TypeError(
        f"returned a {type(x).__name__}, which grading cannot compare; return "
        "tensors, numbers, tuples, lists or dicts"
    )


def _code_objects(code: Any) -> set[Any]:
    """``code`` and every code object nested in it (inner functions, lambdas)."""
    found: set[Any] = set()
    stack = [code]
    while stack:
        c = stack.pop()
        if isinstance(c, types.CodeType) and c not in found:
            found.add(c)
            stack += [k for k in c.co_consts if isinstance(k, types.CodeType)]
    return found


def _same_function(obj: Any, ref: Any) -> bool:
    """Whether ``obj`` is ``ref``, or unwraps (``__wrapped__``) to the same."""
    try:
        if obj is ref:
            return True
        inner = inspect.unwrap(obj)
        return inner is ref or inner is inspect.unwrap(ref)
    except Exception:  # a hostile __wrapped__, a cycle
        return False


class Child:
    """The request loop."""

    def __init__(self) -> None:
        self.namespace: dict[str, Any] = {"__name__": "__main__"}
        self.graph: tuple[list[torch.Tensor], list[torch.Tensor]] | None = None

    def define(self, request: dict[str, Any]) -> dict[str, Any]:
        errors: list[str] = []
        for cell, text in request["sources"].items():
            lines = text.splitlines(keepends=True)
            linecache.cache[f"<cell {cell}>"] = (
                len(text),
                None,
                lines,
                f"<cell {cell}>",
            )
        signal.signal(signal.SIGPROF, _alarm)
        for cell, first, last in request["statements"]:
            text = "".join(
                request["sources"][cell].splitlines(keepends=True)[first - 1 : last]
            )
            try:
                tree = ast.parse(text)
                ast.increment_lineno(tree, first - 1)
                code = compile(tree, f"<cell {cell}>", "exec")
                signal.setitimer(signal.ITIMER_PROF, STATEMENT_SECONDS)
                try:
                    exec(code, self.namespace)
                finally:
                    signal.setitimer(signal.ITIMER_PROF, 0)
            except _StatementTimeout:
                cpu = f"{STATEMENT_SECONDS:g} s of CPU time"
                errors.append(f"cell {cell}, line {first}: took over {cpu}")
            except BaseException as exc:  # noqa: B036 - SystemExit included
                errors.append(f"cell {cell}, line {first}: {_student_error(exc)}")
        found = {}
        for name in request["names"]:
            obj = self.namespace.get(name)
            found[name] = (
                "absent"
                if obj is None
                else ("callable" if callable(obj) else type(obj).__name__)
            )
        return {"found": found, "errors": errors}

    def _reference_watch(self, where: Any) -> tuple[Any, Any, list[int]]:
        """The reference, and a profile hook that counts every run of its code.

        ``where`` is the reference's (module, qualname). However the student
        reaches it (``importlib``, ``getattr``, a decorator that returns it, a
        list, a class attribute) and whoever calls it (the student's code, a
        library function, this process itself when the student's name *is* the
        reference), a run of it executes one of its code objects (or, for a
        builtin, is a ``c_call`` of it) while the student's function runs.
        """
        hits: list[int] = []
        try:
            module, qualname = where
            ref: Any = importlib.import_module(module)
            for part in qualname.split("."):
                ref = getattr(ref, part)
        except Exception:
            return None, None, hits
        codes = _code_objects(getattr(inspect.unwrap(ref), "__code__", None))

        def hook(frame: Any, event: str, arg: Any) -> None:
            if event == "call" and frame.f_code in codes:
                hits.append(1)
            elif event == "c_call" and arg is ref:
                hits.append(1)

        return ref, hook, hits

    def call(self, request: dict[str, Any]) -> dict[str, Any]:
        self.graph = None
        fn = self.namespace.get(request["name"])
        ref, hook, hits = self._reference_watch(request.get("reference"))
        if ref is not None and _same_function(fn, ref):  # bound to it by any route
            return {"ok": False, "missing": False, "reference": 1}
        args, kwargs = request["args"], request["kwargs"]
        leaves = [  # an argument, or a parameter of a module argument
            args[i] if j is None else list(args[i].parameters())[j]
            for i, j in request["leaves"]
        ]
        for t in leaves:
            t.requires_grad_(True)
        torch.set_rng_state(request["rng"])
        try:
            sys.setprofile(hook)
            threading.setprofile(hook)  # threads the student's function starts
            try:
                out = fn(*args, **kwargs)  # type: ignore[misc]
            finally:
                sys.setprofile(None)
                threading.setprofile(None)  # type: ignore[arg-type]
            if hits:
                return {"ok": False, "missing": False, "reference": len(hits)}
            top = list(out) if isinstance(out, (tuple, list)) else [out]
            diff = [
                isinstance(o, torch.Tensor) and o.requires_grad and bool(leaves)
                for o in top
            ]
            self.graph = (
                [o for o, d in zip(top, diff) if d],
                leaves,
            )
            return {"ok": True, "out": _plain(out), "diff": diff}
        except NotImplementedError as exc:
            return {"ok": False, "missing": True, "message": str(exc)[:500]}
        except BaseException as exc:  # noqa: B036 - SystemExit, KeyboardInterrupt too
            return {"ok": False, "missing": False, "message": _student_error(exc)}

    def backward(self, request: dict[str, Any]) -> dict[str, Any]:
        if self.graph is None or not self.graph[0]:
            return {"grads": [None] * len(request["grads"])}
        outs, leaves = self.graph
        try:
            grads = torch.autograd.grad(
                outs, leaves, request["grads"], allow_unused=True
            )
            return {"grads": [None if g is None else g.detach() for g in grads]}
        except BaseException as exc:  # noqa: B036
            return {"error": _student_error(exc)}


def main() -> None:
    """Serve requests from the file descriptors named on the command line.

    ``python -P -s -m coursework.grading.child IN OUT PACKAGE``: the first
    message says the imports are done, and names any that did not come from
    ``PACKAGE`` (or came from the job's folder, the working directory).
    Only then is the job's folder put on ``sys.path``, last, so that the
    student's own helper modules import in the rebuild.
    """
    inbox = wire.reader(int(sys.argv[1]))
    outbox = wire.writer(int(sys.argv[2]))
    package = Path(sys.argv[3]) if len(sys.argv) > 3 else None
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    sys.setrecursionlimit(5000)
    child = Child()
    found = foreign_imports(package, [Path.cwd()])
    # ready: imports done, no student code run yet
    outbox.send_bytes(wire.FOREIGN + "; ".join(found).encode() if found else b"")
    sys.path.append(os.getcwd())
    while True:
        try:
            request = wire.decode_request(inbox.recv_bytes())
        except EOFError:
            os._exit(0)
        handler = getattr(child, request["op"])
        try:
            reply = handler(request)
        except BaseException as exc:  # noqa: B036
            reply = {"ok": False, "missing": False, "message": _student_error(exc)}
        outbox.send_bytes(wire.encode_reply(reply))


if __name__ == "__main__":
    main()

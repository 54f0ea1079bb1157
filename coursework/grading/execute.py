"""Execute one submitted notebook in its own sandboxed kernel, whatever it does.

The kernel is started through :mod:`coursework.grading.sandbox` (resource
limits, scrubbed environment, CUDA hidden by default) from a private kernel
spec (``python -P -s``), and enters the submission's temporary folder only
once its limits and layers are on. Cells run
one by one with a time limit each and a budget for the whole notebook; a cell
that raises is recorded and execution goes on. A cell that times out, or a
kernel that dies (``os._exit``, memory cap, CPU limit), gets the kernel killed
and replaced by a fresh one, and execution goes on with the next cell.
Captured output is capped, so a student printing megabytes costs nothing.
A cell that runs out of time while its kernel is over the memory cap counts
as a memory event, so a busy machine does not turn one into a timeout. The
first cell (threads and seeds, which imports PyTorch) is the grader's and gets
a start-up budget of its own instead of the student's cell limit.

Nothing here decides a grade: the checks run afterwards in a separate process
(:mod:`coursework.grading.collect`). The report only feeds the feedback.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

from coursework.grading import oscalls
from coursework.grading.integrity import Tampered
from coursework.grading.records import CellEvent, ExecutionReport
from coursework.grading.sandbox import (
    FOREIGN_IMPORT_EXIT,
    Limits,
    MemoryWatch,
    environment,
    python,
    wrap,
)

KERNEL_NAME = "coursework-grading"
TRUNCATED = "\n[output truncated by the grader]\n"
STARTUP_SECONDS = 120.0


def preamble(limits: Limits) -> str:
    """Code run silently first in every kernel: fixed threads and seeds.

    IPython puts the working directory (the job's folder) first on
    ``sys.path``; it is taken off while the package is imported, and the
    imports are checked (:func:`~coursework.grading.integrity.check_imports`)
    before any student code runs: a ``coursework/`` in the job's folder is
    never the one imported.
    """
    package = str(oscalls.package_dir())
    return (
        "import os as _os, sys as _sys\n"
        "_path = list(_sys.path)\n"
        "_sys.path[:] = [p for p in _path if p and _os.path.realpath(p) != "
        "_os.path.realpath(_os.getcwd())]\n"
        "try:\n"
        "    from coursework.grading.integrity import check_imports as _chk\n"
        "    from coursework.runtime import seed_everything as _seed, "
        "set_threads as _thr\n"
        f"    _chk({package!r}, _os.getcwd())\n"
        "finally:\n"
        "    _sys.path[:] = _path\n"
        f"_thr({limits.threads}); _seed(0)\n"
        "del _seed, _thr, _chk, _path, _os, _sys"
    )


class CappedClient(NotebookClient):
    """A notebook client that keeps at most ``output_bytes`` of output in total."""

    output_bytes: int = 512 * 1024

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._kept = 0
        self.truncated = False

    def output(
        self,
        outs: list[Any],
        msg: dict[str, Any],
        display_id: str | None,
        cell_index: int,
    ) -> Any:
        size = len(json.dumps(msg.get("content", {}), default=str))
        if self._kept + size > self.output_bytes:
            if not self.truncated:
                self.truncated = True
                outs.append(
                    nbformat.v4.new_output("stream", name="stderr", text=TRUNCATED)
                )
            return None
        self._kept += size
        return super().output(outs, msg, display_id, cell_index)

    def _update_display_id(self, display_id: str, msg: dict[str, Any]) -> None:
        """An update rewrites every output sharing its id: each copy is counted."""
        copies = sum(len(v) for v in self._display_id_map.get(display_id, {}).values())
        size = len(json.dumps(msg.get("content", {}), default=str)) * max(copies, 1)
        if self._kept + size > self.output_bytes:
            if not self.truncated:
                self.truncated = True
                for cell_index in list(self._display_id_map.get(display_id, {}))[:1]:
                    self.nb.cells[cell_index].outputs.append(
                        nbformat.v4.new_output("stream", name="stderr", text=TRUNCATED)
                    )
            return
        self._kept += size
        super()._update_display_id(display_id, msg)


def write_kernel_spec(folder: Path, limits: Limits, scratch: Path) -> Path:
    """Write the sandboxed kernel spec into ``folder/kernels`` and return ``folder``."""
    spec = folder / "kernels" / KERNEL_NAME
    for part in (folder, folder / "kernels", spec):
        fresh_folder(part, None)
    argv = wrap(
        python("-m", "ipykernel_launcher", "-f", "{connection_file}"),
        limits,
        scratch,
    )
    kernel = {"argv": argv, "display_name": "grading", "language": "python"}
    (spec / "kernel.json").write_text(json.dumps(kernel))
    return folder


class _OverMemory(Exception):
    """A cell ran out of time with its kernel over the memory cap."""


def _exit_status(km: Any) -> int | None:
    """The kernel process's exit status (None: running, or unknown)."""
    process = getattr(getattr(km, "provisioner", None), "process", None)
    try:
        return None if process is None else process.poll()
    except Exception:
        return None


def _foreign_imports(lead: Any) -> str | None:
    """What the first cell found imported from outside the package, if anything.

    Not tampering: once started, the kernel is the student's process, and
    files in the job's home folder (IPython's startup scripts) run in it
    before the first cell, so a finding here is reported in the feedback;
    grades never come from the kernel. The kernel's sandbox, which is the
    grader's, checks itself (and a failure there is tampering).
    """
    for out in lead.get("outputs", []):
        if out.get("output_type") == "error" and out.get("ename") == "ForeignImport":
            return str(out.get("evalue", ""))[:300]
    return None


def _error_text(cell: Any) -> str:
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            return f"{out.get('ename', 'Error')}: {out.get('evalue', '')}"[:300]
    return "error"


def _kernel_manager(limits: Limits, runtime: Path) -> Any:
    """A kernel manager whose connection file the sandboxed kernel can read."""
    from jupyter_client.manager import AsyncKernelManager

    class JobKernelManager(AsyncKernelManager):  # type: ignore[misc]
        def write_connection_file(self, **kwargs: Any) -> None:
            # student code may have left a link where the file goes: remove it,
            # so the grader never writes through it (every job process is dead)
            fresh_folder(runtime, limits.uid)
            super().write_connection_file(**kwargs)
            if limits.uid is not None:
                os.lchown(self.connection_file, limits.uid, limits.uid)

    fresh_folder(runtime, limits.uid)
    return JobKernelManager


def fresh_folder(folder: Path, uid: int | None) -> None:
    """Make ``folder`` a real folder (not a link), owned by ``uid`` when given.

    Anything in its place that is not a plain folder (a student's symlink to
    somewhere else) is removed first, so that root never writes or chowns
    through it; links inside are removed too.
    """
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        folder.unlink()
    folder.mkdir(exist_ok=True)
    for entry in folder.iterdir():
        if entry.is_symlink():
            entry.unlink()
    if uid is not None:
        os.lchown(folder, uid, uid)


def execute_notebook(
    nb: nbformat.NotebookNode,
    workdir: Path,
    limits: Limits,
    after_kernel: Callable[[], None] | None = None,
) -> tuple[nbformat.NotebookNode, ExecutionReport]:
    """Run every code cell of ``nb`` in ``workdir``; return the executed copy, events.

    Args:
        nb: the notebook.
        workdir: the submission's scratch folder (the kernel's only writable one).
        limits: budgets and isolation.
        after_kernel: called after each kernel has ended; what it raises
            (the integrity check's :class:`~coursework.grading.integrity.Tampered`)
            stops execution and propagates.

    Never raises for anything the notebook does.
    """
    from jupyter_client.kernelspec import KernelSpecManager

    report = ExecutionReport()
    start = time.monotonic()
    spec_dir = write_kernel_spec(workdir / ".kernelspec", limits, workdir)
    env = environment(workdir, limits)
    runtime = workdir / ".runtime"
    manager = _kernel_manager(limits, runtime)
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    lead = nbformat.v4.new_code_cell(preamble(limits))
    cells = list(nb.cells)
    nb.cells = [lead, *cells]
    client: CappedClient | None = None
    failed_starts = 0
    index = 0
    while index < len(nb.cells):
        left = limits.notebook_seconds - (time.monotonic() - start)
        if left <= 1:
            report.budget_exhausted = True
            break
        ksm = KernelSpecManager(kernel_dirs=[str(spec_dir / "kernels")])
        # In namespaces of its own the kernel has no network to share with
        # the grader: it talks over ipc sockets in the job's own folder.
        transport = {
            "transport": "ipc",
            "ip": str(runtime / f"k{report.kernels_started}"),
        }
        km = manager(
            kernel_name=KERNEL_NAME,
            kernel_spec_manager=ksm,
            connection_file=str(runtime / f"kernel-{report.kernels_started}.json"),
            **(transport if limits.namespaces else {}),
        )
        client = CappedClient(
            nb,
            km=km,
            timeout=max(1, int(min(limits.cell_seconds, left))),
            allow_errors=True,
            interrupt_on_timeout=False,
            shutdown_kernel="immediate",
            startup_timeout=120,
            iopub_timeout=10,
            record_timing=False,
        )
        client.output_bytes = limits.output_kb * 1024
        client.truncated = report.output_truncated
        watch: MemoryWatch | None = None
        report.kernels_started += 1
        try:
            starting = time.monotonic()
            # the sandbox enters workdir once its limits and layers are on
            with client.setup_kernel(env=env, cwd="/"):
                pid = km.provisioner.process.pid  # type: ignore[union-attr]
                watch = MemoryWatch(pid, limits.memory_mb)
                watch.start()
                # threads and seeds (again, in a fresh kernel), on the grader's clock
                client.timeout = int(min(STARTUP_SECONDS, max(1, left)))
                client.execute_cell(lead, 0, store_history=False)
                foreign = _foreign_imports(lead)
                if foreign:
                    report.events.append(CellEvent(-1, "foreign-import", foreign))
                report.startup_seconds += time.monotonic() - starting
                index = max(index, 1)
                while index < len(nb.cells):
                    left = limits.notebook_seconds - (time.monotonic() - start)
                    if left <= 1:
                        report.budget_exhausted = True
                        index = len(nb.cells)
                        break
                    client.timeout = max(1, int(min(limits.cell_seconds, left)))
                    cell = nb.cells[index]
                    try:
                        client.execute_cell(cell, index, store_history=index > 0)
                    except CellTimeoutError:
                        if watch.over_limit():  # measured before the kernel goes
                            raise _OverMemory from None
                        raise
                    if cell.cell_type == "code" and any(
                        o.get("output_type") == "error" for o in cell.get("outputs", [])
                    ):
                        text = _error_text(cell)
                        if "No space left on device" in text:  # the job's quota
                            text = (
                                f"stored more than {limits.disk_mb} MB on disk, "
                                f"the job's quota ({text})"
                            )
                        kind = "disk" if "the job's quota" in text else "error"
                        report.events.append(CellEvent(index - 1, kind, text))
                    index += 1
        except CellTimeoutError:
            report.events.append(
                CellEvent(index - 1, "timeout", f"cell ran past {client.timeout} s")
            )
            index += 1
        except (_OverMemory, DeadKernelError, CellExecutionError, RuntimeError) as exc:
            tripped = watch is not None and watch.tripped
            kind = "memory" if tripped else "kernel-died"
            message = (
                f"used more than {limits.memory_mb} MB of memory"
                if tripped
                else f"the kernel died ({type(exc).__name__})"
            )
            report.events.append(CellEvent(index - 1, kind, message))
            index += 1
        except Tampered:
            raise
        except Exception as exc:  # a kernel that never started, a broken cell
            if _exit_status(km) == FOREIGN_IMPORT_EXIT:
                raise Tampered("a kernel's sandbox imported foreign code") from None
            report.events.append(
                CellEvent(index - 1, "kernel-died", f"{type(exc).__name__}: {exc}")
            )
            index += 1
            failed_starts = failed_starts + 1 if watch is None else 0
            if failed_starts >= 2:  # the environment, not the notebook, is broken
                report.budget_exhausted = True
                break
        finally:
            if watch is not None:
                watch.stop()
            report.output_truncated = report.output_truncated or client.truncated
        if after_kernel is not None:
            after_kernel()
    nb.cells = nb.cells[1:]
    report.seconds = time.monotonic() - start
    for event in report.events:
        if 0 <= event.cell < len(nb.cells):
            event.exercise = nb.cells[event.cell].get("metadata", {}).get("exercise")
    return nb, report

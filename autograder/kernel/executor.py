"""The one way this package runs a notebook's cells in a kernel (nbclient underneath).

Used by grading (``sandbox.py`` adds limits, isolation and integrity checks around it), by lecture
builds and the learner's self-check (``execute_notebook``: the course's own kernel, started in the
notebook's folder) and by the test suite.

- ``local_kernel_manager()``: a kernel of this Python (its own ipykernel), whatever ``python3``
  kernelspecs the user has installed elsewhere;
- ``CellClient``: nbclient's client that records every cell's execute reply (errors count from
  the reply, whatever the outputs show) and keeps an output budget per cell;
- ``run_cells``: code cells in order, with a hook before each (the grader's integrity checks), until
  the end, a timeout, a dead kernel or (optionally) the first error.

Imports from the package only ``course`` and ``notebook_helpers.runtime``.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from autograder.notebook_helpers import runtime


def local_kernel_manager():
    """A kernel of this Python, not the user's ``python3`` kernelspec (which may be another Python)."""
    import zmq
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager

    km = AsyncKernelManager(kernel_name="python3", kernel_spec_manager=KernelSpecManager(kernel_dirs=[]))
    if zmq.has("curve"):  # encrypt the local kernel traffic when the kernel supports it (no TCP warning)
        km.transport_encryption = "auto"
    return km


def notebook_environment(fast: bool) -> dict[str, str]:
    """A notebook kernel's environment, as JupyterLab gives it: the caller's, the mode set, plots inline."""
    return {**os.environ, runtime.FAST_ENV: "1" if fast else "0", "MPLBACKEND": runtime.INLINE_BACKEND}


class CellClient(NotebookClient):
    """nbclient's client recording each cell's execute reply, with an output budget per cell: a
    flood of output is dropped, then the cell interrupted (0: no budget). ``take_output``, if set,
    sees each output message first; one it takes (returns True) is neither the cell's output nor
    counted (the grader's integrity reports)."""

    max_output_bytes = 0
    _used = 0
    overflowed_cell: int | None = None
    last_reply: dict | None = None
    last_expressions: dict = {}  # the last reply's user_expressions: name -> {"status": ..., ...}
    take_output: Callable[[dict], bool] | None = None

    async def _check_raise_for_error(self, cell, cell_index, exec_reply):
        content = (exec_reply or {}).get("content", {})
        self.last_reply = {key: content.get(key) for key in ("status", "ename", "evalue")} if exec_reply else None
        self.last_expressions = content.get("user_expressions") or {}
        return await super()._check_raise_for_error(cell, cell_index, exec_reply)

    def output(self, outs, msg, display_id, cell_index):
        if self.take_output is not None and self.take_output(msg):
            return None
        if self.max_output_bytes:
            self._used += len(json.dumps(msg.get("content", {}), default=str))
            if self._used > self.max_output_bytes:
                if self.overflowed_cell is None:
                    self.overflowed_cell = cell_index
                    outs.append(nbformat.v4.new_output("stream", name="stderr", text="[output limit reached: the rest was dropped]\n"))
                    asyncio.ensure_future(self.km.interrupt_kernel())  # called from inside the client's event loop
                return None
        return super().output(outs, msg, display_id, cell_index)

    def reset_budget(self):
        self._used = 0


@contextmanager
def started(nb: nbformat.NotebookNode, *, cwd: Path | str, env: dict[str, str], cell_timeout_s: float, km=None,
            shut_down: bool = True, allow_errors: bool = True, **options):
    """A ``CellClient`` for ``nb`` with its kernel started in ``cwd``: the course's own kernel unless
    ``km`` is given. On leaving, the kernel is shut down (``shut_down``; the sandbox kills its own).
    ``allow_errors=False``: ``execute_cell`` raises nbclient's CellExecutionError on an error."""
    client = CellClient(nb, km=km if km is not None else local_kernel_manager(), timeout=cell_timeout_s, allow_errors=allow_errors,
                        record_timing=False, resources={"metadata": {"path": str(cwd)}}, **options)
    with client.setup_kernel(cwd=str(cwd), env=env, cleanup_kc=shut_down):
        yield client


@dataclass
class Run:
    """How far ``run_cells`` got."""

    status: str = "ok"  # ok | error (stopped at a cell's error) | timeout | crashed
    message: str = ""  # why it stopped, in one line ("" when it ran to the end)
    stopped_at: int | None = None  # index of the cell it stopped at
    executed: set[int] = field(default_factory=set)  # indices of cells that ran to completion
    replies: dict[int, dict] = field(default_factory=dict)  # index -> status, ename, evalue of the reply


def run_cells(client: CellClient, nb: nbformat.NotebookNode, *, cell_timeout_s: float, deadline: float | None = None,
              checkpoint: Callable[[int], None] | None = None, on_cell: Callable[[int], None] | None = None,
              before_cell: Callable[[int], None] | None = None, stop_on_error: bool = False) -> Run:
    """Execute the code cells of ``nb`` in order through ``client``.

    ``checkpoint(index)`` runs before each code cell and once more with ``len(nb.cells)`` after the
    last; ``on_cell(index)`` before each code cell too (progress); ``before_cell(index)`` right
    before its request is sent (after the checkpoint). ``deadline`` (``time.monotonic``)
    bounds the whole run. Stops at a timeout, a dead kernel or, with ``stop_on_error``, the first
    cell whose reply is an error; the cells after it are left unexecuted.
    """
    run = Run()
    index = 0
    try:
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            remaining = float("inf") if deadline is None else deadline - time.monotonic()
            if remaining <= 0:
                run.status, run.message, run.stopped_at = "timeout", "out of time", index
                return run
            client.timeout = max(1, int(min(cell_timeout_s, remaining)))
            if on_cell:
                on_cell(index)
            if checkpoint:  # its own output budget: a cell's flood must not drop the guard's report
                client.reset_budget()
                checkpoint(index)
            client.reset_budget()
            client.last_reply = None
            if before_cell:
                before_cell(index)
            client.execute_cell(cell, index)
            reply = client.last_reply or {"status": "error", "ename": "NoReply", "evalue": "the kernel sent no reply"}
            run.replies[index] = reply
            run.executed.add(index)
            if stop_on_error and reply.get("status") != "ok":
                ename, evalue = reply.get("ename") or "Error", (str(reply.get("evalue") or "").strip().splitlines() or [""])[0]
                run.status, run.message, run.stopped_at = "error", f"{ename}: {evalue}".rstrip(": "), index
                return run
        if checkpoint:
            client.reset_budget()
            checkpoint(len(nb.cells))
    except CellTimeoutError:
        run.status, run.message, run.stopped_at = "timeout", f"did not finish within {client.timeout} s", index
    except DeadKernelError:
        run.status, run.message, run.stopped_at = "crashed", "the kernel died", index
    return run


def execute_notebook(path: Path, *, env: dict[str, str], cell_timeout_s: float, stop_on_error: bool,
                     on_cell: Callable[[int, int], None] | None = None) -> tuple[nbformat.NotebookNode, Run]:
    """Run the notebook at ``path`` top to bottom in the course's kernel started in its folder, as
    JupyterLab would (lecture builds, the learner's check). Returns the executed notebook (partly,
    when it stopped) and the run; ``Run.message`` then reads "cell 12 of 67 (grade_id x): ...".
    """
    from autograder import course

    nb = course.read_notebook(path)
    with started(nb, cwd=path.parent, env=env, cell_timeout_s=cell_timeout_s) as client:
        run = run_cells(client, nb, cell_timeout_s=cell_timeout_s, stop_on_error=stop_on_error,
                        on_cell=(lambda index: on_cell(index, len(nb.cells))) if on_cell else None)
    if run.stopped_at is not None:
        where = f"cell {run.stopped_at + 1} of {len(nb.cells)}"
        grade_id = nb.cells[run.stopped_at].get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id:
            where += f" (grade_id {grade_id})"
        reason = f"timed out after {cell_timeout_s:g} s (raise it with --cell-timeout)" if run.status == "timeout" else run.message
        run.message = f"{where}: {reason}"
    return nb, run

"""Execute an untrusted notebook in a kernel with limits, checking its integrity before each test cell.

Limits: wall-clock for the whole notebook and per cell, memory (address space), CPU time, file size,
process count (a pids cgroup where the grader may create one, else RLIMIT_NPROC), output volume.
The kernel starts in an empty working directory of its own, isolated where the system allows
(``isolation.py``: no network, the course's secrets and other sandboxes hidden, only its folders
writable; it talks to us over Unix socket files in its sandbox); no gradebook exists on disk while
it runs (see classgrade.py). Whatever the notebook does, ``execute`` returns a status and leaves no
process running.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import signal
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from queue import Empty

import nbformat
from jupyter_client import AsyncKernelManager
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from autograder import isolation, zygote
from autograder._guard import REPORT_MIME
from autograder.runtime import REPO_ROOT

PIDS_CGROUP_ROOTS = [Path("/sys/fs/cgroup/pids"), Path("/sys/fs/cgroup")]  # cgroup v1, v2


@dataclass
class Limits:
    notebook_timeout_s: float = 900.0
    cell_timeout_s: float = 300.0
    memory_mb: int = 4096
    file_size_mb: int = 64
    max_processes: int = 256
    max_output_kb: int = 2048  # per cell; beyond it outputs are dropped and the cell is interrupted
    threads: int | None = None  # BLAS/OpenMP threads per kernel (grade-class: cores / workers)
    # Draw plots as PNG outputs? Figures are still made and closed as usual; only the drawing, which
    # no grade depends on, is skipped (about half of notebook 01's grading time).
    figures: bool = False
    # Folders the kernel must not see besides the course's own (isolation.hidden_paths): grade-class
    # adds the submissions and the results folders.
    hidden_paths: tuple[str, ...] = ()


@dataclass
class Execution:
    notebook: nbformat.NotebookNode
    status: str = "ok"  # ok | timeout | crashed | output_limit
    message: str = ""
    executed: set[int] = field(default_factory=set)  # indices of cells that ran to completion
    # cell index -> the kernel's execute reply: status ("ok", "error", "aborted"), ename, evalue.
    # Errors count from the reply, whatever the outputs show (a notebook can silence its tracebacks).
    replies: dict[int, dict] = field(default_factory=dict)
    findings: dict[int, list[str]] = field(default_factory=dict)  # cell index -> tampering seen before it
    guard_s: float = 0.0  # time spent in integrity checks (round trip included)
    elapsed_s: float = 0.0
    isolation: str = "none"  # full | partial | none: what the kernel achieved (isolation.py)
    isolation_missing: list[str] = field(default_factory=list)


class ReadyClient(AsyncKernelClient):
    """jupyter_client's client without its 0.2 s wait at start-up.

    ``wait_for_ready`` ends by reading iopub until it has been quiet for 0.2 s, a fifth of a
    notebook-01 grading; nbclient ignores messages that answer other requests, so draining what has
    already arrived is enough. The kernel_info handshake (shell reply, then iopub connected) is
    jupyter_client's own.
    """

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (timeout if timeout is not None else float("inf"))
        while True:
            self.kernel_info()
            try:
                reply = await self.shell_channel.get_msg(timeout=1)
            except Empty:
                reply = None
            if reply is not None and reply["msg_type"] == "kernel_info_reply":
                try:  # the kernel's iopub messages reach us: connected (else ask again)
                    await self.iopub_channel.get_msg(timeout=0.2)
                except Empty:
                    pass
                else:
                    self._handle_kernel_info_reply(reply)
                    break
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")
        while await self.iopub_channel.msg_ready():  # drain what has arrived, without waiting
            await self.iopub_channel.get_msg(timeout=0)


class _LimitedClient(NotebookClient):
    """nbclient with an output budget per cell: a flood of output is dropped, then interrupted."""

    max_output_bytes = 0
    _used = 0
    overflowed_cell: int | None = None
    last_reply: dict | None = None

    async def _check_raise_for_error(self, cell, cell_index, exec_reply):
        content = (exec_reply or {}).get("content", {})
        self.last_reply = {key: content.get(key) for key in ("status", "ename", "evalue")} if exec_reply else None
        return await super()._check_raise_for_error(cell, cell_index, exec_reply)

    def output(self, outs, msg, display_id, cell_index):
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


def _hidden_paths(limits: Limits) -> list[str] | None:
    """What the kernel must not see (None: no isolation, for tests that show what it stops)."""
    return isolation.hidden_paths(REPO_ROOT, limits.hidden_paths)


def _kernel_manager(workdir: Path, channel: Path, limits: Limits, cgroup: Path | None, environment_keys: list[str],
                    zygote_address: str | None) -> AsyncKernelManager:
    spec_dir = workdir.parent / "kernelspec" / "course-grader"
    spec_dir.mkdir(parents=True, exist_ok=True)
    settings = {
        "workdir": str(workdir), "memory_mb": limits.memory_mb, "cpu_s": int(limits.notebook_timeout_s * 2) + 10,
        "file_size_mb": limits.file_size_mb, "max_processes": limits.max_processes, "cgroup": str(cgroup) if cgroup else None,
        "environment_keys": environment_keys, "figures": limits.figures, "channel": str(channel), "hidden": _hidden_paths(limits),
    }
    argv = [sys.executable, "-m", "autograder._kernel", "--limits", json.dumps(settings), "-f", "{connection_file}"]
    if zygote_address:
        argv[3:3] = ["--zygote", zygote_address]
    (spec_dir / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": "grader", "language": "python"}))
    specs = KernelSpecManager(kernel_dirs=[str(spec_dir.parent)], ensure_native_kernel=False)
    # Unix socket files in the sandbox, not TCP: the kernel's network namespace has no route to ours.
    return AsyncKernelManager(kernel_name="course-grader", kernel_spec_manager=specs, transport="ipc",
                              connection_file=str(channel / "kernel.json"), client_class="autograder.sandbox.ReadyClient")


def _make_pids_cgroup(max_processes: int) -> Path | None:
    """A fresh pids cgroup capped at max_processes, or None where this process may not make one."""
    for root in PIDS_CGROUP_ROOTS:
        if (root / "cgroup.procs").exists() and os.access(root, os.W_OK):
            group = root / f"course-grader-{os.getpid()}-{secrets.token_hex(4)}"
            try:
                group.mkdir()
                (group / "pids.max").write_text(str(max_processes))
                return group
            except OSError:
                if group.exists():
                    group.rmdir()
    return None


def _kill_all(cgroup: Path | None, pids: list[int]) -> None:
    """Kill every process the kernel left behind: its process group and its cgroup's members.

    Nothing waits here for them to be gone (their exit takes the kernel a few to a hundred ms):
    ``_finish_later`` does, off the grading's path."""
    for pid in pids:  # the launched process and, when a zygote forked the kernel, the kernel
        if pid is None:  # the kernel never started
            continue
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    for member in _members(cgroup):
        try:
            os.kill(member, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _members(cgroup: Path | None) -> list[int]:
    try:
        return [int(p) for p in (cgroup / "cgroup.procs").read_text().split()] if cgroup else []
    except OSError:  # already removed
        return []


def _finish(cgroup: Path | None, folder: Path) -> None:
    """Until the cgroup is empty (members still forking while we kill are killed too), then remove
    it and the sandbox folder."""
    deadline = time.monotonic() + 2.5
    while cgroup is not None and time.monotonic() < deadline:
        members = _members(cgroup)
        if not members:
            break
        _kill_all(cgroup, [])
        time.sleep(0.002)  # a killed process leaves the group once its parent has reaped it
    if cgroup is not None:
        try:
            cgroup.rmdir()
        except OSError:
            pass
    shutil.rmtree(folder, ignore_errors=True)


def _finish_later(cgroup: Path | None, folder: Path) -> None:
    """``_finish`` in a thread: the grader goes on with the next notebook meanwhile. Not a daemon:
    an exiting grader still removes what it made."""
    threading.Thread(target=_finish, args=(cgroup, folder), name="sandbox-cleanup").start()


def _base_environment(limits: Limits, environment: dict[str, str]) -> dict[str, str]:
    """The environment of kernels (and so of their zygote) before the per-sandbox folders."""
    base = {**os.environ, **environment}
    if limits.threads:  # parallel kernels must not each spawn one BLAS thread per core
        base.update({name: str(limits.threads) for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")})
    return base


def warm_up(limits: Limits, environment: dict[str, str], preload: tuple[str, ...]) -> bool:
    """Start this process's zygote for these imports now (a grader does it while the kit is built),
    so that the first ``execute`` finds it ready. False where no zygote can run."""
    return zygote.shared(preload, _base_environment(limits, environment)) is not None


def execute(nb: nbformat.NotebookNode, limits: Limits, check_before: dict[int, tuple[str, ...]], environment: dict[str, str],
            preload: tuple[str, ...] = ()) -> Execution:
    """Run ``nb`` top to bottom in a sandboxed kernel, asking the integrity guard before the cells
    in ``check_before`` (cell index -> names the locked cell just before it bound, to protect).

    ``preload``: modules the kernel will import (its setup cell's); a zygote of this process with
    them already imported forks the kernel (see zygote.py), saving seconds per notebook.
    Cells run in order until one times out, the kernel dies, or the notebook's time is up; the
    rest are left unexecuted (the caller scores them 0).
    """
    if not isinstance(check_before, dict):  # a set of indices: guard them, protect nothing
        check_before = {index: () for index in check_before}
    result = Execution(notebook=nb)
    cgroup = _make_pids_cgroup(limits.max_processes)
    start = time.monotonic()
    tmp = tempfile.mkdtemp(prefix="sandbox-")
    try:
        workdir, channel = Path(tmp) / "work", Path(tmp) / "channel"  # the kernel's only writable folders
        workdir.mkdir()
        channel.mkdir()
        config_dir = workdir / ".matplotlib"
        zygote.copy_font_cache(config_dir)
        base_env = _base_environment(limits, environment)
        kernel_env = {**base_env, "HOME": str(workdir), "MPLCONFIGDIR": str(config_dir), "IPYTHONDIR": str(workdir / ".ipython"),
                      "TMPDIR": str(workdir)}
        warm = zygote.shared(preload, base_env)
        km = _kernel_manager(workdir, channel, limits, cgroup, sorted(environment), warm.address[1:] if warm else None)
        # "immediate": the kernel is killed below, not asked to shut down (jupyter_client then polls
        # for its exit every 0.1 s; nothing in a grading kernel needs a clean exit).
        client = _LimitedClient(nb, km=km, timeout=int(limits.cell_timeout_s), allow_errors=True, shutdown_kernel="immediate",
                                interrupt_on_timeout=False, kernel_name="course-grader",
                                resources={"metadata": {"path": str(workdir)}})
        client.max_output_bytes = limits.max_output_kb * 1024
        kernel_pid = None
        try:
            with client.setup_kernel(cwd=str(workdir), env=kernel_env):
                provisioner = getattr(km, "provisioner", None)
                kernel_pid = getattr(getattr(provisioner, "process", None), "pid", None)
                result.isolation, result.isolation_missing = _isolation_report(channel)
                try:
                    _run_cells(client, nb, limits, check_before, result, start)
                finally:  # before jupyter_client's shutdown, which would wait for the processes to end
                    _kill_all(cgroup, [kernel_pid, _forked_pid(Path(tmp))])
                    _wait_for_exit(provisioner)
        except Exception as error:  # kernel failed to start or talk: this submission only
            result.status, result.message = "crashed", f"{type(error).__name__}: {error}"[:300]
        finally:
            _kill_all(cgroup, [kernel_pid, _forked_pid(Path(tmp))])
            if client.overflowed_cell is not None and result.status == "ok":
                result.status = "output_limit"
                result.message = f"cell {client.overflowed_cell} printed more than {limits.max_output_kb} KB (the rest was dropped)"
    finally:
        _finish_later(cgroup, Path(tmp))
    result.elapsed_s = time.monotonic() - start
    return result


def _run_cells(client: _LimitedClient, nb: nbformat.NotebookNode, limits: Limits, check_before: dict[int, tuple[str, ...]],
               result: Execution, start: float) -> None:
    """Execute the code cells in order, asking the guard before those in ``check_before``; stop at
    the first cell that times out or kills the kernel, or when the notebook's time is up."""
    index = 0
    try:
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            remaining = limits.notebook_timeout_s - (time.monotonic() - start)
            if remaining <= 0:
                result.status, result.message = "timeout", f"the notebook ran out of its {limits.notebook_timeout_s:.0f} s"
                return
            client.timeout = max(1, int(min(limits.cell_timeout_s, remaining)))
            client.reset_budget()
            if index in check_before:
                asked = time.monotonic()
                result.findings[index] = _guard_report(client, index, check_before[index])
                result.guard_s += time.monotonic() - asked
                client.reset_budget()
            client.last_reply = None
            client.execute_cell(cell, index)
            result.replies[index] = client.last_reply or {"status": "error", "ename": "NoReply", "evalue": "the kernel sent no reply"}
            result.executed.add(index)
        if len(nb.cells) in check_before:  # after the last cell
            result.findings[len(nb.cells)] = _guard_report(client, len(nb.cells) - 1, check_before[len(nb.cells)])
    except CellTimeoutError:
        result.status, result.message = "timeout", f"cell {index} did not finish within {client.timeout} s"
    except DeadKernelError:
        result.status, result.message = "crashed", f"the kernel died in cell {index} (exit, crash, or memory limit of {limits.memory_mb} MB)"


def _forked_pid(sandbox: Path) -> int | None:
    """The kernel's pid when a zygote forked it (it writes the pid beside the working folder)."""
    try:
        return int((sandbox / "kernel.pid").read_text())
    except (OSError, ValueError):
        return None


def _wait_for_exit(provisioner, seconds: float = 1.0) -> None:
    """Until the launched process (killed) has exited, polling every millisecond."""
    process = getattr(provisioner, "process", None)
    deadline = time.monotonic() + seconds
    while process is not None and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.001)


def _isolation_report(channel: Path) -> tuple[str, list[str]]:
    """The level the kernel reached, written by it before ipykernel started (so before any cell)."""
    try:
        report = json.loads((channel / "isolation.json").read_text())
        return report["level"], report["missing"]
    except (OSError, ValueError, KeyError):
        return "none", ["the kernel did not report its isolation"]


def _guard_report(client: NotebookClient, index: int, protect: tuple[str, ...] = ()) -> list[str]:
    """Ask the in-kernel guard for tampering findings; a missing or forged report is itself one."""
    nonce = secrets.token_hex(8)
    probe = nbformat.v4.new_code_cell(f"__import__('autograder._guard', fromlist=['check']).check({nonce!r}, {tuple(protect)!r})")
    cell = client.nb.cells[index] if index < len(client.nb.cells) else None
    try:
        client.execute_cell(probe, index, store_history=False)
    except CellTimeoutError:
        return []  # a blocked kernel, not tampering: the next cell times out and says so
    finally:
        if cell is not None:  # nbclient stores the executed cell at its index: put the notebook's back
            client.nb.cells[index] = cell
    for output in probe.outputs:
        report = output.get("data", {}).get(REPORT_MIME)
        if report is not None and report.get("nonce") == nonce:
            return list(report.get("findings", []))
    return ["the integrity check was silenced or forged (display or import machinery replaced)"]


def as_dict(limits: Limits) -> dict:
    return asdict(limits)

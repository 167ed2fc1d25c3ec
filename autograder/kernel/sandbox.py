"""Execute an untrusted notebook in a kernel with limits, checking its integrity before each test cell.

Limits: wall-clock for the whole notebook and per cell, memory (address space), CPU time, file size,
process count (a pids cgroup where the grader may create one, else RLIMIT_NPROC), output volume.
The kernel starts in an empty working directory of its own, isolated where the system allows
(``isolation.py``: no network, the course's secrets and other sandboxes hidden, only its folders
writable; it talks to us over Unix socket files in its sandbox); no gradebook exists on disk while
it runs (see grading/engine.py). Whatever the notebook does, ``execute`` returns a status and leaves
no process running. The cells run through ``executor.run_cells``, the package's one executor.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from queue import Empty

import nbformat
import zmq
import zmq.asyncio
from jupyter_client import AsyncKernelManager
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.kernelspec import KernelSpecManager
from nbclient.exceptions import CellTimeoutError

from autograder.grading.results import Status
from autograder.kernel import executor, isolation, zygote
from autograder.kernel.guard import REPORT_MIME
from autograder.kernel.settings import LaunchSettings, Limits
from autograder.notebook_helpers.runtime import REPO_ROOT

PIDS_CGROUP_ROOTS = [Path("/sys/fs/cgroup/pids"), Path("/sys/fs/cgroup")]  # cgroup v1, v2
__all__ = ["Execution", "Limits", "ReadyClient", "execute", "warm_up"]


@dataclass
class Execution:
    notebook: nbformat.NotebookNode
    status: Status = Status.OK  # ok | timeout | crashed | output_limit
    message: str = ""
    executed: set[int] = field(default_factory=set)  # indices of cells that ran to completion
    # cell index -> the kernel's execute reply: status ("ok", "error", "aborted"), ename, evalue.
    # Errors count from the reply, whatever the outputs show (a notebook can silence its tracebacks).
    replies: dict[int, dict] = field(default_factory=dict)
    findings: dict[int, list[str]] = field(default_factory=dict)  # cell index -> tampering seen before it
    guard_s: float = 0.0  # time spent in probe cells (a check riding along with a cell counts in the cell's time)
    elapsed_s: float = 0.0
    isolation: str = "none"  # full | partial | none: what the kernel achieved (isolation.py)
    isolation_missing: list[str] = field(default_factory=list)


class ReadyClient(AsyncKernelClient):
    """jupyter_client's client without its 0.2 s wait at start-up, reconnecting every 10 ms until the
    kernel listens, sending ``user_expressions`` (set by the grader before a cell) with each execute
    request.

    ``wait_for_ready`` ends by reading iopub until it has been quiet for 0.2 s, a fifth of a
    notebook-01 grading; nbclient ignores messages that answer other requests, so draining what has
    already arrived is enough. The kernel_info handshake (shell reply, then iopub connected) is
    jupyter_client's own.
    """

    user_expressions: dict[str, str] = {}

    def _context_default(self) -> zmq.asyncio.Context:
        context = super()._context_default()
        # We connect before the kernel has bound its sockets, and zmq retries a connection every
        # 100 ms by default: about 80 ms of every kernel start was spent waiting for the retry.
        context.setsockopt(zmq.RECONNECT_IVL, 10)
        return context

    def execute(self, code: str, *args, **kwargs) -> str:
        if self.user_expressions:
            kwargs["user_expressions"] = {**(kwargs.get("user_expressions") or {}), **self.user_expressions}
        return super().execute(code, *args, **kwargs)

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


# A Unix socket's path holds at most 107 bytes; the kernel's are "<channel>/kernel-ipc-<port>".
_LONGEST_CHANNEL = 107 - len("/kernel-ipc-65535")
_SHORT_ROOT = "/tmp"


def _sandbox_root() -> str:
    """The folder sandboxes are made in: the temp folder, unless its path is too long for the
    kernel's socket files (a deep TMPDIR, such as a test runner's); then /tmp."""
    root = tempfile.gettempdir()
    if len(os.path.join(root, "sandbox-abcdefgh", "channel")) <= _LONGEST_CHANNEL:
        return root
    if os.path.isdir(_SHORT_ROOT) and os.access(_SHORT_ROOT, os.W_OK):
        return _SHORT_ROOT
    raise OSError(f"TMPDIR={root} is too long for the kernel's socket files ({_LONGEST_CHANNEL} bytes at most with "
                  "'/sandbox-abcdefgh/channel'): set TMPDIR to a shorter folder")


def _hidden_paths(limits: Limits, root: str) -> list[str] | None:
    """What the kernel must not see (None: no isolation, for tests that show what it stops): the
    course's folders, the temp folder and the folder of the sandboxes (other kernels')."""
    return isolation.hidden_paths(REPO_ROOT, (*limits.hidden_paths, root))


def _kernel_manager(settings: LaunchSettings) -> AsyncKernelManager:
    spec_dir = Path(settings.workdir).parent / "kernelspec" / "course-grader"
    spec_dir.mkdir(parents=True, exist_ok=True)
    (spec_dir / "kernel.json").write_text(json.dumps({"argv": settings.argv(), "display_name": "grader", "language": "python"}))
    specs = KernelSpecManager(kernel_dirs=[str(spec_dir.parent)], ensure_native_kernel=False)
    # Unix socket files in the sandbox, not TCP: the kernel's network namespace has no route to ours.
    return AsyncKernelManager(kernel_name="course-grader", kernel_spec_manager=specs, transport="ipc",
                              connection_file=str(Path(settings.channel) / "kernel.json"),
                              client_class="autograder.kernel.sandbox.ReadyClient")


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
            preload: tuple[str, ...] = (), files: dict[str, bytes] | None = None) -> Execution:
    """Run ``nb`` top to bottom in a sandboxed kernel, asking the integrity guard before the cells
    in ``check_before`` (cell index -> names the locked cell just before it bound, to protect).

    ``preload``: modules the kernel will import (its setup cell's); a zygote of this process with
    them already imported forks the kernel (see zygote.py), saving seconds per notebook.
    ``files``: relative path -> content, written into the kernel's working folder (the files that
    sit beside the notebook in its course folder).
    Cells run in order until one times out, the kernel dies, or the notebook's time is up; the
    rest are left unexecuted (the caller scores them 0).
    """
    if not isinstance(check_before, dict):  # a set of indices: guard them, protect nothing
        check_before = {index: () for index in check_before}
    result = Execution(notebook=nb)
    try:
        root = _sandbox_root()
    except OSError as error:  # the grader's setting, not the submission: said in one line
        result.status, result.message = Status.CRASHED, str(error)
        return result
    cgroup = _make_pids_cgroup(limits.max_processes)
    start = time.monotonic()
    tmp = tempfile.mkdtemp(prefix="sandbox-", dir=root)
    try:
        workdir, channel = Path(tmp) / "work", Path(tmp) / "channel"  # the kernel's only writable folders
        workdir.mkdir()
        channel.mkdir()
        for relative, content in (files or {}).items():
            target = (workdir / relative).resolve()
            if target.is_relative_to(workdir.resolve()):  # course files: never outside the folder
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(content)
        config_dir = workdir / ".matplotlib"
        zygote.copy_font_cache(config_dir)
        base_env = _base_environment(limits, environment)
        kernel_env = {**base_env, "HOME": str(workdir), "MPLCONFIGDIR": str(config_dir), "IPYTHONDIR": str(workdir / ".ipython"),
                      "TMPDIR": str(workdir)}
        warm = zygote.shared(preload, base_env)
        settings = LaunchSettings.for_sandbox(workdir, channel, limits, cgroup, environment, _hidden_paths(limits, root),
                                              warm.address[1:] if warm else None)
        km = _kernel_manager(settings)
        kernel_pid = None
        client = None
        try:
            # "immediate": the kernel is killed below, not asked to shut down (jupyter_client then
            # polls for its exit every 0.1 s; nothing in a grading kernel needs a clean exit).
            with executor.started(nb, km=km, cwd=workdir, env=kernel_env, cell_timeout_s=int(limits.cell_timeout_s),
                                  shut_down=False, shutdown_kernel="immediate", interrupt_on_timeout=False,
                                  kernel_name="course-grader") as client:
                client.max_output_bytes = limits.max_output_kb * 1024
                provisioner = getattr(km, "provisioner", None)
                kernel_pid = getattr(getattr(provisioner, "process", None), "pid", None)
                result.isolation, result.isolation_missing = _isolation_report(settings)
                try:
                    _run_cells(client, nb, limits, check_before, result, start)
                finally:  # before jupyter_client's shutdown, which would wait for the processes to end
                    _kill_all(cgroup, [kernel_pid, _forked_pid(settings)])
                    _wait_for_exit(provisioner)
        except Exception as error:  # kernel failed to start or talk: this submission only
            result.status, result.message = Status.CRASHED, f"{type(error).__name__}: {error}"[:300]
        finally:
            _kill_all(cgroup, [kernel_pid, _forked_pid(settings)])
            if client is not None and client.overflowed_cell is not None and result.status == Status.OK:
                result.status = Status.OUTPUT_LIMIT
                result.message = f"cell {client.overflowed_cell} printed more than {limits.max_output_kb} KB (the rest was dropped)"
    finally:
        _finish_later(cgroup, Path(tmp))
    result.elapsed_s = time.monotonic() - start
    return result


def _run_cells(client: executor.CellClient, nb: nbformat.NotebookNode, limits: Limits, check_before: dict[int, tuple[str, ...]],
               result: Execution, start: float) -> None:
    """The notebook's cells through the executor, with the guard's checks (``_Checks``); a timeout
    or a dead kernel ends the run (the cells after it are left unexecuted)."""
    checks = _Checks(client, nb, check_before, result)
    run = executor.run_cells(client, nb, cell_timeout_s=limits.cell_timeout_s, deadline=start + limits.notebook_timeout_s,
                             checkpoint=checks.checkpoint, before_cell=checks.ride_along)
    result.replies, result.executed = run.replies, run.executed
    if run.status == "timeout":
        result.status = Status.TIMEOUT
        result.message = (f"the notebook ran out of its {limits.notebook_timeout_s:.0f} s" if run.message == "out of time"
                          else f"cell {run.stopped_at} did not finish within {client.timeout} s")
    elif run.status == "crashed":
        result.status = Status.CRASHED
        result.message = f"the kernel died in cell {run.stopped_at} (exit, crash, or memory limit of {limits.memory_mb} MB)"


_ASK_GUARD = "course_guard"  # the user_expressions entry that asks the guard


def _ask_guard(nonce: str, protect: tuple[str, ...]) -> dict[str, str]:
    return {_ASK_GUARD: f"__import__('autograder.kernel.guard', fromlist=['check']).check({nonce!r}, {tuple(protect)!r})"}


class _Checks:
    """The guard's checks at the checkpoints ``check_before`` (cell index -> names to protect).

    Every check is a ``user_expressions`` entry of an execute request, which ipykernel evaluates
    right after the request's code, outside any cell (so every check sees the kernel in the same
    state), and only if that code succeeded. A check rides along with the cell before its
    checkpoint (no request of its own); when that cell failed, a probe request (``pass``) carries
    it. The guard publishes its report, echoing a fresh nonce; the client takes it out of the
    outputs. A report counts only if the request and the expression both succeeded: the cell can
    read the nonce from its own request, so a report it sent must never stand in for the guard's.
    More than one report carrying the nonce means someone else sent one: tampering.
    """

    def __init__(self, client: executor.CellClient, nb: nbformat.NotebookNode, check_before: dict[int, tuple[str, ...]],
                 result: Execution):
        self.client, self.nb, self.check_before, self.result = client, nb, check_before, result
        self.code_cells = [index for index, cell in enumerate(nb.cells) if cell.cell_type == "code"]
        self.riding: int | None = None  # the checkpoint whose check the last cell's request carried
        self.reports: list[dict] = []  # the reports carrying ``nonce`` that came so far (two at most)
        self.nonce: str | None = None
        client.take_output = self._take_report

    def _take_report(self, msg: dict) -> bool:
        report = msg.get("content", {}).get("data", {}).get(REPORT_MIME) if msg.get("msg_type") == "display_data" else None
        if self.nonce is None or not isinstance(report, dict) or report.get("nonce") != self.nonce or len(self.reports) > 1:
            return False  # a third copy and beyond: ordinary output, within the budget
        self.reports.append(report)
        return True

    def _ask(self, checkpoint: int | None) -> None:
        """The next request carries the check for ``checkpoint`` (None: no check)."""
        self.reports = []
        if checkpoint is None:
            self.nonce, self.client.kc.user_expressions = None, {}
        else:
            self.nonce = secrets.token_hex(8)
            self.client.kc.user_expressions = _ask_guard(self.nonce, self.check_before[checkpoint])

    def _verdict(self) -> list[str] | None:
        """The findings the request just answered carried; None if it carried no valid report."""
        answered = ((self.client.last_reply or {}).get("status") == "ok"
                    and self.client.last_expressions.get(_ASK_GUARD, {}).get("status") == "ok")
        return _findings(self.reports) if answered and self.reports else None

    def ride_along(self, index: int) -> None:
        """Before code cell ``index`` runs: its request carries the check of the checkpoint after it."""
        following = next((i for i in self.code_cells if i > index), len(self.nb.cells))
        self.riding = following if following in self.check_before else None
        self._ask(self.riding)

    def checkpoint(self, index: int) -> None:
        if index not in self.check_before:
            return
        findings = self._verdict() if self.riding == index else None
        if findings is None:  # the cell before failed (nothing evaluated), or no check rode along
            asked = time.monotonic()
            findings = self._probe(index)
            self.result.guard_s += time.monotonic() - asked
        self.result.findings[index] = findings
        self.riding = None
        self._ask(None)

    def _probe(self, index: int) -> list[str]:
        """A request of its own; after the last cell it takes the last cell's place (put back)."""
        self._ask(index)
        position = min(index, len(self.nb.cells) - 1)
        cell = self.client.nb.cells[position]
        try:
            self.client.execute_cell(nbformat.v4.new_code_cell("pass"), position, store_history=False)
        except CellTimeoutError:
            return []  # a blocked kernel, not tampering: the next cell times out and says so
        finally:  # nbclient stores the executed cell at its index: put the notebook's back
            self.client.nb.cells[position] = cell
        findings = self._verdict()
        return findings if findings is not None else ["the integrity check was silenced or forged (display or import machinery replaced)"]


def _findings(reports: list[dict]) -> list[str]:
    """The guard's findings from the reports that carried the nonce (exactly one is expected)."""
    findings = [str(finding) for finding in reports[0].get("findings", [])]
    if len(reports) > 1:
        findings.append("the integrity check was forged (more than one report carried its nonce)")
    return findings


def _forked_pid(settings: LaunchSettings) -> int | None:
    """The kernel's pid when a zygote forked it (see ``LaunchSettings.pid_file``)."""
    try:
        return int(settings.pid_file.read_text())
    except (OSError, ValueError):
        return None


def _wait_for_exit(provisioner, seconds: float = 1.0) -> None:
    """Until the launched process (killed) has exited, polling every millisecond."""
    process = getattr(provisioner, "process", None)
    deadline = time.monotonic() + seconds
    while process is not None and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.001)


def _isolation_report(settings: LaunchSettings) -> tuple[str, list[str]]:
    """The level the kernel reached, written by it before ipykernel started (so before any cell)."""
    try:
        report = json.loads(settings.isolation_report.read_text())
        return report["level"], report["missing"]
    except (OSError, ValueError, KeyError):
        return "none", ["the kernel did not report its isolation"]

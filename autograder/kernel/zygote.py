"""A warm template process that forks grading kernels: Python, ipykernel and the notebook's imports
are loaded once per grader process instead of once per submission.

Starting a kernel costs about 0.9 s and a typical setup cell (numpy, matplotlib, scikit-learn, the
course helpers) another 1.5-2.5 s; with a class of hundreds that is most of the grading time. The
zygote imports those modules once, then for each submission forks a child that applies the
sandbox's limits, installs the integrity guard and becomes the kernel (``launcher.start``). The
preloaded modules were imported before any submitted code ran, so the guard sees them untampered.

Protocol, over a Unix socket, one JSON object per line:
  proxy -> zygote  {"settings": LaunchSettings JSON, "connection_file": ..., "env": {...}}
  zygote -> proxy  {"pid": N}, later {"exit": CODE} when the kernel has ended.
The zygote writes the kernel's pid to ``LaunchSettings.pid_file`` (the grader kills it from there).
The proxy (``python -m autograder.kernel.launcher`` with a zygote in its settings) is what jupyter_client launched and
watches; it forwards interrupts to the kernel and exits with it. If the proxy dies, the zygote
kills the kernel's process group. Only processes whose parent is the grader (i.e. the proxies
it launched) are served, so a kernel cannot ask the zygote for a fresh kernel without limits.

    python -m autograder.kernel.zygote ADDRESS MODULE...   (started by ``Zygote``; exits when stdin closes)
"""

from __future__ import annotations

import ast
import atexit
import gc
import importlib
import json
import os
import secrets
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from autograder.kernel.settings import LaunchSettings
from autograder.notebook_helpers import runtime


class Zygote:
    """Grader side: start the template process, hand its address to kernel proxies, stop it."""

    def __init__(self, preload: tuple[str, ...], environment: dict[str, str]):
        # An abstract Unix socket (Linux): no path to clean up and no path-length limit.
        self.address = f"\0course-zygote-{os.getpid()}-{secrets.token_hex(8)}"
        self._config = tempfile.TemporaryDirectory(prefix="zygote-")
        config_dir = Path(self._config.name) / "matplotlib"
        copy_font_cache(config_dir)
        # matplotlib reads its backend when imported: the inline backend, as ipykernel would set it
        environment = {**environment, "MPLCONFIGDIR": str(config_dir), "MPLBACKEND": runtime.INLINE_BACKEND}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "autograder.kernel.zygote", self.address[1:], *preload],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=environment,
            cwd=self._config.name,
        )
        ready = self.process.stdout.readline()  # one line once the imports are done and it listens
        if ready.strip() != b"ready":
            self.stop()
            raise RuntimeError("the kernel zygote did not start")

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()  # its signal to kill its kernels and exit
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._config.cleanup()


def copy_font_cache(config_dir: Path) -> None:
    """A private matplotlib folder seeded with the grader's font cache (building one takes seconds)."""
    config_dir.mkdir()
    try:
        import matplotlib

        for cached in Path(matplotlib.get_cachedir()).glob("fontlist-*.json"):
            shutil.copyfile(cached, config_dir / cached.name)
    except Exception:  # noqa: BLE001 - no cache yet: matplotlib builds one in the kernel
        pass


_zygotes: dict[tuple, Zygote] = {}
_lock = threading.Lock()


def shared(preload: tuple[str, ...], environment: dict[str, str]) -> Zygote | None:
    """The zygote of this grader process for these imports and environment (started once), or
    None where one cannot run (then kernels start the ordinary way)."""
    key = (preload, tuple(sorted(environment.items())))
    with _lock:
        zygote = _zygotes.get(key)
        if zygote is None or not zygote.alive():
            try:
                zygote = _zygotes[key] = Zygote(preload, environment)
            except (OSError, RuntimeError):
                return None
            if len(_zygotes) == 1:
                atexit.register(stop_all)
        return zygote


def setup_imports(nb) -> tuple[str, ...]:
    """The modules a notebook's first code cell (its setup cell) imports, in order."""
    cell = next((c for c in nb.cells if c.cell_type == "code"), None)
    try:
        tree = ast.parse(cell.source if cell else "")
    except SyntaxError:
        return ()
    names = []
    for node in tree.body:
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.append(node.module)
    return tuple(dict.fromkeys(names))


def stop_all() -> None:
    with _lock:
        for zygote in _zygotes.values():
            zygote.stop()
        _zygotes.clear()


# --- the zygote process -------------------------------------------------------------------------

def _peer_parent(conn: socket.socket) -> int | None:
    """The parent pid of the process at the other end of conn (None if it is already gone)."""
    pid, _, _ = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")))
    import psutil

    try:
        return psutil.Process(pid).ppid()
    except psutil.Error:
        return None


def _hung_up(conn: socket.socket) -> bool:
    try:
        return not conn.recv(1024)
    except OSError:
        return True


def _send(conn: socket.socket, message: dict) -> None:
    try:
        conn.sendall((json.dumps(message) + "\n").encode())
    except OSError:
        pass


def _child(request: dict, inherited: list) -> None:
    """In the forked child: become the kernel; never returns."""
    try:
        for item in inherited:
            item.close()
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):  # not the grader's pipes: the kernel talks over its own sockets
            os.dup2(devnull, fd)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        os.environ.clear()
        os.environ.update(request["env"])
        from autograder.kernel import launcher

        launcher.start(LaunchSettings.decode(request["settings"]), request["connection_file"])
    except BaseException:  # noqa: BLE001 - a kernel that cannot start must not become a second zygote
        os._exit(70)
    os._exit(0)


# What every kernel imports while ipykernel starts (measured: sys.modules before and after
# IPKernelApp.initialize/start); a fork then finds them loaded.
KERNEL_MODULES = ("ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.zmqshell", "ipykernel.debugger", "tornado.gen",
                  "tornado.locks", "tornado.queues", "tornado.platform.asyncio", "pdb", "faulthandler", "IPython.extensions",
                  "autograder.kernel.guard",
                  "IPython.core.completerlib", "IPython.core.debugger", "IPython.core.oinspect", "IPython.extensions.storemagic",
                  "IPython.utils.wildcard", "psutil")


def serve(address: str, preload: list[str]) -> None:
    sys.modules.setdefault("debugpy", None)  # as in every grading kernel: no debugger (see launcher.start)
    # Importing allocates hundreds of thousands of long-lived objects: collecting while it goes on
    # only walks them again and again (numpy, matplotlib, scikit-learn, torch: 2.3 s -> 1.8 s).
    gc.disable()
    for name in [*KERNEL_MODULES, *preload]:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - the notebook will report its own import error
            pass
    # The inline backend hooks into IPython when first imported, which must happen in the kernel.
    sys.modules.pop("matplotlib_inline.backend_inline", None)
    # Everything loaded so far lives as long as the zygote: move it out of the collector's reach.
    # Otherwise a kernel's first full collection walks (and so copies, page by page, from the
    # zygote) every object of numpy, torch, matplotlib...: measured at a tenth of a second or more.
    gc.collect()
    gc.freeze()
    gc.enable()  # kernels collect their own garbage as usual
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind("\0" + address)
    listener.listen(16)
    grader = os.getppid()
    kernels: dict[int, socket.socket] = {}  # kernel pid -> its proxy's connection
    # A kernel that ends wakes the loop at once (its SIGCHLD writes to this pipe): until we reap it,
    # it stays in its pids cgroup, which the grader waits to see empty.
    woken, wake = os.pipe()
    os.set_blocking(woken, False)
    os.set_blocking(wake, False)
    signal.set_wakeup_fd(wake)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    try:
        while True:
            readable, _, _ = select.select([listener, sys.stdin, woken, *kernels.values()], [], [], 0.2)
            if woken in readable:
                while True:
                    try:
                        if not os.read(woken, 4096):
                            break
                    except BlockingIOError:
                        break
            if sys.stdin in readable and not os.read(sys.stdin.fileno(), 1024):
                break  # the grader closed our stdin or died
            if listener in readable:
                conn, _ = listener.accept()
                if _peer_parent(conn) != grader:
                    conn.close()
                else:
                    with conn.makefile("r") as lines:
                        request = json.loads(lines.readline())
                    pid = os.fork()
                    if pid == 0:
                        signal.set_wakeup_fd(-1)
                        os.close(woken)
                        os.close(wake)
                        _child(request, [listener, conn, *kernels.values()])
                    kernels[pid] = conn
                    with open(LaunchSettings.decode(request["settings"]).pid_file, "w") as pid_file:
                        pid_file.write(str(pid))
                    _send(conn, {"pid": pid})
            for pid, conn in list(kernels.items()):
                if conn in readable and _hung_up(conn):  # the proxy is gone: so is its kernel
                    _killpg(pid)
            while kernels:
                try:
                    pid, status = os.waitpid(-1, os.WNOHANG)
                except ChildProcessError:
                    break
                if pid == 0:
                    break
                conn = kernels.pop(pid, None)
                if conn is not None:
                    _killpg(pid)  # whatever the kernel started in its group goes with it
                    _send(conn, {"exit": os.waitstatus_to_exitcode(status)})
                    conn.close()
    finally:
        for pid in kernels:
            _killpg(pid)


def _killpg(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


if __name__ == "__main__":
    serve(sys.argv[1], sys.argv[2:])

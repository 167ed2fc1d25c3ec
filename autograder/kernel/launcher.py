"""Start an IPython kernel for grading, inside limits (the grading kernelspec's argv).

    python -m autograder.kernel.launcher --settings JSON -f CONNECTION_FILE

``JSON`` is a ``settings.LaunchSettings``. When it names a zygote, this process is only a proxy: a
warm zygote (``zygote.py``) forks the kernel,
this process forwards interrupts to it and exits with it (or starts the kernel itself if the
zygote is unreachable). Either way ``start`` sets the kernel up, and order matters: its own
process group, resource limits, the process cap (a pids cgroup when the grader could make one,
else RLIMIT_NPROC), then isolation (``isolation.py``: namespaces, privileges dropped; its level
is written to the channel folder for the grader), then the integrity guard, then ipykernel.
Submitted code runs only after all of them.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import socket
import sys

from autograder.kernel.settings import LaunchSettings


def _limit(kind: int, value: int | None) -> None:
    if value:
        resource.setrlimit(kind, (value, value))


def start(settings: LaunchSettings, connection_file: str) -> None:
    os.chdir(settings.workdir)
    try:
        os.setsid()  # its own session and process group: the grader can kill everything it started
    except PermissionError:  # already a session leader
        pass
    _limit(resource.RLIMIT_AS, settings.memory_mb << 20)
    _limit(resource.RLIMIT_CPU, settings.cpu_s)
    _limit(resource.RLIMIT_FSIZE, settings.file_size_mb << 20)
    _limit(resource.RLIMIT_CORE, 0)
    if settings.cgroup:  # a pids cgroup prepared by the grader caps every process this kernel starts
        with open(os.path.join(settings.cgroup, "cgroup.procs"), "w") as procs:
            procs.write(str(os.getpid()))
    elif settings.max_processes and os.getuid() != 0:
        # RLIMIT_NPROC counts every process of this user (and is ignored for root): leave room.
        import psutil

        _limit(resource.RLIMIT_NPROC, len(psutil.pids()) + settings.max_processes)
    report = {"level": "none", "missing": ["isolation switched off by the grader"], "setup_ms": 0.0}
    if settings.hidden is not None:
        from autograder.kernel import isolation

        report = isolation.enter(settings.workdir, settings.channel, list(settings.hidden))
    with open(settings.isolation_report, "w") as written:  # read before any cell runs
        json.dump(report, written)
    import tempfile

    tempfile.tempdir = None  # a zygote's cached choice: TMPDIR now names the working folder

    # No debugger in a grading kernel: ipykernel would import debugpy (0.1 s per kernel) to offer one.
    sys.modules.setdefault("debugpy", None)
    from autograder.kernel import guard

    guard.install(list(settings.environment_keys))
    from ipykernel.kernelapp import IPKernelApp
    from traitlets.config import Config

    config = Config()
    if not settings.figures:  # figures are made and closed as usual but never drawn to PNG
        config.InlineBackend.figure_formats = set()
    argv = ["-f", connection_file, "--HistoryManager.enabled=False", "--IPKernelApp.log_level=ERROR"]
    IPKernelApp.launch_instance(argv=argv, config=config)


def _via_zygote(settings: LaunchSettings, connection_file: str) -> int | None:
    """Ask the zygote for a kernel and stay its stand-in; None if the zygote cannot be reached."""
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.connect("\0" + settings.zygote)
        request = {"settings": settings.encode(), "connection_file": os.path.abspath(connection_file), "env": dict(os.environ)}
        conn.sendall((json.dumps(request) + "\n").encode())
        replies = conn.makefile("r")
        first = replies.readline()
    except OSError:
        return None
    if not first:
        return None
    kernel = json.loads(first)["pid"]

    def forward(signum, _frame):
        try:
            os.kill(kernel, signum)
        except ProcessLookupError:
            pass

    signal.signal(signal.SIGINT, forward)  # jupyter_client interrupts by signalling this process
    signal.signal(signal.SIGTERM, forward)
    line = replies.readline()  # blocks until the kernel ends (or the zygote dies: empty line)
    return json.loads(line)["exit"] if line else 1


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m autograder.kernel.launcher", description="start one grading kernel")
    parser.add_argument("--settings", required=True, type=LaunchSettings.decode, help="a LaunchSettings as JSON")
    parser.add_argument("-f", dest="connection_file", required=True, help="the kernel's connection file")
    args = parser.parse_args(argv)
    if args.settings.zygote:
        code = _via_zygote(args.settings, args.connection_file)
        if code is not None:
            sys.exit(code if code >= 0 else 128 - code)
    start(args.settings, args.connection_file)


if __name__ == "__main__":
    main()

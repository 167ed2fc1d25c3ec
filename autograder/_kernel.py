"""Start an IPython kernel for grading, inside limits (used as the grading kernel's argv).

    python -m autograder._kernel --limits JSON -f CONNECTION_FILE

Order matters: its own process group, resource limits, the process cap (a pids cgroup when the
grader could make one, else RLIMIT_NPROC), then the integrity guard, then ipykernel. Submitted code
runs only after all of them.
"""

from __future__ import annotations

import json
import os
import resource
import sys


def _limit(kind: int, value: int | None) -> None:
    if value:
        resource.setrlimit(kind, (value, value))


def main(argv: list[str]) -> None:
    limits = json.loads(argv[argv.index("--limits") + 1])
    connection_file = argv[argv.index("-f") + 1]
    workdir = limits["workdir"]
    os.chdir(workdir)
    try:
        os.setsid()  # its own session and process group: the grader can kill everything it started
    except PermissionError:  # already a session leader
        pass
    _limit(resource.RLIMIT_AS, limits["memory_mb"] << 20)
    _limit(resource.RLIMIT_CPU, limits["cpu_s"])
    _limit(resource.RLIMIT_FSIZE, limits["file_size_mb"] << 20)
    _limit(resource.RLIMIT_CORE, 0)
    cgroup = limits.get("cgroup")
    if cgroup:  # a pids cgroup prepared by the grader caps every process this kernel starts
        with open(os.path.join(cgroup, "cgroup.procs"), "w") as procs:
            procs.write(str(os.getpid()))
    elif limits.get("max_processes") and os.getuid() != 0:
        # RLIMIT_NPROC counts every process of this user (and is ignored for root): leave room.
        running = sum(1 for entry in os.listdir("/proc") if entry.isdigit())
        _limit(resource.RLIMIT_NPROC, running + limits["max_processes"])

    from autograder import _guard

    _guard.install(limits["environment_keys"])
    from ipykernel.kernelapp import launch_new_instance

    sys.argv = [sys.argv[0], "-f", connection_file, "--HistoryManager.enabled=False", "--IPKernelApp.log_level=ERROR"]
    launch_new_instance()


if __name__ == "__main__":
    main(sys.argv[1:])

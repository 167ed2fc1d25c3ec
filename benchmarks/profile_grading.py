"""Where one grading's time goes (kept, not a timed test): a breakdown of ``grade_submission``.

    .venv/bin/python benchmarks/profile_grading.py [NOTEBOOK] [--runs 5]

Grades the reference solution of NOTEBOOK (default 01_perceptron) ``--runs`` times in this process
(the first run starts the kernel zygote and is not counted) and prints the median of each phase:

- kernel start: from asking jupyter_client for a kernel to the kernel answering kernel_info
  (proxy process, zygote fork, limits, isolation, guard install, ipykernel start, handshake);
- cells: the notebook's code cells, split into the time the kernel spent executing them (from the
  execute reply: ``metadata.started`` to the reply's ``header.date``) and the round trip around it
  (messages, output handling); the integrity checks that ride along with a cell (evaluated in the
  same request, right after it) count here;
- integrity checks: the checks that needed a request of their own (the first, which takes the
  snapshot, and any after a failed cell), the same split;
- teardown: killing the kernel's processes, removing its folders;
- grading beyond the kernel: parsing, static checks, restoring hidden tests, scoring.
CPU seconds (user + system) are also given for the grader process and for the kernel process:
they change less than wall time when the machine is busy. Run it on an idle machine for wall times.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import os
import statistics
import time
from collections import defaultdict

from autograder import course
from autograder.grading.engine import grade_submission
from autograder.grading.kit import build_kit
from autograder.kernel import executor, sandbox
from autograder.kernel.sandbox import Limits

_TICK = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _TICK  # utime, stime
    except (OSError, IndexError, ValueError):
        return 0.0


def _kernel_side(reply: dict) -> float:
    """Seconds the kernel spent on a request: from handling it to sending the reply."""
    try:
        started = datetime.datetime.fromisoformat(str(reply["metadata"]["started"]).replace("Z", "+00:00"))
        sent = reply["header"]["date"]
        sent = sent if isinstance(sent, datetime.datetime) else datetime.datetime.fromisoformat(str(sent).replace("Z", "+00:00"))
        return max(0.0, (sent - started).total_seconds())
    except (KeyError, TypeError, ValueError):
        return 0.0


class _Recorder:
    """Wraps the sandbox's client and kill step to time each phase of one grading."""

    def __init__(self):
        self.phases: dict[str, float] = defaultdict(float)
        self.counts: dict[str, int] = defaultdict(int)
        self._install()

    def _install(self) -> None:
        recorder = self
        client = executor.CellClient
        setup, execute_cell, check = client.setup_kernel, client.execute_cell, client._check_raise_for_error
        kill_all = sandbox._kill_all

        @contextlib.contextmanager
        def setup_kernel(self, **kwargs):
            start = time.perf_counter()
            with setup(self, **kwargs):
                recorder.phases["kernel start"] += time.perf_counter() - start
                yield
                recorder._closing = time.perf_counter()

        def execute(self, cell, cell_index, execution_count=None, store_history=True):
            kind = "cells" if store_history else "integrity checks"
            start = time.perf_counter()
            try:
                return execute_cell(self, cell, cell_index, execution_count, store_history)
            finally:
                recorder.phases[kind] += time.perf_counter() - start
                recorder.phases[kind + ": in the kernel"] += recorder._last_kernel_side
                recorder.counts[kind] += 1

        async def check_raise(self, cell, cell_index, exec_reply):
            recorder._last_kernel_side = _kernel_side(exec_reply or {})
            return await check(self, cell, cell_index, exec_reply)

        def kill(cgroup, pids):  # called twice per grading: count each process once (the forked kernel's, the proxy's)
            recorder._cpu.update({pid: _cpu_seconds(pid) for pid in pids if pid and pid not in recorder._cpu})
            recorder.phases["kernel CPU s"] = sum(recorder._cpu.values())
            kill_all(cgroup, pids)

        client.setup_kernel, client.execute_cell, client._check_raise_for_error = setup_kernel, execute, check_raise
        sandbox._kill_all = kill
        self._last_kernel_side = 0.0
        self._closing = 0.0
        self._cpu: dict[int, float] = {}

    def run(self, kit, payload: bytes, limits: Limits) -> dict[str, float]:
        self.phases.clear()
        self.counts.clear()
        self._cpu = {}
        cpu, start = time.process_time(), time.perf_counter()
        result = grade_submission(kit, payload, limits, kit.assignment)
        total = time.perf_counter() - start
        if result.status != "ok" or result.score != result.max_score:
            raise SystemExit(f"{kit.assignment}: the reference solution got {result.score}/{result.max_score} ({result.status})")
        phases = dict(self.phases)
        phases["teardown"] = result.execution_s - phases.get("kernel start", 0) - phases.get("cells", 0) - phases.get("integrity checks", 0)
        phases["grading beyond the kernel"] = total - result.execution_s
        phases["total"] = total
        phases["grader CPU s"] = time.process_time() - cpu
        return phases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebook", nargs="?", default="01_perceptron")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1, help="BLAS/OpenMP threads per kernel (grade-class: cores / workers)")
    args = parser.parse_args()
    start = time.perf_counter()
    kit = build_kit(args.notebook)
    print(f"{args.notebook}: kit built in {time.perf_counter() - start:.2f} s (once per notebook and grader)")
    payload = course.solution_path(args.notebook).read_bytes()
    limits = Limits(threads=args.threads)
    recorder = _Recorder()
    start = time.perf_counter()
    recorder.run(kit, payload, limits)
    print(f"first grading (starts the zygote): {time.perf_counter() - start:.2f} s; load average {os.getloadavg()[0]:.1f}")
    runs = [recorder.run(kit, payload, limits) for _ in range(args.runs)]
    counts = dict(recorder.counts)
    print(f"median of {args.runs} gradings; load average now {os.getloadavg()[0]:.1f}")
    order = ["kernel start", "cells", "cells: in the kernel", "integrity checks", "integrity checks: in the kernel", "teardown",
             "grading beyond the kernel", "total", "grader CPU s", "kernel CPU s"]
    for phase in order:
        value = statistics.median(run.get(phase, 0.0) for run in runs)
        count = counts.get(phase.split(":")[0], "")
        label = f"{phase} ({count})" if count and ":" not in phase else phase
        print(f"  {label:<34} {value * 1000:8.0f} ms")


if __name__ == "__main__":
    main()

"""Benchmark (kept, not a timed test): a generated class graded by `grade-class`, then its report.

    .venv/bin/python benchmarks/class_benchmark.py [--students 200] [--notebook 01_perceptron] [--workers 2] [--seed 0]

Builds N submissions with tests/class_generator.py (reference solutions, wrong implementations,
partial attempts, blank and tampered notebooks, seeded), grades them with `grade_class` on a local
Dask cluster, then builds the class report (`report.py`) and prints:
- notebooks per hour (wall clock of grading alone, the cluster's start included);
- peak memory per worker: psutil samples, every 0.5 s, the proportional set size (PSS: shared pages
  split between the processes sharing them, so that forked kernels are not counted twice) of each
  Dask worker process plus its descendants (kernel zygote, kernels); a peak shorter than the
  interval can be missed;
- the report's build time (reading the results and writing the pages, in this process, its
  imports done before);
- the load average before and after (the machine may be shared: other load slows every row), and
  how many of the outcomes the generator knows the grader agreed with.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import jinja2  # noqa: F401 - imported here so that the report's time is its work, not imports
import matplotlib.figure  # noqa: F401
import psutil

from autograder import course
from autograder.class_grading.grade_class import grade_class
from autograder.kernel.sandbox import Limits
from autograder.outputs.report import build_report

sys.path.insert(0, str(course.REPO_ROOT / "tests"))
from class_generator import ClassGenerator, write_class  # noqa: E402


def _memory(process: psutil.Process) -> int:
    try:
        return process.memory_full_info().pss
    except (psutil.AccessDenied, AttributeError):
        return process.memory_info().rss


class WorkerMemory:
    """Samples the memory of each worker tree (a direct child running a Dask worker) in a thread."""

    def __init__(self, interval_s: float = 0.5):
        self.interval_s, self.peaks, self._stop = interval_s, Counter(), threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = psutil.Process()
        while not self._stop.wait(self.interval_s):
            for child in me.children():
                try:
                    if "spawn_main" not in " ".join(child.cmdline()):  # Dask's worker processes (multiprocessing spawn)
                        continue
                    total = _memory(child) + sum(_memory(p) for p in child.children(recursive=True))
                except psutil.Error:
                    continue
                self.peaks[child.pid] = max(self.peaks[child.pid], total)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--notebook", default="01_perceptron")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, default=None, help="write the class and results here (default: a temporary folder)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="class-benchmark-") as tmp:
        root = args.keep or Path(tmp)
        load_before = os.getloadavg()
        start = time.perf_counter()
        students = ClassGenerator(args.notebook).random_class(args.students, seed=args.seed)
        write_class(students, root / "submissions", args.notebook)
        generated_s = time.perf_counter() - start

        start = time.perf_counter()
        with WorkerMemory() as memory:
            results = grade_class(root / "submissions", root / "results", workers=args.workers, limits=Limits(),
                                  progress=False, report=False)
        graded_s = time.perf_counter() - start

        start = time.perf_counter()
        report = build_report(root / "results")
        report_s = time.perf_counter() - start
        load_after = os.getloadavg()

        known = agreed = unknown = 0
        for student in students:
            cells = {c.grade_id: c.passed for c in results[(student.student, args.notebook)].cells}
            for grade_id, expected in student.expected.items():
                if expected is None:
                    unknown += 1
                else:
                    known, agreed = known + 1, agreed + (cells.get(grade_id) == expected)
        kinds = Counter(s.kind for s in students)
        statuses = Counter(r.status for r in results.values())
        peaks = sorted(memory.peaks.values(), reverse=True)
        print(f"class: {args.students} x {args.notebook} ({', '.join(f'{n} {k}' for k, n in kinds.most_common())}), "
              f"generated in {generated_s:.1f} s")
        print(f"grading: {graded_s:.1f} s with {args.workers} workers = {args.students / graded_s * 3600:.0f} notebooks/hour "
              f"({graded_s * args.workers / args.students:.2f} worker-seconds per notebook); statuses {dict(statuses)}")
        print("peak memory per worker (PSS of the worker and its kernels, psutil every 0.5 s): "
              + ", ".join(f"{peak / 2**20:.0f} MiB" for peak in peaks[: args.workers]))
        print(f"report: {report_s:.2f} s ({len(report.files)} files, {len(report.problems)} problems)")
        print(f"outcomes the generator knows: {agreed}/{known} agreed with the grader ({unknown} not decided by construction)")
        print(f"load average (1, 5, 15 min) before {tuple(round(x, 2) for x in load_before)}, after {tuple(round(x, 2) for x in load_after)} "
              f"on {os.cpu_count()} cores")
    return 0 if agreed == known else 1


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark (kept, not a timed test): `grade-class` against nbgrader as instructors run it.

    .venv/bin/python benchmarks/grading_benchmark.py [--copies 16] [--workers 2] [--notebooks 01_perceptron 07_factor_graphs] [--per-file]

For each notebook, N copies of its reference solution are graded, in the same run:
(a) by nbgrader as instructors run it: one `nbgrader autograde ASSIGNMENT` call for the whole class
    (one core); with ``--per-file`` also one CLI call per submission (the old comparison);
(b) by `grade-class` on a local Dask cluster (``--workers`` processes, default 2), grading only (the
    similarity and report steps that follow are off; class_benchmark.py times the report);
(c) the limit: the notebook's own code, every code cell including test cells and hidden tests, run
    in a warm Python process (IPython shell, imports already done, figures made but not drawn).
Printed per notebook: wall time, the wall ratio (a)/(b), worker-seconds per notebook (wall time x
processes / N: the per-core cost), and the integrity guard's cost per check. Row (b') splits (b):
the worker-seconds spent grading the notebooks themselves (the sum of each result's ``elapsed_s``,
a worker grading one notebook at a time) per notebook, which is what each further student costs,
and the rest, paid once per class (starting the Dask workers and their kernel zygotes, building
the gradebooks, the last worker waiting for the other); the targets are printed beside them.
Run it on an otherwise idle machine: other load inflates each row differently.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from autograder import course
from autograder.class_grading.grade_class import grade_class
from autograder.kernel.sandbox import Limits


def _course_folder(name: str, copies: int, root: Path) -> dict[str, str]:
    shutil.copytree(course.SOLUTIONS_DIR / name, root / "source" / name)
    for i in range(copies):
        target = root / "submitted" / f"s{i:03d}" / name
        target.mkdir(parents=True)
        shutil.copyfile(course.solution_path(name), target / f"{name}.ipynb")
    (root / "nbgrader_config.py").write_text(f"c = get_config()\nc.CourseDirectory.root = {str(root)!r}\nc.Execute.timeout = 300\n")
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "COURSE_FAST": "1", "HOME": str(root),
           "COURSE_DATA_DIR": str(course.REPO_ROOT / "data")}
    subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", name, "--force"], cwd=root, env=env, check=True, capture_output=True)
    return env


def nbgrader_one_call(name: str, copies: int, root: Path) -> float:
    """One `nbgrader autograde ASSIGNMENT` for the whole class, as its documentation shows."""
    env = _course_folder(name, copies, root)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "nbgrader", "autograde", name, "--force"], cwd=root, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def nbgrader_per_file(name: str, copies: int, root: Path) -> float:
    env = _course_folder(name, copies, root)
    start = time.perf_counter()
    for i in range(copies):
        subprocess.run([sys.executable, "-m", "nbgrader", "autograde", name, "--student", f"s{i:03d}", "--force"], cwd=root,
                       env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def class_grader(name: str, copies: int, workers: int, root: Path) -> tuple[float, list[dict]]:
    for i in range(copies):
        target = root / "subs" / f"s{i:03d}"
        target.mkdir(parents=True)
        shutil.copyfile(course.solution_path(name), target / f"{name}.ipynb")
    start = time.perf_counter()
    results = grade_class(root / "subs", root / "out", workers=workers, progress=False, limits=Limits(), report=False, similarity=False)
    return time.perf_counter() - start, list(results.values())


_LIMIT_SCRIPT = r"""
import sys, time, nbformat
from IPython.core.interactiveshell import InteractiveShell
nb = nbformat.read(sys.argv[1], as_version=4)
shell = InteractiveShell.instance()
cells = [c.source for c in nb.cells if c.cell_type == "code"]
shell.run_cell(cells[0], store_history=False).raise_error()  # the setup cell: imports (a warm process has them)
start = time.perf_counter()
for source in cells[1:]:
    shell.run_cell(source, store_history=False).raise_error()
print(time.perf_counter() - start)
"""


def notebook_limit(name: str, threads: int, runs: int = 3) -> float:
    """The notebook's own code (every code cell after the setup cell, hidden tests included) in a
    warm IPython shell, figures made but not drawn, with as many BLAS/OpenMP threads as a grading
    kernel gets (cores / workers): a per-core cost like the other rows; best of ``runs``."""
    env = {**os.environ, "COURSE_FAST": "1", "MPLBACKEND": "agg", "OMP_WAIT_POLICY": "PASSIVE",
           **{variable: str(threads) for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}}
    times = []
    with tempfile.TemporaryDirectory() as work:
        for _ in range(runs):
            done = subprocess.run([sys.executable, "-c", _LIMIT_SCRIPT, str(course.solution_path(name))], cwd=work, env=env,
                                  check=True, capture_output=True, text=True)
            times.append(float(done.stdout.strip().splitlines()[-1]))
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--notebooks", nargs="+", default=["01_perceptron", "07_factor_graphs"])
    parser.add_argument("--per-file", action="store_true", help="also time one nbgrader CLI call per submission (slow)")
    args = parser.parse_args()
    print(f"{args.copies} copies of each reference solution; grade-class with {args.workers} workers; {os.cpu_count()} cores")
    print(f"{'notebook':<18} {'how':<34} {'wall s':>8} {'s/notebook':>10} {'worker-s/nb':>11} {'(a)/(b)':>8}")
    for name in args.notebooks:
        with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b, tempfile.TemporaryDirectory() as c:
            one_call = nbgrader_one_call(name, args.copies, Path(a))
            per_file = nbgrader_per_file(name, args.copies, Path(c)) if args.per_file else None
            class_s, results = class_grader(name, args.copies, args.workers, Path(b))
        limit = notebook_limit(name, threads=max(1, (os.cpu_count() or 1) // args.workers))
        assert all(r.score == r.max_score and r.status == "ok" for r in results), "the reference solution must earn full marks, ok"
        n = args.copies
        rows = [("(a) nbgrader autograde, one call", one_call, 1)]
        if per_file is not None:
            rows.append(("(a') nbgrader, one call per file", per_file, 1))
        rows.append((f"(b) grade-class --workers {args.workers}", class_s, args.workers))
        for label, wall, processes in rows:
            ratio = f"{one_call / class_s:7.2f}x" if label.startswith("(b)") else ""
            print(f"{name:<18} {label:<34} {wall:8.1f} {wall / n:10.2f} {wall * processes / n:11.2f} {ratio:>8}")
        print(f"{name:<18} {'(c) limit: its own code, warm':<34} {'':>8} {limit:10.2f} {limit:11.2f}")
        busy = sum(r.elapsed_s for r in results)
        once = class_s * args.workers - busy
        label = "(b') of which grading the notebooks"
        print(f"{name:<18} {label:<34} {'':>8} {'':>10} {busy / n:11.2f} {'':>8}  + {once:.1f} worker-s once per class")
        kernel = statistics.mean(r.execution_s for r in results)
        overhead = statistics.mean(r.elapsed_s - r.execution_s for r in results)
        probes = sum(r.guard["seconds"] for r in results) / n
        print(f"{'':<18} grade-class per notebook: kernel run {kernel:.2f} s, grading beyond it {overhead:.2f} s, "
              f"{results[0].guard['checks']} integrity checks (probe requests {probes * 1000:.0f} ms, the rest ride along with cells); "
              f"per-core cost vs nbgrader: {(one_call / n) / (class_s * args.workers / n):.2f}x for this class, "
              f"{one_call / busy:.2f}x per further notebook (target 2x)")
        print(f"{'':<18} target worker-s per notebook 1.5 x limit + 0.3 s = {1.5 * limit + 0.3:.2f}: this class {class_s * args.workers / n:.2f}, "
              f"per further notebook {busy / n:.2f}")


if __name__ == "__main__":
    main()

"""Benchmark (kept, not a timed test): one nbgrader CLI `autograde` call per file vs `grade-class`.

    .venv/bin/python benchmarks/grading_benchmark.py [--copies 40] [--workers 2]

Grades N copies of notebook 01's reference solution (a) with one `nbgrader autograde` CLI call per
file in a classic nbgrader course folder, and (b) with `grade-class` on a local Dask cluster; prints
both wall times, the ratio, and grade-class's per-notebook overhead beyond running the notebook.
Run it on an otherwise idle machine: other load inflates (a) and (b) differently.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from autograder import course
from autograder.classgrade import grade_class
from autograder.sandbox import Limits

NOTEBOOK = "01_perceptron"


def nbgrader_cli(copies: int, root: Path) -> float:
    """Classic nbgrader: a course folder, a gradebook, one CLI process per submission."""
    shutil.copytree(course.SOLUTIONS_DIR / NOTEBOOK, root / "source" / NOTEBOOK)
    for i in range(copies):
        target = root / "submitted" / f"s{i:03d}" / NOTEBOOK
        target.mkdir(parents=True)
        shutil.copyfile(course.solution_path(NOTEBOOK), target / f"{NOTEBOOK}.ipynb")
    (root / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CourseDirectory.root = %r\nc.Execute.timeout = 300\n" % str(root)
    )
    nbgrader = [sys.executable, "-m", "nbgrader"]
    env_bin = str(Path(sys.executable).parent)
    env = {"PATH": f"{env_bin}:/usr/bin:/bin", "COURSE_FAST": "1", "HOME": str(root)}
    subprocess.run([*nbgrader, "generate_assignment", NOTEBOOK, "--force"], cwd=root, env=env, check=True, capture_output=True)
    start = time.perf_counter()
    for i in range(copies):
        subprocess.run([*nbgrader, "autograde", NOTEBOOK, "--student", f"s{i:03d}", "--force"], cwd=root, env=env,
                       check=True, capture_output=True)
    return time.perf_counter() - start


def class_grader(copies: int, workers: int, root: Path, figures: bool) -> tuple[float, list[dict]]:
    for i in range(copies):
        target = root / "subs" / f"s{i:03d}"
        target.mkdir(parents=True)
        shutil.copyfile(course.solution_path(NOTEBOOK), target / f"{NOTEBOOK}.ipynb")
    start = time.perf_counter()
    results = grade_class(root / "subs", root / "out", workers=workers, progress=False, limits=Limits(figures=figures))
    return time.perf_counter() - start, list(results.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, default=40)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b, tempfile.TemporaryDirectory() as c:
        cli_s = nbgrader_cli(args.copies, Path(a))
        runs = {"default (figures not drawn)": class_grader(args.copies, args.workers, Path(b), figures=False),
                "--figures (drawn, as nbgrader)": class_grader(args.copies, args.workers, Path(c), figures=True)}
    print(f"{args.copies} copies of {NOTEBOOK}'s reference solution")
    print(f"(a) nbgrader CLI, one autograde per file: {cli_s:7.1f} s  ({cli_s / args.copies:.2f} s per notebook)")
    for label, (class_s, results) in runs.items():
        assert all(r["score"] == r["max_score"] for r in results), "the reference solution must earn full marks"
        execution = statistics.mean(r["execution_s"] for r in results)
        overhead = statistics.mean(r["elapsed_s"] - r["execution_s"] for r in results)
        per_notebook_wall = class_s * args.workers / args.copies
        print(f"(b) grade-class, {args.workers} workers, {label}: {class_s:7.1f} s  ({class_s / args.copies:.2f} s per notebook)"
              f"  speed-up (a)/(b): {cli_s / class_s:.1f}x")
        print(f"    per notebook: kernel run {execution:.2f} s (start-up included), grading overhead beyond it "
              f"{overhead:.2f} s (restore tests, score), worker wall time {per_notebook_wall:.2f} s "
              f"(so {per_notebook_wall - execution:.2f} s beyond the kernel run, scheduling and kit build included)")


if __name__ == "__main__":
    main()

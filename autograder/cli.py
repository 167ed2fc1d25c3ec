"""Command line: ``python -m autograder [--course DIR] {release,grade,check,grade-class,report,similarity,export,render,data,bundle} ...``."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from autograder import course
from autograder.notebook_helpers import runtime


def _release(args: argparse.Namespace) -> int:
    from autograder.publish import release

    if args.check:
        problems = release.drift()
        for problem in problems:
            print(problem)
        if problems:
            print("notebooks/ is out of date: run `python -m autograder release`", file=sys.stderr)
            return 1
        print("notebooks/ matches solutions/")
        return 0
    start = time.perf_counter()
    written = release.release(args.names or None)
    for path in written:
        print(f"wrote {path.relative_to(course.REPO_ROOT) if path.is_relative_to(course.REPO_ROOT) else path}")
    print(f"released {len(args.names or course.assignments())} notebook(s) in {time.perf_counter() - start:.1f} s")
    return 0


def _grade(args: argparse.Namespace) -> int:
    from autograder.grading.engine import grade_notebook
    from autograder.grading.results import Status
    from autograder.outputs.feedback import format_table

    status, summary = 0, []
    for path in args.paths:
        try:
            result = grade_notebook(path)
        except course.CourseError as error:
            print(f"error: {error}", file=sys.stderr)
            status = 2
            continue
        if args.executed is not None and result.executed is not None:  # hidden tests included: for instructors
            args.executed.mkdir(parents=True, exist_ok=True)
            (args.executed / Path(path).name).write_text(result.executed, encoding="utf-8")
        if args.json:
            print(json.dumps(result.to_json()))
        else:
            print(format_table(result) + "\n")
        summary.append(result)
    if len(summary) > 1 and not args.json:
        width = max(len(r.assignment) for r in summary)
        print(f"{'notebook':<{width}}  {'score':>6}  {'max':>6}")
        for r in summary:
            print(f"{r.assignment:<{width}}  {r.score:>6g}  {r.max_score:>6g}")
    short = [r for r in summary if r.score < r.max_score or r.status != Status.OK]
    if args.require_full and short:
        listed = ", ".join(f"{r.assignment} {r.score:g}/{r.max_score:g}" + (f" ({r.status})" if r.status != "ok" else "")
                           for r in short)
        print(f"error: not full marks: {listed}", file=sys.stderr)
        status = status or 1
    return status


def _check(args: argparse.Namespace) -> int:
    from autograder.grading.self_check import check_notebook, format_check

    status = 0
    for path in args.paths:
        try:
            result = check_notebook(path, cell_timeout_s=args.cell_timeout)
        except course.CourseError as error:
            print(f"error: {error}", file=sys.stderr)
            status = 2
            continue
        print(format_check(result) + "\n")
        if result.passed < len(result.cells) or result.stopped:
            status = status or 1
    return status


def _grade_class(args: argparse.Namespace) -> int:
    from autograder.class_grading.grade_class import grade_class
    from autograder.kernel.settings import Limits

    limits = Limits(notebook_timeout_s=args.timeout, cell_timeout_s=min(args.cell_timeout, args.timeout), memory_mb=args.memory_mb,
                    figures=args.figures)
    start = time.perf_counter()
    if args.roster is not None:  # a bad roster fails before hours of grading, not after
        from autograder.outputs.exports import read_roster

        read_roster(args.roster)
    results = grade_class(args.submissions, args.out, workers=args.workers, scheduler=args.scheduler, force=args.force, limits=limits,
                          roster=args.roster, missing=args.missing, similarity_threshold=args.similarity_threshold,
                          report=not args.no_report, similarity=not args.no_similarity)
    statuses: dict[str, int] = {}
    for result in results.values():
        statuses[result.status.value] = statuses.get(result.status.value, 0) + 1
    summary = ", ".join(f"{count} {status}" for status, count in sorted(statuses.items()))
    report = "" if args.no_report else f" and {Path(args.out) / 'report' / 'index.html'}"
    print(f"{len(results)} notebook(s) in {time.perf_counter() - start:.1f} s ({summary}); see {args.out}/grades.csv{report}")
    return 0


def _report(args: argparse.Namespace) -> int:
    from autograder.outputs.report import build_report

    start = time.perf_counter()
    report = build_report(args.results)
    for problem in report.problems:
        print(f"warning: {problem}", file=sys.stderr)
    count = sum(len(nb.submissions) for nb in report.notebooks)
    partial = f", partial: {len(report.problems)} problem(s) listed on the page" if report.problems else ""
    print(f"wrote {report.index} ({len(report.notebooks)} notebook(s), {count} submission(s), "
          f"{len(report.needs_attention)} to look at{partial}) in {time.perf_counter() - start:.1f} s")
    return 0


def _similarity(args: argparse.Namespace) -> int:
    from autograder.outputs import similarity

    similarity.run(args.submissions, args.out, args.threshold)
    return 0


def _export(args: argparse.Namespace) -> int:
    from autograder.outputs import exports

    exports.export(args.results, args.roster, args.missing)
    return 0


def _render(args: argparse.Namespace) -> int:
    from autograder.publish import render

    results, index = render.render(args.names or None, full=args.full, released=args.released, out=args.out,
                                   cell_timeout_s=args.cell_timeout, log=lambda line: print(line, flush=True))
    shown = index.relative_to(Path.cwd()) if index.is_relative_to(Path.cwd()) else index
    print(f"wrote {len(results)} page(s) to {shown.parent}/; open {shown}")
    failed = [r for r in results if r.failure]
    for r in failed:
        print(f"error: {r.name}: stopped at {r.failure}", file=sys.stderr)
    return 1 if failed else 0


def _bundle(args: argparse.Namespace) -> int:
    from autograder.publish.bundle import bundle

    start = time.perf_counter()
    files = bundle(args.out)
    print(f"wrote the student bundle ({len(files)} files) to {args.out} in {time.perf_counter() - start:.1f} s; "
          f"hand it out with its README.md")
    return 0


def _data(args: argparse.Namespace) -> int:
    from autograder.notebook_helpers import data

    return data.main()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__)
    parser.add_argument("--course", metavar="DIR", default=None,
                        help=f"the course folder (default: ${runtime.ROOT_ENV}, else the current folder or a parent "
                             "holding nbgrader_config.py and solutions/, else this package's source checkout)")
    commands = parser.add_subparsers(dest="command", required=True)

    rel = commands.add_parser("release", help="regenerate notebooks/ from solutions/ with nbgrader")
    rel.add_argument("names", nargs="*", help="notebook folders, e.g. 01_perceptron (default: all)")
    rel.add_argument("--check", action="store_true", help="only report whether notebooks/ is up to date")
    rel.set_defaults(run=_release)

    grade = commands.add_parser("grade", help="autograde notebooks (hidden tests included) and print scores")
    grade.add_argument("paths", nargs="+", help="notebook files (.ipynb), anywhere on disk")
    grade.add_argument("--json", action="store_true", help="print one JSON object per notebook")
    grade.add_argument("--executed", type=Path, default=None, metavar="DIR",
                       help="also write each notebook as the grader ran it (outputs, and the hidden tests: for instructors, "
                            "never for learners) to DIR/<file name>")
    grade.add_argument("--require-full", action="store_true",
                       help="exit 1 unless every notebook gets full marks with status ok (reference solutions, CI)")
    grade.set_defaults(run=_grade)

    own = commands.add_parser("check", help="a learner's self-check, like Validate: run your notebook, show which test cells' "
                              "visible checks pass and the first error behind the failures (no hidden tests)")
    own.add_argument("paths", nargs="+", help="your notebook files (.ipynb)")
    own.add_argument("--cell-timeout", type=float, default=300, help="limit per cell, seconds (default 300, as Validate)")
    own.set_defaults(run=_check)

    klass = commands.add_parser("grade-class", help="grade every <student>/<notebook>.ipynb with Dask, sandboxed")
    klass.add_argument("submissions", help="folder of <student>/<notebook>.ipynb, or nbgrader's submitted/<student>/<assignment>/")
    klass.add_argument("--out", required=True, help="results folder: grades.csv, json/, feedback/")
    klass.add_argument("--workers", type=int, default=None, help="local worker processes (default: one per core)")
    klass.add_argument("--scheduler", default=None, help="address of an existing Dask scheduler, e.g. tcp://host:8786")
    klass.add_argument("--force", action="store_true", help="regrade notebooks that already have results")
    klass.add_argument("--timeout", type=float, default=900, help="wall-clock limit per notebook, seconds (default 900)")
    klass.add_argument("--cell-timeout", type=float, default=300, help="limit per cell, seconds (default 300)")
    klass.add_argument("--memory-mb", type=int, default=4096, help="memory limit of each kernel (default 4096)")
    klass.add_argument("--figures", action="store_true",
                       help="draw plots into the graded notebooks (off by default: nobody views them and drawing "
                            "PNGs is about half of a numpy notebook's grading time)")
    klass.add_argument("--roster", type=Path, default=None,
                       help="CSV with columns id, name, email [, folder, section]: also write canvas.csv and moodle.csv")
    klass.add_argument("--missing", choices=("empty", "zero"), default="empty",
                       help="with --roster: what a student without a submission gets in the gradebook files (default: empty)")
    klass.add_argument("--similarity-threshold", type=float, default=None,
                       help="report pairs whose similarity reaches this share (default 0.5)")
    klass.add_argument("--no-report", action="store_true", help="do not write the class report (report/ under --out) at the end")
    klass.add_argument("--no-similarity", action="store_true", help="do not compare the submissions' code at the end (similarity)")
    klass.set_defaults(run=_grade_class)

    similar = commands.add_parser("similarity", help="list pairs of submissions whose solution code is alike (copydetect)")
    similar.add_argument("submissions", type=Path, help="folder of <student>/<notebook>.ipynb, or nbgrader's submitted/")
    similar.add_argument("--out", type=Path, required=True, help="results folder: writes report/similarity.html and .csv")
    similar.add_argument("--threshold", type=float, default=0.5,
                         help="report a pair when this share of one student's code matches the other's (default 0.5)")
    similar.set_defaults(run=_similarity)

    gradebook = commands.add_parser("export", help="write canvas.csv and moodle.csv from a results folder and a roster")
    gradebook.add_argument("results", type=Path, help="the results folder of grade-class (its grades.csv)")
    gradebook.add_argument("--roster", type=Path, required=True, help="CSV with columns id, name, email [, folder, section]")
    gradebook.add_argument("--missing", choices=("empty", "zero"), default="empty",
                           help="what a roster student without a submission gets (default: an empty cell)")
    gradebook.set_defaults(run=_export)

    summary = commands.add_parser("report", help="write the class report (item statistics, common failures, who needs a "
                                  "person) from a grade-class results folder; nothing is regraded")
    summary.add_argument("results", type=Path, help="the folder grade-class --out wrote (grades.csv, json/, feedback/)")
    summary.set_defaults(run=_report)

    lectures = commands.add_parser("render", help="execute notebooks and write HTML lecture pages with an index")
    lectures.add_argument("names", nargs="*", help="notebook folders, e.g. 01_perceptron (default: all)")
    lectures.add_argument("--full", action="store_true", help="full mode (COURSE_FAST=0): full training, minutes per notebook (default: fast mode)")
    lectures.add_argument("--released", action="store_true", help="render the student versions in notebooks/ instead of the solutions")
    lectures.add_argument("--out", type=Path, default=None, help="output folder (default: build/lectures/, or build/released/ with --released)")
    lectures.add_argument("--cell-timeout", type=float, default=None, help="limit per cell, seconds (default 600 in fast mode, 1800 in full mode)")
    lectures.set_defaults(run=_render)

    fetch = commands.add_parser("data", help="fetch (where needed) and verify every dataset the notebooks use")
    fetch.set_defaults(run=_data)

    handout = commands.add_parser("bundle", help="write the student bundle: released notebooks, helpers, README; no solutions")
    handout.add_argument("--out", type=Path, required=True, help="a new (or empty) folder")
    handout.set_defaults(run=_bundle)

    args = parser.parse_args(argv)
    previous = os.environ.get(runtime.ROOT_ENV)
    try:
        # Export the course folder (COURSE_ROOT) so kernels and workers started from here find it
        # too, whatever their working folder.
        if args.course is not None:
            runtime.use_course(args.course)
        elif (root := runtime.find_course_root()) is not None:
            runtime.use_course(root)
        return args.run(args)
    except (course.CourseError, runtime.CourseNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:  # as it was, for callers of main() in the same process (tests)
        if previous is None:
            os.environ.pop(runtime.ROOT_ENV, None)
        else:
            os.environ[runtime.ROOT_ENV] = previous

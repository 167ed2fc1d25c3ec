"""Command line: ``python -m autograder {release,grade} ...``."""

from __future__ import annotations

import argparse
import json
import sys
import time

from autograder import course


def _release(args: argparse.Namespace) -> int:
    from autograder import release

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
    from autograder.grade import format_table, grade_notebook

    status, summary = 0, []
    for path in args.paths:
        try:
            result = grade_notebook(path)
        except course.CourseError as error:
            print(f"error: {error}", file=sys.stderr)
            status = 2
            continue
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
    return status


def _data(args: argparse.Namespace) -> int:
    from autograder import data

    lines = data.fetch_all()
    print("\n".join(lines))
    return 1 if any(line.startswith("MISSING") for line in lines) else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    rel = commands.add_parser("release", help="regenerate notebooks/ from solutions/ with nbgrader")
    rel.add_argument("names", nargs="*", help="notebook folders, e.g. 01_perceptron (default: all)")
    rel.add_argument("--check", action="store_true", help="only report whether notebooks/ is up to date")
    rel.set_defaults(run=_release)

    grade = commands.add_parser("grade", help="autograde notebooks (hidden tests included) and print scores")
    grade.add_argument("paths", nargs="+", help="notebook files (.ipynb), anywhere on disk")
    grade.add_argument("--json", action="store_true", help="print one JSON object per notebook")
    grade.set_defaults(run=_grade)

    fetch = commands.add_parser("data", help="fetch (where needed) and verify every dataset the notebooks use")
    fetch.set_defaults(run=_data)

    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except course.CourseError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130

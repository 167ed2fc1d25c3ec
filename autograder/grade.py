"""Grade one notebook, anywhere on disk, without a course folder or student id.

The engine is the class grader's (``classgrade.grade_submission``): nbgrader restores every test
cell, hidden tests included, from a gradebook built from ``solutions/``; the notebook runs with
``COURSE_FAST=1`` in a sandboxed kernel; nbgrader's scoring rule decides each cell.

Reported messages name the exception type and its message only: tracebacks (which quote the
test code, hidden part included) never leave the engine.
"""

from __future__ import annotations

import functools
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat

from autograder import course


@dataclass
class CellResult:
    grade_id: str
    score: float
    max_score: float
    passed: bool
    message: str


@dataclass
class GradeResult:
    notebook: str
    score: float
    max_score: float
    cells: list[CellResult]
    manual: list[dict] = field(default_factory=list)  # answer cells an instructor grades by hand
    assignment: str = ""
    elapsed_s: float = 0.0
    execution_s: float = 0.0  # the notebook's own run in the kernel (elapsed_s adds grading overhead)
    status: str = "ok"  # ok | review | tampered | timeout | crashed | output_limit
    flags: list[str] = field(default_factory=list)
    first_error: dict | None = None  # the first ungraded cell that raised: cell, heading, ename, evalue
    autograded: nbformat.NotebookNode | None = None  # the executed notebook, for tests

    def to_json(self) -> dict:
        """The ``grade --json`` object: notebook, score, max_score, cells (+ manual)."""
        return {
            "notebook": self.notebook,
            "score": self.score,
            "max_score": self.max_score,
            "cells": [asdict(cell) for cell in self.cells],
            "manual": self.manual,
            "status": self.status,
            "flags": self.flags,
            "first_error": self.first_error,
        }


def identify(nb: nbformat.NotebookNode, path: Path) -> str:
    """Which course notebook a submission is, by its nbgrader grade ids (file names may change)."""
    submitted = {cell["grade_id"] for cell in course.graded_cells(nb)}
    if not submitted:
        raise course.CourseError(
            f"{path}: not from this course (no nbgrader cells; start from a notebook in notebooks/)"
        )
    best, overlap = None, 0
    for name in course.assignments():
        expected = {c["grade_id"] for c in course.graded_cells(course.read_notebook(course.solution_path(name)))}
        if len(submitted & expected) > overlap:
            best, overlap = name, len(submitted & expected)
    if best is None:
        raise course.CourseError(f"{path}: not from this course (its graded cells match no notebook in solutions/)")
    return best


@functools.cache
def kit_for(name: str):
    """The grading kit of a course notebook, built once per process."""
    from autograder.classgrade import build_kit

    return build_kit(name)


def grade_notebook(path: Path | str, limits=None) -> GradeResult:
    """Autograde the notebook at ``path`` against the course's hidden tests, in a sandboxed kernel.

    Raises:
        course.CourseError: unreadable input (missing, not a notebook, not from this course); the
            message is one line fit for a user. Anything the notebook does while running is
            reported in the result (``status``, ``flags``), not raised.
    """
    from autograder.classgrade import grade_submission

    path = Path(path)
    submission = course.read_notebook(path)
    name = identify(submission, path)
    start = time.perf_counter()
    report = grade_submission(kit_for(name), nbformat.writes(submission).encode(), limits=limits, label=str(path))
    return GradeResult(
        notebook=str(path),
        score=report["score"],
        max_score=report["max_score"],
        cells=[CellResult(**cell) for cell in report["cells"]],
        manual=report["manual"],
        assignment=name,
        elapsed_s=time.perf_counter() - start,
        execution_s=report["execution_s"],
        status=report["status"],
        flags=report["flags"],
        first_error=report.get("first_error"),
        autograded=nbformat.reads(report["executed"], as_version=4) if report["executed"] else None,
    )


def format_table(result: GradeResult) -> str:
    """A per-cell score table for the terminal."""
    width = max([len(c.grade_id) for c in result.cells] + [len(m["grade_id"]) for m in result.manual] + [8])
    lines = [f"{result.notebook}  ({result.assignment}, graded in {result.elapsed_s:.1f} s)",
             f"  {'cell':<{width}}  {'score':>5}  {'max':>5}  result"]
    for c in result.cells:
        status = "passed" if c.passed else f"FAILED  {c.message}"
        lines.append(f"  {c.grade_id:<{width}}  {c.score:>5g}  {c.max_score:>5g}  {status}")
    for m in result.manual:
        lines.append(f"  {m['grade_id']:<{width}}  {'-':>5}  {m['max_score']:>5g}  graded by hand (not in the total)")
    lines.append(f"  {'total':<{width}}  {result.score:>5g}  {result.max_score:>5g}")
    if result.first_error:
        error = result.first_error
        heading = f' ("{error["heading"]}")' if error["heading"] else ""
        lines.append(f"  first error: cell {error['cell']}{heading} raised {error['ename']}: {error['evalue']}")
    if result.status != "ok" or result.flags:
        lines.append(f"  status: {result.status}" + "".join(f"\n    - {flag}" for flag in result.flags))
    return "\n".join(lines)

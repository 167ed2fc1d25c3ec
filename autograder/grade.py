"""Grade one notebook with nbgrader, anywhere on disk, without a course folder or student id.

A temporary course root is built for each call: the solution notebook as nbgrader's source
(giving a gradebook that holds the hidden tests), the submission as student ``learner``. nbgrader's
autograde restores every test cell from the gradebook before executing, so hidden tests run even
though the learner never saw them, and edits to test cells do not count. The notebook runs with
``COURSE_FAST=1``.

Reported messages name the exception type and its message only: tracebacks (which quote the
test code, hidden part included) never leave this module.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
import warnings
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat

from autograder import course
from autograder.runtime import FAST_ENV

STUDENT = "learner"


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
    autograded: nbformat.NotebookNode | None = None  # the executed notebook, for tests

    def to_json(self) -> dict:
        """The ``grade --json`` object: notebook, score, max_score, cells (+ manual)."""
        return {
            "notebook": self.notebook,
            "score": self.score,
            "max_score": self.max_score,
            "cells": [asdict(cell) for cell in self.cells],
            "manual": self.manual,
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


@contextmanager
def _environment(**values: str):
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


_WARNING = re.compile(r"(\w*(?:Warning|Error)): (.*)")


def _failure_message(cell: nbformat.NotebookNode | None) -> str:
    """Why a test cell lost its points, without quoting any test source."""
    if cell is None:
        return "test cell missing from the submission (deleted, or its nbgrader metadata removed): copy it back from the released notebook"
    for output in cell.get("outputs", []):
        if output.output_type == "error":
            evalue = str(output.evalue).strip()
            if not evalue:
                evalue = {"AssertionError": "a check failed", "NotImplementedError": "the exercise is not solved yet"}.get(
                    output.ename, "raised without a message"
                )
            return f"{output.ename}: {evalue}"[:500]
    for output in cell.get("outputs", []):
        if output.output_type == "stream" and output.name == "stderr":
            found = _WARNING.search(output.text)
            detail = f" ({found.group(1)}: {found.group(2)[:200]})" if found else ""
            return f"the test cell wrote to stderr{detail}; any stderr output (a warning too) scores 0"
    return "the cell did not earn its points"


def grade_notebook(path: Path | str) -> GradeResult:
    """Autograde the notebook at ``path`` against the course's hidden tests.

    Raises:
        course.CourseError: unreadable input (missing, not a notebook, not from this course) or
            nbgrader failing to run; the message is one line fit for a user.
    """
    path = Path(path)
    submission = course.read_notebook(path)
    name = identify(submission, path)
    solution = course.read_notebook(course.solution_path(name))

    from nbgrader.api import Gradebook
    from nbgrader.apps import NbGraderAPI
    from sqlalchemy.exc import SAWarning

    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="grade-") as tmp:
        root = Path(tmp)
        shutil.copytree(course.SOLUTIONS_DIR / name, root / "source" / name)
        submitted = root / "submitted" / STUDENT / name
        submitted.mkdir(parents=True)
        nbformat.write(submission, submitted / f"{name}.ipynb")

        config = course.nbgrader_config(root)
        api = NbGraderAPI(config=config)
        generated = api.generate_assignment(name, force=True, create=True)
        if not generated["success"]:
            raise course.CourseError(f"solutions/{name}: nbgrader could not build the gradebook (run `python -m autograder release` to see why)")
        with _environment(**{FAST_ENV: "1"}), warnings.catch_warnings():
            # nbgrader's own SQLAlchemy usage warns about its session handling; scores are unaffected.
            warnings.simplefilter("ignore", SAWarning)
            graded = api.autograde(name, STUDENT, force=True, create=True)
        if not graded["success"]:
            last = (graded.get("error") or graded.get("log") or "unknown error").strip().splitlines()[-1]
            raise course.CourseError(f"{path}: nbgrader could not autograde it ({last})")

        autograded = nbformat.read(root / "autograded" / STUDENT / name / f"{name}.ipynb", as_version=4)
        executed = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in autograded.cells}
        with Gradebook(config.CourseDirectory.db_url) as gradebook:
            grades = {g.name: g for g in gradebook.find_submission_notebook(name, name, STUDENT).grades}
            cells, manual = [], []
            for expected in course.graded_cells(solution):
                grade_id, points = expected["grade_id"], expected["points"]
                if not expected["autograded"]:
                    manual.append({"grade_id": grade_id, "max_score": points})
                    continue
                grade = grades.get(grade_id)
                score = float(grade.auto_score or 0.0) if grade is not None and grade.auto_score is not None else 0.0
                present = grade_id in executed and grade is not None and grade.auto_score is not None
                passed = present and score >= points
                message = "" if passed else _failure_message(executed.get(grade_id) if present else None)
                cells.append(CellResult(grade_id, score, points, passed, message))
    return GradeResult(
        notebook=str(path),
        score=sum(c.score for c in cells),
        max_score=sum(c.max_score for c in cells),
        cells=cells,
        manual=manual,
        assignment=name,
        elapsed_s=time.perf_counter() - start,
        autograded=autograded,
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
    return "\n".join(lines)

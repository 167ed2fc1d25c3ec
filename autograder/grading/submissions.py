"""Finding the submissions in a folder (``grade-class``, ``similarity``): the layouts accepted and
which course notebook each file is.

Layouts: ``<student>/<notebook>.ipynb``, or nbgrader's ``submitted/<student>/<assignment>/<notebook>.ipynb``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from autograder import course
from autograder.grading.kit import identify


@dataclass
class Submission:
    student: str
    notebook: str  # the course notebook (assignment) it is, or the file stem if unknown
    path: Path


def discover(submissions: Path) -> list[Submission]:
    """Every submitted notebook under ``submissions`` (checkpoints and other depths left out), sorted."""
    root = submissions / "submitted" if (submissions / "submitted").is_dir() else submissions
    found = []
    for path in sorted(root.rglob("*.ipynb")):
        parts = path.relative_to(root).parts
        if ".ipynb_checkpoints" in parts or len(parts) not in (2, 3):
            continue
        notebook = parts[1] if len(parts) == 3 else path.stem
        found.append(Submission(student=parts[0], notebook=notebook, path=path))
    return found


def assignment_of(submission: Submission) -> str | None:
    """The course notebook a submission is: by its name, else (a renamed file) by its graded cells;
    None when it is unreadable or none of them."""
    if submission.notebook in course.assignments():
        return submission.notebook
    try:
        return identify(course.read_notebook(submission.path), submission.path)
    except course.CourseError:
        return None

"""What grading one course notebook needs, built once from ``solutions/``: the ``Kit`` (its nbgrader
gradebook with the hidden tests, as bytes, and the released cells' checksums), and ``identify``,
which tells which course notebook a submission is from its graded cells (file names may change).

A kit is all a grading worker needs: no solutions folder, no shared file system.
"""

from __future__ import annotations

import functools
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from autograder import course
from autograder.kernel import zygote


@dataclass
class Kit:
    assignment: str
    gradebook: bytes  # nbgrader gradebook: source cells with hidden tests (never given to a kernel)
    released_checksums: dict[str, str]  # grade_id of each test cell -> nbgrader checksum as released
    source_checksums: dict[str, str]  # the same for the instructor's version (hidden tests included)
    graded_cells: list[dict]  # course.graded_cells of the solution: grade_id, points, autograded
    files: dict[str, bytes] = field(default_factory=dict)  # the notebook folder's other files: copied beside the notebook
    preload: tuple[str, ...] = ()  # modules the setup cell imports: the kernel zygote loads them once


def build_kit(name: str) -> Kit:
    """Build the gradebook for one course notebook (nbgrader generate_assignment, in a temp folder)."""
    from nbgrader.utils import compute_checksum

    with tempfile.TemporaryDirectory(prefix="kit-") as tmp:
        root = Path(tmp)
        release = course.generate_assignment(name, root, gradebook=True)
        gradebook = (root / "gradebook.db").read_bytes()
        released = nbformat.read(release / f"{name}.ipynb", as_version=4)
    checksums = {
        cell.metadata.nbgrader["grade_id"]: compute_checksum(cell)
        for cell in released.cells
        if cell.metadata.get("nbgrader", {}).get("grade") and not cell.metadata.nbgrader.get("solution")
    }
    folder = course.SOLUTIONS_DIR / name
    files = {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*")
             if p.is_file() and p.suffix != ".ipynb" and ".ipynb_checkpoints" not in p.parts}
    solution = course.read_notebook(course.solution_path(name))
    source = {c.metadata.nbgrader["grade_id"]: compute_checksum(c) for c in solution.cells if c.metadata.get("nbgrader", {}).get("grade_id") in checksums}
    return Kit(name, gradebook, checksums, source, course.graded_cells(solution), files, zygote.setup_imports(solution))


@functools.cache
def kit_for(name: str) -> Kit:
    """The grading kit of a course notebook, built once per process."""
    return build_kit(name)


def identify(nb: nbformat.NotebookNode, path: Path) -> str:
    """Which course notebook a submission is, by its nbgrader grade ids (file names may change).

    Raises:
        course.CourseError: it has no graded cells, or they match no course notebook.
    """
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

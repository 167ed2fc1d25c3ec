"""notebooks/ is exactly what the release command makes from solutions/, and it leaks nothing."""

import re
import tempfile
from pathlib import Path

import nbformat

from autograder import course
from autograder.publish import release

HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.S)
SOLUTION = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.S)


def test_every_notebook_is_released():
    assert course.assignments(), "no solutions/NN_topic/NN_topic.ipynb found"
    released = sorted(p.parent.name for p in course.NOTEBOOKS_DIR.glob("*/*.ipynb"))
    assert released == course.assignments()


def test_release_is_deterministic_and_notebooks_do_not_drift():
    assert release.drift() == [], "run `python -m autograder release` and commit notebooks/"
    with tempfile.TemporaryDirectory() as first, tempfile.TemporaryDirectory() as second:
        release.release(dest=Path(first))
        release.release(dest=Path(second))
        for path in Path(first).rglob("*.ipynb"):
            assert path.read_bytes() == (Path(second) / path.relative_to(first)).read_bytes()


def test_stored_notebooks_have_no_outputs_or_execution_counts():
    for path in sorted(course.NOTEBOOKS_DIR.rglob("*.ipynb")) + sorted(course.SOLUTIONS_DIR.rglob("*.ipynb")):
        for index, cell in enumerate(nbformat.read(path, as_version=4).cells):
            if cell.cell_type == "code":
                assert not cell.outputs, f"{path} cell {index} is stored with outputs"
                assert cell.execution_count is None, f"{path} cell {index} is stored with an execution count"


def _significant_lines(text):
    return {line.strip() for line in text.splitlines() if len(line.strip()) > 12}


def test_released_notebooks_hold_no_solutions_or_hidden_tests(notebook):
    released_nb = nbformat.read(course.released_path(notebook), as_version=4)
    released = "\n".join(cell.source for cell in released_nb.cells)
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
        assert marker not in released, f"released {notebook} contains {marker!r}"

    solution_nb = nbformat.read(course.solution_path(notebook), as_version=4)
    hidden, solved, public = set(), set(), []
    for cell in solution_nb.cells:
        hidden |= {line for block in HIDDEN.findall(cell.source) for line in _significant_lines(block)}
        solved |= {line for block in SOLUTION.findall(cell.source) for line in _significant_lines(block)}
        public.append(SOLUTION.sub("", HIDDEN.sub("", cell.source)))
    public_lines = _significant_lines("\n".join(public))
    assert hidden, f"{notebook} has no hidden tests"
    released_lines = _significant_lines(released)
    leaked = (hidden | solved) - public_lines
    assert not (leaked & released_lines), f"released {notebook} leaks: {sorted(leaked & released_lines)[:3]}"


def test_released_exercises_are_stubs(notebook):
    released_nb = nbformat.read(course.released_path(notebook), as_version=4)
    solution_cells = [c for c in released_nb.cells if c.metadata.get("nbgrader", {}).get("solution") and c.cell_type == "code"]
    assert solution_cells, f"{notebook} has no exercises"
    for cell in solution_cells:
        assert "raise NotImplementedError" in cell.source, f"{notebook}: exercise cell without a stub:\n{cell.source[:200]}"

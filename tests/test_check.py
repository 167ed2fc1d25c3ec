"""`python -m autograder check`: a learner's Validate-style run names the first error behind failures."""

from __future__ import annotations

import nbformat
import pytest

from autograder import cli, course
from autograder.grading.self_check import check_notebook

pytestmark = pytest.mark.slow  # each test runs 01_perceptron in a kernel

NAME = "01_perceptron"


def _first_test_index(nb) -> int:
    return next(i for i, c in enumerate(nb.cells) if c.get("metadata", {}).get("nbgrader", {}).get("grade") and
                not c.metadata.nbgrader.get("solution"))


def test_solution_passes_every_visible_check(tmp_path):
    path = tmp_path / f"{NAME}.ipynb"
    path.write_bytes(course.solution_path(NAME).read_bytes())
    result = check_notebook(path)
    assert result.cells and result.passed == len(result.cells), [c.message for c in result.cells if not c.passed]
    assert result.first_error is None and result.stopped is None


def test_failures_name_the_first_error_that_caused_them(tmp_path):
    nb = nbformat.read(course.solution_path(NAME), as_version=4)
    first_test = _first_test_index(nb)
    tested = nb.cells[first_test].metadata.nbgrader.grade_id.removeprefix("test_")
    broken = nbformat.v4.new_code_cell(f"{tested} = None  # the cell a learner broke\n"
                                       "raise FileNotFoundError('digits.csv not found: run make data')")
    nb.cells.insert(first_test, broken)
    path = tmp_path / f"{NAME}.ipynb"
    nbformat.write(nb, path)
    result = check_notebook(path)
    assert result.first_error.cell == first_test + 1
    assert result.first_error.ename == "FileNotFoundError"
    failed = next(c for c in result.cells if c.grade_id == f"test_{tested}")
    assert not failed.passed
    assert failed.message.startswith(f"not run: cell {first_test + 1} (")
    assert "raised FileNotFoundError: digits.csv not found: run make data (then: TypeError" in failed.message
    assert nbformat.read(path, as_version=4) == nb, "check must not modify the learner's file"


def test_released_notebook_fails_each_exercise_on_its_own_stub(tmp_path, capsys):
    path = tmp_path / f"{NAME}.ipynb"
    path.write_bytes(course.released_path(NAME).read_bytes())
    assert cli.main(["check", str(path)]) == 1
    out = capsys.readouterr().out
    assert "first error" not in out, "an unsolved exercise is expected, not a cause"
    assert out.count("FAILED: NotImplementedError: the exercise is not solved yet") == len(check_notebook(path).cells)
    assert "visible checks: 0 of" in out and "hidden tests run only when the notebook is graded" in out

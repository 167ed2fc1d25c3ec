"""The grading round trip on every notebook, and the `grade` command's contract."""

import functools
import json
import subprocess
import sys
from dataclasses import replace

import nbformat
import pytest
from graded import graded_solution
from leaks import assert_no_leak, hidden_test_lines

from autograder import course
from autograder.grading.engine import grade_notebook
from autograder.grading.results import NotebookResult
from autograder.outputs.feedback import feedback_html, format_table

DEFAULT_BUDGET_S = 60  # COURSE.md: numpy notebooks 60 s, torch notebooks 150 s (set in metadata)


def _budget(name):
    nb = nbformat.read(course.solution_path(name), as_version=4)
    return nb.metadata.get("course", {}).get("time_budget_s", DEFAULT_BUDGET_S)


def test_one_grading_round_trip_of_a_reference_solution():
    """The fast tier's one kernel run (`make test-fast`): 01_perceptron's reference solution graded
    end to end in the sandbox, its result through JSON, its feedback page and table."""
    result = graded_solution("01_perceptron")
    assert (result.status, result.flags, result.first_error) == ("ok", [], None)
    assert result.cells and all(cell.passed and not cell.message for cell in result.cells)
    assert result.score == result.max_score > 0 and result.execution_s > 0 and result.sha256
    assert NotebookResult.from_json(json.loads(json.dumps(result.to_json()))) == replace(result, executed=None)
    hidden = _hidden_lines("01_perceptron")
    assert_no_leak(feedback_html("learner", result), hidden, "html", "01_perceptron feedback page")
    assert format_table(result).splitlines()[-1].split() == ["total", f"{result.score:g}", f"{result.max_score:g}"]


@pytest.mark.slow
def test_reference_solution_earns_full_marks(solution_result):
    assert solution_result.max_score > 0
    failed = [(c.grade_id, c.message) for c in solution_result.cells if not c.passed]
    assert not failed, f"reference solution loses points: {failed}"
    assert solution_result.score == solution_result.max_score


@pytest.mark.slow
def test_graded_solution_runs_in_fast_mode_within_budget(notebook, solution_result):
    """That every solution runs top to bottom without an error in the course's kernel is nbval's
    check (solutions/ is in pytest's testpaths); here, in the grader's sandbox: no ungraded cell
    raised, fast mode was on, and the run kept to the notebook's time budget."""
    assert solution_result.first_error is None, f"{notebook} raises under grading: {solution_result.first_error}"
    setup = nbformat.reads(solution_result.executed, as_version=4).cells[1]
    assert "fast mode: on" in "".join(o.get("text", "") for o in setup.outputs), "the grader must set COURSE_FAST=1"
    budget = _budget(notebook)
    assert budget <= 150
    assert solution_result.execution_s <= budget, f"{notebook} took {solution_result.execution_s:.0f} s (budget {budget} s)"


@pytest.mark.slow
def test_untouched_release_scores_zero_on_every_autograded_cell(release_result):
    assert release_result.cells, "no autograded cells"
    for cell in release_result.cells:
        assert cell.score == 0 and not cell.passed, f"{cell.grade_id} gives points to an unsolved notebook"
        assert cell.message, f"{cell.grade_id}: a failure must come with a reason"


@pytest.mark.slow
def test_edited_test_cells_are_restored_before_grading(notebook, tmp_path):
    """Emptying the test cells of an unsolved notebook must not earn points: nbgrader restores them."""
    nb = nbformat.read(course.released_path(notebook), as_version=4)
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution"):
            cell.source = "pass"
    tampered = tmp_path / "tampered.ipynb"
    nbformat.write(nb, tampered)
    result = grade_notebook(tampered)
    assert result.score == 0, [c.grade_id for c in result.cells if c.passed]


@functools.cache
def _hidden_lines(name):
    return hidden_test_lines(nbformat.read(course.solution_path(name), as_version=4))


@pytest.mark.slow
def test_grade_outputs_never_quote_hidden_tests(notebook, solution_result, release_result):
    """What `grade` prints (table, --json) and the feedback page built from it, for the solved and the unsolved notebook."""
    hidden = _hidden_lines(notebook)
    for version, result in (("solution", solution_result), ("release", release_result)):
        assert_no_leak(json.dumps(result.to_json()), hidden, "json", f"{notebook} {version}: grade --json")
        assert_no_leak(format_table(result), hidden, "text", f"{notebook} {version}: grade table")
        assert_no_leak(feedback_html("learner", result), hidden, "html", f"{notebook} {version}: feedback page")


def _run_cli(*args):
    return subprocess.run([sys.executable, "-m", "autograder", *args], capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_grade_json_prints_exactly_one_object_of_the_documented_shape(tmp_path):
    name = course.assignments()[0]
    run = _run_cli("grade", str(course.released_path(name)), "--json", "--executed", str(tmp_path / "executed"))
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)  # fails if there is anything but one JSON document
    assert_no_leak(run.stdout, _hidden_lines(name), "json", f"grade --json {name}")
    assert_no_leak(run.stderr, _hidden_lines(name), "text", f"grade --json {name} (stderr)")
    assert set(report) >= {"notebook", "score", "max_score", "cells"}
    assert isinstance(report["score"], float) and isinstance(report["max_score"], float)
    assert report["cells"], "no cells reported"
    for cell in report["cells"]:
        assert set(cell) == {"grade_id", "score", "max_score", "passed", "message"}
        assert isinstance(cell["passed"], bool) and isinstance(cell["score"], float)
    # --executed: the notebook as it ran, for the instructor: outputs, and the restored hidden tests
    executed = nbformat.read(tmp_path / "executed" / f"{name}.ipynb", as_version=4)
    assert any(cell.get("outputs") for cell in executed.cells)
    assert "BEGIN HIDDEN TESTS" in "".join(cell.source for cell in executed.cells)


@pytest.mark.parametrize(
    "content, reason",
    [
        (None, "no such file"),
        ("this is not json", "not a Jupyter notebook"),
        (nbformat.writes(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])), "not from this course"),
    ],
)
def test_grade_rejects_unreadable_input_with_one_line(tmp_path, content, reason):
    path = tmp_path / "submission.ipynb"
    if content is not None:
        path.write_text(content)
    run = _run_cli("grade", str(path))
    assert run.returncode != 0
    assert reason in run.stderr and len(run.stderr.strip().splitlines()) == 1, run.stderr


@pytest.mark.slow
def test_grading_leaves_no_course_state_in_the_repository(release_result):
    """Gradebooks hold hidden tests: release and grade must work in temporary folders only."""
    assert release_result.cells  # at least one notebook was graded in this session
    for leftover in ("gradebook.db", ".nbgrader.log", "source", "release", "submitted", "autograded", "feedback"):
        assert not (course.REPO_ROOT / leftover).exists(), f"{leftover} left in the repository"
    for folder in (course.SOLUTIONS_DIR, course.NOTEBOOKS_DIR):
        assert not list(folder.rglob("gradebook.db")), f"a gradebook was left under {folder}"


@pytest.mark.slow
def test_a_failure_names_the_earlier_error_that_caused_it(tmp_path):
    """A cell that raised (missing data, a broken solution cell) makes later test cells fail with a
    NameError: the result names the first error, its cell and heading, not only the symptom."""
    nb = nbformat.read(course.solution_path("01_perceptron"), as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "perceptron_predict")
    cell.source = "raise FileNotFoundError('toy-data.csv not found: run `make data`')\n" + cell.source
    path = tmp_path / "broken.ipynb"
    nbformat.write(nb, path)
    result = grade_notebook(path)
    position = nb.cells.index(cell) + 1
    assert vars(result.first_error) == {"cell": position, "heading": result.first_error.heading, "ename": "FileNotFoundError",
                                  "evalue": "toy-data.csv not found: run `make data`"}
    assert result.first_error.heading.startswith("Exercise 1")
    failed = {c.grade_id: c.message for c in result.cells if not c.passed}
    message = failed["test_perceptron_predict"]
    assert message.startswith(f'not run: cell {position} ("Exercise 1') and "raised FileNotFoundError: toy-data.csv not found" in message
    assert "NameError" in message, "the symptom stays visible after the cause"
    assert "first error: cell" in format_table(result)

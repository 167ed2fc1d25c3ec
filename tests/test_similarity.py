"""Similarity: a planted copy is the top pair, honest work is not reported, starter code never counts."""

from __future__ import annotations

import csv
import itertools
import shutil

import nbformat
import pytest
from leaks import assert_no_leak, hidden_test_lines
from similarity_class import COPIED, COPY, HONEST, NOTEBOOK, _functions, submission, write_class

from autograder import course
from autograder.cli import main
from autograder.outputs import similarity

GRADED = frozenset(name for name, _, _ in _functions(HONEST[0]))


def test_the_honest_solutions_are_several_and_distinct():
    assert len(HONEST) >= 5
    bodies = [tuple(body for _, _, body in _functions(path)) for path in HONEST]
    assert len(set(bodies)) == len(bodies)


@pytest.fixture(scope="module")
def class_run(tmp_path_factory):
    """Six honest students, a copier (file renamed), and two who hand in the released notebook unchanged."""
    folder = tmp_path_factory.mktemp("submissions")
    students = {path.stem: submission(path) for path in HONEST}
    students["blank_a"] = submission(HONEST[0], unsolved=GRADED)
    students["blank_b"] = submission(HONEST[1], unsolved=GRADED)
    write_class(folder, students)
    (folder / COPY.stem).mkdir()
    nbformat.write(submission(COPY), folder / COPY.stem / "my_perceptron_work.ipynb")  # found by its graded cells
    out = tmp_path_factory.mktemp("results")
    pairs = similarity.run(folder, out, log=lambda line: None)
    return folder, out, pairs


def test_the_copied_pair_is_the_top_pair_and_the_only_one(class_run):
    _, out, pairs = class_run
    assert pairs, "the copied pair was not reported"
    top = pairs[0]
    assert (top.notebook, {top.student_a, top.student_b}) == (NOTEBOOK, {COPY.stem, COPIED.stem})
    assert top.similarity >= similarity.THRESHOLD
    assert [(p.student_a, p.student_b) for p in pairs] == [(top.student_a, top.student_b)], (
        f"honest work reported as similar: {[(p.student_a, p.student_b, round(p.similarity, 2)) for p in pairs[1:]]}")
    rows = list(csv.DictReader((out / "report" / "similarity.csv").open()))
    assert [(r["student_a"], r["student_b"]) for r in rows] == [(top.student_a, top.student_b)]


def test_honest_solutions_stay_well_below_the_threshold(class_run):
    """The calibration, kept honest: every honest pair scores under half the threshold."""
    folder, _, _ = class_run
    documents, _ = similarity.collect(folder)
    stubs = {NOTEBOOK: similarity.starter_code(NOTEBOOK)}
    scores = {(p.student_a, p.student_b): p.similarity for p in similarity.compare(documents, 0.0, stubs)}
    honest = {pair: score for pair, score in scores.items() if COPY.stem not in pair}
    assert len(honest) <= len(list(itertools.combinations(HONEST, 2)))
    assert max(honest.values()) < similarity.THRESHOLD / 2, honest


def test_the_page_shows_both_sides_and_no_hidden_test(class_run):
    _, out, _ = class_run
    page = (out / "report" / "similarity.html").read_text()
    assert "<mark>" in page and "my_perceptron_work" not in page
    assert "_pass_over_data" in page and "_one_epoch" in page  # the copier's and the original's own code, side by side
    assert "&lt;= 0" in page  # code is escaped, not markup
    lines = hidden_test_lines(course.read_notebook(course.solution_path(NOTEBOOK)))
    assert_no_leak(page, lines, "html", "similarity.html")
    assert_no_leak((out / "report" / "similarity.csv").read_text(), lines, "csv", "similarity.csv")


def test_released_starter_code_is_removed_from_what_is_compared():
    released = course.read_notebook(course.released_path(NOTEBOOK))
    stubs = similarity.released_stubs(NOTEBOOK)
    assert set(stubs) == GRADED
    assert similarity.solution_text(released, stubs) == ""
    solved = similarity.solution_text(submission(HONEST[0]), stubs)
    assert "YOUR CODE HERE" not in solved and "Args:" not in solved and "def perceptron_predict" not in solved
    assert "return (2 * (s >= 0) - 1).astype(int)" in solved  # honest_einsum, the first case


def test_starter_code_left_in_is_boilerplate_to_copydetect():
    """A re-indented or partly kept docstring is still ignored: its fingerprints are the stub's."""
    stubs = similarity.released_stubs(NOTEBOOK)
    blank = similarity.solution_text(submission(HONEST[0], unsolved=GRADED), stubs, remove_stub=False)
    documents = [similarity.Document("a", NOTEBOOK, blank), similarity.Document("b", NOTEBOOK, blank)]
    assert similarity.compare(documents, 0.0, None)[0].similarity == 1.0  # the starter code alone matches fully
    assert similarity.compare(documents, 0.0, {NOTEBOOK: similarity.starter_code(NOTEBOOK)}) == []


def test_odd_metadata_is_not_a_solution_cell(tmp_path):
    nb = submission(COPIED)
    nb.cells[1].metadata["nbgrader"] = "solution"  # the setup cell
    nb.cells[6].metadata.nbgrader["grade_id"] = 7
    nbformat.write(nb, tmp_path / "odd.ipynb")
    text = similarity.solution_text(course.read_notebook(tmp_path / "odd.ipynb"), similarity.released_stubs(NOTEBOOK))
    assert "# perceptron_train" in text and "# perceptron_predict" not in text


def test_command_line(tmp_path, capsys):
    folder = write_class(tmp_path / "in", {"ann": submission(COPIED), "bob": submission(COPY)})
    assert main(["similarity", str(folder), "--out", str(tmp_path / "out")]) == 0
    assert "1 pair(s) at or above 0.5" in capsys.readouterr().out
    assert main(["similarity", str(folder), "--out", str(tmp_path / "out"), "--threshold", "2"]) == 2
    assert "--threshold 2" in capsys.readouterr().err
    shutil.rmtree(folder)
    assert main(["similarity", str(folder), "--out", str(tmp_path / "out")]) == 2
    assert "not a folder of submissions" in capsys.readouterr().err

"""Shared fixtures: every test that concerns notebooks is parametrised over solutions/ automatically."""

from __future__ import annotations

import pytest
from graded import graded_release, graded_solution

from autograder import course

NOTEBOOKS = course.assignments()


def pytest_generate_tests(metafunc):
    if "notebook" in metafunc.fixturenames:
        metafunc.parametrize("notebook", NOTEBOOKS)


@pytest.fixture
def solution_result(notebook):
    return graded_solution(notebook)


@pytest.fixture
def release_result(notebook):
    return graded_release(notebook)


@pytest.fixture(scope="session")
def graded_class(tmp_path_factory):
    """A small generated class of 01_perceptron (tests/class_generator.py: known_class), plus one file
    that is not a notebook, graded once by grade-class with two workers (which writes the report)."""
    from class_generator import known_class, write_class

    from autograder.class_grading.grade_class import grade_class
    from autograder.kernel.sandbox import Limits

    notebook = "01_perceptron"
    students = known_class(notebook)
    submissions = write_class(students, tmp_path_factory.mktemp("class"), notebook)
    (submissions / "garbage").mkdir()
    (submissions / "garbage" / f"{notebook}.ipynb").write_text("this is not a notebook")
    out = tmp_path_factory.mktemp("results")
    limits = Limits(notebook_timeout_s=180, cell_timeout_s=20, memory_mb=2048, max_processes=64, max_output_kb=512)
    results = grade_class(submissions, out, workers=2, limits=limits, progress=False)
    return notebook, students, results, out

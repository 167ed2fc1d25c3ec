"""Shared fixtures: every test that concerns notebooks is parametrised over solutions/ automatically."""

from __future__ import annotations

import functools

import pytest

from autograder import course
from autograder.grade import grade_notebook

NOTEBOOKS = course.assignments()


def pytest_generate_tests(metafunc):
    if "notebook" in metafunc.fixturenames:
        metafunc.parametrize("notebook", NOTEBOOKS)


@functools.cache
def graded_solution(name: str):
    """The reference solution graded once per test session (it executes the whole notebook)."""
    return grade_notebook(course.solution_path(name))


@functools.cache
def graded_release(name: str):
    return grade_notebook(course.released_path(name))


@pytest.fixture
def solution_result(notebook):
    return graded_solution(notebook)


@pytest.fixture
def release_result(notebook):
    return graded_release(notebook)

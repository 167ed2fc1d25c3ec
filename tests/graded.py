"""Course notebooks graded once per test session (each grading executes a whole notebook): shared by
the fixtures in conftest.py and the tests that grade a reference solution directly."""

from __future__ import annotations

import functools

from autograder import course
from autograder.grading.engine import grade_notebook


@functools.cache
def graded_solution(name: str):
    """The reference solution of course notebook ``name``, graded."""
    return grade_notebook(course.solution_path(name))


@functools.cache
def graded_release(name: str):
    """The released (unsolved) notebook ``name``, graded."""
    return grade_notebook(course.released_path(name))

"""pytest settings for the notebooks nbval runs (`make test`, whose testpaths include solutions/, or
`pytest --nbval-lax --nbval-current-env solutions/NN_topic/NN_topic.ipynb`): their kernel gets fast
mode (unless COURSE_FAST is set) and inline plots, as under the grader and in JupyterLab, and each
cell (one test item) is marked slow. At the repository root so that it applies whichever notebook
is named on the command line; tests/conftest.py holds the test suite's fixtures."""

from __future__ import annotations

import os
from unittest import mock

import pytest

from autograder.notebook_helpers import runtime


def _is_notebook_cell(item) -> bool:
    return item.path.suffix == ".ipynb"


def pytest_collection_modifyitems(items):
    for item in items:
        if _is_notebook_cell(item):
            item.add_marker(pytest.mark.slow)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item):
    """nbval starts a notebook's kernel while setting up its first cell: it inherits this environment."""
    if not _is_notebook_cell(item):
        yield
        return
    # Fast mode unless COURSE_FAST says otherwise (COURSE_FAST=0 on a GPU machine: the full runs).
    # OMP_WAIT_POLICY=PASSIVE, as the grader sets it: on a busy machine (CI) spinning OpenMP threads
    # made 05's training cells several times slower.
    environment = {runtime.FAST_ENV: os.environ.get(runtime.FAST_ENV) or "1", "MPLBACKEND": runtime.INLINE_BACKEND,
                   "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY") or "PASSIVE"}
    with mock.patch.dict(os.environ, environment):
        yield

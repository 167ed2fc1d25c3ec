"""nbval, which runs every solution top to bottom (`make test`: solutions/ is in pytest's testpaths),
runs a notebook in the course's kernel (this Python), in fast mode, with inline plots and passive
OpenMP threads, and fails on a cell that raises; its cells are marked slow. Checked on two tiny
notebooks beside the course."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder.notebook_helpers import runtime

pytestmark = pytest.mark.slow  # starts kernels

REPO = Path(__file__).resolve().parents[1]

CHECK_KERNEL = f"""
import os, sys
from autograder.notebook_helpers import runtime
assert sys.executable == {sys.executable!r}, sys.executable
assert os.environ.get("COURSE_FAST") == "1" and runtime.fast_mode(), os.environ.get("COURSE_FAST")
assert os.environ.get("MPLBACKEND") == {runtime.INLINE_BACKEND!r}, os.environ.get("MPLBACKEND")
assert os.environ.get("OMP_WAIT_POLICY") == "PASSIVE", os.environ.get("OMP_WAIT_POLICY")
"""


def _pytest(*args: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key not in (runtime.FAST_ENV, "MPLBACKEND", "OMP_WAIT_POLICY")}
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture
def folder():
    """Under the repository (build/ is ignored by git), where its conftest.py applies."""
    path = REPO / "build" / "test-artifacts" / f"nbval-{os.getpid()}"
    path.mkdir(parents=True, exist_ok=True)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_nbval_runs_a_notebook_in_this_python_in_fast_mode(folder):
    notebook = folder / "kernel.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(CHECK_KERNEL)]), notebook)
    run = _pytest(str(notebook))
    assert run.returncode == 0 and "1 passed" in run.stdout, run.stdout[-3000:] + run.stderr[-2000:]
    assert "1 deselected" in _pytest("-m", "not slow", str(notebook)).stdout


def test_nbval_fails_on_a_cell_that_raises(folder):
    notebook = folder / "broken.ipynb"
    cells = [nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_code_cell("raise ValueError('broken on purpose')")]
    nbformat.write(nbformat.v4.new_notebook(cells=cells), notebook)
    run = _pytest(str(notebook))
    assert run.returncode == 1 and "1 failed, 1 passed" in run.stdout and "broken on purpose" in run.stdout, run.stdout[-3000:]

"""Where the course's notebooks live and how nbgrader is configured for them.

The course folder is found by ``runtime.course_root()`` (``--course DIR``, ``COURSE_ROOT``, the
current folder or its parents, else the source checkout), not by where this package is installed.
``REPO_ROOT``, ``SOLUTIONS_DIR``, ``NOTEBOOKS_DIR`` and ``CONFIG_FILE`` are resolved on each access;
setting one (as tests do with monkeypatch) overrides it.
"""

from __future__ import annotations

import functools
import os
import shutil
import sys
from pathlib import Path

import nbformat
from traitlets.config import Config, PyFileConfigLoader

from autograder.notebook_helpers.runtime import course_root

_IN_COURSE = {"REPO_ROOT": "", "SOLUTIONS_DIR": "solutions", "NOTEBOOKS_DIR": "notebooks", "CONFIG_FILE": "nbgrader_config.py"}


def __getattr__(name: str) -> Path:
    if name in _IN_COURSE:
        return course_root() / _IN_COURSE[name] if _IN_COURSE[name] else course_root()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _path(name: str) -> Path:
    """``SOLUTIONS_DIR`` etc. as other modules see them: set on the module, or derived."""
    return globals()[name] if name in globals() else __getattr__(name)


class CourseError(Exception):
    """A problem the user can fix (bad input file, broken configuration); printed in one line."""


def assignments() -> list[str]:
    """Names of the course's notebooks (``NN_topic``), in order: every ``solutions/NN_topic/NN_topic.ipynb``."""
    return sorted(p.parent.name for p in _path("SOLUTIONS_DIR").glob("*/*.ipynb") if p.stem == p.parent.name)


def solution_path(name: str) -> Path:
    return _path("SOLUTIONS_DIR") / name / f"{name}.ipynb"


def released_path(name: str) -> Path:
    return _path("NOTEBOOKS_DIR") / name / f"{name}.ipynb"


def nbgrader_config(root: Path) -> Config:
    """The course's nbgrader_config.py, re-rooted at ``root`` with its gradebook inside ``root``.

    Every release and grade runs in a temporary root, so nothing is written to the repository.
    """
    ensure_tools_on_path()
    config_file = _path("CONFIG_FILE")
    config = PyFileConfigLoader(config_file.name, path=str(config_file.parent)).load_config()
    config.CourseDirectory.root = str(root)
    config.CourseDirectory.source_directory = "source"
    config.CourseDirectory.release_directory = "release"
    config.CourseDirectory.db_url = f"sqlite:///{root / 'gradebook.db'}"
    config.NbGraderAPI.log_level = "WARN"
    return config


def generate_assignment(name: str, root: Path, *, gradebook: bool) -> Path:
    """nbgrader's ``generate_assignment`` for ``solutions/<name>`` in the temporary course root
    ``root``; returns the release folder (solutions replaced by stubs, hidden tests removed).

    ``gradebook``: also write ``root/gradebook.db`` with every cell, hidden tests included (what
    grading restores tests from); without it, no database at all (as ``--no-db``: releasing).

    Raises:
        CourseError: nbgrader refused the notebook (its log in the message).
    """
    import nbgrader.api
    from nbgrader.apps import NbGraderAPI

    nbgrader.api.get_alembic_version = alembic_head  # a new gradebook is stamped without a subprocess
    shutil.copytree(_path("SOLUTIONS_DIR") / name, root / "source" / name)
    config = nbgrader_config(root)
    if not gradebook:
        config.GenerateAssignment.no_database = True
        config.SaveCells.enabled = False
    result = NbGraderAPI(config=config).generate_assignment(name, force=True, create=gradebook)
    if not result["success"]:
        log = ((result.get("log") or "") + (result.get("error") or "")).strip()
        raise CourseError(f"solutions/{name}: nbgrader could not generate the assignment" + (f":\n{log}" if log else ""))
    return root / "release" / name


@functools.cache
def alembic_head() -> str:
    """The schema revision nbgrader stamps a new gradebook with, read in this process from nbgrader's
    migration scripts. nbgrader runs the ``alembic heads`` command for it: a second Python start,
    about 1 s of every gradebook built."""
    from alembic.script import ScriptDirectory
    from nbgrader.dbutil import ALEMBIC_DIR

    return ScriptDirectory(ALEMBIC_DIR).get_current_head()


def ensure_tools_on_path() -> None:
    """nbgrader runs the ``alembic`` executable to create a gradebook: make the one beside this
    Python findable even when the virtual environment is not activated."""
    bin_dir = str(Path(sys.executable).parent)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")


def graded_cells(nb: nbformat.NotebookNode) -> list[dict]:
    """The nbgrader grade cells of a notebook, in order: ``grade_id``, ``points``, ``autograded``.

    An autograded cell is a code test cell (grade, not solution); the others (answer cells) are
    graded by hand.
    """
    cells = []
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade"):
            autograded = cell.cell_type == "code" and not meta.get("solution", False)
            cells.append({"grade_id": meta["grade_id"], "points": float(meta.get("points", 0)), "autograded": autograded})
    return cells


def read_notebook(path: Path) -> nbformat.NotebookNode:
    """Read a notebook, turning every way that can fail into a one-line CourseError."""
    path = Path(path)
    if not path.exists():
        raise CourseError(f"{path}: no such file")
    if not path.is_file():
        raise CourseError(f"{path}: not a file")
    try:
        return nbformat.read(path, as_version=4)
    except Exception as error:  # nbformat raises JSON, Unicode and validation errors alike
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise CourseError(f"{path}: not a Jupyter notebook ({reason})") from None

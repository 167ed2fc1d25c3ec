"""The student bundle: what an instructor hands to a class (``python -m autograder bundle --out DIR``).

A folder with the released notebooks, the helper modules they import (the learner-facing part of
this package: ``autograder/notebook_helpers/``), data instructions, a README, the
course's JupyterLab settings and a minimal pinned requirements file. Never the grader, the
solutions, the hidden tests or a gradebook: the notebooks come from a fresh release (nbgrader
strips solutions and hidden tests), and the package part is checked to import nothing else.
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

from autograder import __version__, course

LEARNER_PACKAGE = "notebook_helpers"  # autograder.notebook_helpers: all a notebook may import
# Pinned like the course (copied from its requirements.txt): what the notebooks import, JupyterLab,
# and nbgrader for the Validate button (with the transitive pins that keep it quiet).
STUDENT_REQUIREMENTS = ("torch", "numpy", "matplotlib", "scikit-learn", "scikit-image", "threadpoolctl", "tqdm",
                        "jupyterlab", "ipykernel", "nbgrader", "nbformat", "nbclient", "nbconvert", "jsonschema",
                        "sqlalchemy")

PACKAGE_INIT = '''"""Helpers the course notebooks import (student bundle: no grader, no solutions).

    from autograder.notebook_helpers import runtime  # fast mode, seeding, device, data folder
    from autograder.notebook_helpers.data import load_digits  # checksummed datasets
    from autograder.notebook_helpers.gradcheck import numerical_gradient_array, relative_error
    from autograder.notebook_helpers.plotting import plot_decision_boundary, plot_curves

`python -m autograder.notebook_helpers.data` fetches and verifies the datasets.
"""

__version__ = "{version}"
'''

PYPROJECT = '''[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "dl-course-helpers"
version = "{version}"
description = "Helpers the course notebooks import (student bundle)"
requires-python = ">=3.10"
dependencies = ["numpy", "matplotlib", "threadpoolctl"]

[tool.setuptools]
packages = ["autograder", "autograder.notebook_helpers"]
'''

NBGRADER_CONFIG = '''"""nbgrader settings for the Validate button (JupyterLab reads this from the folder it starts in)."""

c = get_config()  # noqa: F821 (injected by traitlets when nbgrader loads this file)
c.Execute.timeout = 300  # seconds per cell: training cells in fast mode finish well inside it
c.NbGrader.logfile = ""
'''

README = '''# Course notebooks (student bundle)

Exercises on deep learning and structured prediction, one Jupyter notebook each:
{notebooks}.

| path | what |
|---|---|
| `notebooks/` | the notebooks you work in |
| `autograder/` | small helpers the notebooks import (fast mode, seeding, datasets, gradient checks, plots) |
| `data/` | where datasets are kept; `data/README.md` says what each one is and where it comes from |
| `jupyter-config/` | JupyterLab settings: nbgrader's Validate button on, its instructor tools off |
| `requirements.txt` | the exact package versions the course is tested with |

## Install (once, Python 3.11, Linux or macOS)

```bash
python3 -m venv .venv
.venv/bin/pip install -r requirements.txt
.venv/bin/pip install --no-deps .
.venv/bin/python -m autograder.notebook_helpers.data    # fetches and verifies the datasets (a few minutes, once)
```

Fashion-MNIST (notebook 05) comes from the Debian/Ubuntu package `dataset-fashion-mnist`
(`sudo apt-get install dataset-fashion-mnist`) or is downloaded into `data/fashion-mnist/`.

## Work

```bash
JUPYTER_CONFIG_PATH=$PWD/jupyter-config .venv/bin/jupyter lab
```

Start it from this folder: the notebooks find `data/` through it (or set `COURSE_ROOT` to this
folder). Open `notebooks/01_perceptron/01_perceptron.ipynb` and run the first cell: it prints the
mode and where data lives. Replace each `raise NotImplementedError` with your code and run the test
cell below it: silence means its visible checks passed.

**Validate** (the button in the notebook's toolbar) runs the saved notebook top to bottom in a fresh
kernel and lists the test cells that fail, with why. Your instructor grades with more tests than
you see, so passing Validate is necessary, not sufficient.

Without a GPU, training cells take long in full mode: start JupyterLab with `COURSE_FAST=1` in front
of the command above to train on data subsets for a few epochs (what grading uses).

Hand in the `.ipynb` files as your instructor asks.
'''


def _grader_imports(source: str) -> set[str]:
    """The ``autograder.*`` modules a module's source imports from outside ``notebook_helpers``."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "autograder" and not node.level:
            names = [node.module] if node.module != "autograder" else [f"autograder.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names if alias.name.startswith("autograder.")]
        else:
            continue
        found |= {name for name in names if name.split(".")[1:2] != [LEARNER_PACKAGE]}
    return found


def _requirements() -> str:
    lines = ["# The course's pinned versions of what the notebooks and JupyterLab need."]
    for line in (course.REPO_ROOT / "requirements.txt").read_text().splitlines():
        name = line.split("==")[0].strip().lower()
        if "==" in line and name in STUDENT_REQUIREMENTS:
            lines.append(line.strip())
    return "\n".join(lines) + "\n"


def bundle(out: Path) -> list[Path]:
    """Write the student bundle into ``out`` (which must not exist or be empty); returns its files.

    Raises:
        course.CourseError: ``out`` is not empty, or a learner module imports a grader module.
    """
    from autograder.publish import release

    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise course.CourseError(f"{out}: exists and is not an empty folder; choose a new one")
    helpers = Path(__file__).resolve().parents[1] / LEARNER_PACKAGE
    modules = sorted(helpers.glob("*.py"))
    for module in modules:
        extra = _grader_imports(module.read_text())
        if extra:
            raise course.CourseError(f"autograder/{LEARNER_PACKAGE}/{module.name} imports {', '.join(sorted(extra))}: "
                                     "not part of the student bundle")
    out.mkdir(parents=True, exist_ok=True)
    release.release(dest=out / "notebooks")
    (out / "autograder" / LEARNER_PACKAGE).mkdir(parents=True)
    (out / "autograder" / "__init__.py").write_text(PACKAGE_INIT.format(version=__version__))
    for module in modules:
        shutil.copyfile(module, out / "autograder" / LEARNER_PACKAGE / module.name)
    (out / "data").mkdir()
    shutil.copyfile(course.REPO_ROOT / "data" / "README.md", out / "data" / "README.md")
    # measured training times and reference results the notebooks print and plot (runtime.announce, reference_results)
    shutil.copyfile(course.REPO_ROOT / "data" / "training_times.json", out / "data" / "training_times.json")
    shutil.copytree(course.REPO_ROOT / "data" / "reference", out / "data" / "reference")
    shutil.copytree(course.REPO_ROOT / "jupyter-config", out / "jupyter-config")
    (out / "pyproject.toml").write_text(PYPROJECT.format(version=__version__))
    (out / "requirements.txt").write_text(_requirements())
    (out / "nbgrader_config.py").write_text(NBGRADER_CONFIG)
    names = ", ".join(f"`{name}`" for name in course.assignments())
    (out / "README.md").write_text(README.format(notebooks=names))
    return sorted(path for path in out.rglob("*") if path.is_file())

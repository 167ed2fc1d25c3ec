"""Build submissions of 01_perceptron from the solutions in tests/similarity_cases/ (test and benchmark data).

``submission(case)`` starts from the released notebook, as a student does, and writes each function
of the case file named like a graded cell's ``grade_id`` into that cell, under the released signature
and docstring; other functions (helpers) go into the cell of the next graded function.
"""

from __future__ import annotations

import ast
import random
import re
from pathlib import Path

import nbformat

from autograder import course

NOTEBOOK = "01_perceptron"
CASES = Path(__file__).parent / "similarity_cases"
HONEST = sorted(CASES.glob("honest_*.py"))
COPY, COPIED = CASES / "copied_from_helpers.py", CASES / "honest_helpers.py"
PLACEHOLDER = re.compile(r"\n[ \t]*# YOUR CODE HERE\n[ \t]*raise NotImplementedError\(\)[ \t]*")


def _functions(path: Path) -> list[tuple[str, str, str]]:
    """(name, whole source, body without the docstring) of each top-level function in the file."""
    text = Path(path).read_text()
    lines = text.splitlines()
    found = []
    for node in ast.parse(text).body:
        if isinstance(node, ast.FunctionDef):
            body = node.body[1:] if ast.get_docstring(node) is not None and len(node.body) > 1 else node.body
            found.append((node.name, "\n".join(lines[node.lineno - 1:node.end_lineno]),
                          "\n".join(lines[body[0].lineno - 1:node.end_lineno])))
    return found


def submission(case: Path, unsolved: frozenset[str] = frozenset()) -> nbformat.NotebookNode:
    """The released notebook with ``case``'s solutions written in (except the cells in ``unsolved``)."""
    nb = course.read_notebook(course.released_path(NOTEBOOK))
    cells = {c.metadata.nbgrader["grade_id"]: c for c in nb.cells
             if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")}
    helpers: list[str] = []
    for name, source, body in _functions(case):
        if name not in cells:
            helpers.append(source)
            continue
        cell = cells[name]
        if name not in unsolved:
            found = PLACEHOLDER.search(cell.source)
            assert found, f"{name}: released placeholder not found"
            solved = cell.source[:found.start()] + "\n" + body + cell.source[found.end():]
            cell.source = "\n\n\n".join(helpers + [solved])
        helpers = []
    return nb


def write_class(folder: Path, students: dict[str, nbformat.NotebookNode]) -> Path:
    """``folder/<student>/01_perceptron.ipynb`` for each student."""
    for student, nb in students.items():
        (folder / student).mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, folder / student / f"{NOTEBOOK}.ipynb")
    return folder


def generated_class(n: int, seed: int = 0) -> dict[str, nbformat.NotebookNode]:
    """``n`` students for benchmarks: each an honest style at random, with a random third of the
    exercises left unsolved (partial attempts), so documents differ in length and content."""
    rng = random.Random(seed)
    graded = [name for name, _, _ in _functions(HONEST[0])]
    students = {}
    for index in range(n):
        unsolved = frozenset(name for name in graded if rng.random() < 1 / 3)
        students[f"student{index:04d}"] = submission(rng.choice(HONEST), unsolved)
    return students

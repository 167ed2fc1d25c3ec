"""Deliberately wrong implementations of the graded exercises, one module per notebook.

Each module is named after its notebook (``01_perceptron.py``) and holds functions decorated with
``@breaks(target, cell)``: ``target`` is the exercise function the wrong version replaces and
``cell`` the grade_id of the test cell that must then fail. The test
``test_hidden_tests_discriminate.py`` runs each notebook once in a kernel and, at every test cell,
swaps each wrong version in, runs the very test cell nbgrader grades with (hidden tests included)
and requires it to fail, then restores the reference solution.

Wrong versions run in the notebook's namespace: they may use ``np`` and anything the notebook
defined before the test cell. Keep them plausible: the mistakes a learner would make.
"""

from __future__ import annotations

import importlib.util
import inspect
import textwrap
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).parent


@dataclass
class WrongImplementation:
    target: str  # function name in the notebook
    cell: str  # grade_id of the test cell that must fail
    name: str  # the wrong function's own name (its docstring says what is wrong)
    description: str
    source: str  # code defining the wrong function and binding it to `target`


_registry: list[WrongImplementation] = []


def breaks(target: str, cell: str):
    """Register the decorated function as a wrong version of ``target``, caught by test cell ``cell``."""

    def register(function):
        lines = textwrap.dedent(inspect.getsource(function)).splitlines()
        body = "\n".join(line for line in lines if not line.startswith("@breaks("))
        description = (inspect.getdoc(function) or function.__name__).splitlines()[0]
        source = f"{body}\n{target} = {function.__name__}\n"
        _registry.append(WrongImplementation(target, cell, function.__name__, description, source))
        return function

    return register


def load(notebook: str) -> list[WrongImplementation]:
    """The wrong implementations registered for one notebook (empty if it has no module)."""
    path = HERE / f"{notebook}.py"
    if not path.exists():
        return []
    start = len(_registry)
    spec = importlib.util.spec_from_file_location(f"wrong_implementations.nb_{notebook}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return _registry[start:]

"""Adversarial and faulty submissions of notebook 01, with the outcome the grader must give each.

Every case starts from the reference solution or the released notebook and changes it the way a
cheating or unlucky learner would. ``expected`` says what the grader must report:
- ``status``: the result's status;
- ``flag``: a phrase one of its flags must contain (tampering and faults are named);
- ``score``: "full", "zero" or "partial" (some but not all points).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import nbformat

from autograder import course

NOTEBOOK = "01_perceptron"


@dataclass
class Case:
    name: str
    build: Callable[[], bytes | nbformat.NotebookNode]
    status: str
    score: str  # full | zero | partial
    flag: str = ""
    needs_process_cap: bool = False  # only where the sandbox can cap processes (see test)


def _solution():
    return nbformat.read(course.solution_path(NOTEBOOK), as_version=4)


def _released():
    return nbformat.read(course.released_path(NOTEBOOK), as_version=4)


def _cell(nb, grade_id):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def _prepend_to_first_exercise(code: str, base=_solution):
    """Solution notebook with `code` run right after the setup cell (inside the first exercise)."""

    def build():
        nb = base()
        cell = _cell(nb, "perceptron_predict")
        cell.source = code + "\n\n" + cell.source
        return nb

    return build


def _stubbed_with(code: str):
    """Released (unsolved) notebook whose first exercise cell also runs `code`: cheating to score."""
    return _prepend_to_first_exercise(code, base=_released)


def _edit_test(edit):
    def build():
        nb = _solution()
        edit(nb)
        return nb

    return build


def _set_source(grade_id, source):
    return lambda nb: setattr(_cell(nb, grade_id), "source", source)


def _delete(grade_id):
    return lambda nb: nb.cells.remove(_cell(nb, grade_id))


def _strip_metadata(grade_id):
    return lambda nb: _cell(nb, grade_id).metadata.pop("nbgrader")


def _points(grade_id, points):
    return lambda nb: _cell(nb, grade_id).metadata.nbgrader.__setitem__("points", points)


def _rename(grade_id):
    return lambda nb: _cell(nb, grade_id).metadata.nbgrader.__setitem__("grade_id", grade_id + "_mine")


CASES = [
    Case("reference_solution", _solution, "ok", "full"),
    Case("untouched_release", _released, "ok", "zero"),
    # Faking the checks the tests rely on.
    Case("patch_numpy_allclose", _stubbed_with("np.allclose = lambda *a, **k: True"), "tampered", "zero", "numpy.allclose was replaced"),
    Case("patch_numpy_array_equal", _stubbed_with("np.array_equal = lambda *a, **k: True"), "tampered", "zero", "numpy.array_equal was replaced"),
    Case("patch_math_isclose", _stubbed_with("import math\nmath.isclose = lambda *a, **k: True"), "tampered", "zero", "math.isclose was replaced"),
    Case("patch_builtin_all", _stubbed_with("import builtins\nbuiltins.all = lambda iterable: True"), "tampered", "zero", "builtins.all was replaced"),
    # nbgrader reads a number shown as a test cell's result as its partial credit (NBGRADER_NOTES).
    Case("displayhook_fakes_partial_credit", _stubbed_with(
        "get_ipython().events.register('post_run_cell', lambda result: get_ipython().displayhook(4))"
    ), "tampered", "zero", "event callbacks was changed"),
    # Replacing the shell's display hook outright breaks ipykernel itself: the kernel stops
    # answering, which costs this submission only (a timeout), like any other hang.
    Case("break_display_hook", _prepend_to_first_exercise("get_ipython().displayhook = lambda *a: None"), "timeout", "zero", "did not finish"),
    Case("input_transformer_blanks_cells", _stubbed_with("get_ipython().input_transformers_post.append(lambda lines: ['pass\\n'])"), "tampered", "zero", "integrity check was silenced"),
    Case("ast_transformer", _stubbed_with("import ast\nget_ipython().ast_transformers.append(ast.NodeTransformer())"), "tampered", "zero", "shell.ast_transformers was changed"),
    Case("event_callback", _stubbed_with("get_ipython().events.register('pre_run_cell', lambda *a: None)"), "tampered", "zero", "event callbacks was changed"),
    Case("custom_exception_handler", _stubbed_with("get_ipython().set_custom_exc((Exception,), lambda *a, **k: None)"), "tampered", "zero", "shell.custom_exceptions was changed"),
    Case("trace_hook", _stubbed_with("import sys\nsys.settrace(lambda *a: None)"), "tampered", "zero", "tracing hook"),
    Case("forge_integrity_check", _stubbed_with("__import__('autograder._guard', fromlist=['x']).check = lambda nonce: None"), "tampered", "zero", "integrity check was silenced"),
    Case("change_grader_environment", _prepend_to_first_exercise("import os\nos.environ['COURSE_FAST'] = '0'"), "tampered", "zero", "COURSE_FAST was changed"),
    Case("read_solution_notebook", _stubbed_with(
        "import autograder, pathlib\n_leak = (pathlib.Path(autograder.__file__).parents[1] / 'solutions/01_perceptron/01_perceptron.ipynb').read_text()"
    ), "tampered", "zero", "opened"),
    # Editing the tests themselves (restored before execution, flagged, 0 on that cell).
    Case("test_cell_emptied", _edit_test(_set_source("test_perceptron_predict", "pass")), "tampered", "partial", "test cell edited"),
    Case("test_cell_deleted", _edit_test(_delete("test_perceptron_train")), "tampered", "partial", "test cell deleted"),
    Case("test_cell_metadata_stripped", _edit_test(_strip_metadata("test_mistake_bound")), "tampered", "partial", "test cell deleted"),
    Case("test_cell_renamed", _edit_test(_rename("test_rbf_kernel")), "tampered", "partial", "renamed"),
    Case("test_cell_points_changed", _edit_test(_points("test_polynomial_kernel", 100)), "tampered", "partial", "metadata changed"),
    # Faults: each costs this submission only.
    Case("infinite_loop", _prepend_to_first_exercise("while True:\n    pass"), "timeout", "zero", "did not finish"),
    Case("loop_swallowing_interrupt", _prepend_to_first_exercise(
        "import time\nwhile True:\n    try:\n        time.sleep(0.1)\n    except KeyboardInterrupt:\n        pass"
    ), "timeout", "zero", "did not finish"),
    Case("os_exit", _prepend_to_first_exercise("import os\nos._exit(3)"), "crashed", "zero", "kernel died"),
    Case("segfault", _prepend_to_first_exercise("import ctypes\nctypes.string_at(0)"), "crashed", "zero", "kernel died"),
    Case("memory_bomb", _prepend_to_first_exercise(
        "_hog = []\ntry:\n    while True:\n        _hog.append(bytearray(1 << 28))\nexcept MemoryError:\n    del _hog"
    ), "ok", "full"),
    # Children sleep rather than spin so that the cap, not CPU starvation, is what the case tests.
    Case("fork_bomb", _prepend_to_first_exercise(
        "import os, time\ntry:\n    while True:\n        if os.fork() == 0:\n            time.sleep(3600)\n            os._exit(0)\nexcept OSError:\n    pass"
    ), "ok", "full", needs_process_cap=True),
    Case("output_flood", _prepend_to_first_exercise("while True:\n    print('x' * 10000)"), "output_limit", "partial", "printed more than"),
    Case("truncated_file", lambda: nbformat.writes(_solution()).encode()[:5000], "invalid", "zero", "not a valid notebook"),
    Case("json_but_not_a_notebook", lambda: b'{"cells": 5, "metadata": {}}', "invalid", "zero", "not a valid notebook"),
    Case("binary_garbage", lambda: bytes(range(256)) * 4, "invalid", "zero", "not a valid notebook"),
]

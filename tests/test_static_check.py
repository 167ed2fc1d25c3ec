"""The static look at learners' cells (fast: no kernel): what it flags and, as importantly, what not."""

from __future__ import annotations

import nbformat
import pytest

from autograder import course
from autograder.grading.engine import _checkpoints, _review_flags, is_test_cell
from autograder.grading.static_check import bound_names, suspicious_constructs

HONEST = {
    "helpers and lambdas": "def helper(x):\n    return x * 2\nsquare = lambda v: v ** 2\nvalues = [square(i) for i in range(3)]",
    "classes and dataclasses": "from dataclasses import dataclass\n@dataclass\nclass Point:\n    x: float\n    def norm(self):\n        return abs(self.x)",
    "tqdm and seeding": "from tqdm.auto import tqdm\nimport random\nrandom.seed(0)\nnp.random.seed(0)\nfor _ in tqdm(range(3)):\n    pass",
    "plotting and rcParams": "import matplotlib.pyplot as plt\nplt.rcParams['figure.figsize'] = (4, 3)\nplt.style.use('default')\nfig, ax = plt.subplots()\nax.plot([1, 2])",
    "a module setting": "import torch\ntorch.backends.cudnn.benchmark = True\nnp.set_printoptions(precision=3)",
    "timing magics": "%timeit sum(range(10))\n%matplotlib inline",
    "cell magic time": "%%time\ntotal = sum(range(10))",
    "recursion limit and stdout writes": "import sys\nsys.setrecursionlimit(5000)\nsys.stdout.write('hi\\n')\nprint('x', file=sys.stderr)",
    "functools and itertools": "import functools, itertools\n@functools.lru_cache\ndef f(n):\n    return n\npairs = list(itertools.combinations(range(4), 2))",
    "private attributes and dunder methods": "class A:\n    def __init__(self):\n        self.__secret = 1\n    def __repr__(self):\n        return 'A'",
    "in-place numpy": "a = np.zeros(3)\na[:] += 1\na *= 2\nnp.add(a, 1, out=a)",
    "warnings filter": "import warnings\nwarnings.filterwarnings('ignore')",
}

SUSPICIOUS = {
    "reaches the shell": ("get_ipython().showtraceback = lambda *a, **k: None", "get_ipython"),
    "replaces a numpy function": ("np.allclose = lambda *a, **k: True", "replaces np.allclose"),
    "setattr on a module": ("import math\nsetattr(math, 'isclose', lambda *a, **k: True)", "changes an attribute of the module math"),
    "writes builtins": ("import builtins\nbuiltins.all = lambda it: True", "imports builtins"),
    "exec": ("exec('x = 1')", "calls exec"),
    "compile": ("code = compile('1', 'f', 'eval')", "calls compile"),
    "ctypes": ("import ctypes", "ctypes"),
    "gc": ("import gc\ngc.get_objects()", "gc"),
    "frames": ("import sys\nframe = sys._getframe()\nouter = frame.f_back", "sys._getframe"),
    "importlib": ("import importlib\nimportlib.reload(np)", "importlib"),
    "sys.modules": ("import sys, types\nsys.modules['numpy'] = types.SimpleNamespace()", "sys.modules"),
    "meta path": ("import sys\nsys.meta_path.insert(0, object())", "sys.meta_path"),
    "dunder assignment": ("def f():\n    pass\nf.__code__ = (lambda: True).__code__", "dunder attribute __code__"),
    "trace hook": ("import sys\nsys.settrace(lambda *a: None)", "sys.settrace"),
    "threading hook": ("import threading\nthreading.settrace(print)", "threading.settrace"),
    "IPython import": ("from IPython import get_ipython", "imports IPython"),
    "the guard": ("import autograder.kernel.guard as g", "integrity guard"),
    "a shell command": ("!ls /", "shell command"),
    "an unknown magic": ("%env COURSE_FAST=0", "%env"),
    "inside an allowed cell magic": ("%%time\nget_ipython().run_cell = print", "get_ipython"),
    "__builtins__": ("__builtins__.len = lambda x: 0", "__builtins__"),
    "stderr redirected": ("import sys\nsys.stderr = sys.stdout", "sys.stderr"),
}


@pytest.mark.parametrize("source", HONEST.values(), ids=HONEST.keys())
def test_ordinary_code_is_never_flagged(source):
    assert suspicious_constructs(source, {"np", "plt", "torch"}) == []


@pytest.mark.parametrize("source, reason", SUSPICIOUS.values(), ids=SUSPICIOUS.keys())
def test_constructs_that_tampering_needs_are_flagged_with_their_line(source, reason):
    findings = suspicious_constructs(source, {"np"})
    assert findings, f"not flagged: {source!r}"
    assert any(reason in f.reason for f in findings), [f.reason for f in findings]
    assert all(f.line >= 1 for f in findings)


def test_a_syntax_error_is_not_a_finding():
    assert suspicious_constructs("def broken(:\n    pass") == []


def test_reference_solutions_and_their_demo_cells_are_never_flagged(notebook):
    nb = nbformat.read(course.solution_path(notebook), as_version=4)
    assert _review_flags(nb) == []


def test_bound_names_lists_top_level_bindings():
    source = "import numpy as np\nfrom math import pi as PI\nx, (y, *z) = 1, (2, 3)\ndef f():\n    inner = 1\nclass C:\n    pass\nfor i in range(2):\n    j = i\nwith open('f') as handle:\n    pass\nif (w := 3):\n    k = 1"
    assert set(bound_names(source)) == {"np", "PI", "x", "y", "z", "f", "C", "i", "j", "handle", "w", "k"}


def test_checkpoints_guard_every_test_cell_and_protect_what_locked_cells_bound():
    nb = nbformat.read(course.solution_path("01_perceptron"), as_version=4)
    tests = {i: c.metadata.nbgrader["grade_id"] for i, c in enumerate(nb.cells) if is_test_cell(c)}
    points = _checkpoints(nb, tests)
    first_code = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
    assert first_code in points and points[first_code] == ()
    assert set(tests) <= set(points)
    after_setup = min(i for i in points if i > first_code)
    assert {"np", "runtime", "FAST", "rng"} <= set(points[after_setup])

"""Adversarial and faulty submissions of notebook 01, with the outcome the grader must give each.

Every case starts from the reference solution or the released notebook and changes it the way a
cheating or unlucky learner would. ``expected`` says what the grader must report:
- ``status``: the result's status;
- ``flag``: a phrase one of its flags must contain (tampering and faults are named);
- ``score``: "full", "zero" or "partial" (some but not all points).
"""

from __future__ import annotations

import textwrap
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
    needs_process_cap: bool = False
    # A known gap: why this attack is not defended (README "Threat model"). Its expected outcome is
    # the defended one; the test requires it to be missed still, so that closing a gap is noticed.
    undefended: str = ""  # only where the sandbox can cap processes (see test)


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
    # A function's default arguments swapped, not the function: allclose(a, b) with huge tolerances.
    Case("numpy_default_arguments_swapped", _stubbed_with("np.allclose._implementation.__defaults__ = (1e9, 1e9, False)"), "tampered", "zero",
         "default arguments of numpy._core.numeric.allclose were changed"),
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
    # The guard's check is not a cell (a user expression of the request), so it is not blanked: it names the change.
    Case("input_transformer_blanks_cells", _stubbed_with("get_ipython().input_transformers_post.append(lambda lines: ['pass\\n'])"), "tampered", "zero", "input_transformers_post was changed"),
    Case("ast_transformer", _stubbed_with("import ast\nget_ipython().ast_transformers.append(ast.NodeTransformer())"), "tampered", "zero", "shell.ast_transformers was changed"),
    Case("event_callback", _stubbed_with("get_ipython().events.register('pre_run_cell', lambda *a: None)"), "tampered", "zero", "event callbacks was changed"),
    Case("custom_exception_handler", _stubbed_with("get_ipython().set_custom_exc((Exception,), lambda *a, **k: None)"), "tampered", "zero", "shell.custom_exceptions was changed"),
    Case("trace_hook", _stubbed_with("import sys\nsys.settrace(lambda *a: None)"), "tampered", "zero", "tracing hook"),
    Case("forge_integrity_check", _stubbed_with("__import__('autograder.kernel.guard', fromlist=['x']).check = lambda nonce: None"), "tampered", "zero", "integrity check was silenced"),
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


# --- Red team (issue 15): attacks a learner finds in the IPython / Python / NumPy documentation -------
#
# Each attack starts from the released notebook (every exercise raises NotImplementedError, honest
# score 0), or from it with "lazy stubs" (exercises return arrays of the right shape and wrong values,
# honest score 0, case `lazy_stubs`), so any point it earns is a fake. The grader must give 0 and say
# why; `review` only where the attempt earns nothing by itself and is merely suspicious.


def _code(text: str) -> str:
    return textwrap.dedent(text).strip("\n")


# Shape-correct, value-wrong bodies: what a learner who wants the asserts (not the work) done writes.
_LAZY_RETURNS = {
    "perceptron_predict": "return np.ones(len(X), dtype=int)",
    "perceptron_train": "return np.zeros(X.shape[1]), 0.0, 0",
    "mistake_bound": "return 1.0",
    "rbf_kernel": "return np.ones((len(A), len(B)))",
    "polynomial_kernel": "return np.ones((len(A), len(B)))",
    "kernel_perceptron_train": "return np.zeros(len(X), dtype=int)",
    "kernel_perceptron_predict": "return np.ones(len(X), dtype=int)",
    "perceptron_criterion": "return 0.0, np.zeros(X.shape[1]), 0.0",
}


def _lazy():
    nb = _released()
    for grade_id, body in _LAZY_RETURNS.items():
        cell = _cell(nb, grade_id)
        cell.source = cell.source.replace("raise NotImplementedError()", body)
    return nb


def _with(base, **code_by_cell):
    """`base` notebook with code run at the top of the named exercise cells."""

    def build():
        nb = base()
        for grade_id, code in code_by_cell.items():
            cell = _cell(nb, grade_id)
            cell.source = _code(code) + "\n\n" + cell.source
        return nb

    return build


def _released_with(*parts: str):
    return _with(_released, perceptron_predict="\n".join(map(_code, parts)))


def _lazy_with(*parts: str):
    return _with(_lazy, perceptron_predict="\n".join(map(_code, parts)))


# Blanks every cell that contains a check; the guard probe (no assert) still runs.
_DROP_CHECKS = "def _drop_checks(lines):\n    return [] if any('assert' in line for line in lines) else lines"

# A clean guard report that echoes the nonce, as autograder/kernel/guard.py (shipped with the course) writes it.
_CLEAN_REPORT = "publish_display_data({'application/vnd.course-guard+json': {'nonce': nonce, 'findings': []}})"

# Sends a clean report for every check the current request carries, its nonce read from the request.
_FORGE_FROM_REQUEST = """
from IPython.display import publish_display_data
def _forge(*args):
    for expression in get_ipython().kernel.get_parent()["content"].get("user_expressions", {}).values():
        nonce = expression.split("check(")[1].split(",")[0].strip("'\\" ")
        """ + _CLEAN_REPORT + """
"""

_STRIP_ASSERTS = """
    import ast
    class _StripAsserts(ast.NodeTransformer):
        def visit_Assert(self, node):
            return ast.copy_location(ast.Pass(), node)
"""

_YES = """
    class _Yes:
        \"\"\"Agrees with every comparison; NumPy hands it every function and ufunc it appears in.\"\"\"
        def __array_function__(self, func, types, args, kwargs):
            return _Yes()
        def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
            return _Yes()
        def __bool__(self):
            return True
        def __eq__(self, other):
            return _Yes()
        __ne__ = __lt__ = __le__ = __gt__ = __ge__ = __eq__
        __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __eq__
        __matmul__ = __rmatmul__ = __truediv__ = __rtruediv__ = __pow__ = __rpow__ = __eq__
        def __neg__(self):
            return _Yes()
        def __call__(self, *args, **kwargs):
            return _Yes()
        def __getitem__(self, key):
            return _Yes()
        def __iter__(self):
            return iter([_Yes(), _Yes(), _Yes()])
        def __getattr__(self, name):
            if name.startswith("_"):
                raise AttributeError(name)
            return _Yes()
        def __format__(self, spec):
            return "ok"
        @property
        def __class__(self):
            return np.ndarray
"""


def _yes_everywhere():
    nb = _released()
    for grade_id in _LAZY_RETURNS:
        cell = _cell(nb, grade_id)
        cell.source = cell.source.replace("raise NotImplementedError()", "return _Yes()")
    first = _cell(nb, "perceptron_predict")
    first.source = _code(_YES) + "\n\n" + first.source
    return nb


ATTACKS = [
    Case("lazy_stubs", _lazy, "ok", "zero"),  # the baseline of the attacks built on it: earns nothing honestly
    # Swallowing the exception (the released notebook raises NotImplementedError in every test cell).
    Case("showtraceback_one_liner", _released_with("get_ipython().showtraceback = lambda *a, **k: None"), "tampered", "zero", "shell.showtraceback was replaced"),
    Case("private_showtraceback", _released_with("get_ipython()._showtraceback = lambda etype, evalue, stb: None"), "tampered", "zero", "shell._showtraceback was replaced"),
    # ipykernel shadows _showtraceback with an instance attribute at start-up: this fails by itself.
    Case("shell_class_showtraceback", _released_with("type(get_ipython())._showtraceback = lambda self, etype, evalue, stb: None"), "tampered", "zero", "ZMQInteractiveShell._showtraceback was replaced"),
    Case("run_cell_wrapped_in_try", _released_with("""
        import textwrap
        _shell = get_ipython()
        _original_run_cell = _shell.run_cell
        def _forgiving_run_cell(raw_cell, *args, **kwargs):
            wrapped = "try:\\n" + textwrap.indent(raw_cell, "    ") + "\\n    pass\\nexcept Exception:\\n    pass\\n"
            return _original_run_cell(wrapped, *args, **kwargs)
        _shell.run_cell = _forgiving_run_cell
    """), "tampered", "zero", "shell.run_cell was replaced"),
    Case("run_code_swallows", _released_with("""
        _shell = get_ipython()
        async def _run_code_quietly(code_obj, result=None, *, async_=False):
            try:
                exec(code_obj, _shell.user_global_ns, _shell.user_ns)
            except Exception:
                pass
            return False
        _shell.run_code = _run_code_quietly
    """), "tampered", "zero", "shell.run_code was replaced"),
    Case("run_ast_nodes_try_each_statement", _released_with("""
        import ast
        _shell = get_ipython()
        _original_run_ast_nodes = _shell.run_ast_nodes
        def _guarded(node):
            handler = ast.ExceptHandler(type=ast.Name("Exception", ast.Load()), name=None, body=[ast.Pass()])
            return ast.fix_missing_locations(ast.copy_location(ast.Try(body=[node], handlers=[handler], orelse=[], finalbody=[]), node))
        async def _run_ast_nodes(nodelist, cell_name, interactivity="last_expr", compiler=compile, result=None):
            return await _original_run_ast_nodes([_guarded(node) for node in nodelist], cell_name, interactivity, compiler, result)
        _shell.run_ast_nodes = _run_ast_nodes
    """), "tampered", "zero", "shell.run_ast_nodes was replaced"),
    Case("transform_cell_wraps_try", _released_with("""
        import textwrap
        _shell = get_ipython()
        _original_transform_cell = _shell.transform_cell
        def _transform_cell(raw_cell):
            cell = _original_transform_cell(raw_cell)
            return "try:\\n" + textwrap.indent(cell, "    ") + "\\n    pass\\nexcept Exception:\\n    pass\\n"
        _shell.transform_cell = _transform_cell
    """), "tampered", "zero", "shell.transform_cell was replaced"),
    # The shell object keeps its identity, its attributes and its class's dictionary; only its class changes.
    Case("shell_class_swapped", _released_with("""
        _shell = get_ipython()
        class _Forgiving(type(_shell)):
            def run_cell(self, raw_cell, *args, **kwargs):
                return super().run_cell("pass" if "assert" in raw_cell else raw_cell, *args, **kwargs)
        _shell.__class__ = _Forgiving
    """), "tampered", "zero", "the class of shell was changed"),
    # Filtering the cells that contain checks.
    Case("class_run_cell_drops_checks", _released_with("""
        from IPython.core.interactiveshell import InteractiveShell
        _original_run_cell = InteractiveShell.run_cell
        def run_cell(self, raw_cell, *args, **kwargs):
            if "assert" in raw_cell:
                raw_cell = "pass"
            return _original_run_cell(self, raw_cell, *args, **kwargs)
        InteractiveShell.run_cell = run_cell
    """), "tampered", "zero", "InteractiveShell.run_cell was replaced"),
    Case("line_transforms_drop_checks", _released_with(_DROP_CHECKS + "\nget_ipython().input_transformer_manager.line_transforms.append(_drop_checks)"), "tampered", "zero", "transforms was changed"),
    Case("cleanup_transforms_drop_checks", _released_with(_DROP_CHECKS + "\nget_ipython().input_transformers_cleanup.insert(0, _drop_checks)"), "tampered", "zero", "shell.input_transformers_cleanup was changed"),
    Case("transformer_manager_replaced", _released_with("""
        from IPython.core.inputtransformer2 import TransformerManager
        class _Lenient(TransformerManager):
            def transform_cell(self, cell):
                return "pass\\n" if "assert" in cell else super().transform_cell(cell)
        get_ipython().input_transformer_manager = _Lenient()
    """), "tampered", "zero", "shell.input_transformer_manager was replaced"),
    # Compiling later cells with optimize=1, so that `assert` statements vanish (lazy stubs).
    Case("shell_compile_optimized", _lazy_with("""
        from IPython.core.compilerop import CachingCompiler
        class _NoAsserts(CachingCompiler):
            def __call__(self, source, filename, symbol):
                return compile(source, filename, symbol, self.flags, True, optimize=1)
        get_ipython().compile = _NoAsserts()
    """), "tampered", "zero", "shell.compile was replaced"),
    Case("codeop_compile_class_optimized", _lazy_with("""
        import codeop
        def _optimized_call(self, source, filename, symbol):
            return compile(source, filename, symbol, self.flags, True, optimize=1)
        codeop.Compile.__call__ = _optimized_call
    """), "tampered", "zero", "codeop.Compile.__call__ was replaced"),
    Case("builtins_compile_optimized", _lazy_with("""
        import builtins, functools
        builtins.compile = functools.partial(builtins.compile, optimize=1)
    """), "tampered", "zero", "builtins.compile was replaced"),
    Case("codeop_global_compile_shadowed", _lazy_with("""
        import codeop, functools
        codeop.compile = functools.partial(compile, optimize=1)
    """), "tampered", "zero", "codeop.compile was added"),
    # Rewriting each cell's syntax tree without touching ast_transformers (lazy stubs).
    Case("transform_ast_strips_asserts", _lazy_with(_STRIP_ASSERTS, """
        get_ipython().transform_ast = lambda node: ast.fix_missing_locations(_StripAsserts().visit(node))
    """), "tampered", "zero", "shell.transform_ast was replaced"),
    Case("compiler_ast_parse_strips_asserts", _lazy_with(_STRIP_ASSERTS, """
        def _ast_parse(source, filename="<unknown>", symbol="exec"):
            return ast.fix_missing_locations(_StripAsserts().visit(ast.parse(source, filename, symbol)))
        get_ipython().compile.ast_parse = _ast_parse
    """), "tampered", "zero", "shell.compiler.ast_parse was replaced"),
    Case("compile_hook_strips_asserts", _lazy_with(_STRIP_ASSERTS, """
        import builtins
        _original_compile = builtins.compile
        def _compile(source, *args, **kwargs):
            if isinstance(source, ast.Module):
                source = ast.fix_missing_locations(_StripAsserts().visit(source))
            return _original_compile(source, *args, **kwargs)
        builtins.compile = _compile
    """), "tampered", "zero", "builtins.compile was replaced"),
    # Replacing the kernel's message handlers.
    Case("shell_handlers_execute_request", _released_with("""
        _kernel = get_ipython().kernel
        _original_execute_request = _kernel.shell_handlers["execute_request"]
        async def _execute_request(stream, ident, parent):
            if "assert" in parent["content"]["code"]:
                parent["content"]["code"] = "pass"
            return await _original_execute_request(stream, ident, parent)
        _kernel.shell_handlers["execute_request"] = _execute_request
    """), "tampered", "zero", "kernel.shell_handlers was changed"),
    Case("kernel_do_execute", _released_with("""
        _kernel = get_ipython().kernel
        _original_do_execute = _kernel.do_execute
        async def _do_execute(code, silent, *args, **kwargs):
            return await _original_do_execute("pass" if "assert" in code else code, silent, *args, **kwargs)
        _kernel.do_execute = _do_execute
    """), "tampered", "zero", "kernel.do_execute was replaced"),
    # The handler table was filled when the kernel started: replacing the attribute changes nothing.
    Case("kernel_execute_request_attribute", _released_with("""
        _kernel = get_ipython().kernel
        _original_execute_request = _kernel.execute_request
        async def _execute_request(stream, ident, parent):
            if "assert" in parent["content"]["code"]:
                parent["content"]["code"] = "pass"
            return await _original_execute_request(stream, ident, parent)
        _kernel.execute_request = _execute_request
    """), "tampered", "zero", "kernel.execute_request was replaced"),
    # Rewriting what the kernel sends: errors dropped, failed replies turned into successes.
    Case("session_send_rewrites_errors", _released_with("""
        _session = get_ipython().kernel.session
        _original_send = _session.send
        def _send(stream, msg_or_type, content=None, parent=None, *args, **kwargs):
            kind = msg_or_type if isinstance(msg_or_type, str) else msg_or_type["header"]["msg_type"]
            if kind == "error":
                return None
            if kind == "execute_reply" and content and content.get("status") == "error":
                content = {"status": "ok", "execution_count": content.get("execution_count"), "user_expressions": {}, "payload": []}
            return _original_send(stream, msg_or_type, content, parent, *args, **kwargs)
        _session.send = _send
    """), "tampered", "zero", "session.send was replaced"),
    # Shadowing a name the setup cell bound (lazy stubs).
    Case("shadow_np_permissive_class", _lazy_with("""
        import numpy
        class _LenientNumpy:
            def __getattr__(self, name):
                return getattr(numpy, name)
            def allclose(self, *args, **kwargs):
                return True
            isclose = array_equal = all = allclose
        np = _LenientNumpy()
    """), "tampered", "zero", "the name 'np' bound by a locked cell was rebound"),
    Case("shadow_np_simplenamespace", _lazy_with("""
        import types
        import numpy
        _yes = lambda *args, **kwargs: True
        np = types.SimpleNamespace(**{**vars(numpy), "linalg": numpy.linalg, "random": numpy.random,
                                      "allclose": _yes, "isclose": _yes, "array_equal": _yes, "all": _yes})
    """), "tampered", "zero", "the name 'np' bound by a locked cell was rebound"),
    # A function a read-only cell bound, rebound by a solution cell: the guard puts the original back
    # before each test cell (an honest learner may reuse a name), so this earns nothing and is no flag.
    Case("rebind_read_only_cell_name", _with(_lazy, perceptron_train="make_separable = lambda n, margin, rng: (np.ones((n, 2)), np.ones(n, dtype=int))"),
         "ok", "zero"),
    Case("meta_path_serves_fake_numpy", _lazy_with("""
        import importlib.abc, importlib.util, sys, types
        import numpy as _real_numpy
        class _FakeNumpyFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
            def find_spec(self, name, path, target=None):
                return importlib.util.spec_from_loader(name, self) if name == "numpy" else None
            def create_module(self, spec):
                fake = types.ModuleType("numpy")
                fake.__dict__.update(vars(_real_numpy))
                fake.allclose = fake.array_equal = fake.isclose = fake.all = lambda *args, **kwargs: True
                return fake
            def exec_module(self, module):
                pass
        sys.meta_path.insert(0, _FakeNumpyFinder())
        del sys.modules["numpy"]
        import numpy as np
    """), "tampered", "zero", "sys.meta_path was changed"),
    Case("path_hook_installed", _released_with("""
        import sys
        def _no_files(path):
            raise ImportError(path)
        sys.path_hooks.insert(0, _no_files)
    """), "tampered", "zero", "sys.path_hooks was changed"),
    # Other objects.
    Case("patch_numpy_testing_assert_allclose", _released_with("np.testing.assert_allclose = lambda *args, **kwargs: None"), "tampered", "zero", "numpy.testing.assert_allclose was replaced"),
    # numpy.ndarray is immutable: the attempt fails by itself (TypeError) and earns nothing, but it is
    # no code an exercise needs.
    Case("ndarray_eq_immutable", _released_with("np.ndarray.__eq__ = lambda self, other: True"), "review", "zero", "assigns the dunder attribute __eq__"),
    # Same objects, new behaviour: the functions keep their identity, their code is swapped.
    Case("numpy_function_code_swapped", _lazy_with("""
        for _check in (np.allclose, np.isclose, np.array_equal, np.all):
            _check._implementation.__code__ = (lambda *args, **kwargs: True).__code__
    """), "tampered", "zero", "the code of numpy"),
    # The module object keeps its identity and its dictionary; only its class changes, and it lies
    # only to the notebook's own code (anyone else asking gets the real functions).
    Case("numpy_module_class_swapped", _lazy_with("""
        import sys, types
        class _LenientModule(types.ModuleType):
            def __getattribute__(self, name):
                asked_by_notebook = sys._getframe(1).f_globals.get("__name__") == "__main__"
                if asked_by_notebook and name in ("allclose", "isclose", "array_equal", "all"):
                    return lambda *args, **kwargs: True
                return super().__getattribute__(name)
        np.__class__ = _LenientModule
    """), "tampered", "zero", "the class of module numpy was changed"),
    # No global state touched: results that agree with every check (NumPy's __array_function__ protocol).
    Case("array_function_agrees_with_everything", _yes_everywhere, "tampered", "zero", undefended="objects that claim equality with everything change no global state; hidden tests must check types"),
    # Other hooks.
    # IPython installs its own sys.excepthook / sys.displayhook around every cell it runs and puts the
    # previous ones back after it: these assignments never act on a cell (0 points), only suspicious.
    Case("sys_excepthook", _released_with("import sys\nsys.excepthook = lambda *args: None"), "review", "zero", "replaces sys.excepthook"),
    Case("sys_displayhook", _released_with("import sys\nsys.displayhook = lambda value: None"), "review", "zero", "replaces sys.displayhook"),
    Case("threading_settrace", _released_with("import threading\nthreading.settrace(lambda frame, event, arg: None)"), "tampered", "zero", "a tracing hook"),
    Case("sys_setprofile", _released_with("import sys\nsys.setprofile(lambda frame, event, arg: None)"), "tampered", "zero", "a profiling hook"),
    Case("builtins_assertion_error", _released_with("import builtins\nbuiltins.AssertionError = type('AssertionError', (Exception,), {})"), "tampered", "zero", "builtins.AssertionError was replaced"),
    Case("builtins_isinstance", _released_with("""
        import builtins
        _original_isinstance = builtins.isinstance
        builtins.isinstance = lambda obj, cls: True if cls is np.ndarray else _original_isinstance(obj, cls)
    """), "tampered", "zero", "builtins.isinstance was replaced"),
    # Delayed activation: installed by a function a later exercise cell calls.
    Case("delayed_by_later_solution_cell", _with(_released, perceptron_predict="""
        def _tidy_output():
            get_ipython().showtraceback = lambda *args, **kwargs: None
    """, rbf_kernel="_tidy_output()"), "tampered", "zero", "shell.showtraceback was replaced"),
    # ... by a post_execute callback appended to the list directly, dressed up as ipykernel's own.
    Case("delayed_post_execute_disguised", _released_with("""
        def _after_cell():
            _after_cell.calls += 1
            if _after_cell.calls == 4:
                get_ipython().showtraceback = lambda *args, **kwargs: None
        _after_cell.calls = 0
        _after_cell.__module__ = "ipykernel.zmqshell"
        get_ipython().events.callbacks["post_execute"].append(_after_cell)
    """), "tampered", "zero", "shell.showtraceback was replaced"),
    # ... from another thread, a moment later.
    Case("delayed_by_timer_thread", _released_with("""
        import threading
        threading.Timer(0.3, lambda: setattr(get_ipython(), "showtraceback", lambda *a, **k: None)).start()
    """), "tampered", "zero", "shell.showtraceback was replaced"),
    # Active only while a cell with checks runs (errors elsewhere still show).
    Case("swallow_only_in_checked_cells", _released_with("""
        import sys
        from IPython.core.interactiveshell import InteractiveShell
        _original_showtraceback = InteractiveShell.showtraceback
        def showtraceback(self, *args, **kwargs):
            frame = sys._getframe()
            while frame is not None:
                if "assert" in str(frame.f_locals.get("raw_cell", "")):
                    return None
                frame = frame.f_back
            return _original_showtraceback(self, *args, **kwargs)
        InteractiveShell.showtraceback = showtraceback
    """), "tampered", "zero", "InteractiveShell.showtraceback was replaced"),
    # Errors erased after the fact: clear_output from a post_run_cell callback dressed up as a library's.
    Case("clear_output_after_error", _released_with("""
        from IPython.display import clear_output
        def _tidy(result):
            if not result.success:
                clear_output()
        _tidy.__module__ = "matplotlib_inline.backend_inline"
        get_ipython().events.register("post_run_cell", _tidy)
    """), "tampered", "zero", "event callbacks was changed"),
    # The guard's report channel, each with a cheat the guard would otherwise report (cleanup transform).
    Case("fake_guard_in_sys_modules", _released_with(_DROP_CHECKS, """
        import sys, types
        from IPython.display import publish_display_data
        _fake_guard = types.ModuleType("autograder.kernel.guard")
        _fake_guard.check = lambda nonce, *args, **kwargs: """ + _CLEAN_REPORT + """
        sys.modules["autograder.kernel.guard"] = _fake_guard
        get_ipython().input_transformers_cleanup.insert(0, _drop_checks)
    """), "tampered", "zero", undefended="forges the guard report (written against its source): not defended in-process"),
    Case("fake_guard_from_builtins_import", _released_with(_DROP_CHECKS, """
        import builtins, types
        from IPython.display import publish_display_data
        _fake_guard = types.SimpleNamespace(check=lambda nonce, *args, **kwargs: """ + _CLEAN_REPORT + """)
        _original_import = builtins.__import__
        def _import(name, *args, **kwargs):
            return _fake_guard if name == "autograder.kernel.guard" else _original_import(name, *args, **kwargs)
        builtins.__import__ = _import
        get_ipython().input_transformers_cleanup.insert(0, _drop_checks)
    """), "tampered", "zero", undefended="forges the guard report (written against its source): not defended in-process"),
    # Neither the builtins module nor sys.modules touched: the notebook's own __builtins__ serves the fake.
    Case("fake_guard_via_user_builtins", _released_with("""
        import builtins, types
        from IPython.display import publish_display_data
        _fake_guard = types.SimpleNamespace(check=lambda nonce, *args, **kwargs: """ + _CLEAN_REPORT + """)
        def _import(name, *args, **kwargs):
            return _fake_guard if name == "autograder.kernel.guard" else builtins.__import__(name, *args, **kwargs)
        __builtins__ = {**vars(builtins), "__import__": _import}
        get_ipython().input_transformers_cleanup.insert(0, lambda lines: [] if any("assert" in line for line in lines) else lines)
    """), "tampered", "zero", undefended="forges the guard report (written against its source): not defended in-process"),
    Case("publish_display_data_clears_findings", _released_with(_DROP_CHECKS, """
        import IPython.display
        _original_publish = IPython.display.publish_display_data
        def _publish(data, *args, **kwargs):
            report = data.get("application/vnd.course-guard+json")
            if report is not None:
                data = {**data, "application/vnd.course-guard+json": {**report, "findings": []}}
            return _original_publish(data, *args, **kwargs)
        IPython.display.publish_display_data = _publish
        get_ipython().input_transformers_cleanup.insert(0, _drop_checks)
    """), "tampered", "zero", "IPython.display.publish_display_data was replaced"),
    # The check rides along with a cell's request, whose content (nonce included) the cell can read.
    # A clean report sent with it arrives beside the guard's: two reports carrying one nonce.
    Case("nonce_read_from_own_request", _released_with(_DROP_CHECKS, _FORGE_FROM_REQUEST, """
        get_ipython().events.register("post_run_cell", _forge)
        get_ipython().input_transformers_cleanup.insert(0, _drop_checks)
    """), "tampered", "zero", "more than one report"),
    # ... and the guard's own report stopped: its import broken after the forged one is sent. A report
    # counts only when the check itself succeeded; the probe then finds the guard silenced.
    Case("forged_report_then_guard_import_broken", _released_with(_DROP_CHECKS, _FORGE_FROM_REQUEST, """
        import sys
        def _forge_and_break(*args):
            _forge()
            sys.modules["autograder.kernel.guard"] = None
        get_ipython().events.register("post_run_cell", _forge_and_break)
        get_ipython().input_transformers_cleanup.insert(0, _drop_checks)
    """), "tampered", "zero", "integrity check was silenced"),
    Case("display_pub_clears_findings", _released_with(_DROP_CHECKS, """
        _display_pub = get_ipython().display_pub
        _original_publish = _display_pub.publish
        def _publish(data, *args, **kwargs):
            report = data.get("application/vnd.course-guard+json")
            if report is not None:
                data = {**data, "application/vnd.course-guard+json": {**report, "findings": []}}
            return _original_publish(data, *args, **kwargs)
        _display_pub.publish = _publish
        get_ipython().input_transformers_cleanup.insert(0, _drop_checks)
    """), "tampered", "zero", undefended="forges the guard report (written against its source): not defended in-process"),
]


# --- Honest submissions with unusual but allowed code: must come out ok, full marks, no flag -------


def _solved(**source_by_cell):
    """The reference solution with the named exercise cells rewritten (whole source, dedented)."""

    def build():
        nb = _solution()
        for grade_id, source in source_by_cell.items():
            _cell(nb, grade_id).source = _code(source)
        return nb

    return build


def _solved_plus(**code_by_cell):
    """The reference solution with code added at the end of the named exercise cells."""

    def build():
        nb = _solution()
        for grade_id, code in code_by_cell.items():
            cell = _cell(nb, grade_id)
            cell.source = cell.source + "\n\n" + _code(code)
        return nb

    return build


HONEST = [
    Case("honest_helper_class", _solved(perceptron_train="""
        class Perceptron:
            \"\"\"Weights and bias of a perceptron, updated one example at a time.\"\"\"

            def __init__(self, dim, lr):
                self.w, self.b, self.lr = np.zeros(dim), 0.0, lr

            def __repr__(self):
                return f"Perceptron(w={self.w}, b={self.b})"

            def score(self, x):
                return x @ self.w + self.b

            def update(self, x, y):
                self.w = self.w + self.lr * y * x
                self.b = self.b + self.lr * y


        def perceptron_train(X, y, lr=1.0, max_epochs=100):
            model, n_mistakes = Perceptron(X.shape[1], lr), 0
            for _ in range(max_epochs):
                mistakes = 0
                for x_i, y_i in zip(X, y):
                    if y_i * model.score(x_i) <= 0:
                        model.update(x_i, y_i)
                        mistakes += 1
                n_mistakes += mistakes
                if not mistakes:
                    break
            return model.w, float(model.b), n_mistakes
    """), "ok", "full"),
    Case("honest_lambdas_and_comprehensions", _solved(perceptron_predict="""
        sign = lambda score: 1 if score >= 0 else -1

        def perceptron_predict(X, w, b):
            return np.array([sign(score) for score in X @ w + b], dtype=int)
    """, polynomial_kernel="""
        def polynomial_kernel(A, B, degree, c=1.0):
            return np.array([(A @ b_row + c) ** degree for b_row in B]).T
    """), "ok", "full"),
    Case("honest_generators_functools_itertools", _solved(rbf_kernel="""
        import functools
        import itertools

        def squared_distances(A, B):
            \"\"\"All pairwise squared distances, one feature at a time (a generator of (M, P) terms).\"\"\"
            return functools.reduce(np.add, ((A[:, None, k] - B[None, :, k]) ** 2 for k in range(A.shape[1])))

        def rbf_kernel(A, B, gamma):
            return np.exp(-gamma * squared_distances(A, B))
    """, kernel_perceptron_train="""
        import itertools

        def mistakes_in_one_pass(alpha, gram, y):
            \"\"\"Yield each example the perceptron gets wrong in one pass, counting it in alpha.\"\"\"
            for i in range(len(y)):
                if y[i] * np.sum(alpha * y * gram[:, i]) <= 0:
                    alpha[i] += 1
                    yield i

        def kernel_perceptron_train(X, y, kernel, max_epochs=100):
            gram = kernel(X, X)
            alpha = np.zeros(len(X), dtype=int)
            for _ in itertools.islice(itertools.count(), max_epochs):
                if sum(1 for _ in mistakes_in_one_pass(alpha, gram, y)) == 0:
                    break
            return alpha
    """), "ok", "full"),
    Case("honest_recursion", _solved(polynomial_kernel="""
        def power(K, degree):
            \"\"\"K ** degree by repeated squaring, recursively.\"\"\"
            if degree == 1:
                return K
            half = power(K, degree // 2)
            return half * half if degree % 2 == 0 else half * half * K

        def polynomial_kernel(A, B, degree, c=1.0):
            return power(A @ B.T + c, degree)
    """), "ok", "full"),
    Case("honest_decorators", _solved(perceptron_predict="""
        import functools

        def as_labels(function):
            \"\"\"Return the wrapped function's result as an integer array.\"\"\"
            @functools.wraps(function)
            def wrapper(*args, **kwargs):
                return np.asarray(function(*args, **kwargs), dtype=int)
            return wrapper

        @as_labels
        def perceptron_predict(X, w, b):
            return np.where(X @ w + b >= 0, 1, -1)
    """, kernel_perceptron_predict="""
        @as_labels
        def kernel_perceptron_predict(X_train, y_train, alpha, kernel, X):
            return np.where(kernel(X, X_train) @ (alpha * y_train) >= 0, 1, -1)
    """), "ok", "full"),
    Case("honest_tqdm_progress", _solved_plus(perceptron_train="""
        from tqdm.auto import tqdm, trange

        for _ in tqdm(range(3), desc="warming up"):
            perceptron_train(np.array([[1.0, 0.0]]), np.array([1]))
        for _ in trange(2, disable=True):
            pass
    """), "ok", "full"),
    Case("honest_seeding", _solved_plus(perceptron_predict="""
        import random

        random.seed(0)
        np.random.seed(0)
        order = list(range(5))
        random.shuffle(order)
        print("shuffled", order, "noise", np.random.rand(2))
    """), "ok", "full"),
    Case("honest_matplotlib_style", _solved_plus(rbf_kernel="""
        plt.rcParams["figure.figsize"] = (3, 3)
        plt.rcParams.update({"axes.grid": True})
        plt.style.use("ggplot")
        fig, ax = plt.subplots()
        ax.imshow(rbf_kernel(np.linspace(-1, 1, 20)[:, None], np.linspace(-1, 1, 20)[:, None], 2.0))
        ax.set_title("RBF kernel on a line")
        plt.show()
    """), "ok", "full"),
    Case("honest_matplotlib_magics", _with(_solution, perceptron_predict="""
        %matplotlib inline
        %config InlineBackend.figure_format = "retina"
    """), "ok", "full"),
    Case("honest_timing_magics", _solved_plus(perceptron_predict="""
        %time _ = perceptron_predict(np.ones((3, 2)), np.ones(2), 0.0)
        %timeit -n 3 -r 1 perceptron_predict(np.ones((3, 2)), np.ones(2), 0.0)
    """), "ok", "full"),
    Case("honest_warnings_and_printing", _solved_plus(mistake_bound="""
        import sys
        import warnings

        warnings.filterwarnings("ignore", category=RuntimeWarning)
        np.seterr(divide="ignore")
        np.set_printoptions(precision=3)
        warnings.warn("the bound is loose for small margins")
        print("warning: the bound is loose for small margins", file=sys.stdout)
    """), "ok", "full"),
    Case("honest_try_except_dataclass", _solved(mistake_bound="""
        from dataclasses import dataclass

        @dataclass(frozen=True)
        class Geometry:
            radius: float
            margin: float

        def geometry(X, y, w, b):
            X_aug, w_aug = np.hstack([X, np.ones((X.shape[0], 1))]), np.append(w, b)
            return Geometry(radius=np.max(np.linalg.norm(X_aug, axis=1)), margin=np.min(y * (X_aug @ w_aug)) / np.linalg.norm(w_aug))

        def mistake_bound(X, y, w, b):
            g = geometry(X, y, w, b)
            assert g.radius > 0, "all points are zero"
            try:
                if g.margin <= 0:
                    raise ArithmeticError(g.margin)
            except ArithmeticError as error:
                raise ValueError(f"(w, b) does not separate the data: margin {error.args[0]:.3g} <= 0") from None
            return float((g.radius / g.margin) ** 2)
    """), "ok", "full"),
    Case("honest_in_place_numpy", _solved(rbf_kernel="""
        def rbf_kernel(A, B, gamma):
            K = -2.0 * (A @ B.T)
            K += np.sum(A**2, axis=1)[:, None]
            K += np.sum(B**2, axis=1)[None, :]
            np.maximum(K, 0.0, out=K)
            K *= -gamma
            np.exp(K, out=K)
            return K
    """), "ok", "full"),
    Case("honest_module_level_state", _solved(kernel_perceptron_train="""
        CALLS = {"kernel_perceptron_train": 0}
        last_gram = None

        def kernel_perceptron_train(X, y, kernel, max_epochs=100):
            global last_gram
            CALLS["kernel_perceptron_train"] += 1
            gram = last_gram = kernel(X, X)
            alpha = np.zeros(len(X), dtype=int)
            for _ in range(max_epochs):
                clean_epoch = True
                for i in range(len(X)):
                    if y[i] * np.sum(alpha * y * gram[:, i]) <= 0:
                        alpha[i] += 1
                        clean_epoch = False
                if clean_epoch:
                    break
            return alpha
    """), "ok", "full"),
    Case("honest_imports_and_recursion_limit", _solved_plus(polynomial_kernel="""
        import collections
        import math
        import sys

        sys.setrecursionlimit(5000)
        if __name__ == "__main__":
            counts = collections.Counter(np.sign(polynomial_kernel(np.eye(3), np.eye(3), 3)).ravel())
            print(counts, math.isfinite(float(polynomial_kernel(np.ones((1, 2)), np.ones((1, 2)), 2)[0, 0])))
    """), "ok", "full"),
    Case("honest_modern_syntax_and_introspection", _solved(perceptron_predict="""
        from typing import Callable

        Labeller = Callable[[np.ndarray], np.ndarray]

        def perceptron_predict(X: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
            \"\"\"Labels sign(X @ w + b) in {-1, +1}, with sign(0) = +1.\"\"\"
            if (n := X.shape[0]) == 0:
                return np.zeros(0, dtype=int)
            match np.ndim(w):
                case 1:
                    scores = X @ w + b
                case _:
                    raise ValueError(f"w must be a vector, got {np.ndim(w)=}")
            return np.where(scores >= 0, 1, -1).reshape(n)

        print(type(perceptron_predict(np.ones((2, 2)), np.ones(2), 0.0)).__name__, perceptron_predict.__name__,
              perceptron_predict.__doc__.splitlines()[0], getattr(np, "sign") is np.sign, callable(perceptron_predict))
    """), "ok", "full"),
    Case("honest_writes_files", _solved_plus(rbf_kernel="""
        import csv
        import os
        from pathlib import Path

        os.makedirs("figures", exist_ok=True)
        fig, ax = plt.subplots()
        ax.plot(np.linspace(0, 3, 30), rbf_kernel(np.zeros((1, 1)), np.linspace(0, 3, 30)[:, None], 1.0)[0])
        fig.savefig(Path("figures") / "rbf_profile.png")
        plt.close(fig)
        with open("kernel_values.csv", "w", newline="") as handle:
            csv.writer(handle).writerows(rbf_kernel(np.eye(2), np.eye(2), 1.0).tolist())
        print(Path("kernel_values.csv").read_text())
    """), "ok", "full"),
    # Scratch work that reuses names later read-only cells bind (a demo copied from a test cell, XOR
    # data built early): the read-only cells bind them again before using them.
    Case("honest_demo_names_reused", _solved_plus(perceptron_train="""
        X_xor = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
        y_xor = np.array([-1, 1, 1, -1])
        w_demo, b_demo, m_demo = perceptron_train(X_xor, y_xor, max_epochs=5)
        print("XOR after 5 epochs:", m_demo, "mistakes")
    """, polynomial_kernel="""
        K_demo = polynomial_kernel(np.array([[1.0, 2.0]]), np.array([[3.0, 4.0]]), degree=2)
        print(K_demo)
    """), "ok", "full"),
    Case("honest_redefined_and_reimported", _with(_solution, perceptron_predict="""
        import numpy as np
        import matplotlib.pyplot as plt
        from numpy import linalg as LA

        def perceptron_predict(X, w, b):  # first try, replaced below
            return np.sign(X @ w + b)
    """, rbf_kernel="""
        def perceptron_predict(X, w, b):  # the same again, written after re-reading the exercise
            return np.where(X @ w + b >= 0, 1, -1)

        print("norm of a unit vector", LA.norm(np.array([0.6, 0.8])))
    """), "ok", "full"),
]

CASES += ATTACKS

"""A static look at the cells a learner edits, before anything runs.

``suspicious_constructs(source)`` parses one cell (IPython syntax included) and lists the
constructs no exercise of this course needs and that tampering with grading does need: reaching
the IPython shell or kernel, writing to ``builtins`` or to another module's attributes,
``compile``/``exec``/``eval``, ``ctypes``, ``gc``, frame inspection, ``importlib``, editing
``sys.modules`` or import hooks, interpreter hooks, assigning dunder attributes. A finding does not
change the score: the submission gets status ``review`` and a person looks at it. Ordinary code
(helpers, lambdas, classes, comprehensions, tqdm, seeding, plotting, ``%timeit``) is never flagged.

``bound_names(source)`` lists the names a cell binds at top level (used to protect the names that
locked cells bind, see ``kernel/guard.py``).

Pure functions of source text: no kernel, no notebook I/O.
"""

from __future__ import annotations

import ast
import functools
from dataclasses import dataclass

# Magics that only time, inspect or configure plotting (``%config InlineBackend.*`` too). Anything else (``%run``, ``%env``,
# ``!shell``...) is reported.
ALLOWED_MAGICS = frozenset({"time", "timeit", "matplotlib", "who", "whos", "who_ls", "pinfo", "pinfo2", "precision", "pprint", "pdoc", "pdef", "psearch"})
_SHELL_MODULES = frozenset({"IPython", "ipykernel", "traitlets", "zmq", "jupyter_client", "comm", "tornado", "nbclient", "nbgrader"})
_FORBIDDEN_MODULES = {
    "builtins": "imports builtins", "ctypes": "uses ctypes", "gc": "uses the garbage collector's object lists (gc)",
    "importlib": "uses importlib", "codeop": "uses codeop (the shell's compiler)", "inspect": "uses inspect (frame inspection)",
    "dis": "uses dis (bytecode)", "marshal": "uses marshal (bytecode)", "autograder.kernel.guard": "reaches the grader's integrity guard",
}
# The course package beyond what a notebook may import (autograder.notebook_helpers): the grader.
_GRADER_PARTS = frozenset({"kernel", "grading", "class_grading", "outputs", "publish", "cli", "course"})
_FORBIDDEN_CALLS = {"compile": "calls compile", "exec": "calls exec", "eval": "calls eval", "__import__": "calls __import__",
                    "get_ipython": "reaches the IPython shell (get_ipython)", "breakpoint": "calls breakpoint"}
_FRAME_ATTRIBUTES = frozenset({"f_back", "f_globals", "f_locals", "f_builtins", "f_code", "f_trace", "tb_frame", "gi_frame", "cr_frame", "ag_frame", "tb_next"})
_SYS_HOOKS = frozenset({"modules", "meta_path", "path_hooks", "path_importer_cache", "settrace", "setprofile", "_getframe",
                        "displayhook", "excepthook", "addaudithook", "breakpointhook",
                        "unraisablehook", "set_asyncgen_hooks", "setswitchinterval"})
_THREADING_HOOKS = frozenset({"settrace", "setprofile", "settrace_all_threads", "setprofile_all_threads", "excepthook"})


@dataclass(frozen=True)
class Finding:
    line: int
    reason: str


@functools.cache
def _transformer():
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager()


@functools.lru_cache(maxsize=256)  # locked cells are the same in every submission; trees are only read
def _parse(source: str) -> ast.Module | None:
    try:
        return ast.parse(source)
    except SyntaxError:
        pass
    try:  # IPython syntax (magics, !shell, ?help) becomes get_ipython() calls
        return ast.parse(_transformer().transform_cell(source))
    except (SyntaxError, ValueError):
        return None


def _dotted(node: ast.AST) -> str | None:
    """``a.b.c`` for a chain of attributes on a name, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return ".".join([node.id, *reversed(parts)])
    return None


def _magic_call(node: ast.Call) -> tuple[str, str | None] | None:
    """(magic name, cell body) for ``get_ipython().run_line_magic('name', ...)`` and friends."""
    func = node.func
    if (isinstance(func, ast.Attribute) and func.attr in ("run_line_magic", "run_cell_magic") and isinstance(func.value, ast.Call)
            and isinstance(func.value.func, ast.Name) and func.value.func.id == "get_ipython" and node.args
            and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
        body = node.args[2].value if func.attr == "run_cell_magic" and len(node.args) > 2 and isinstance(node.args[2], ast.Constant) else None
        return node.args[0].value, body
    return None


class _Scanner(ast.NodeVisitor):
    def __init__(self, modules: set[str]):
        self.modules = set(modules)  # names bound to modules (import aliases), this cell's and earlier cells'
        self.findings: list[Finding] = []

    def flag(self, node: ast.AST, reason: str) -> None:
        self.findings.append(Finding(getattr(node, "lineno", 0), reason))

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._imported(node, alias.name)
            self.modules.add(alias.asname or alias.name.partition(".")[0])

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        self._imported(node, module)
        for alias in node.names:
            self._imported(node, f"{module}.{alias.name}")
            if module in ("sys", "threading") and alias.name in (_SYS_HOOKS if module == "sys" else _THREADING_HOOKS):
                self.flag(node, f"imports the interpreter hook {module}.{alias.name}")
            self.modules.add(alias.asname or alias.name)  # may be a submodule; treated like one

    def _imported(self, node: ast.AST, name: str) -> None:
        root = name.partition(".")[0]
        if root in _SHELL_MODULES:
            self.flag(node, f"imports {name} (the notebook's own machinery)")
        elif name in _FORBIDDEN_MODULES or root in _FORBIDDEN_MODULES:
            self.flag(node, _FORBIDDEN_MODULES.get(name) or _FORBIDDEN_MODULES[root])
        elif root == "autograder" and name.count(".") and name.split(".")[1] in _GRADER_PARTS:
            self.flag(node, "reaches the grader")

    def visit_Call(self, node: ast.Call) -> None:
        magic = _magic_call(node)
        if magic is not None:
            name, body = magic
            line = node.args[1].value if len(node.args) > 1 and isinstance(node.args[1], ast.Constant) else ""
            if name in ALLOWED_MAGICS or (name == "config" and str(line).startswith("InlineBackend.")):
                for argument in node.args[1:]:
                    self.visit(argument)
                if body:
                    inner = _parse(body)
                    if inner is not None:
                        before = len(self.findings)
                        self.visit(inner)
                        for i in range(before, len(self.findings)):  # body lines count from the magic's line
                            self.findings[i] = Finding(self.findings[i].line + node.lineno, self.findings[i].reason)
                return
            self.flag(node, f"runs the magic %{name}")
            return
        if isinstance(node.func, ast.Attribute) and node.func.attr == "system" and isinstance(node.func.value, ast.Call) \
                and isinstance(node.func.value.func, ast.Name) and node.func.value.func.id == "get_ipython":
            self.flag(node, "runs a shell command (!)")
            return
        if isinstance(node.func, ast.Name) and node.func.id in ("setattr", "delattr") and node.args:
            target = _dotted(node.args[0])
            if target and target.partition(".")[0] in self.modules | {"builtins", "__builtins__"}:
                self.flag(node, f"changes an attribute of the module {target} ({node.func.id})")
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        if node.id in _FORBIDDEN_CALLS:
            self.flag(node, _FORBIDDEN_CALLS[node.id])
        elif node.id == "__builtins__":
            self.flag(node, "reaches __builtins__")

    def visit_Attribute(self, node: ast.Attribute) -> None:
        dotted = _dotted(node) or ""
        if node.attr in _FRAME_ATTRIBUTES:
            self.flag(node, f"inspects frames (.{node.attr})")
        elif dotted.startswith("sys.") and dotted.split(".")[1] in _SYS_HOOKS:
            self.flag(node, f"reaches {'.'.join(dotted.split('.')[:2])}")
        elif dotted.startswith("threading.") and dotted.split(".")[1] in _THREADING_HOOKS:
            self.flag(node, f"reaches {'.'.join(dotted.split('.')[:2])}")
        elif node.attr in ("__dict__", "__globals__", "__code__", "__closure__", "__builtins__", "__subclasses__", "__mro__", "__bases__"):
            self.flag(node, f"reaches {node.attr}")
        self.generic_visit(node)

    def _assigned(self, target: ast.AST, value: ast.AST | None) -> None:
        if isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self._assigned(element, None)
        elif isinstance(target, ast.Starred):
            self._assigned(target.value, None)
        elif isinstance(target, ast.Attribute):
            base = _dotted(target.value)
            if target.attr.startswith("__") and target.attr.endswith("__"):
                self.flag(target, f"assigns the dunder attribute {target.attr}")
            elif base and base.partition(".")[0] in self.modules | {"builtins", "__builtins__"} and not isinstance(value, ast.Constant):
                # A module's setting (torch.backends.cudnn.benchmark = True) is fine; a function is not.
                self.flag(target, f"replaces {base}.{target.attr} (another module's attribute)")

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            self._assigned(target, node.value)
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self._assigned(node.target, None)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self._assigned(node.target, node.value)
        self.generic_visit(node)

    def visit_Delete(self, node: ast.Delete) -> None:
        for target in node.targets:
            self._assigned(target, None)
        self.generic_visit(node)


def suspicious_constructs(source: str, modules: set[str] | frozenset[str] = frozenset()) -> list[Finding]:
    """Findings in one cell's source; ``modules``: names earlier cells bound to modules (``np``)."""
    tree = _parse(source)
    if tree is None:
        return []  # a syntax error costs its own points when the cell runs
    scanner = _Scanner(set(modules))
    scanner.visit(tree)
    unique = list(dict.fromkeys(scanner.findings))
    return sorted(unique, key=lambda finding: finding.line)


@functools.lru_cache(maxsize=1024)
def module_names(source: str) -> frozenset[str]:
    """Names a cell binds to modules by importing (``import numpy as np`` -> ``np``)."""
    tree = _parse(source)
    names: set[str] = set()
    for node in ast.walk(tree) if tree else ():
        if isinstance(node, ast.Import):
            names |= {alias.asname or alias.name.partition(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            names |= {alias.asname or alias.name for alias in node.names}
    return frozenset(names)


@functools.lru_cache(maxsize=1024)
def bound_names(source: str) -> tuple[str, ...]:
    """Names bound at the top level of a cell: assignments, imports, def and class, for/with targets."""
    tree = _parse(source)
    if tree is None:
        return ()
    names: list[str] = []

    def targets(node: ast.AST) -> None:
        if isinstance(node, ast.Name):
            names.append(node.id)
        elif isinstance(node, (ast.Tuple, ast.List)):
            for element in node.elts:
                targets(element)
        elif isinstance(node, ast.Starred):
            targets(node.value)

    def walk(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.append(node.name)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                names.extend(alias.asname or alias.name.partition(".")[0] for alias in node.names if alias.name != "*")
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    targets(target)
            elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
                targets(node.target)
            elif isinstance(node, (ast.For, ast.AsyncFor)):
                targets(node.target)
                walk(node.body + node.orelse)
            elif isinstance(node, (ast.With, ast.AsyncWith)):
                for item in node.items:
                    if item.optional_vars is not None:
                        targets(item.optional_vars)
                walk(node.body)
            elif isinstance(node, (ast.If, ast.While)):
                walk(node.body + node.orelse)
            elif isinstance(node, ast.Try):
                walk(node.body + node.orelse + node.finalbody + [s for h in node.handlers for s in h.body])
        for node in ast.walk(ast.Module(body=body, type_ignores=[])):
            if isinstance(node, ast.NamedExpr) and isinstance(node.target, ast.Name):
                names.append(node.target.id)

    walk(tree.body)
    return tuple(dict.fromkeys(names))

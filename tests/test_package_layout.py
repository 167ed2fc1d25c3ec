"""The package's layout holds: each folder imports only what its ``__init__`` says it may, and no
module imports itself back through others (imports inside functions count: they hide cycles, not
remove them). A new import that breaks a rule fails here with the module and the line.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "autograder"

# Each part of the package -> the parts it may import (besides itself). The order of the map is the
# layering, bottom first.
MAY_IMPORT = {
    "notebook_helpers": set(),
    "course": {"notebook_helpers"},
    "grading.results": set(),
    "kernel": {"course", "notebook_helpers", "grading.results"},
    "grading": {"course", "notebook_helpers", "kernel"},
    "outputs": {"course", "grading"},
    "publish": {"course", "kernel", "notebook_helpers"},
    "class_grading": {"course", "grading", "kernel", "outputs", "notebook_helpers"},
    "cli": {"course", "notebook_helpers", "kernel", "grading", "outputs", "publish", "class_grading"},
    "__main__": {"cli"},
    "__init__": set(),
}


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        found[".".join(parts)] = path
    return found


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """``autograder.x.y`` -> the module key it loads (a module, else its package's ``__init__``)."""
    if not name.startswith("autograder"):
        return None
    rest = name.removeprefix("autograder").lstrip(".")
    if not rest:
        return "__init__"
    return rest if rest in modules else f"{rest}.__init__" if f"{rest}.__init__" in modules else None


def _imports(path: Path, modules: dict[str, Path]) -> list[tuple[str, int]]:
    """(module key, line) of every autograder module ``path`` imports, function-local ones too."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [f"{node.module}.{alias.name}" for alias in node.names]
            names = [name if _resolve(name, modules) else node.module for name in names]
        else:
            continue
        found += [(key, node.lineno) for key in map(lambda n: _resolve(n, modules), names) if key]
    return found


def _part(key: str) -> str:
    """The layer a module belongs to: ``grading.results`` is its own layer (kernel may use it)."""
    if key == "grading.results":
        return key
    return key.split(".")[0]


def test_every_module_belongs_to_a_layer():
    unknown = sorted(key for key in _modules() if _part(key) not in MAY_IMPORT)
    assert not unknown, f"modules outside the map of tests/test_package_layout.py (add their folder): {unknown}"


def test_each_part_imports_only_what_it_may():
    modules = _modules()
    broken = set()
    for key, path in modules.items():
        part = _part(key)
        for target, line in _imports(path, modules):
            other = _part(target)
            allowed = MAY_IMPORT[part] | ({"grading.results"} if {"grading", "kernel"} & (MAY_IMPORT[part] | {part}) else set())
            if other != part and other not in allowed and target != "__init__":
                broken.add(f"autograder/{path.relative_to(PACKAGE)}:{line} imports {target} ({part} may not import {other})")
    assert not broken, "\n".join(sorted(broken))


def test_no_import_cycles():
    modules = _modules()
    graph = {key: sorted({target for target, _ in _imports(path, modules) if target != key}) for key, path in modules.items()}
    cycles, state = [], {}

    def visit(key: str, trail: list[str]) -> None:
        state[key] = "open"
        for target in graph.get(key, []):
            if state.get(target) == "open":
                cycles.append(" -> ".join(trail[trail.index(target):] + [target]))
            elif target not in state:
                visit(target, trail + [target])
        state[key] = "done"

    for key in graph:
        if key not in state:
            visit(key, [key])
    assert not cycles, "import cycles:\n" + "\n".join(cycles)

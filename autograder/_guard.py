"""Integrity guard that runs inside a grading kernel (imported before any submitted code).

The grader calls ``check(nonce)`` before every test cell; it publishes a report (echoing the nonce)
of everything that looks like tampering with the grading itself:

- library functions the tests rely on replaced (``numpy.allclose = lambda *a, **k: True``);
- IPython's display hook, input/AST transformers, event callbacks or custom exception handler
  changed (ways to hide a failing assertion or rewrite the test code);
- a tracing or profiling hook installed (``sys.settrace``), which can rewrite frames;
- the notebook file or a gradebook opened at run time (seen by an audit hook, which Python code
  cannot remove);
- the environment variables the grader set changed.

A missing or wrong report (wrong nonce, display machinery replaced) is itself reported by the
grader as tampering. What this cannot stop: code that reads this module and forges a clean state
before each check; see README ("Threat model").
"""

from __future__ import annotations

import os
import sys
import types

REPORT_MIME = "application/vnd.course-guard+json"

_WATCHED = {
    "builtins": ("isinstance", "all", "any", "abs", "len", "sum", "min", "max", "float", "int", "round", "AssertionError"),
    "math": ("isclose",),
    "numpy": ("allclose", "isclose", "array_equal", "array_equiv", "all", "any", "abs", "max", "min", "shape", "asarray"),
    "numpy.testing": ("assert_allclose", "assert_array_equal", "assert_array_almost_equal", "assert_equal"),
    "torch": ("allclose", "equal", "isclose"),
    "torch.testing": ("assert_close",),
}
_SUSPICIOUS_OPEN = (".ipynb", "gradebook")

_baseline_ids: dict[tuple[str, str], int] = {}
_shell_baseline: dict[str, object] = {}
_environment: dict[str, str | None] = {}
_opened: list[str] = []


def _audit(event: str, args: tuple) -> None:
    if event == "open" and args and isinstance(args[0], (str, bytes)):
        path = os.fsdecode(args[0])
        if any(token in path.lower() for token in _SUSPICIOUS_OPEN) and path not in _opened:
            _opened.append(path)


def install(environment_keys: list[str]) -> None:
    """Called by the kernel launcher before ipykernel starts: record the originals."""
    for key in environment_keys:
        _environment[key] = os.environ.get(key)
    for module_name, names in _WATCHED.items():
        if module_name in ("builtins", "math") or module_name.startswith("numpy"):
            __import__(module_name)
        _record(module_name, names)
    sys.addaudithook(_audit)


def _record(module_name: str, names: tuple[str, ...]) -> None:
    module = sys.modules.get(module_name)
    if module is None:
        return
    for name in names:
        key = (module_name, name)
        if key not in _baseline_ids and hasattr(module, name):
            _baseline_ids[key] = id(getattr(module, name))


def _library_findings() -> list[str]:
    findings = []
    for module_name, names in _WATCHED.items():
        module = sys.modules.get(module_name)
        if module is None:
            continue
        _record(module_name, names)  # modules imported by the notebook itself (torch): first sighting
        root = module_name.split(".")[0]
        for name in names:
            if not hasattr(module, name):
                findings.append(f"{module_name}.{name} was deleted")
                continue
            value = getattr(module, name)
            # A plain Python function defined outside the library (a lambda in the notebook).
            foreign = isinstance(value, types.FunctionType) and not (value.__module__ or "").startswith(root)
            if id(value) != _baseline_ids.get((module_name, name)) or foreign:
                findings.append(f"{module_name}.{name} was replaced")
    return findings


def _shell_state(shell) -> dict[str, object]:
    events = {name: tuple(id(cb) for cb in callbacks if not _is_library(cb)) for name, callbacks in shell.events.callbacks.items()}
    return {
        "display hook": (id(sys.displayhook), id(shell.displayhook), type(shell.displayhook)),
        "input transformers": tuple(map(id, shell.input_transformers_post + shell.input_transformers_cleanup)),
        "AST transformers": tuple(map(id, shell.ast_transformers)),
        "event callbacks": events,
        "custom exception handler": (tuple(shell.custom_exceptions), id(shell.CustomTB)),
        "display publisher": id(shell.display_pub),
    }


def _is_library(callback) -> bool:
    owner = getattr(callback, "__module__", None) or getattr(getattr(callback, "__self__", None), "__module__", "") or ""
    return owner.split(".")[0] in ("IPython", "ipykernel", "matplotlib", "matplotlib_inline", "ipywidgets", "comm", "tqdm")


def check(nonce: str) -> None:
    """Publish the findings so far (the first call also records the shell's clean state)."""
    from IPython import get_ipython
    from IPython.display import publish_display_data

    global _armed
    _armed = True
    shell = get_ipython()
    findings = _library_findings()
    state = _shell_state(shell)
    if not _shell_baseline:
        _shell_baseline.update(state)
    findings += [f"{name} was changed" for name, value in state.items() if _shell_baseline[name] != value]
    if sys.gettrace() is not None or sys.getprofile() is not None:
        findings.append("a tracing or profiling hook is installed (sys.settrace / sys.setprofile)")
    import threading

    if getattr(threading, "_trace_hook", None) is not None or getattr(threading, "_profile_hook", None) is not None:
        findings.append("a tracing or profiling hook is installed for threads")
    findings += [f"the environment variable {key} was changed" for key, value in _environment.items() if os.environ.get(key) != value]
    findings += [f"opened {path} (notebooks and gradebooks are off limits)" for path in _opened]
    publish_display_data({REPORT_MIME: {"nonce": nonce, "findings": findings}})


"""Integrity guard that runs inside a grading kernel (imported before any submitted code).

The grader calls ``check(nonce, protect)`` before every test cell (and right after every locked
cell), as a ``user_expressions`` entry of an execute request, so ipykernel evaluates it after the
request's code, outside any cell (see sandbox.py ``_Checks``); it publishes a report, echoing the
nonce, of everything that changed in what the grading depends on. It works by snapshot, not by a
list of names: the first call, made before any submitted code runs, records

- every entry of the module dictionaries of the execution machinery and of the libraries tests
  call (``WATCHED_ROOTS``: builtins, sys, IPython, ipykernel, traitlets, zmq, codeop, ast,
  traceback, numpy, torch, math, the course's own modules, ...), by identity, and the attribute
  dictionaries of the (Python-level) classes they define;
- the instance and trait dictionaries of the objects that execute a cell: the shell, its compiler,
  display publisher, display hook, traps, event manager, input transformer manager and traceback
  printers, the kernel, its session and handler tables, ``sys.stdout``/``sys.stderr``;
- the interpreter hooks: ``sys.displayhook``, ``sys.excepthook``, ``sys.meta_path``,
  ``sys.path_hooks``, trace and profile hooks (threads too), and ``sys.modules`` for the
  snapshotted modules;
- the environment variables the grader set, and (through an audit hook, which Python code cannot
  remove) any attempt to open a notebook or gradebook file.

What "changed" means, per kind of object (so that libraries mutating their own state are not
flagged): a *behavioural* value (a function, class, module or any other object that is not plain
data such as a number, string or container) that was replaced or deleted; on a class or an
instance, a new attribute that shadows an inherited one. Plain data (counters, caches, settings
such as matplotlib's rcParams or numpy's random state, or a ``None`` set on first use) may change freely. A handful of entries that
the machinery itself replaces while running cells (``sys.last_value``, the shell's last execution
result, ...) are listed in ``_MUTABLE``.

Names bound by locked cells (the setup cell, read-only cells, test cells) are recorded right after
those cells ran (``protect``); before each test cell a rebound name is put back, so tests always
see the notebook's own objects. Rebinding a module or class (``np = FakeNumpy()``) is reported as
tampering; rebinding data or a function is only undone (an honest learner may reuse a name).

A missing or wrong report (wrong nonce, display machinery replaced) is itself reported by the
grader as tampering. What this cannot stop: code that reads this module and forges its report or
restores every object before each check; see README ("Threat model").
"""

from __future__ import annotations

import builtins as _builtins_module
import gc
import itertools
import operator
import os
import sys
import types

# The guard's functions look builtins up in this private copy, made before any submitted code ran:
# a notebook that patches ``builtins.all`` or ``builtins.len`` cannot blind the checks that are
# meant to see exactly that (functions take their builtins from their globals when defined).
__builtins__ = dict(_builtins_module.__dict__)
_is = operator.is_
_chain = itertools.chain.from_iterable
_view_values = operator.methodcaller("values")  # dicts and mappingproxies alike
_BUILTIN_NAMES = frozenset(name for name in __builtins__ if not name.startswith("_"))

REPORT_MIME = "application/vnd.course-guard+json"

# Top-level packages whose module dictionaries (and classes) are snapshotted.
WATCHED_ROOTS = frozenset({
    "builtins", "sys", "math", "cmath", "operator", "functools", "itertools", "collections", "fractions", "decimal",
    "copy", "types", "ast", "codeop", "traceback", "warnings", "threading", "asyncio", "contextlib", "io", "json",
    "numpy", "torch", "IPython", "ipykernel", "traitlets", "zmq", "jupyter_client", "comm", "tornado",
    "matplotlib_inline", "autograder",
})
# torch has about 800 modules; most are machinery for distributed, compiled or quantised models that
# no test calls. Watched: its public modules outside these families, plus the private modules
# that define what tests do call (Tensor, assert_close).
_TORCH_SKIPPED = frozenset({"distributed", "fx", "ao", "quantization", "distributions", "cuda", "xpu", "mtia", "mps", "backends",
                            "package", "jit", "onnx", "export", "utils", "nested", "masked", "signal", "monitor", "accelerator",
                            "compiler", "profiler", "futures", "multiprocessing", "hub", "overrides", "library", "amp", "cpu"})
_TORCH_PRIVATE_KEPT = frozenset({"torch._tensor", "torch.testing._comparison", "torch.nn.modules._functions", "torch._linalg_utils"})
_PLAIN = (int, float, complex, str, bytes, bool, type(None), tuple, list, dict, set, frozenset, bytearray)
_SUSPICIOUS_OPEN = (".ipynb", "gradebook")
# Behavioural entries the machinery itself replaces while it runs cells: (owner, name).
_MUTABLE = frozenset({
    ("sys", "last_type"), ("sys", "last_value"), ("sys", "last_traceback"), ("sys", "last_exc"),
    ("shell", "last_execution_result"), ("shell", "last_execution_succeeded"), ("shell", "_last_traceback"),
    ("shell", "_main_mod_cache"), ("shell", "parent_header"), ("kernel", "_parent"), ("kernel", "_parents"),
    ("displayhook", "parent_header"), ("displayhook", "msg"), ("display_pub", "parent_header"),
    ("kernel", "_publish_status_task"), ("kernel", "shell_stream"), ("kernel", "_main_asyncio_task"),
    ("kernel", "_shell_context"), ("displayhook", "exec_result"),
})
_MISSING = object()

_environment: dict[str, str | None] = {}
_opened: list[str] = []
_modules: dict[str, tuple[types.ModuleType, dict, list]] = {}  # name -> (module, copy of dict, its values)
_classes: dict[type, tuple[dict, list]] = {}
_fast: dict[str, object] = {}  # _remember's copy of the state last compared
_looked_at: set[str] = set()  # names in sys.modules already considered by _record_modules
_objects: dict[str, tuple[object, dict, dict]] = {}  # role -> (object, instance dict copy, trait values copy)
_hooks: dict[str, object] = {}
_protected: dict[str, object] = {}  # user-namespace name -> the object a locked cell bound
_findings: list[str] = []  # sticky: tampering stays reported once seen
_publish = None


def _audit(event: str, args: tuple) -> None:
    if event == "open" and args and isinstance(args[0], (str, bytes)):
        path = os.fsdecode(args[0])
        if any(token in path.lower() for token in _SUSPICIOUS_OPEN) and path not in _opened:
            _opened.append(path)
    elif event in _FUNCTION_EVENTS and type(args[0]) is types.FunctionType and args[0] in _codes:
        # f.__code__, __defaults__ or __kwdefaults__ = ..., or the keyword defaults' dict fetched
        # (to change it in place): the function is compared at the next check.
        if event == "object.__setattr__" or args[1] == "__kwdefaults__":
            _touched.add(args[0])


def install(environment_keys: list[str]) -> None:
    """Called by the kernel launcher before ipykernel starts: environment and audit hook."""
    for key in environment_keys:
        _environment[key] = os.environ.get(key)
    sys.addaudithook(_audit)


def _behavioural(value) -> bool:
    return not issubclass(type(value), _PLAIN)  # type(), not isinstance(): no __class__ property runs


# Code defined in these folders is library code (the interpreter's, the environment's, the
# course package's); a notebook's own functions live in the kernel's temporary cell files.
_LIBRARY_DIRS = tuple(dict.fromkeys(os.path.join(os.path.realpath(p), "") for p in (
    sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
    *(entry for entry in sys.path if entry.rstrip(os.sep).endswith(("site-packages", "dist-packages"))))))


def _library_code(value) -> bool:
    """A function (or partial, method, property) whose code is in a library file."""
    for _ in range(4):
        if isinstance(value, (types.MethodType, property)):
            value = value.__func__ if isinstance(value, types.MethodType) else value.fget
        elif type(value).__name__ == "partial":
            value = getattr(value, "func", None)
        else:
            break
    code = getattr(value, "__code__", None)
    filename = os.path.realpath(code.co_filename) if isinstance(code, types.CodeType) else ""
    return filename.startswith(_LIBRARY_DIRS)


def _wraps(new, old) -> bool:
    for _ in range(5):
        new = getattr(new, "__wrapped__", None)
        if new is None:
            return False
        if new is old:
            return True
    return False


def _same(old, new) -> bool:
    """The same behaviour: the same object; a bound method re-bound to the same object (the shell
    re-binds ``sys.excepthook`` and ``input`` per cell); a closure rebuilt from the same code
    (IPython's per-cell output tee); or a library wrapping its own function in library code
    (torch wraps ``manual_seed`` and each optimizer's ``step`` on first use)."""
    if old is new:
        return True
    kind = type(old)
    if kind is types.MethodType and type(new) is kind:
        return old.__self__ is new.__self__ and old.__func__ is new.__func__
    if kind is types.FunctionType and type(new) is kind and old.__code__ is new.__code__:
        return _library_code(new)
    if kind is property and type(new) is kind:
        return _library_code(new)  # torch re-registers some properties when a submodule is imported
    return _library_code(new) and _wraps(new, old)


def _is_class(value) -> bool:
    kind = type(value)
    return kind is type or issubclass(kind, type)


# --- snapshot -----------------------------------------------------------------------------------


def _watched(name: str) -> bool:
    root, _, rest = name.partition(".")
    if root not in WATCHED_ROOTS or name == __name__:
        return False
    if root != "torch" or name in _TORCH_PRIVATE_KEPT:
        return True
    parts = rest.split(".") if rest else []
    return not any(part.startswith("_") for part in parts) and (not parts or parts[0] not in _TORCH_SKIPPED)


def _is_numpy_dispatcher(value) -> bool:
    kind = type(value)
    return kind.__name__ == "_ArrayFunctionDispatcher" and kind.__module__ == "numpy"


def _record_modules() -> bool:
    """Snapshot modules not seen yet (all of them on the first call; later, first sightings);
    True if any was recorded."""
    recorded = len(_modules), len(_classes)
    new_names = sys.modules.keys() - _looked_at  # C speed: a later check usually finds none
    for name in new_names:
        module = sys.modules.get(name)
        if not isinstance(module, types.ModuleType) or not _watched(name):
            if not _watched(name):
                _looked_at.add(name)
            continue
        _looked_at.add(name)  # a replacement later is _module_findings' business
        if name in _modules:
            continue
        namespace = dict(module.__dict__)
        _modules[name] = (module, namespace, list(namespace.values()))
        _module_types[name] = type(module)
        for value in namespace.values():  # numpy's dispatchers wrap a Python function: watch its code
            if _is_numpy_dispatcher(value):  # only these: getattr on anything else may run its __getattr__
                value = value._implementation   # (torch.classes creates an entry on every lookup)
            if type(value) is types.FunctionType and value not in _codes:
                keywords = value.__kwdefaults__
                _codes[value] = (value.__code__, value.__defaults__, dict(keywords) if keywords is not None else None)
        for value in namespace.values():
            if _is_class(value) and value not in _classes and value.__flags__ & (1 << 9):  # heap types only: C types are immutable
                owner = getattr(value, "__module__", None) or ""
                if isinstance(owner, str) and _watched(owner):
                    attributes = dict(value.__dict__)
                    _classes[value] = (attributes, list(attributes.values()))
    return recorded != (len(_modules), len(_classes))


def _machinery(shell) -> dict[str, object]:
    kernel = getattr(shell, "kernel", None)
    roles = {
        "shell": shell, "compiler": shell.compile, "display_pub": shell.display_pub, "displayhook": shell.displayhook,
        "display_trap": shell.display_trap, "builtin_trap": shell.builtin_trap, "events": shell.events,
        "input_transformer_manager": shell.input_transformer_manager, "InteractiveTB": shell.InteractiveTB,
        "SyntaxTB": shell.SyntaxTB, "display_formatter": shell.display_formatter,
        "sys.stdout": sys.stdout, "sys.stderr": sys.stderr,
    }
    if kernel is not None:
        roles.update({"kernel": kernel, "session": kernel.session})
    return roles


def _hook_state(shell) -> dict[str, object]:
    import threading

    kernel = getattr(shell, "kernel", None)
    state = {
        "sys.displayhook": sys.displayhook, "sys.excepthook": sys.excepthook,
        "sys.meta_path": tuple(sys.meta_path), "sys.path_hooks": tuple(sys.path_hooks),
        "shell.input_transformers_post": tuple(shell.input_transformers_post),
        "shell.input_transformers_cleanup": tuple(shell.input_transformers_cleanup),
        "shell.ast_transformers": tuple(shell.ast_transformers),
        "shell.input_transformer_manager transforms": tuple(
            f for attr in ("cleanup_transforms", "line_transforms", "token_transformers")
            for f in getattr(shell.input_transformer_manager, attr, ())),
        "shell.custom_exceptions": tuple(shell.custom_exceptions), "shell.CustomTB": shell.CustomTB,
        "shell.user_ns": shell.user_ns, "shell.user_global_ns": shell.user_global_ns,
        "event callbacks": {name: tuple(cb for cb in callbacks if not _is_library(cb)) for name, callbacks in shell.events.callbacks.items()},
        "a tracing hook (sys.settrace / threading.settrace)": (sys.gettrace(), getattr(threading, "_trace_hook", None)),
        "a profiling hook (sys.setprofile / threading.setprofile)": (sys.getprofile(), getattr(threading, "_profile_hook", None)),
    }
    if kernel is not None:
        state["kernel.shell_handlers"] = dict(kernel.shell_handlers)
        state["kernel.control_handlers"] = dict(getattr(kernel, "control_handlers", {}))
    return state


def _is_library(callback) -> bool:
    """A callback registered by a library (matplotlib's inline backend): judged by where its code
    is, not by ``__module__``, which a notebook can set to anything."""
    return _library_code(callback)


def _snapshot(shell) -> None:
    _own_namespace.update({name: value for name, value in globals().items() if _behavioural(value) and not name.startswith("__")})
    _record_modules()
    for role, obj in _machinery(shell).items():
        _objects[role] = (obj, dict(getattr(obj, "__dict__", {})), dict(getattr(obj, "_trait_values", {})))
        _object_types[role] = type(obj)
    _hooks.update(_hook_state(shell))


# --- comparison ---------------------------------------------------------------------------------


def _compare_namespace(owner: str, before: dict, after, shadowed: tuple[type, ...], findings: list[str]) -> None:
    """Entries of ``before`` replaced or deleted in ``after``; new entries of ``after`` that shadow
    an attribute of one of the classes ``shadowed`` (a class's bases, or an instance's class)."""
    role = owner.rpartition(".")[2] if owner.startswith("shell.") else owner
    for name, old in before.items():
        new = after.get(name, _MISSING)
        if new is old or (role, name) in _MUTABLE or (new is not _MISSING and _same(old, new)):
            continue
        if new is _MISSING:
            if _behavioural(old):
                findings.append(f"{owner}.{name} was deleted")
        elif _behavioural(old) or (old is not None and _behavioural(new)):  # None -> object: lazy initialisation
            findings.append(f"{owner}.{name} was replaced")
    if shadowed and len(after) != len(before):
        for name in after.keys() - before.keys():
            if (role, name) not in _MUTABLE and _behavioural(after[name]) and any(name in vars(base) for base in shadowed if base is not object):
                findings.append(f"{owner}.{name} was replaced (shadowed)")


_own_namespace: dict[str, object] = {}
_module_types: dict[str, type] = {}
# function -> its code and default arguments (``f.__code__ = ...`` keeps f). Assigning any of them
# raises an audit event (which Python code cannot suppress): checks compare only the functions it named.
_codes: dict[types.FunctionType, tuple[types.CodeType, tuple | None, dict | None]] = {}
_touched: set[types.FunctionType] = set()
_FUNCTION_EVENTS = frozenset({"object.__setattr__", "object.__getattr__"})
_object_types: dict[str, type] = {}


def _self_findings(findings: list[str]) -> None:
    """The guard's own functions and helpers, compared with plain ``is`` (nothing to patch)."""
    current = globals()
    for name, value in _own_namespace.items():
        if current.get(name) is not value:
            findings.append(f"{__name__}.{name} was replaced")


def _class_dict(cls: type):
    """The dictionary behind a class's read-only ``__dict__`` proxy (walking the proxy's values is
    several times slower); the proxy itself if it hides something else."""
    proxy = cls.__dict__
    behind = gc.get_referents(proxy)
    return behind[0] if len(behind) == 1 and type(behind[0]) is dict else proxy


def _remember(found: list[str]) -> None:
    """Keep one flat copy of the state just compared (every recorded module and class dictionary,
    keys and values) with what the comparison found in it. A later check
    that finds exactly this state again has exactly these findings, in a few C-speed passes over
    ~50,000 entries instead of one Python-level comparison per module and class. (Checks run
    between requests, outside any cell: inside one, IPython re-binds ``sys.excepthook`` and
    ipykernel ``builtins.input`` for every request, and no state would ever match.)"""
    names = list(_modules)
    modules = [_modules[name][0] for name in names]
    dicts = [module.__dict__ for module in modules] + [_class_dict(cls) for cls in _classes]
    _fast.clear()
    _fast.update(
        names=names, modules=[sys.modules.get(name) for name in names], module_objects=modules,
        module_types=list(map(type, modules)), dicts=dicts, keys=list(_chain(dicts)), values=list(_chain(map(_view_values, dicts))),
        count=(len(_modules), len(_classes)), found=list(found),
    )


def _unchanged_since_remembered() -> bool:
    """Exactly the remembered state: the same objects in sys.modules with the same classes, every
    module and class dictionary with the same keys bound to the same objects (compared by identity:
    ``==`` would let an object's own ``__eq__`` vouch for it)."""
    f = _fast
    return (bool(f) and f["count"] == (len(_modules), len(_classes))
            and all(map(_is, map(sys.modules.get, f["names"]), f["modules"]))
            and all(map(_is, map(type, f["module_objects"]), f["module_types"]))
            and all(map(_is, _chain(map(_view_values, f["dicts"])), f["values"]))
            and list(_chain(f["dicts"])) == f["keys"])  # values first: a new entry changes their count


def _compare_module(name: str, found: list[str]) -> None:
    module, namespace, values = _modules[name]
    current = module.__dict__
    if sys.modules.get(name, module) is not module:
        found.append(f"sys.modules[{name!r}] was replaced")
    if type(module) is not _module_types[name]:
        found.append(f"the class of module {name} was changed")
    if len(current) == len(values) and all(map(_is, current.values(), values)):
        return  # the common case: every entry the same object, checked at C speed
    _compare_namespace(name, namespace, current, (), found)
    for key in current.keys() - namespace.keys():  # codeop.compile = ...: shadows the builtin
        if key in _BUILTIN_NAMES and _behavioural(current[key]) and not _library_code(current[key]):
            found.append(f"{name}.{key} was added (shadows the builtin {key})")


def _module_findings(findings: list[str]) -> list[str]:
    """What changed in the recorded modules and classes since the snapshot (also returned)."""
    if _unchanged_since_remembered():
        found = _fast["found"]
    else:
        found = []
        for name in _modules:
            _compare_module(name, found)
        for cls, (attributes, values) in _classes.items():
            current = cls.__dict__
            if len(current) == len(values) and all(map(_is, current.values(), values)):
                continue
            _compare_namespace(f"{cls.__module__}.{cls.__qualname__}", attributes, current, cls.__mro__[1:], found)
    findings += found
    return found


def _same_items(old, new) -> bool:
    """The same tuple or dict of default arguments: same length, same keys, identical values."""
    if old is None or new is None:
        return old is new
    if isinstance(old, dict):
        return type(new) is dict and old.keys() == new.keys() and all(old[key] is new[key] for key in old)
    return type(new) is tuple and len(old) == len(new) and all(map(_is, old, new))


def _function_findings(findings: list[str]) -> None:
    """Recorded functions whose code or default arguments were assigned (seen by the audit hook)."""
    for function in list(_touched):
        code, defaults, kwdefaults = _codes[function]
        name = f"{function.__module__}.{function.__qualname__}"
        if function.__code__ is not code:
            findings.append(f"the code of {name} was replaced")
        if not (_same_items(defaults, function.__defaults__) and _same_items(kwdefaults, function.__kwdefaults__)):
            findings.append(f"the default arguments of {name} were changed")


def _object_findings(shell, findings: list[str]) -> None:
    current_roles = _machinery(shell)
    for role, (obj, instance, traits) in _objects.items():
        label = role if role in ("shell", "kernel") or role.startswith("sys.") else f"shell.{role}"
        if current_roles.get(role, obj) is not obj:
            findings.append(f"{label} was replaced")
            continue
        if type(obj) is not _object_types[role]:
            findings.append(f"the class of {label} was changed")
        _compare_namespace(label, instance, getattr(obj, "__dict__", {}), type(obj).__mro__, findings)
        _compare_namespace(label, traits, getattr(obj, "_trait_values", {}), (), findings)
    now = _hook_state(shell)
    for name, before in _hooks.items():
        after = now.get(name)
        if isinstance(before, dict):
            same = before.keys() == after.keys() and all(
                len(before[k]) == len(after[k]) and all(x is y for x, y in zip(before[k], after[k]))
                if isinstance(before[k], tuple) else before[k] is after[k] for k in before)
        elif isinstance(before, tuple):
            same = len(before) == len(after) and all(x is y for x, y in zip(before, after))
        else:
            same = _same(before, after)
        if not same:
            findings.append(f"{name} was changed")


def _namespace_findings(shell, findings: list[str]) -> None:
    """Put back names that locked cells bound; rebinding a module or class is tampering."""
    user_ns = shell.user_ns
    for name, original in _protected.items():
        current = user_ns.get(name, _MISSING)
        if current is original:
            continue
        if isinstance(original, types.ModuleType) or _is_class(original):
            findings.append(f"the name {name!r} bound by a locked cell was rebound")
        user_ns[name] = original


def check(nonce: str, protect: list[str] | tuple[str, ...] = ()) -> None:
    """Publish the findings so far; the first call records the clean state.

    ``protect``: names that the locked cell which just ran bound in the user namespace.
    """
    global _publish
    from IPython import get_ipython

    shell = get_ipython()
    findings: list[str] = []
    try:
        if _publish is None:
            from IPython.display import publish_display_data

            _publish = publish_display_data
            _snapshot(shell)
            _remember([])
        else:
            _self_findings(findings)
            found = _module_findings(findings)
            _function_findings(findings)
            _object_findings(shell, findings)
            _namespace_findings(shell, findings)
            newly_recorded = _record_modules()  # modules first imported since the last check
            if newly_recorded or found is not _fast["found"]:  # (a new module's snapshot is its current state)
                _remember(found)
        for name in protect:
            if name in shell.user_ns:
                _protected[name] = shell.user_ns[name]
        findings += [f"the environment variable {key} was changed" for key, value in _environment.items() if os.environ.get(key) != value]
        findings += [f"opened {path} (notebooks and gradebooks are off limits)" for path in _opened]
    except Exception as error:  # noqa: BLE001 - a guard that cannot look is itself a finding
        findings.append(f"the integrity check failed: {type(error).__name__}: {error}"[:300])
    for finding in findings:
        if finding not in _findings:
            _findings.append(finding)
    _publish({REPORT_MIME: {"nonce": nonce, "findings": list(_findings)}})

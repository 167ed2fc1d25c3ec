"""A realistic class of submissions for any course notebook, with the outcome known for every cell.

Used by tests/test_report.py and benchmarks/class_benchmark.py. Each submission starts from the
released notebook (the test cells exactly as released) and is one of:

- ``reference``: every exercise cell holds the reference solution (solutions/, markers removed);
- ``wrong``: the reference, with one or two exercises replaced by deliberately wrong versions from
  tests/wrong_implementations/ (their ``source`` appended to the exercise cell, which rebinds the
  exercise's name: the splicing test_hidden_tests_discriminate.py does in its kernel);
- ``partial``: the first k exercises solved, the others left as released stubs (learners work top
  to bottom);
- ``blank``: the released notebook untouched;
- ``tampered``: the released notebook with a one-line attack on the kernel's error reporting.

Expected outcome of each autograded test cell (``Submission.expected``: True passed, False failed,
None when the construction does not decide it), by following the names each code cell reads and
binds, in notebook order, on the instructor's version (hidden tests included):
1. a test cell registered (``@breaks``) for an exercise that is a stub or a wrong version fails:
   the contract test_hidden_tests_discriminate.py checks for wrong versions, and a stub raises
   NotImplementedError;
2. otherwise a test cell that reads no "tainted" name passes: everything it reads is what the
   reference solution computes;
3. otherwise (it reads a name a wrong or stubbed function may have changed) it is None.
Tainted names: the functions of a stubbed or wrong exercise, then every name bound at module level by
a cell that reads a tainted name. Not traced: hidden state (a wrong function drawing from the global
random generator, mutating a caller's array): tests compare every known outcome with the grader's,
so such a case shows up as a disagreement, not as a wrong figure. A ``tampered`` submission fails
every cell (the attack comes before the first test cell; the grader scores 0 after tampering).
Points: a passed cell earns its points, a failed one 0 (nbgrader's rule for autograded code cells).
"""

from __future__ import annotations

import ast
import copy
import random
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from wrong_implementations import WrongImplementation, load

from autograder import course
from autograder.grading.engine import is_test_cell

TAMPER_LINE = "get_ipython().showtraceback = lambda *a, **k: None"
DEFAULT_MIX = {"reference": 0.3, "wrong": 0.35, "partial": 0.2, "blank": 0.13, "tampered": 0.02}


@dataclass
class Submission:
    student: str
    kind: str  # reference | wrong | partial | blank | tampered
    description: str
    notebook: nbformat.NotebookNode
    status: str  # the grader's expected status
    expected: dict[str, bool | None]  # grade_id of each autograded test cell -> passed (None: unknown)
    points: dict[str, float] = field(default_factory=dict)  # grade_id -> the cell's points
    unsolved: set[str] = field(default_factory=set)  # test cells of exercises left as released stubs

    def expected_points(self, grade_id: str) -> float | None:
        passed = self.expected[grade_id]
        return None if passed is None else (self.points[grade_id] if passed else 0.0)

    def expected_score(self) -> float | None:
        """The total, or None when some cell's outcome is unknown."""
        scores = [self.expected_points(g) for g in self.expected]
        return None if None in scores else float(sum(scores))


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _is_exercise(cell) -> bool:
    meta = _meta(cell)
    return cell.cell_type == "code" and meta.get("solution") and not meta.get("grade")


def _python(source: str) -> ast.Module | None:
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        return ast.parse(TransformerManager().transform_cell(source))
    except SyntaxError:
        return None


def _reads(tree: ast.Module) -> set[str]:
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}


def _binds(tree: ast.Module | None) -> set[str]:
    """Names bound at module level (assignments, imports, defs; not the locals of a function)."""
    if tree is None:
        return set()
    names: set[str] = set()
    pending: list[ast.AST] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
            continue
        if isinstance(node, ast.Lambda):
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(alias.asname or alias.name).split(".")[0] for alias in node.names}
        elif isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            names.add(node.id)
        pending.extend(ast.iter_child_nodes(node))
    return names


def _reads_tainted(tree: ast.Module | None, tainted: set[str]) -> bool:
    """Whether a cell reads a tainted name, statement by statement (a name the cell itself rebinds
    from clean values first is clean when read)."""
    if tree is None:
        return bool(tainted)
    local = set(tainted)
    found = False
    for statement in tree.body:
        module = ast.Module([statement], [])
        if _reads(module) & local:
            found = True
            local |= _binds(module)
        else:
            local -= _binds(module)
    return found


def _solution_text(source: str) -> str:
    """A solution cell as a learner's file holds it: nbgrader's markers removed."""
    return "\n".join(line for line in source.splitlines() if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION"))


class ClassGenerator:
    """Builds submissions of one notebook (see the module's docstring)."""

    def __init__(self, notebook: str):
        self.notebook = notebook
        self.released = course.read_notebook(course.released_path(notebook))
        self.instructor = course.read_notebook(course.solution_path(notebook))
        self.wrongs: list[WrongImplementation] = load(notebook)
        self.points = {c["grade_id"]: c["points"] for c in course.graded_cells(self.instructor) if c["autograded"]}
        self.exercises = [_meta(c)["grade_id"] for c in self.instructor.cells if _is_exercise(c)]
        self._reference = {_meta(c)["grade_id"]: _solution_text(c.source) for c in self.instructor.cells if _is_exercise(c)}
        self._defines = {grade_id: {n.name for n in (_python(source) or ast.Module([], [])).body
                                    if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
                         for grade_id, source in self._reference.items()}
        self._registered: dict[str, set[str]] = {}  # test cell -> the exercise functions it is the test of
        for wrong in self.wrongs:
            self._registered.setdefault(wrong.cell, set()).add(wrong.target)

    # --- building --------------------------------------------------------------------------------

    def _build(self, solved: set[str], wrongs: list[WrongImplementation] = (), prepend: str = "") -> nbformat.NotebookNode:
        nb = copy.deepcopy(self.released)
        first = True
        for cell in nb.cells:
            if not _is_exercise(cell):
                continue
            grade_id = _meta(cell)["grade_id"]
            if grade_id in solved:
                cell.source = self._reference[grade_id]
            for wrong in wrongs:
                if wrong.target in self._defines[grade_id]:
                    cell.source = f"{cell.source}\n\n\n{wrong.source}"
            if first and prepend:
                cell.source = f"{prepend}\n\n{cell.source}"
            first = False
        return nb

    def _expected(self, broken: set[str]) -> dict[str, bool | None]:
        """Outcome of each autograded cell when the functions in ``broken`` are stubs or wrong."""
        tainted, expected = set(broken), {}
        for cell in self.instructor.cells:
            if cell.cell_type != "code":
                continue
            tree = _python(cell.source)
            reads_tainted = _reads_tainted(tree, tainted)
            if is_test_cell(cell) and _meta(cell)["grade_id"] in self.points:
                grade_id = _meta(cell)["grade_id"]
                if self._registered.get(grade_id, set()) & broken:
                    expected[grade_id] = False
                else:
                    expected[grade_id] = None if reads_tainted else True
            if _is_exercise(cell) and self._defines[_meta(cell)["grade_id"]] & broken:
                continue  # its functions stay tainted
            if reads_tainted:  # it may compute something else, or raise before binding the rest
                tainted |= _binds(tree)
            else:  # it ran as in the reference: what it binds is clean again
                tainted -= _binds(tree)
        return expected

    def _submission(self, student, kind, description, nb, expected, status="ok", stubs=frozenset()) -> Submission:
        unsolved = {cell for cell, targets in self._registered.items() if targets & stubs}
        return Submission(student, kind, description, nb, status, expected, dict(self.points), unsolved)

    def reference(self, student: str) -> Submission:
        expected = self._expected(set())
        return self._submission(student, "reference", "the reference solution", self._build(set(self.exercises)), expected)

    def wrong(self, student: str, wrongs: list[WrongImplementation]) -> Submission:
        targets = [w.target for w in wrongs]
        if len(set(targets)) != len(targets):
            raise ValueError(f"one wrong version per exercise, got {targets}")
        nb = self._build(set(self.exercises), wrongs)
        description = "reference except " + "; ".join(f"{w.target}: {w.name} ({w.description})" for w in wrongs)
        return self._submission(student, "wrong", description, nb, self._expected(set(targets)))

    def partial(self, student: str, solved: int) -> Submission:
        """The first ``solved`` exercise cells solved, the rest left as released."""
        done = set(self.exercises[:solved])
        stubs = {name for grade_id in self.exercises[solved:] for name in self._defines[grade_id]}
        nb = self._build(done)
        return self._submission(student, "partial", f"first {solved} of {len(self.exercises)} exercises solved", nb,
                                self._expected(stubs), stubs=stubs)

    def blank(self, student: str) -> Submission:
        stubs = {name for names in self._defines.values() for name in names}
        return self._submission(student, "blank", "the released notebook, untouched", self._build(set()), self._expected(stubs),
                                stubs=stubs)

    def tampered(self, student: str) -> Submission:
        nb = self._build(set(), prepend=TAMPER_LINE)
        stubs = {name for names in self._defines.values() for name in names}
        return self._submission(student, "tampered", f"released notebook plus `{TAMPER_LINE}`", nb,
                                dict.fromkeys(self.points, False), status="tampered", stubs=stubs)

    def random_class(self, size: int, seed: int = 0, mix: dict[str, float] | None = None) -> list[Submission]:
        """``size`` submissions drawn with the weights of ``mix`` (default DEFAULT_MIX), reproducibly."""
        mix = mix or DEFAULT_MIX
        rng = random.Random(seed)
        by_target: dict[str, list[WrongImplementation]] = {}
        for wrong in self.wrongs:
            by_target.setdefault(wrong.target, []).append(wrong)
        kinds = rng.choices(list(mix), weights=list(mix.values()), k=size)
        students = []
        for number, kind in enumerate(kinds):
            student = f"s{number:04d}"
            if kind == "wrong" and by_target:
                targets = rng.sample(sorted(by_target), k=min(len(by_target), rng.choice((1, 1, 2))))
                students.append(self.wrong(student, [rng.choice(by_target[t]) for t in targets]))
            elif kind == "partial" and len(self.exercises) > 1:
                students.append(self.partial(student, rng.randrange(1, len(self.exercises))))
            elif kind in ("blank", "tampered", "reference"):
                students.append(getattr(self, kind)(student))
            else:
                students.append(self.reference(student))
        return students


def known_class(notebook: str) -> list[Submission]:
    """A small class whose every outcome the construction decides (the report test's class): two
    reference solutions; two wrong versions (different mistakes) of each of up to two exercises whose
    later cells stay decided (in 01_perceptron only the last exercise); two partial attempts; a
    blank release; a tampered one."""
    generator = ClassGenerator(notebook)
    known = [w for w in generator.wrongs if None not in generator.wrong("-", [w]).expected.values()]
    by_cell: dict[str, list[WrongImplementation]] = {}
    for wrong in known:
        by_cell.setdefault(wrong.cell, []).append(wrong)
    cells = sorted(by_cell, key=lambda cell: -len(by_cell[cell]))[:2]
    picks = [wrong for cell in cells for wrong in by_cell[cell][:2]]
    half = len(generator.exercises) // 2
    students = [generator.reference("ref_a"), generator.reference("ref_b"),
                *[generator.wrong(f"wrong_{wrong.name}", [wrong]) for wrong in picks],
                generator.partial("partial_1", 1), generator.partial(f"partial_{half}", half),
                generator.blank("blank"), generator.tampered("tampered")]
    unknown = [s.student for s in students if None in s.expected.values()]
    assert not unknown, f"known_class({notebook}): outcomes not decided by the construction for {unknown}"
    return students


def write_class(submissions: list[Submission], folder: Path, notebook: str) -> Path:
    """Write ``folder/<student>/<notebook>.ipynb`` for each submission; returns ``folder``."""
    for submission in submissions:
        target = Path(folder) / submission.student / f"{notebook}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(submission.notebook, target)
    return Path(folder)

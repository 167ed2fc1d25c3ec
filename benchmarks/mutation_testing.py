"""Mutation testing of the hidden tests: which small mistakes in a reference solution still earn full marks?

For one course notebook, every solution cell's code between ``### BEGIN SOLUTION`` and
``### END SOLUTION`` is mutated, one small change at a time (a comparison flipped, a constant off by
one, an operator swapped, ...). Each mutant is the reference solution notebook with that one change;
all of them are written as a class (``<mutant_id>/<NAME>.ipynb``, plus ``reference/`` as a control)
and graded in one ``grade-class`` run. A mutant is killed when it loses a point, times out, crashes
or is flagged; it survives when it earns full marks with status ok. A survivor is either a mistake
the hidden tests miss (strengthen them) or an equivalent mutant (same behaviour on every valid input).

    PYTHONPATH=$PWD nice -n 10 .venv/bin/python benchmarks/mutation_testing.py 01_perceptron --max 150 --workers 2

Prints the kill rate and the survivors (with the mutated line) and writes them to
``benchmarks/results/mutants_<NAME>.json`` (``_seed<N>`` added for another sample, the cells' names for
``--cell``). The generated class lives in a temp folder (``--keep DIR`` keeps it). ``--list`` only
prints the mutants, without grading.

Why not a mutation library: mutmut, cosmic-ray and mutatest mutate files on disk and run pytest on
each mutant; here the code lives in notebook cells and the "test suite" is the autograder, which
grades a whole class in one parallel run. Their operator catalogues (relational, arithmetic,
logical, unary, constant, break/continue replacement) are reproduced below with ``ast``, plus
array-specific ones (argmax/argmin, max/min, slice bounds).
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import json
import random
import re
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path

import nbformat

from autograder import course
from autograder.class_grading.grade_class import grade_class
from autograder.kernel.sandbox import Limits

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
COMPARE_SWAPS = {ast.Lt: (ast.LtE, ast.Gt), ast.LtE: (ast.Lt, ast.GtE), ast.Gt: (ast.GtE, ast.Lt), ast.GtE: (ast.Gt, ast.LtE),
                 ast.Eq: (ast.NotEq,), ast.NotEq: (ast.Eq,), ast.Is: (ast.IsNot,), ast.IsNot: (ast.Is,),
                 ast.In: (ast.NotIn,), ast.NotIn: (ast.In,)}
BINOP_SWAPS = {ast.Add: (ast.Sub,), ast.Sub: (ast.Add,), ast.Mult: (ast.Div,), ast.Div: (ast.Mult,),
               ast.FloorDiv: (ast.Div,), ast.Mod: (ast.FloorDiv,), ast.Pow: (ast.Mult,)}
NAME_SWAPS = {"argmax": "argmin", "argmin": "argmax", "max": "min", "min": "max", "amax": "amin", "amin": "amax",
              "maximum": "minimum", "minimum": "maximum", "any": "all", "all": "any", "floor": "ceil", "ceil": "floor",
              "logaddexp": "maximum", "sum": "mean", "mean": "sum", "zeros": "ones", "zeros_like": "ones_like",
              "ones": "zeros", "ones_like": "zeros_like", "relu": "sigmoid", "exp": "log", "log": "exp"}


@dataclasses.dataclass
class Mutant:
    id: str
    cell: str  # grade_id of the solution cell
    line: int  # line in the cell (1-based)
    operator: str
    original: str  # the cell's line before
    mutated: str  # and after
    source: str  # the whole mutated cell


def _solution_lines(source: str) -> set[int]:
    """1-based line numbers strictly between BEGIN SOLUTION and END SOLUTION markers."""
    inside, lines = False, set()
    for number, text in enumerate(source.splitlines(), 1):
        if BEGIN in text:
            inside = True
        elif END in text:
            inside = False
        elif inside:
            lines.add(number)
    return lines


def _edits(node: ast.AST):
    """(node to replace, replacement expression or statement text, operator name) for one AST node."""
    if isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            for new in COMPARE_SWAPS.get(type(op), ()):
                copy = ast.Compare(node.left, [*node.ops[:i], new(), *node.ops[i + 1:]], node.comparators)
                yield node, ast.unparse(copy), f"compare {type(op).__name__}->{new.__name__}"
    elif isinstance(node, ast.BinOp) and type(node.op) in BINOP_SWAPS:
        for new in BINOP_SWAPS[type(node.op)]:
            yield node, ast.unparse(ast.BinOp(node.left, new(), node.right)), f"binop {type(node.op).__name__}->{new.__name__}"
    elif isinstance(node, ast.AugAssign) and type(node.op) in BINOP_SWAPS:
        for new in BINOP_SWAPS[type(node.op)]:
            yield node, ast.unparse(ast.AugAssign(node.target, new(), node.value)), f"augassign {type(node.op).__name__}->{new.__name__}"
        yield node, "pass", "statement removed"
    elif isinstance(node, ast.BoolOp):
        new = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        yield node, ast.unparse(ast.BoolOp(new, node.values)), f"boolop {type(node.op).__name__}->{type(new).__name__}"
        for i in range(len(node.values)):  # drop one operand
            rest = node.values[:i] + node.values[i + 1:]
            yield node, ast.unparse(rest[0] if len(rest) == 1 else ast.BoolOp(node.op, rest)), "boolop operand removed"
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.Not, ast.USub)):
        yield node, ast.unparse(node.operand), f"{type(node.op).__name__.lower()} removed"
    elif isinstance(node, ast.Constant) and type(node.value) is bool:
        yield node, repr(not node.value), "bool flipped"
    elif isinstance(node, ast.Constant) and type(node.value) in (int, float):
        seen = {node.value}
        for label, value in (("+1", node.value + 1), ("-1", node.value - 1), ("x2", node.value * 2)):
            if value not in seen:
                seen.add(value)
                yield node, repr(value), f"constant {label}"
    elif isinstance(node, ast.Slice):
        for bound in (node.lower, node.upper):
            if bound is not None:
                for delta in ("+ 1", "- 1"):
                    yield bound, f"{ast.unparse(bound)} {delta}", f"slice bound {delta.replace(' ', '')}"
    elif isinstance(node, (ast.Break, ast.Continue)):
        yield node, "pass", f"{type(node).__name__.lower()} removed"
    elif isinstance(node, ast.Return) and node.value is not None and isinstance(node.value, ast.Tuple) and len(node.value.elts) >= 2:
        elts = list(node.value.elts)
        elts[0], elts[1] = elts[1], elts[0]
        yield node, ast.unparse(ast.Return(ast.Tuple(elts, ast.Load()))), "return values swapped"
    if isinstance(node, ast.Call):
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
        if name in NAME_SWAPS:
            target = func.value if isinstance(func, ast.Attribute) else None
            new_func = ast.Attribute(target, NAME_SWAPS[name], ast.Load()) if target is not None else ast.Name(NAME_SWAPS[name], ast.Load())
            yield func, ast.unparse(new_func), f"call {name}->{NAME_SWAPS[name]}"


def _splice(source: str, node: ast.AST, text: str) -> str:
    """Replace the node's text (ast offsets are UTF-8 byte columns) with ``text``."""
    data = source.encode()
    starts = [0]
    for line in data.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    begin = starts[node.lineno - 1] + node.col_offset
    end = starts[node.end_lineno - 1] + node.end_col_offset
    # statements and function names go in as they are; any other expression in parentheses
    replacement = text if isinstance(node, ast.stmt | ast.Attribute | ast.Name) else f"({text})"
    return (data[:begin] + replacement.encode() + data[end:]).decode()


def mutants_of(name: str) -> list[Mutant]:
    nb = course.read_notebook(course.solution_path(name))
    found = []
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or not meta.get("solution") or BEGIN not in cell.source:
            continue
        lines = _solution_lines(cell.source)
        tree = ast.parse(cell.source)
        docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                      if isinstance(n, ast.FunctionDef | ast.ClassDef | ast.Module) and n.body and isinstance(n.body[0], ast.Expr)}
        for node in ast.walk(tree):
            if getattr(node, "lineno", None) not in lines or id(node) in docstrings:
                continue
            for target, text, operator in _edits(node):
                mutated = _splice(cell.source, target, text)
                if mutated == cell.source:
                    continue
                try:
                    compile(mutated, "<mutant>", "exec")
                except SyntaxError:
                    continue
                before = cell.source.splitlines()[target.lineno - 1]
                after = mutated.splitlines()[target.lineno - 1]
                found.append(Mutant("", meta["grade_id"], target.lineno, operator, before.strip(), after.strip(), mutated))
    for index, mutant in enumerate(found):
        mutant.id = f"m{index:04d}_{re.sub(r'[^A-Za-z0-9]+', '_', mutant.cell)}"
    return found


def write_class(name: str, mutants: list[Mutant], folder: Path) -> None:
    nb = course.read_notebook(course.solution_path(name))
    (folder / "reference").mkdir(parents=True)  # the unmutated solution: a control that must get full marks
    nbformat.write(nb, folder / "reference" / f"{name}.ipynb")
    for mutant in mutants:
        copy = nbformat.from_dict(json.loads(json.dumps(nb)))
        for cell in copy.cells:
            if cell.metadata.get("nbgrader", {}).get("grade_id") == mutant.cell and cell.metadata.nbgrader.get("solution"):
                cell.source = mutant.source
        (folder / mutant.id).mkdir()
        nbformat.write(copy, folder / mutant.id / f"{name}.ipynb")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook", help="course notebook name, e.g. 01_perceptron")
    parser.add_argument("--max", type=int, default=150, help="at most this many mutants (a seeded sample; 0: all)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cell", action="append", help="only mutate this solution cell (grade_id); repeatable")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=90.0, help="notebook time limit per mutant, s (a hang is a kill)")
    parser.add_argument("--cell-timeout", type=float, default=30.0, help="per-cell time limit, s")
    parser.add_argument("--survivors-of", type=Path, metavar="REPORT",
                        help="regrade only the survivors listed in an earlier report (after strengthening the tests)")
    parser.add_argument("--keep", type=Path, help="write the class and the grades here and keep them")
    parser.add_argument("--list", action="store_true", help="only list the mutants")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args(argv)
    if args.notebook not in course.assignments():
        parser.error(f"{args.notebook}: not a course notebook (one of {', '.join(course.assignments())})")

    mutants = mutants_of(args.notebook)
    if args.cell:
        mutants = [m for m in mutants if m.cell in args.cell]
    total = len(mutants)
    if args.max and len(mutants) > args.max:
        mutants = sorted(random.Random(args.seed).sample(mutants, args.max), key=lambda m: m.id)
    if args.survivors_of:
        previous = json.loads(args.survivors_of.read_text())
        wanted = {s["id"] for s in previous["survivors"]}
        mutants = [m for m in mutants if m.id in wanted]
        if len(mutants) != len(wanted):
            parser.error(f"{args.survivors_of}: some survivors are no longer generated (the solution cells changed)")
    print(f"{args.notebook}: {total} mutants generated, {len(mutants)} graded (seed {args.seed})")
    if args.list:
        for m in mutants:
            print(f"{m.id}  {m.operator:28s} {m.cell}:{m.line}: {m.mutated}")
        return 0

    work = args.keep or Path(tempfile.mkdtemp(prefix=f"mutants-{args.notebook}-"))
    classroom, results = work / "class", work / "grades"
    shutil.rmtree(classroom, ignore_errors=True)
    write_class(args.notebook, mutants, classroom)
    start = time.perf_counter()
    limits = Limits(notebook_timeout_s=args.timeout, cell_timeout_s=args.cell_timeout)
    warnings.filterwarnings("ignore", message="Port .* is already in use")  # Dask's dashboard port, not used here
    graded = grade_class(classroom, results, workers=args.workers, limits=limits, force=True)
    elapsed = time.perf_counter() - start
    grades = {student: result.to_json() for (student, _), result in graded.items()}

    reference = grades["reference"]
    if reference["status"] != "ok" or reference["score"] < reference["max_score"]:
        print(f"the reference solution itself does not get full marks ({reference['status']}, "
              f"{reference['score']:g}/{reference['max_score']:g}): fix that first", file=sys.stderr)
        return 2
    survivors, kills = [], {"failed a test": 0, "timeout": 0, "crashed": 0, "other": 0}
    for m in mutants:
        result = grades[m.id]
        if result["status"] == "ok" and result["score"] >= result["max_score"]:
            survivors.append(m)
        elif result["status"] == "timeout":
            kills["timeout"] += 1
        elif result["status"] in ("crashed", "output_limit", "error"):
            kills["crashed"] += 1
        elif result["status"] == "ok":
            kills["failed a test"] += 1
        else:
            kills["other"] += 1
    graded_count, killed = len(mutants), len(mutants) - len(survivors)
    if args.survivors_of:  # the earlier report's kills still stand (hidden tests only got stronger)
        print(f"{args.notebook}: {killed}/{len(mutants)} earlier survivors now killed")
        graded_count, killed = previous["graded"], previous["killed"] + killed
        kills = {k: previous["kills"][k] + v for k, v in kills.items()}
    rate = killed / graded_count if graded_count else 1.0
    print(f"{args.notebook}: {killed}/{graded_count} killed ({rate:.1%}), graded in {elapsed:.0f} s; "
          + ", ".join(f"{k}: {v}" for k, v in kills.items()))
    for m in survivors:
        print(f"  SURVIVED {m.id}  {m.operator}  [{m.cell}:{m.line}]\n      - {m.original}\n      + {m.mutated}")
    args.out.mkdir(parents=True, exist_ok=True)
    report = {"notebook": args.notebook, "generated": total, "graded": graded_count, "seed": args.seed, "killed": killed,
              "kill_rate": round(rate, 4), "kills": kills, "seconds": round(elapsed, 1),
              "survivors": [{k: v for k, v in dataclasses.asdict(m).items() if k != "source"} for m in survivors]}
    suffix = ("" if args.seed == 0 else f"_seed{args.seed}") + "".join(f"_{cell}" for cell in sorted(args.cell or []))
    path = args.out / f"mutants_{args.notebook}{suffix}.json"
    path.write_text(json.dumps(report, indent=1) + "\n")
    print(f"survivors written to {path}" + (f"; class and grades in {work}" if args.keep else ""))
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

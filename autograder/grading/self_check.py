"""A learner's self-check, like JupyterLab's Validate button: run one notebook as it is saved, top to
bottom in a fresh kernel, and say for every test cell whether its visible checks pass.

    python -m autograder check notebooks/01_perceptron/01_perceptron.ipynb

Where a test cell fails because an earlier cell raised (a dataset that is missing, a typo in a
helper), the message names that first error (cell, section heading, exception), which is what a
learner needs to fix first. Hidden tests do not run here (they run when the notebook is graded):
passing every visible check does not promise full marks. The notebook file is not modified.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from autograder import course
from autograder.grading.engine import failure_message, first_error, is_test_cell, root_cause
from autograder.grading.results import FirstError
from autograder.kernel import executor
from autograder.notebook_helpers import runtime


@dataclass
class TestCellCheck:
    grade_id: str
    points: float
    passed: bool
    message: str  # "" when passed


@dataclass
class CheckResult:
    notebook: str
    cells: list[TestCellCheck] = field(default_factory=list)
    first_error: FirstError | None = None  # the first non-test cell that raised
    stopped: str | None = None  # why the run ended early (a timeout, a dead kernel), in one line

    @property
    def passed(self) -> int:
        return sum(cell.passed for cell in self.cells)


def check_notebook(path: Path | str, cell_timeout_s: float = 300) -> CheckResult:
    path = Path(path)
    if not path.is_file():
        raise course.CourseError(f"{path}: no such notebook")
    nb, run = executor.execute_notebook(path, env=executor.notebook_environment(runtime.fast_mode()), cell_timeout_s=cell_timeout_s,
                                        stop_on_error=False)
    stopped = run.message or None
    replies = run.replies  # errors as the kernel replied them
    tests = {i: c.metadata.nbgrader["grade_id"] for i, c in enumerate(nb.cells) if is_test_cell(c)}
    result = CheckResult(notebook=str(path), first_error=first_error(nb, replies, tests), stopped=stopped)
    for index, grade_id in tests.items():
        cell = nb.cells[index]
        points = float(cell.metadata.nbgrader.get("points", 0))
        if index not in replies:
            message = f"not run: {stopped}" if stopped else "not run"
            result.cells.append(TestCellCheck(grade_id, points, False, message))
            continue
        own = failure_message(cell, replies[index])
        passed = replies[index]["status"] == "ok" and not any(
            o.output_type == "stream" and o.name == "stderr" for o in cell.get("outputs", []))
        result.cells.append(TestCellCheck(grade_id, points, passed, "" if passed else root_cause(result.first_error, index, own)))
    return result


def format_check(result: CheckResult) -> str:
    width = max([len(c.grade_id) for c in result.cells] + [9])
    lines = [result.notebook]
    if result.first_error:
        error = result.first_error
        lines.append(f"first error: {error.where()} raised {error.ename}: {error.evalue}".rstrip(": "))
    for cell in result.cells:
        lines.append(f"  {cell.grade_id:<{width}}  {cell.points:>4g} pt  {'passed' if cell.passed else 'FAILED: ' + cell.message}")
    lines.append(f"visible checks: {result.passed} of {len(result.cells)} test cells pass "
                 "(hidden tests run only when the notebook is graded)")
    if result.stopped:
        lines.append(f"stopped early: {result.stopped}")
    return "\n".join(lines)

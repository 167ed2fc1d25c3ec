"""Hidden tests must fail deliberately wrong implementations (tests/wrong_implementations/).

One kernel per notebook (the course's own, through the package's executor) runs the solution top to
bottom in fast mode. At each autograded test cell,
every registered wrong version of the exercise is swapped in and the test cell (the exact code
nbgrader grades with, hidden part included) must fail; then the solution is restored and the test
cell must pass.

Wrong code loses points; it is not tampering: the integrity guard runs in the same kernel and must
find nothing after any wrong version ran, and the static look must not flag any wrong version.
"""

from __future__ import annotations

import os

import nbformat
import pytest
from nbclient.exceptions import CellExecutionError, CellTimeoutError
from wrong_implementations import load

from autograder import course
from autograder.grading import static_check
from autograder.grading.engine import GRADER_ENVIRONMENT
from autograder.kernel import executor
from autograder.kernel.guard import REPORT_MIME

MIN_WRONG_PER_EXERCISE = 3


def _fails(client, source, index):
    """Run code in the kernel; True if it raised or wrote to stderr (both cost the points)."""
    cell = nbformat.v4.new_code_cell(source)
    try:
        client.execute_cell(cell, index)
    except (CellExecutionError, CellTimeoutError):
        return True
    return any(o.output_type == "stream" and o.name == "stderr" for o in cell.outputs)


def _guard_findings(client, index, nonce):
    cell = nbformat.v4.new_code_cell(f"__import__('autograder.kernel.guard', fromlist=['check']).check({nonce!r})")
    client.execute_cell(cell, index)
    reports = [o["data"][REPORT_MIME] for o in cell.outputs if REPORT_MIME in o.get("data", {})]
    assert reports and reports[0]["nonce"] == nonce, "the integrity guard did not answer"
    return reports[0]["findings"]


def test_wrong_implementations_are_not_flagged_by_the_static_look(notebook):
    flagged = [f"{w.name}: {f.reason}" for w in load(notebook) for f in static_check.suspicious_constructs(w.source)]
    assert not flagged, "wrong code is not tampering, yet the static look flags:\n" + "\n".join(flagged)


@pytest.mark.slow
def test_hidden_tests_fail_wrong_implementations(notebook, monkeypatch):
    for key, value in GRADER_ENVIRONMENT.items():  # the environment grading uses
        monkeypatch.setenv(key, value)
    nb = nbformat.read(course.solution_path(notebook), as_version=4)
    autograded = {c["grade_id"] for c in course.graded_cells(nb) if c["autograded"]}
    wrongs = load(notebook)
    unknown = {w.cell for w in wrongs} - autograded
    assert not unknown, f"wrong implementations point at unknown test cells: {unknown}"
    for grade_id in sorted(autograded):
        count = sum(w.cell == grade_id for w in wrongs)
        assert count >= MIN_WRONG_PER_EXERCISE, f"{notebook}/{grade_id}: {count} wrong implementations, need {MIN_WRONG_PER_EXERCISE}"

    survivors, tried, flagged = [], 0, []
    with executor.started(nb, cwd=course.SOLUTIONS_DIR / notebook, env=dict(os.environ), cell_timeout_s=120,
                          allow_errors=False) as client:
        start = nbformat.v4.new_code_cell(f"from autograder.kernel import guard\nguard.install({sorted(GRADER_ENVIRONMENT)!r})")
        client.execute_cell(start, 0)
        assert _guard_findings(client, 0, "baseline") == []
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            for wrong in (w for w in wrongs if w.cell == grade_id):
                tried += 1
                assert not _fails(client, f"_reference = {wrong.target}", index)
                assert not _fails(client, wrong.source, index), f"{wrong.name} does not even define"
                if not _fails(client, cell.source, index):
                    survivors.append(f"{grade_id}: {wrong.name} ({wrong.description})")
                assert not _fails(client, f"{wrong.target} = _reference", index)
                findings = _guard_findings(client, index, f"after-{wrong.name}")
                if findings:
                    flagged.append(f"{wrong.name}: {findings}")
                    break  # findings are sticky: the first one is the one to fix
            client.execute_cell(cell, index)  # the solution itself: raises if it fails
    print(f"{notebook}: {tried} wrong implementations tried, {tried - len(survivors)} caught")
    assert not survivors, "hidden tests let these wrong implementations through:\n" + "\n".join(survivors)
    assert not flagged, "wrong code is not tampering, yet the integrity guard flags:\n" + "\n".join(flagged)

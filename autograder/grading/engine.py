"""The grading engine: one submission, on any machine (``grade``, and each task of ``grade-class``).

1. parse it (a malformed file is a result, not a crash);
2. compare its test cells with the released ones (edited, deleted or renamed test cells, changed
   points or metadata are flagged);
3. restore hidden tests with nbgrader's own preprocessors (OverwriteCells & co.) from a gradebook
   that exists on disk only for those milliseconds;
4. execute in a sandboxed kernel (``kernel/sandbox.py``), asking the integrity guard before each test cell;
5. score every test cell with nbgrader's rule (``determine_grade``): an error or any stderr output
   scores 0; so does a cell that never ran, or one that ran after tampering was seen.

A ``Kit`` (``kit.py``) carries what a worker needs for one notebook. The result is a typed
``NotebookResult`` (``results.py``). Reported messages name the exception type and its message
only: tracebacks (which quote the test code, hidden part included) never leave the engine.
Imports ``course``, ``kernel`` and the rest of ``grading``; never the class orchestration or outputs.
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
import tempfile
import time
import warnings
from pathlib import Path

import nbformat

from autograder import course
from autograder.grading import static_check
from autograder.grading.kit import Kit, identify, kit_for
from autograder.grading.results import CellResult, FirstError, ManualCell, NotebookResult, Status
from autograder.kernel import isolation
from autograder.kernel.sandbox import Limits, execute
from autograder.notebook_helpers.runtime import FAST_ENV

# OMP_WAIT_POLICY=PASSIVE: idle OpenMP threads sleep instead of spinning; on a busy machine (a
# class graded in parallel, CI) spinning torch threads made small models 3-25x slower.
GRADER_ENVIRONMENT = {FAST_ENV: "1", "NBGRADER_EXECUTION": "autograde", "OMP_WAIT_POLICY": "PASSIVE"}


def _static_flags(nb: nbformat.NotebookNode, kit: Kit) -> dict[str, list[str]]:
    """Test cells edited, deleted, renamed or re-pointed in the submission: grade_id -> reasons."""
    from nbgrader.utils import compute_checksum

    flags: dict[str, list[str]] = {}
    expected_points = {c["grade_id"]: c["points"] for c in kit.graded_cells}
    seen = set()
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        grade_id = meta.get("grade_id")
        if grade_id in kit.released_checksums:
            seen.add(grade_id)
            if compute_checksum(cell) not in (kit.released_checksums[grade_id], kit.source_checksums.get(grade_id)):
                flags.setdefault(grade_id, []).append("test cell edited")
            if float(meta.get("points", -1)) != expected_points.get(grade_id) or not meta.get("grade") or meta.get("solution"):
                flags.setdefault(grade_id, []).append("test cell metadata changed")
        elif meta.get("grade") and not meta.get("solution") and grade_id not in expected_points:
            flags.setdefault("*", []).append(f"unknown test cell {grade_id!r} (renamed?)")
    for grade_id in kit.released_checksums:
        if grade_id not in seen:
            flags.setdefault(grade_id, []).append("test cell deleted, renamed or stripped of its metadata")
    return flags


class _SchemaCheckedOnce:
    """``jsonschema`` as nbgrader's metadata validator calls it (``validate(instance, schema)``), but
    checking nbgrader's fixed schema once per process instead of once per cell: the repeated check
    was half the time of restoring a notebook's tests. Same errors, raised the same way."""

    _validators: dict[int, object] = {}

    @classmethod
    def validate(cls, instance, schema) -> None:
        import jsonschema

        validator = cls._validators.get(id(schema))
        if validator is None:
            kind = jsonschema.validators.validator_for(schema)
            kind.check_schema(schema)
            validator = cls._validators[id(schema)] = kind(schema)
        error = jsonschema.exceptions.best_match(validator.iter_errors(instance))
        if error is not None:
            raise error


def _restore_tests(nb: nbformat.NotebookNode, kit: Kit) -> nbformat.NotebookNode:
    """nbgrader's sanitising preprocessors, with the gradebook on disk only while they run."""
    from nbgrader.nbgraderformat import common as metadata_format
    from nbgrader.preprocessors import (
        CheckCellMetadata,
        ClearOutput,
        DeduplicateIds,
        OverwriteCells,
        OverwriteKernelspec,
    )

    known = {c["grade_id"] for c in kit.graded_cells}
    for cell in nb.cells:  # a renamed grade cell would crash nbgrader (KeyError): make it plain code
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade") and meta.get("grade_id") not in known:
            del cell.metadata["nbgrader"]
    metadata_format.jsonschema = _SchemaCheckedOnce
    with tempfile.TemporaryDirectory(prefix="gb-") as tmp:
        path = Path(tmp) / "gradebook.db"
        path.write_bytes(kit.gradebook)
        resources = {"nbgrader": {"notebook": kit.assignment, "assignment": kit.assignment, "db_url": f"sqlite:///{path}"}}
        for preprocessor in (ClearOutput(), DeduplicateIds(), OverwriteKernelspec(), OverwriteCells(add_missing_cells=True), CheckCellMetadata()):
            nb, resources = preprocessor.preprocess(nb, resources)
    return nbformat.from_dict(nb)  # cells nbgrader re-added are plain dicts inside


_WARNING = re.compile(r"(\w*(?:Warning|Error)): (.*)")
_DEFAULT_EVALUE = {"AssertionError": "a check failed", "NotImplementedError": "the exercise is not solved yet"}


def _error_text(ename: str, evalue: str) -> str:
    evalue = str(evalue or "").strip() or _DEFAULT_EVALUE.get(ename, "raised without a message")
    return f"{ename}: {evalue}"[:500]


def failure_message(cell: nbformat.NotebookNode | None, reply: dict | None = None) -> str:
    """Why a test cell lost its points, without quoting any test source.

    ``reply``: the kernel's execute reply; its error counts even when the notebook hid the output.
    """
    if cell is None:
        return "test cell missing from the submission: copy it back from the released notebook"
    for output in cell.get("outputs", []):
        if output.output_type == "error":
            return _error_text(output.ename, output.evalue)
    if reply and reply.get("status") != "ok":
        if reply.get("ename"):
            return _error_text(reply["ename"], reply.get("evalue"))
        return f"the cell did not complete (kernel reply: {reply.get('status')})"
    for output in cell.get("outputs", []):
        if output.output_type == "stream" and output.name == "stderr":
            found = _WARNING.search(output.text)
            detail = f" ({found.group(1)}: {found.group(2)[:200]})" if found else ""
            return f"the test cell wrote to stderr{detail}; any stderr output (a warning too) scores 0"
    return "the cell did not earn its points"


def _heading_before(nb: nbformat.NotebookNode, index: int) -> str:
    """The nearest markdown heading above cell ``index`` (what a learner calls the section)."""
    for cell in reversed(nb.cells[:index]):
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()[:80]
    return ""


def first_error(nb: nbformat.NotebookNode, replies: dict[int, dict], tests: dict[int, str]) -> FirstError | None:
    """The first ungraded code cell whose execution failed, where a chain of failures starts
    (an unsolved exercise's NotImplementedError is expected, not a cause)."""
    for index in sorted(replies):
        reply = replies[index]
        if index not in tests and reply.get("status") != "ok" and reply.get("ename") != "NotImplementedError":
            return FirstError(cell=index + 1, heading=_heading_before(nb, index), ename=reply.get("ename") or "Error",
                              evalue=str(reply.get("evalue") or "").strip()[:300])
    return None


def root_cause(first_error: FirstError | None, index: int, own: str) -> str:
    """``own`` failure message, led by an earlier cell's error that probably caused it."""
    if first_error is None or first_error.cell > index or own.startswith("NotImplementedError"):
        return own
    return f"not run: {first_error.where()} raised {_error_text(first_error.ename, first_error.evalue)} (then: {own})"[:700]


def _checkpoints(nb: nbformat.NotebookNode, tests: dict[int, str]) -> dict[int, tuple[str, ...]]:
    """Where the grader asks the integrity guard (cell index -> names to protect).

    Before the first code cell (the guard records the clean state); before every test cell; right
    after every test cell (a learner's function may tamper only while a test calls it), the last
    one's check being ``len(nb.cells)``, after the notebook; and before the first unlocked cell
    after locked ones (to record the names those bound: the setup cell's imports, a test's data)."""
    points: dict[int, tuple[str, ...]] = {}
    pending: list[str] = []
    first, after_test = True, False
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        meta = cell.get("metadata", {}).get("nbgrader", {})
        locked = meta.get("locked") and not meta.get("solution")
        if first or after_test or index in tests or (pending and not locked):
            points[index] = tuple(dict.fromkeys(pending))
            pending = []
        first, after_test = False, index in tests
        if locked:
            pending += static_check.bound_names(cell.source)
    if after_test:
        points[len(nb.cells)] = tuple(dict.fromkeys(pending))
    return points


def _review_flags(nb: nbformat.NotebookNode) -> list[str]:
    """Constructs in the cells a learner edits that tampering needs and no exercise does."""
    flags = []
    modules: set[str] = set()
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if not (meta.get("locked") and not meta.get("solution")):
            label = f"cell {index + 1}" + (f" ({meta['grade_id']})" if meta.get("grade_id") else "")
            flags += [f"review: {label}, line {f.line}: {f.reason}" for f in static_check.suspicious_constructs(cell.source, modules)]
        modules |= static_check.module_names(cell.source)
    return flags


def is_test_cell(cell) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.cell_type == "code" and meta.get("grade") and not meta.get("solution")


def grade_submission(kit: Kit, payload: bytes, limits: Limits | None = None, label: str = "") -> NotebookResult:
    """Grade one submission (notebook bytes) against a kit; never raises for a bad submission.

    Whatever the notebook does is reported in the result (``status``, ``flags``); ``executed``
    holds the executed notebook as JSON text (for tests; grade-class does not store it).
    """
    from nbgrader.utils import determine_grade

    start = time.perf_counter()
    limits = limits or Limits()
    autograded = [c for c in kit.graded_cells if c["autograded"]]
    result = NotebookResult(notebook=label, assignment=kit.assignment, max_score=float(sum(c["points"] for c in autograded)),
                            manual=[ManualCell(c["grade_id"], c["points"]) for c in kit.graded_cells if not c["autograded"]],
                            sha256=hashlib.sha256(payload).hexdigest(), grader=f"{socket.gethostname()}:{os.getpid()}")

    def not_graded(flag: str, message: str) -> NotebookResult:
        result.status, result.flags = Status.INVALID, [flag]
        result.cells = [CellResult(c["grade_id"], 0.0, c["points"], False, message) for c in autograded]
        result.elapsed_s = time.perf_counter() - start
        return result

    try:
        with warnings.catch_warnings():  # e.g. cells without ids (older front ends): not the learner's concern
            warnings.simplefilter("ignore")
            nb = nbformat.reads(payload.decode("utf-8"), as_version=4)
            nbformat.validate(nb)
    except Exception as error:
        reason = (str(error).strip().splitlines() or [type(error).__name__])[0][:200]
        return not_graded(f"not a valid notebook: {reason}", "the file could not be read as a notebook")

    static = _static_flags(nb, kit)
    try:
        nb = _restore_tests(nb, kit)
    except Exception as error:  # noqa: BLE001 - nbgrader cannot place a missing cell (an older release)
        missing = sorted({c["grade_id"] for c in kit.graded_cells} - {c.get("metadata", {}).get("nbgrader", {}).get("grade_id") for c in nb.cells})
        reason = f"missing cells {', '.join(missing[:5])}" if missing else f"{type(error).__name__}: {error}"[:200]
        return not_graded(f"the notebook does not match this course's current release ({reason}): "
                          "start from the released notebook and copy your solutions in",
                          "not graded: the notebook does not match the current release")
    review = _review_flags(nb)
    tests = {i: c.metadata.nbgrader["grade_id"] for i, c in enumerate(nb.cells) if is_test_cell(c)}
    run = execute(nb, limits, check_before=_checkpoints(nb, tests), environment=GRADER_ENVIRONMENT, preload=kit.preload,
                  files=kit.files)
    cause = first_error(nb, run.replies, tests)
    result.execution_s = run.elapsed_s
    result.guard = {"checks": len(run.findings), "seconds": round(run.guard_s, 4)}
    result.isolation = run.isolation  # full | partial | none, as the kernel reported it

    tamper: list[str] = []
    by_id = {}
    for index, grade_id in tests.items():
        # Findings are cumulative: the first check after the test cell also covers what the cell's
        # own run did (a learner's function that patches numpy only when a test calls it).
        after = min((i for i in run.findings if i > index), default=None)
        seen = list(dict.fromkeys(f for i, found in sorted(run.findings.items()) if i <= (index if after is None else after) for f in found))
        for finding in seen:
            if finding not in tamper:
                tamper.append(finding)
        by_id[grade_id] = (index, seen)
    for grade_id, reasons in static.items():
        tamper += [f"{grade_id}: {reason}" if grade_id != "*" else reason for reason in reasons]

    for expected in autograded:
        grade_id, points = expected["grade_id"], expected["points"]
        index, seen = by_id.get(grade_id, (None, []))
        cell = nb.cells[index] if index is not None else None
        if index is None or index not in run.executed:
            score, message = 0.0, (f"not run: {run.message}" if index is not None and run.status != Status.OK else failure_message(None))
        elif seen or grade_id in static:
            score, message = 0.0, "0 because the grading was tampered with: " + "; ".join((seen + static.get(grade_id, []))[:3])
        elif run.replies.get(index, {}).get("status") != "ok":  # an error, whatever the outputs show
            score, message = 0.0, root_cause(cause, index, failure_message(cell, run.replies.get(index)))
        else:
            auto, _ = determine_grade(cell)
            score = float(auto or 0.0)
            message = "" if score >= points else root_cause(cause, index, failure_message(cell))
        result.cells.append(CellResult(grade_id, score, points, score >= points, message))

    result.score = float(sum(c.score for c in result.cells))
    result.flags, result.first_error, result.executed = tamper + review, cause, nbformat.writes(nb)
    result.status = run.status if run.status != Status.OK else (Status.TAMPERED if tamper else Status.REVIEW if review else Status.OK)
    if run.status != Status.OK:
        result.flags = [run.message] + tamper + review
    result.elapsed_s = time.perf_counter() - start
    return result


def grade_notebook(path: Path | str, limits: Limits | None = None) -> NotebookResult:
    """Autograde the notebook at ``path`` (anywhere on disk, no course folder or student id needed)
    against the course's hidden tests, in a sandboxed kernel.

    Raises:
        course.CourseError: unreadable input (missing, not a notebook, not from this course); the
            message is one line fit for a user. Anything the notebook does while running is
            reported in the result (``status``, ``flags``), not raised.
    """
    path = Path(path)
    submission = course.read_notebook(path)
    name = identify(submission, path)
    start = time.perf_counter()
    result = grade_submission(kit_for(name), nbformat.writes(submission).encode(), limits=limits, label=str(path))
    if result.isolation is not None:  # a kernel ran
        isolation.warn_once(result.isolation)
    result.elapsed_s = time.perf_counter() - start  # the kit's build included
    return result

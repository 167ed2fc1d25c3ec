"""The grading engine: one submission (``grade``) or a whole class on Dask (``grade-class``).

Grading one submission, on any worker:
1. parse it (a malformed file is a result, not a crash);
2. compare its test cells with the released ones (edited, deleted or renamed test cells, changed
   points or metadata are flagged);
3. restore hidden tests with nbgrader's own preprocessors (OverwriteCells & co.) from a gradebook
   that exists on disk only for those milliseconds;
4. execute in a sandboxed kernel (``sandbox.py``), asking the integrity guard before each test cell;
5. score every test cell with nbgrader's rule (``determine_grade``): an error or any stderr output
   scores 0; so does a cell that never ran, or one that ran after tampering was seen.

A ``Kit`` carries what a worker needs for one notebook (the gradebook as bytes, the released
checksums), so workers need neither the solutions nor a shared file system.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import json
import os
import re
import shutil
import socket
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from autograder import course, isolation, static_check, zygote
from autograder.runtime import FAST_ENV
from autograder.sandbox import Limits, execute, warm_up

# OMP_WAIT_POLICY=PASSIVE: idle OpenMP threads sleep instead of spinning; on a busy machine (a
# class graded in parallel, CI) spinning torch threads made small models 3-25x slower.
GRADER_ENVIRONMENT = {FAST_ENV: "1", "NBGRADER_EXECUTION": "autograde", "OMP_WAIT_POLICY": "PASSIVE"}


@dataclass
class Kit:
    assignment: str
    gradebook: bytes  # nbgrader gradebook: source cells with hidden tests (never given to a kernel)
    released_checksums: dict[str, str]  # grade_id of each test cell -> nbgrader checksum as released
    source_checksums: dict[str, str]  # the same for the instructor's version (hidden tests included)
    graded_cells: list[dict]  # course.graded_cells of the solution: grade_id, points, autograded
    files: dict[str, bytes] = field(default_factory=dict)  # other files of the notebook folder
    preload: tuple[str, ...] = ()  # modules the setup cell imports: the kernel zygote loads them once


def build_kit(name: str) -> Kit:
    """Build the gradebook for one course notebook (nbgrader generate_assignment, in a temp folder)."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.utils import compute_checksum

    with tempfile.TemporaryDirectory(prefix="kit-") as tmp:
        root = Path(tmp)
        shutil.copytree(course.SOLUTIONS_DIR / name, root / "source" / name)
        api = NbGraderAPI(config=course.nbgrader_config(root))
        result = api.generate_assignment(name, force=True, create=True)
        if not result["success"]:
            raise course.CourseError(f"solutions/{name}: nbgrader could not build the gradebook (run `python -m autograder release` to see why)")
        gradebook = (root / "gradebook.db").read_bytes()
        released = nbformat.read(root / "release" / name / f"{name}.ipynb", as_version=4)
    checksums = {
        cell.metadata.nbgrader["grade_id"]: compute_checksum(cell)
        for cell in released.cells
        if cell.metadata.get("nbgrader", {}).get("grade") and not cell.metadata.nbgrader.get("solution")
    }
    folder = course.SOLUTIONS_DIR / name
    files = {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file() and p.suffix != ".ipynb"}
    solution = course.read_notebook(course.solution_path(name))
    source = {c.metadata.nbgrader["grade_id"]: compute_checksum(c) for c in solution.cells if c.metadata.get("nbgrader", {}).get("grade_id") in checksums}
    return Kit(name, gradebook, checksums, source, course.graded_cells(solution), files, zygote.setup_imports(solution))


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


def first_error(nb: nbformat.NotebookNode, replies: dict[int, dict], tests: dict[int, str]) -> dict | None:
    """The first ungraded code cell whose execution failed, where a chain of failures starts
    (an unsolved exercise's NotImplementedError is expected, not a cause)."""
    for index in sorted(replies):
        reply = replies[index]
        if index not in tests and reply.get("status") != "ok" and reply.get("ename") != "NotImplementedError":
            return {"cell": index + 1, "heading": _heading_before(nb, index), "ename": reply.get("ename") or "Error",
                    "evalue": str(reply.get("evalue") or "").strip()[:300]}
    return None


def root_cause(first_error: dict | None, index: int, own: str) -> str:
    """``own`` failure message, led by an earlier cell's error that probably caused it."""
    if first_error is None or first_error["cell"] > index or own.startswith("NotImplementedError"):
        return own
    where = f'cell {first_error["cell"]}' + (f' ("{first_error["heading"]}")' if first_error["heading"] else "")
    return f"not run: {where} raised {_error_text(first_error['ename'], first_error['evalue'])} (then: {own})"[:700]


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


def grade_submission(kit: Kit, payload: bytes, limits: Limits | None = None, label: str = "") -> dict:
    """Grade one submission (notebook bytes) against a kit; never raises for a bad submission.

    Returns the ``grade --json`` object plus ``status`` (ok, invalid, timeout, crashed,
    output_limit, tampered), ``flags`` (list of str), ``sha256``, ``elapsed_s``, ``execution_s``
    and ``executed`` (the executed notebook as JSON text, for feedback and tests).
    """
    from nbgrader.utils import determine_grade

    start = time.perf_counter()
    limits = limits or Limits()
    report = {"notebook": label, "assignment": kit.assignment, "score": 0.0,
              "max_score": float(sum(c["points"] for c in kit.graded_cells if c["autograded"])),
              "cells": [], "manual": [{"grade_id": c["grade_id"], "max_score": c["points"]} for c in kit.graded_cells if not c["autograded"]],
              "status": "ok", "flags": [], "sha256": hashlib.sha256(payload).hexdigest(), "execution_s": 0.0, "executed": None,
              "grader": f"{socket.gethostname()}:{os.getpid()}"}
    try:
        with warnings.catch_warnings():  # e.g. cells without ids (older front ends): not the learner's concern
            warnings.simplefilter("ignore")
            nb = nbformat.reads(payload.decode("utf-8"), as_version=4)
            nbformat.validate(nb)
    except Exception as error:
        reason = (str(error).strip().splitlines() or [type(error).__name__])[0][:200]
        report.update(status="invalid", flags=[f"not a valid notebook: {reason}"])
        report["cells"] = [{"grade_id": c["grade_id"], "score": 0.0, "max_score": c["points"], "passed": False,
                            "message": "the file could not be read as a notebook"} for c in kit.graded_cells if c["autograded"]]
        report["elapsed_s"] = time.perf_counter() - start
        return report

    static = _static_flags(nb, kit)
    try:
        nb = _restore_tests(nb, kit)
    except Exception as error:  # noqa: BLE001 - nbgrader cannot place a missing cell (an older release)
        missing = sorted({c["grade_id"] for c in kit.graded_cells} - {c.get("metadata", {}).get("nbgrader", {}).get("grade_id") for c in nb.cells})
        reason = f"missing cells {', '.join(missing[:5])}" if missing else f"{type(error).__name__}: {error}"[:200]
        report.update(status="invalid", flags=[f"the notebook does not match this course's current release ({reason}): "
                                                "start from the released notebook and copy your solutions in"])
        report["cells"] = [{"grade_id": c["grade_id"], "score": 0.0, "max_score": c["points"], "passed": False,
                            "message": "not graded: the notebook does not match the current release"} for c in kit.graded_cells if c["autograded"]]
        report["elapsed_s"] = time.perf_counter() - start
        return report
    review = _review_flags(nb)
    tests = {i: c.metadata.nbgrader["grade_id"] for i, c in enumerate(nb.cells) if is_test_cell(c)}
    run = execute(nb, limits, check_before=_checkpoints(nb, tests), environment=GRADER_ENVIRONMENT, preload=kit.preload)
    cause = first_error(nb, run.replies, tests)
    report["execution_s"] = run.elapsed_s
    report["guard"] = {"checks": len(run.findings), "seconds": round(run.guard_s, 4)}
    report["isolation"] = run.isolation  # full | partial | none, as the kernel reported it

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

    cells = []
    for expected in kit.graded_cells:
        if not expected["autograded"]:
            continue
        grade_id, points = expected["grade_id"], expected["points"]
        index, seen = by_id.get(grade_id, (None, []))
        cell = nb.cells[index] if index is not None else None
        if index is None or index not in run.executed:
            score, message = 0.0, (f"not run: {run.message}" if index is not None and run.status != "ok" else failure_message(None))
        elif seen or grade_id in static:
            score, message = 0.0, "0 because the grading was tampered with: " + "; ".join((seen + static.get(grade_id, []))[:3])
        elif run.replies.get(index, {}).get("status") != "ok":  # an error, whatever the outputs show
            score, message = 0.0, root_cause(cause, index, failure_message(cell, run.replies.get(index)))
        else:
            auto, _ = determine_grade(cell)
            score = float(auto or 0.0)
            message = "" if score >= points else root_cause(cause, index, failure_message(cell))
        cells.append({"grade_id": grade_id, "score": score, "max_score": points, "passed": score >= points, "message": message})

    report.update(cells=cells, score=float(sum(c["score"] for c in cells)), flags=tamper + review, first_error=cause,
                  executed=nbformat.writes(nb), elapsed_s=time.perf_counter() - start)
    report["status"] = run.status if run.status != "ok" else ("tampered" if tamper else "review" if review else "ok")
    if run.status != "ok":
        report["flags"] = [run.message] + tamper + review
    return report


# --- A whole class ------------------------------------------------------------------------------


@dataclass
class Job:
    student: str
    notebook: str  # the course notebook (assignment) it is, or the file stem if unknown
    path: Path


def discover(submissions: Path) -> list[Job]:
    """``<student>/<notebook>.ipynb``, or nbgrader's ``submitted/<student>/<assignment>/<notebook>.ipynb``."""
    root = submissions / "submitted" if (submissions / "submitted").is_dir() else submissions
    jobs = []
    for path in sorted(root.rglob("*.ipynb")):
        parts = path.relative_to(root).parts
        if ".ipynb_checkpoints" in parts or len(parts) not in (2, 3):
            continue
        notebook = parts[1] if len(parts) == 3 else path.stem
        jobs.append(Job(student=parts[0], notebook=notebook, path=path))
    return jobs


def _assignment_of(job: Job) -> str | None:
    if job.notebook in course.assignments():
        return job.notebook
    try:  # a renamed file: recognise it by its graded cells
        from autograder.grade import identify

        return identify(course.read_notebook(job.path), job.path)
    except course.CourseError:
        return None


def _write(path: Path, text: str) -> None:
    """Atomic: a reader (or an interrupted run) sees the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.part")
    partial.write_text(text)
    partial.replace(path)


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.@+-]", "_", name) or "_"


def _grades_csv(results: dict[tuple[str, str], dict]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["student", "notebook", "score", "max_score", "status", "flags"])
    for (student, notebook), result in sorted(results.items()):
        writer.writerow([student, notebook, f"{result['score']:g}", f"{result['max_score']:g}", result["status"], "; ".join(result["flags"])])
    return out.getvalue()


def grade_class(submissions: Path, out: Path, workers: int | None = None, scheduler: str | None = None,
                force: bool = False, limits: Limits | None = None, progress: bool = True,
                roster: Path | None = None, missing: str = "empty", similarity_threshold: float | None = None,
                report: bool = True, similarity: bool = True) -> dict[tuple[str, str], dict]:
    """Grade every submission with Dask; write grades.csv, json/ and feedback/ under ``out``, then
    what is made from them (``_after_grading``): the similarity page, the class report in
    ``out/report/`` (unless ``report`` is false) and, with a ``roster``, the gradebook files."""
    results = _grade_all(submissions, out, workers, scheduler, force, limits, progress)
    _after_grading(Path(submissions), Path(out), roster, missing, similarity_threshold, report, similarity)
    return results


def _build_report(out: Path) -> None:
    """The grades are on disk whatever happens here: a failing report says so in one line."""
    from autograder.report import build_report

    try:
        built = build_report(out)
    except Exception as error:  # noqa: BLE001 - never lose a class's grading to its summary
        print(f"warning: the class report could not be built ({type(error).__name__}: {error}); "
              f"retry with `python -m autograder report {out}`", file=sys.stderr)
        return
    for problem in built.problems:
        print(f"warning: report: {problem}", file=sys.stderr)


def _grade_all(submissions: Path, out: Path, workers: int | None, scheduler: str | None, force: bool,
               limits: Limits | None, progress: bool) -> dict[tuple[str, str], dict]:
    from distributed import Client, LocalCluster, as_completed
    from tqdm.auto import tqdm

    from autograder.feedback import feedback_html

    submissions, out = Path(submissions), Path(out)
    if not submissions.is_dir():
        raise course.CourseError(f"{submissions}: not a folder of submissions")
    limits = limits or Limits()
    # Kernels must not see other submissions or the results (isolation.py hides the course's own folders).
    limits = dataclasses.replace(limits, hidden_paths=(*limits.hidden_paths, str(submissions.resolve()), str(out.resolve())))
    jobs = discover(submissions)
    for job in jobs:  # key results by the course notebook a file is, whatever its name
        job.notebook = _assignment_of(job) or job.notebook
    results: dict[tuple[str, str], dict] = {}
    pending = []
    for job in jobs:
        key = (job.student, job.notebook)
        stored = out / "json" / _safe(job.student) / f"{_safe(job.notebook)}.json"
        if stored.exists() and not force:
            previous = json.loads(stored.read_text())
            if previous.get("sha256") == hashlib.sha256(job.path.read_bytes()).hexdigest():
                results[key] = previous
                continue
        pending.append(job)

    def record(job: Job, result: dict) -> None:
        key = (job.student, job.notebook)
        result = {k: v for k, v in result.items() if k != "executed"}
        if "isolation" in result:
            isolation.warn_once(result["isolation"])
        results[key] = result
        _write(out / "json" / _safe(job.student) / f"{_safe(job.notebook)}.json", json.dumps(result, indent=1))
        _write(out / "feedback" / _safe(job.student) / f"{_safe(job.notebook)}.html", feedback_html(job.student, result))
        _write(out / "grades.csv", _grades_csv(results))

    runnable = []
    for job in pending:
        assignment = job.notebook if job.notebook in course.assignments() else None
        if assignment is None:
            record(job, {"notebook": str(job.path), "assignment": None, "score": 0.0, "max_score": 0.0, "cells": [], "manual": [],
                         "status": "invalid", "flags": ["not a notebook of this course (unreadable, or its graded cells match none)"],
                         "sha256": hashlib.sha256(job.path.read_bytes()).hexdigest()})
            continue
        runnable.append((job, assignment))
    _write(out / "grades.csv", _grades_csv(results))
    if not runnable:
        return results

    if limits.threads is None and not scheduler:
        cores = os.cpu_count() or 1
        limits = dataclasses.replace(limits, threads=max(1, cores // (workers or cores)))
    assignments = sorted({assignment for _, assignment in runnable})
    cluster = None
    if scheduler:
        client = Client(scheduler, timeout="30s")
    else:
        cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=40)
        client = Client(cluster)
    try:
        # Each worker starts its kernel zygote (the setup cells' imports) while the kits are built
        # here, instead of at its first notebook. Not the other way round: nbgrader changes this
        # process's working folder while it builds, and workers started meanwhile would inherit it.
        preloads = {zygote.setup_imports(course.read_notebook(course.solution_path(name))) for name in assignments}
        warming = [client.submit(warm_up, limits, GRADER_ENVIRONMENT, preload, workers=[worker], pure=False)
                   for worker in client.scheduler_info()["workers"] for preload in preloads]  # kept: Dask drops unreferenced tasks
        shared = {name: client.scatter(build_kit(name), broadcast=True) for name in assignments}
        futures = {}
        for job, assignment in runnable:
            label = f"{job.student}/{job.path.name}"
            future = client.submit(grade_submission, shared[assignment], job.path.read_bytes(), limits, label, pure=False)
            futures[future] = job
        bar = tqdm(total=len(futures), desc="grading", unit="notebook", disable=not progress)
        for future in as_completed(futures):
            job = futures[future]
            try:
                result = future.result()
            except Exception as error:  # the worker itself failed: this submission only
                result = {"notebook": str(job.path), "assignment": job.notebook, "score": 0.0, "max_score": 0.0, "cells": [],
                          "manual": [], "status": "error", "flags": [f"grader error: {type(error).__name__}: {error}"[:300]],
                          "sha256": hashlib.sha256(job.path.read_bytes()).hexdigest()}
            record(job, result)
            bar.update()
        bar.close()
        del warming
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return results


def _after_grading(submissions: Path, out: Path, roster: Path | None, missing: str, similarity_threshold: float | None,
                   report: bool, compare: bool = True) -> None:
    """What grade-class writes from the results: the similarity page, then the class report (which
    links it), then the gradebook files (with a roster)."""
    from autograder import exports, similarity

    if compare:
        similarity.run(submissions, out, similarity.THRESHOLD if similarity_threshold is None else similarity_threshold)
    if report:
        _build_report(out)
    if roster is not None:
        exports.export(out, roster, missing)

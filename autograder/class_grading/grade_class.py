"""Grading a whole class on Dask (``grade-class``): find the submissions, grade each one on a
worker with the engine (``grading/engine.py``), keep every result on disk as it arrives (an
interrupted run resumes; unchanged files are not regraded), then write what is made from the
results (``outputs/``: feedback pages, grades.csv, the class report, gradebook exports) and the
similarity page.

Layout of ``--out``: ``grades.csv``, ``json/<student>/<notebook>.json`` (``NotebookResult``),
``feedback/<student>/<notebook>.html``, ``report/``.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import json
import os
import sys
import time
from pathlib import Path

from autograder import course
from autograder.grading.engine import GRADER_ENVIRONMENT, grade_submission
from autograder.grading.kit import build_kit
from autograder.grading.results import NotebookResult, Status
from autograder.grading.submissions import Submission, assignment_of, discover
from autograder.kernel import isolation, zygote
from autograder.kernel.sandbox import Limits, warm_up
from autograder.outputs.files import feedback_path, result_path, write_atomically


def _grades_csv(results: dict[tuple[str, str], NotebookResult]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["student", "notebook", "score", "max_score", "status", "flags"])
    for (student, notebook), result in sorted(results.items()):
        writer.writerow([student, notebook, f"{result.score:g}", f"{result.max_score:g}", result.status.value, "; ".join(result.flags)])
    return out.getvalue()


def grade_class(submissions: Path, out: Path, workers: int | None = None, scheduler: str | None = None,
                force: bool = False, limits: Limits | None = None, progress: bool = True,
                roster: Path | None = None, missing: str = "empty", similarity_threshold: float | None = None,
                report: bool = True, similarity: bool = True) -> dict[tuple[str, str], NotebookResult]:
    """Grade every submission with Dask; write grades.csv, json/ and feedback/ under ``out``, then
    what is made from them (``_after_grading``): the similarity page, the class report in
    ``out/report/`` (unless ``report`` is false) and, with a ``roster``, the gradebook files."""
    results = _grade_all(submissions, out, workers, scheduler, force, limits, progress)
    _after_grading(Path(submissions), Path(out), roster, missing, similarity_threshold, report, similarity)
    return results


def _build_report(out: Path) -> None:
    """The grades are on disk whatever happens here: a failing report says so in one line."""
    from autograder.outputs.report import build_report

    try:
        built = build_report(out)
    except Exception as error:  # noqa: BLE001 - never lose a class's grading to its summary
        print(f"warning: the class report could not be built ({type(error).__name__}: {error}); "
              f"retry with `python -m autograder report {out}`", file=sys.stderr)
        return
    for problem in built.problems:
        print(f"warning: report: {problem}", file=sys.stderr)


def _grade_all(submissions: Path, out: Path, workers: int | None, scheduler: str | None, force: bool,
               limits: Limits | None, progress: bool) -> dict[tuple[str, str], NotebookResult]:
    import dask
    from distributed import Client, LocalCluster, as_completed
    from tqdm.auto import tqdm

    from autograder.outputs.feedback import feedback_html

    submissions, out = Path(submissions), Path(out)
    if not submissions.is_dir():
        raise course.CourseError(f"{submissions}: not a folder of submissions")
    limits = limits or Limits()
    # Kernels must not see other submissions or the results (isolation.py hides the course's own folders).
    limits = dataclasses.replace(limits, hidden_paths=(*limits.hidden_paths, str(submissions.resolve()), str(out.resolve())))
    jobs = discover(submissions)
    for job in jobs:  # key results by the course notebook a file is, whatever its name
        job.notebook = assignment_of(job) or job.notebook
    results: dict[tuple[str, str], NotebookResult] = {}
    pending = []
    for job in jobs:
        key = (job.student, job.notebook)
        stored = result_path(out, job.student, job.notebook)
        if stored.exists() and not force:
            try:
                previous = NotebookResult.from_json(json.loads(stored.read_text()))
            except ValueError:  # damaged or from another tool (JSONDecodeError is one): regrade
                previous = None
            if previous is not None and previous.sha256 == hashlib.sha256(job.path.read_bytes()).hexdigest():
                results[key] = previous
                continue
        pending.append(job)

    csv_written = [0.0]  # time.monotonic() of the last grades.csv

    def write_csv() -> None:
        write_atomically(out / "grades.csv", _grades_csv(results))
        csv_written[0] = time.monotonic()

    def record(job: Submission, result: NotebookResult) -> None:
        key = (job.student, job.notebook)
        result.executed = None  # not kept: feedback is built from the result alone
        if result.isolation is not None:
            isolation.warn_once(result.isolation)
        results[key] = result
        write_atomically(result_path(out, job.student, job.notebook), json.dumps(result.to_json(), indent=1))
        write_atomically(feedback_path(out, job.student, job.notebook), feedback_html(job.student, result))
        # At most once a second while grading, and at the end: rewritten after every result, the
        # file made a class quadratic (8,000 results: about 45 s of rewriting). Each result's own
        # file is written above, so an interrupted run loses nothing; a rerun rebuilds the table.
        if time.monotonic() - csv_written[0] >= 1.0:
            write_csv()

    runnable = []
    for job in pending:
        assignment = job.notebook if job.notebook in course.assignments() else None
        if assignment is None:
            record(job, NotebookResult(notebook=str(job.path), assignment=None, status=Status.INVALID,
                                       flags=["not a notebook of this course (unreadable, or its graded cells match none)"],
                                       sha256=hashlib.sha256(job.path.read_bytes()).hexdigest()))
            continue
        runnable.append((job, assignment))
    write_csv()
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
        # No dashboard, so no use for the workers' statistical profiler: it samples the grading
        # thread's stack every 10 ms (measured: a worker waiting on a kernel for 10 s used 0.52-0.57
        # CPU-s with it, 0.25-0.29 without).
        with dask.config.set({"distributed.worker.profile.enabled": False}):
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
                result = NotebookResult(notebook=str(job.path), assignment=job.notebook, status=Status.ERROR,
                                        flags=[f"grader error: {type(error).__name__}: {error}"[:300]],
                                        sha256=hashlib.sha256(job.path.read_bytes()).hexdigest())
            record(job, result)
            bar.update()
        bar.close()
        del warming
    finally:
        write_csv()
        client.close()
        if cluster is not None:
            cluster.close()
    return results


def _after_grading(submissions: Path, out: Path, roster: Path | None, missing: str, similarity_threshold: float | None,
                   report: bool, compare: bool = True) -> None:
    """What grade-class writes from the results: the similarity page, then the class report (which
    links it), then the gradebook files (with a roster)."""
    from autograder.outputs import exports, similarity

    if compare:
        similarity.run(submissions, out, similarity.THRESHOLD if similarity_threshold is None else similarity_threshold)
    if report:
        _build_report(out)
    if roster is not None:
        exports.export(out, roster, missing)

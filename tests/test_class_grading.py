"""grade-class: a corpus of adversarial and faulty submissions, resumable outputs, feedback that
leaks nothing, and grading through a real Dask scheduler with two worker processes."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from grading_corpus import ATTACKS, CASES, HONEST, NOTEBOOK
from leaks import assert_no_leak, hidden_test_lines

from autograder import course
from autograder.class_grading.grade_class import grade_class
from autograder.kernel import sandbox
from autograder.kernel.sandbox import Limits

LIMITS = Limits(notebook_timeout_s=180, cell_timeout_s=20, memory_mb=2048, max_processes=64, max_output_kb=512)


def _process_cap_available() -> bool:
    """The fork-bomb case only runs where a process cap really applies (never as root without cgroups)."""
    return os.getuid() != 0 or any((root / "cgroup.procs").exists() and os.access(root, os.W_OK) for root in sandbox.PIDS_CGROUP_ROOTS)


def _write_corpus(folder: Path) -> list:
    cases = [case for case in CASES + HONEST if not case.needs_process_cap or _process_cap_available()]
    for case in cases:
        built = case.build()
        payload = built if isinstance(built, bytes) else nbformat.writes(built).encode()
        (folder / case.name).mkdir(parents=True)
        (folder / case.name / f"{NOTEBOOK}.ipynb").write_bytes(payload)
    return cases


def _kernels_left(marker: str, wait_s: float = 10) -> list[str]:
    """Grading kernels, their proxies and zygotes still running whose command line or environment
    names this test's temporary folder (forked kernels carry their zygote's), after up to wait_s."""
    deadline = time.monotonic() + wait_s
    while True:
        found = []
        for entry in Path("/proc").iterdir():
            try:
                if not entry.name.isdigit() or int(entry.name) == os.getpid():
                    continue
                cmdline = (entry / "cmdline").read_bytes()
                if b"autograder.kernel.launcher" in cmdline or b"autograder.kernel.zygote" in cmdline:
                    if marker.encode() in cmdline or marker.encode() in (entry / "environ").read_bytes():
                        found.append(f"{entry.name}: {cmdline[:80]!r}")
            except OSError:
                pass
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.5)


@pytest.fixture(scope="module")
def corpus_run(tmp_path_factory):
    submissions = tmp_path_factory.mktemp("submissions")
    out = tmp_path_factory.mktemp("results")
    scratch = tmp_path_factory.mktemp("scratch")  # the workers' TMPDIR: names this run's kernels
    cases = _write_corpus(submissions)
    saved = os.environ.get("TMPDIR")
    os.environ["TMPDIR"] = str(scratch)
    console = io.StringIO()  # what grading prints here is checked for leaks too
    try:
        start = time.perf_counter()
        with contextlib.redirect_stdout(console), contextlib.redirect_stderr(console):
            results = grade_class(submissions, out, workers=2, limits=LIMITS, progress=False)
    finally:
        os.environ.pop("TMPDIR") if saved is None else os.environ.__setitem__("TMPDIR", saved)
    return cases, results, out, time.perf_counter() - start, console.getvalue(), str(scratch)


def test_corpus_has_at_least_twenty_cases():
    assert len(CASES) >= 20


def test_red_team_has_enough_attacks_and_honest_submissions():
    names = [case.name for case in CASES + HONEST]
    assert len(names) == len(set(names)), "case names must be unique (they are the student folders)"
    assert len(ATTACKS) >= 25 and len(HONEST) >= 10


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_each_submission_gets_its_expected_outcome(corpus_run, case):
    cases, results, *_ = corpus_run
    if case not in cases:
        pytest.skip("no process cap available here (root without a writable pids cgroup)")
    result = results[(case.name, NOTEBOOK)]
    problem = _outcome_problem(case, result)
    if case.undefended:
        assert problem, f"{case.name} is now defended: remove its `undefended` note (and update the README's threat model)"
    else:
        assert not problem, problem


def _outcome_problem(case, result) -> str:
    flags = " | ".join(result.flags)
    if result.status != case.status:
        return f"{case.name}: status {result.status} ({flags})"
    if case.flag and case.flag not in flags:
        return f"{case.name}: expected a flag containing {case.flag!r}, got {flags!r}"
    full = result.score == result.max_score > 0
    expected = {"full": full, "zero": result.score == 0, "partial": 0 < result.score < result.max_score}[case.score]
    return "" if expected else f"{case.name}: score {result.score}/{result.max_score}, expected {case.score}"


@pytest.mark.slow
@pytest.mark.parametrize("case", HONEST, ids=[c.name for c in HONEST])
def test_honest_unusual_code_is_ok_with_full_marks_and_no_flag(corpus_run, case):
    _, results, *_ = corpus_run
    result = results[(case.name, NOTEBOOK)]
    assert (result.status, result.flags) == ("ok", []), f"{case.name}: flagged: {result.flags}"
    assert result.score == result.max_score > 0, f"{case.name}: score {result.score}/{result.max_score}"


@pytest.mark.slow
def test_no_kernel_or_child_process_is_left_behind(corpus_run):
    *_, scratch = corpus_run
    assert _kernels_left(scratch) == []


@pytest.mark.slow
def test_outputs_are_complete_and_feedback_leaks_no_hidden_test(corpus_run):
    cases, results, out, _, console, _ = corpus_run
    grades_csv = (out / "grades.csv").read_text()
    rows = list(csv.DictReader(io.StringIO(grades_csv)))
    assert {(r["student"], r["notebook"]) for r in rows} == {(c.name, NOTEBOOK) for c in cases}
    assert set(rows[0]) == {"student", "notebook", "score", "max_score", "status", "flags"}
    hidden = hidden_test_lines(nbformat.read(course.solution_path(NOTEBOOK), as_version=4))
    assert_no_leak(grades_csv, hidden, "csv", "grades.csv")
    assert_no_leak(console, hidden, "text", "grade-class console")
    for case in cases:
        page = (out / "feedback" / case.name / f"{NOTEBOOK}.html").read_text()
        stored = (out / "json" / case.name / f"{NOTEBOOK}.json").read_text()
        assert {"notebook", "score", "max_score", "cells", "status", "flags"} <= set(json.loads(stored))
        assert_no_leak(page, hidden, "html", f"{case.name}: feedback page")
        assert_no_leak(stored, hidden, "json", f"{case.name}: json report")


def _graded_so_far(out: Path) -> dict[str, int]:
    """student -> modification time of their stored result."""
    return {path.parent.name: path.stat().st_mtime_ns for path in (out / "json").glob(f"*/{NOTEBOOK}.json")}


def _in_grades_csv(out: Path) -> set[str]:
    if not (out / "grades.csv").exists():
        return set()
    return {row["student"] for row in csv.DictReader(io.StringIO((out / "grades.csv").read_text()))}


@pytest.mark.slow
def test_an_interrupted_run_keeps_what_it_graded_and_a_rerun_grades_only_the_rest(tmp_path, tmp_path_factory):
    """Ctrl-C in the middle of grade-class (the terminal signals the whole process group), then the
    same command again: the results written before the interruption are kept as they are, the
    rest is graded, and the interrupted run left no kernel behind."""
    released = nbformat.read(course.released_path(NOTEBOOK), as_version=4)
    slow = nbformat.from_dict(released)
    slow.cells.insert(2, nbformat.v4.new_code_cell("import time\ntime.sleep(8)"))  # still grading when interrupted
    # The workers' TMPDIR names this run's kernels; short, as kernels' socket paths live under it.
    submissions, out, scratch = tmp_path / "subs", tmp_path / "out", tmp_path_factory.mktemp("int")
    for student, nb in (("ann", released), ("ben", slow), ("cy", released)):
        (submissions / student).mkdir(parents=True)
        nbformat.write(nb, submissions / student / f"{NOTEBOOK}.ipynb")
    command = [sys.executable, "-m", "autograder", "grade-class", str(submissions), "--out", str(out), "--workers", "1",
               "--cell-timeout", "20", "--no-report", "--no-similarity"]
    run = subprocess.Popen(command, env={**os.environ, "TMPDIR": str(scratch)}, start_new_session=True,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 240
    # Interrupt once a first result is fully recorded (json, feedback, then grades.csv), while the
    # slow submission is still being graded.
    while not (_graded_so_far(out) and _in_grades_csv(out) == set(_graded_so_far(out))) and run.poll() is None:
        assert time.monotonic() < deadline, "no result within 4 minutes"
        time.sleep(0.1)
    os.killpg(run.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    console = run.communicate(timeout=120)[0]
    kept = _graded_so_far(out)
    assert run.returncode != 0 and "interrupted" in console, console[-2000:]
    assert kept and len(kept) < 3, f"not interrupted in the middle: {sorted(kept)}"
    assert _kernels_left(str(scratch)) == [], "the interrupted run left kernels running"

    results = grade_class(submissions, out, workers=1, limits=LIMITS, progress=False, report=False, similarity=False)
    now = _graded_so_far(out)
    assert set(now) == {"ann", "ben", "cy"} == _in_grades_csv(out) and len(results) == 3
    assert {student: now[student] for student in kept} == kept, "a result written before the interruption was regraded"
    assert all(result.status == "ok" and result.score == 0 for result in results.values()), {k: (r.status, r.flags, r.score) for k, r in results.items()}
    assert not list(out.rglob("*.part")), "partial files left behind"


@pytest.mark.slow
def test_repeated_runs_skip_unchanged_notebooks_and_regrade_changed_ones(tmp_path):
    submissions, out = tmp_path / "subs", tmp_path / "out"
    for student in ("ann", "ben"):
        (submissions / student).mkdir(parents=True)
        (submissions / student / f"{NOTEBOOK}.ipynb").write_bytes(course.released_path(NOTEBOOK).read_bytes())
    grade_class(submissions, out, workers=1, limits=LIMITS, progress=False)
    stamp = (out / "json" / "ann" / f"{NOTEBOOK}.json").stat().st_mtime_ns
    start = time.perf_counter()
    results = grade_class(submissions, out, workers=1, limits=LIMITS, progress=False)
    assert time.perf_counter() - start < 5, "a rerun must skip notebooks already graded"
    assert (out / "json" / "ann" / f"{NOTEBOOK}.json").stat().st_mtime_ns == stamp
    assert len(results) == 2
    (submissions / "ben" / f"{NOTEBOOK}.ipynb").write_bytes(course.solution_path(NOTEBOOK).read_bytes())
    results = grade_class(submissions, out, workers=1, limits=LIMITS, progress=False)
    assert results[("ben", NOTEBOOK)].score == results[("ben", NOTEBOOK)].max_score, "a changed submission is regraded"
    grade_class(submissions, out, workers=1, limits=LIMITS, progress=False, force=True)
    assert (out / "json" / "ann" / f"{NOTEBOOK}.json").stat().st_mtime_ns != stamp, "--force regrades everything"
    assert not list(out.rglob("*.part")), "partial files left behind"


@pytest.mark.slow
def test_nbgrader_submitted_layout_is_accepted(tmp_path):
    target = tmp_path / "course" / "submitted" / "zoe" / NOTEBOOK
    target.mkdir(parents=True)
    (target / f"{NOTEBOOK}.ipynb").write_bytes(course.released_path(NOTEBOOK).read_bytes())
    results = grade_class(tmp_path / "course", tmp_path / "out", workers=1, limits=LIMITS, progress=False)
    assert list(results) == [("zoe", NOTEBOOK)] and results[("zoe", NOTEBOOK)].status == "ok"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_grades_through_an_external_scheduler_and_two_worker_processes(tmp_path):
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    scheduler = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", str(port),
                                  "--dashboard-address", ":0", "--no-show"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers = [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1", "--nworkers", "1",
                                 "--dashboard-address", ":0", "--name", f"w{i}"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
               for i in range(2)]
    try:
        from distributed import Client

        with Client(address, timeout="60s") as client:
            client.wait_for_workers(2, timeout=60)
            worker_pids = set(client.run(os.getpid).values())
        submissions = tmp_path / "subs"
        for student, source in (("amy", course.solution_path(NOTEBOOK)), ("bo", course.released_path(NOTEBOOK)), ("cy", course.solution_path(NOTEBOOK))):
            (submissions / student).mkdir(parents=True)
            (submissions / student / f"{NOTEBOOK}.ipynb").write_bytes(source.read_bytes())
        results = grade_class(submissions, tmp_path / "out", scheduler=address, limits=LIMITS, progress=False)
        assert results[("amy", NOTEBOOK)].score == results[("amy", NOTEBOOK)].max_score
        assert results[("bo", NOTEBOOK)].score == 0
        graded_by = {int(result.grader.rsplit(":", 1)[1]) for result in results.values()}
        assert len(worker_pids) == 2 and graded_by <= worker_pids, f"graded by {graded_by}, workers {worker_pids}"
    finally:
        for process in [*workers, scheduler]:
            process.terminate()
        for process in [*workers, scheduler]:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()

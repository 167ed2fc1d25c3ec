"""The isolated kernel: a submission that tries to reach the network, read the course's solutions,
list other submissions, results or sandboxes, write outside its folder or undo the isolation is
stopped, while a correct submission still earns full marks (``grade`` and ``grade-class``)."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest

import autograder
from autograder import course
from autograder.class_grading.grade_class import grade_class
from autograder.grading.engine import GRADER_ENVIRONMENT, grade_notebook
from autograder.kernel import isolation, sandbox
from autograder.kernel.sandbox import Limits

NOTEBOOK = "01_perceptron"
REPO = Path(autograder.__file__).resolve().parents[1]
SOLUTION = REPO / "solutions" / NOTEBOOK / f"{NOTEBOOK}.ipynb"
LIMITS = Limits(notebook_timeout_s=180, cell_timeout_s=30, memory_mb=2048, max_processes=64)
pytestmark = pytest.mark.slow  # every test grades in kernels

# Runs in its own process: new user and mount namespaces make it root there, with every capability.
UNDO = """
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
target = T_SOLUTIONS.encode()
libc.umount2(target, 2)  # MNT_DETACH: uncover the folder
if libc.unshare(0x10000000 | 0x00020000) == 0:
    for name, text in (("setgroups", "deny"), ("uid_map", "0 0 1"), ("gid_map", "0 0 1")):
        try:
            with open("/proc/self/" + name, "w") as mapping:
                mapping.write(text)
        except OSError:
            pass
    libc.umount2(target, 2)
    libc.umount2(os.path.dirname(target), 2)
sys.exit(0 if "01_perceptron" in os.listdir(T_SOLUTIONS) else 1)
"""

# Put at the top of the first exercise cell; it breaks the exercise if any attack got through.
ATTACK = """
import json, os, socket, subprocess, sys

outcomes = {}


def attempt(name, action):
    try:
        outcomes[name] = "done" if action() is not False else "stopped"
    except Exception as error:
        outcomes[name] = f"stopped ({type(error).__name__}: {error})"


attempt("connect to the grader's port on 127.0.0.1", lambda: socket.create_connection(("127.0.0.1", T_PORT), timeout=3).close())
attempt("connect to 1.1.1.1", lambda: socket.create_connection(("1.1.1.1", 80), timeout=3).close())
attempt("read a solution", lambda: b"BEGIN SOLUTION" in subprocess.run(["cat", T_SOLUTION], capture_output=True).stdout)
attempt("list another submission", lambda: "01_perceptron.ipynb" in os.listdir(T_OTHER_SUBMISSION))
attempt("list the results", lambda: "grades.csv" in os.listdir(T_RESULTS))
attempt("list another kernel's sandbox", lambda: "secret.txt" in os.listdir(T_OTHER_SANDBOX))
attempt("write outside the working folder", lambda: open(T_OUTSIDE_FILE, "w").close())
attempt("read the grader's environment", lambda: len(open(f"/proc/{os.getppid()}/environ", "rb").read()) > 0)
attempt("undo the mounts, then read a solution", lambda: subprocess.run([sys.executable, "-c", T_UNDO], timeout=60).returncode == 0)
print("OUTCOMES " + json.dumps(outcomes))
if "done" in outcomes.values():
    raise RuntimeError("an attack got through")
"""
NETWORK_OPTIONAL = "connect to 1.1.1.1"  # without isolation it needs a network this machine may not have


def _level_here() -> dict:
    """What isolation.enter achieves on this machine (in a throwaway process)."""
    with tempfile.TemporaryDirectory() as tmp:
        code = f"import json; from autograder.kernel import isolation; print(json.dumps(isolation.enter({tmp!r}, {tmp!r}, [])))"
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp,
                              env={**os.environ, "PYTHONPATH": str(REPO)})
    # isolation.enter reports what it could not do; a probe that crashed is a broken test, not a machine
    # without namespaces (an import error here once turned every isolation test into a skip)
    assert done.returncode == 0, f"the isolation probe crashed: {done.stderr[-500:]}"
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def full_isolation():
    report = _level_here()
    if report["level"] != "full":
        pytest.skip(f"this machine cannot isolate kernels (root or user namespaces needed): {report['missing']}")
    return report


@pytest.fixture
def targets():
    """What an attacker would want: a port of the grader, another submission, results, another sandbox.
    The submissions and results live outside the temp folder (under the data folder, which the kernel
    must see) so that only the grader's hidden paths can hide them."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    outside = Path(tempfile.mkdtemp(prefix="isolation-test-", dir=REPO / "data"))
    submissions, results = outside / "submissions", outside / "results"
    (submissions / "honest").mkdir(parents=True)
    shutil.copyfile(SOLUTION, submissions / "honest" / f"{NOTEBOOK}.ipynb")
    results.mkdir()
    (results / "grades.csv").write_text("student,notebook,score\n")
    other_sandbox = Path(tempfile.mkdtemp(prefix="sandbox-"))
    (other_sandbox / "secret.txt").write_text("another kernel's file")
    values = {"PORT": listener.getsockname()[1], "SOLUTION": str(SOLUTION), "OTHER_SUBMISSION": str(submissions / "honest"),
              "RESULTS": str(results), "OTHER_SANDBOX": str(other_sandbox), "OUTSIDE_FILE": str(outside / "written"),
              "SOLUTIONS": str(SOLUTION.parents[1])}
    yield {"values": values, "submissions": submissions, "results": results, "outside": outside}
    listener.close()
    shutil.rmtree(outside, ignore_errors=True)
    shutil.rmtree(other_sandbox, ignore_errors=True)


def _attacking_solution(values: dict) -> nbformat.NotebookNode:
    """The reference solution whose first exercise cell first runs every attack."""
    attack = ATTACK.replace("T_UNDO", repr(UNDO.replace("T_SOLUTIONS", repr(values["SOLUTIONS"]))))
    for name, value in values.items():
        attack = attack.replace(f"T_{name}", repr(value))
    nb = course.read_notebook(SOLUTION)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution") and c.cell_type == "code")
    cell.source = attack + "\n" + cell.source
    return nb


def _outcomes(result) -> dict:
    for cell in nbformat.reads(result.executed, as_version=4).cells:
        for output in cell.get("outputs", []):
            if output.get("name") == "stdout" and "OUTCOMES " in output.text:
                return json.loads(output.text.split("OUTCOMES ", 1)[1].splitlines()[0])
    raise AssertionError("the attack did not report")


def _grade_attack(targets, tmp_path) -> object:
    path = tmp_path / f"{NOTEBOOK}.ipynb"
    nbformat.write(_attacking_solution(targets["values"]), path)
    limits = dataclasses.replace(LIMITS, hidden_paths=(str(targets["submissions"]), str(targets["results"])))
    return grade_notebook(path, limits=limits)


def test_every_attack_is_stopped_and_the_solution_still_earns_full_marks(full_isolation, targets, tmp_path):
    result = _grade_attack(targets, tmp_path)
    outcomes = _outcomes(result)
    assert len(outcomes) == 9, outcomes
    assert not [name for name, outcome in outcomes.items() if not outcome.startswith("stopped")], outcomes
    assert result.score == result.max_score, [(c.grade_id, c.message) for c in result.cells if not c.passed]
    assert result.isolation == result.to_json()["isolation"] == "full"
    assert not (targets["outside"] / "written").exists()


def test_without_isolation_the_same_attacks_get_through(full_isolation, targets, tmp_path, monkeypatch, capsys):
    """The attacks are real: with isolation switched off in the grader they succeed, and the result says so."""
    monkeypatch.setattr(sandbox, "_hidden_paths", lambda limits, root: None)
    monkeypatch.setattr(isolation, "_warned", False)
    result = _grade_attack(targets, tmp_path)
    outcomes = _outcomes(result)
    through = {name for name, outcome in outcomes.items() if outcome == "done"}
    assert through | {NETWORK_OPTIONAL} == set(outcomes), outcomes
    assert result.score < result.max_score
    assert result.isolation == "none"
    warning = capsys.readouterr().err
    assert warning.count("isolation 'none'") == 1, warning


def test_grade_class_isolates_forked_kernels(full_isolation, targets):
    """Through grade-class (kernels forked by the zygote): the attacker is stopped (its exercise
    stays intact: full marks), the honest submission next to it is graded as usual."""
    (targets["submissions"] / "attacker").mkdir()
    nbformat.write(_attacking_solution(targets["values"]), targets["submissions"] / "attacker" / f"{NOTEBOOK}.ipynb")
    shutil.rmtree(targets["results"])
    results = grade_class(targets["submissions"], targets["results"], workers=1, limits=LIMITS, progress=False)
    for student in ("attacker", "honest"):
        result = results[(student, NOTEBOOK)]
        assert result.isolation == "full", (result.status, result.flags)
        assert result.score == result.max_score, (student, [c for c in result.cells if not c.passed])
        written = json.loads((targets["results"] / "json" / student / f"{NOTEBOOK}.json").read_text())
        assert written["isolation"] == "full"


def test_a_kernel_started_without_the_zygote_is_isolated_too(full_isolation, monkeypatch):
    monkeypatch.setattr(sandbox.zygote, "shared", lambda preload, environment: None)
    probe = f"import os, socket\nprint(os.path.exists({str(SOLUTION)!r}), os.access('/', os.W_OK), os.getppid())"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(probe)])
    run = sandbox.execute(nb, LIMITS, check_before={0}, environment=GRADER_ENVIRONMENT)
    assert run.status == "ok" and run.isolation == "full", (run.message, run.isolation_missing)
    seen, writable, parent = run.notebook.cells[0].outputs[0].text.split()
    assert (seen, writable) == ("False", "False")
    assert int(parent) == os.getpid(), "the kernel was forked by a zygote"


def test_without_cap_sys_admin_a_user_namespace_isolates(full_isolation, tmp_path):
    """As a user without CAP_SYS_ADMIN (as a non-root grader), enter() goes through a user namespace."""
    if os.getuid() != 0 or not shutil.which("setpriv"):
        pytest.skip("needs root to drop CAP_SYS_ADMIN with setpriv")
    probe = (f"import json, os; from autograder.kernel import isolation; report = isolation.enter({str(tmp_path)!r}, {str(tmp_path)!r}, "
             f"isolation.hidden_paths({str(REPO)!r}))\n"
             f"print(json.dumps([report['level'], os.path.exists({str(SOLUTION)!r}), os.access('/', os.W_OK)]))")
    done = subprocess.run(["setpriv", "--bounding-set=-sys_admin", "--inh-caps=-all", sys.executable, "-c", probe],
                          capture_output=True, text=True, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert json.loads(done.stdout) == ["full", False, False], done.stderr

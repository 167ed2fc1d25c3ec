"""Unit tests of the pure functions of the grading machinery: no kernel, no Dask, no nbgrader run,
each under a second. They are the fast tier's core (`make test-fast`, `pytest -m "not slow"`)."""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import replace
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from autograder import course
from autograder.class_grading.grade_class import _grades_csv
from autograder.grading.engine import (
    _checkpoints,
    _review_flags,
    _static_flags,
    failure_message,
    first_error,
    root_cause,
)
from autograder.grading.kit import Kit, identify
from autograder.grading.results import CellResult, FirstError, ManualCell, NotebookResult, Status
from autograder.grading.submissions import Submission, assignment_of, discover
from autograder.kernel import launcher
from autograder.kernel.guard import REPORT_MIME
from autograder.kernel.settings import LaunchSettings, Limits
from autograder.outputs.feedback import feedback_html, format_table
from autograder.outputs.files import feedback_path, result_path, safe_name, write_atomically


def _cell(source, *, grade_id=None, grade=False, solution=False, locked=False, points=0, kind="code"):
    cell = new_code_cell(source) if kind == "code" else new_markdown_cell(source)
    if grade_id:
        cell.metadata["nbgrader"] = {"grade_id": grade_id, "grade": grade, "solution": solution, "locked": locked,
                                     "points": points, "schema_version": 3}
    return cell


def _setup():
    return _cell("import numpy as np\nX = np.ones(3)", grade_id="setup", locked=True)


def _test(grade_id="test_f", source="assert f(1) == 2", points=2):
    return _cell(source, grade_id=grade_id, grade=True, locked=True, points=points)


def _notebook(*cells):
    return new_notebook(cells=list(cells))


# --- engine: static flags --------------------------------------------------------------------------

def _kit_for(released: nbformat.NotebookNode, source: nbformat.NotebookNode | None = None) -> Kit:
    from nbgrader.utils import compute_checksum

    def checksums(nb):
        return {c.metadata.nbgrader["grade_id"]: compute_checksum(c) for c in nb.cells
                if c.metadata.get("nbgrader", {}).get("grade") and not c.metadata.nbgrader.get("solution")}

    return Kit("toy", b"", checksums(released), checksums(source or released), course.graded_cells(released))


def _released():
    return _notebook(_setup(), _cell("def f(x):\n    raise NotImplementedError()", grade_id="f", solution=True), _test())


def test_static_flags_accept_the_released_and_the_instructors_test_cells():
    released = _released()
    instructor = _released()
    instructor.cells[2].source += "\n### BEGIN HIDDEN TESTS\nassert f(2) == 3\n### END HIDDEN TESTS"
    kit = _kit_for(released, instructor)
    assert _static_flags(released, kit) == {}
    assert _static_flags(instructor, kit) == {}  # the source version with its hidden tests is not an edit


def test_static_flags_name_edited_repointed_deleted_and_unknown_test_cells():
    kit = _kit_for(_released())
    edited = _released()
    edited.cells[2].source = "pass"
    assert _static_flags(edited, kit) == {"test_f": ["test cell edited"]}
    repointed = _released()
    repointed.cells[2].metadata.nbgrader["points"] = 20
    assert "test cell metadata changed" in _static_flags(repointed, kit)["test_f"]
    turned_into_solution = _released()
    turned_into_solution.cells[2].metadata.nbgrader["solution"] = True
    assert "test cell metadata changed" in _static_flags(turned_into_solution, kit)["test_f"]
    deleted = _released()
    del deleted.cells[2]
    assert _static_flags(deleted, kit) == {"test_f": ["test cell deleted, renamed or stripped of its metadata"]}
    renamed = _released()
    renamed.cells[2].metadata.nbgrader["grade_id"] = "test_g"
    assert _static_flags(renamed, kit) == {"*": ["unknown test cell 'test_g' (renamed?)"],
                                           "test_f": ["test cell deleted, renamed or stripped of its metadata"]}


# --- engine: failure messages, first error, root cause ---------------------------------------------

def _with_outputs(*outputs):
    cell = _test()
    cell.outputs = list(outputs)
    return cell


def test_failure_message_gives_the_reason_without_test_source():
    assert failure_message(None).startswith("test cell missing from the submission")
    error = new_output("error", ename="AssertionError", evalue="", traceback=["assert f(1) == 2  # hidden source"])
    assert failure_message(_with_outputs(error)) == "AssertionError: a check failed"
    error = new_output("error", ename="ValueError", evalue="shapes (3,) and (4,)", traceback=[])
    assert failure_message(_with_outputs(error)) == "ValueError: shapes (3,) and (4,)"
    assert failure_message(_with_outputs(new_output("error", ename="E", evalue="x" * 900, traceback=[]))) == ("E: " + "x" * 900)[:500]
    stub = new_output("error", ename="NotImplementedError", evalue="", traceback=[])
    assert failure_message(_with_outputs(stub)) == "NotImplementedError: the exercise is not solved yet"


def test_failure_message_reads_the_reply_when_outputs_were_hidden():
    assert failure_message(_with_outputs(), {"status": "error", "ename": "KeyError", "evalue": "'w'"}) == "KeyError: 'w'"
    assert failure_message(_with_outputs(), {"status": "aborted"}) == "the cell did not complete (kernel reply: aborted)"
    assert failure_message(_with_outputs(), {"status": "ok"}) == "the cell did not earn its points"


def test_failure_message_explains_stderr():
    warning = new_output("stream", name="stderr", text="/x.py:3: RuntimeWarning: overflow in exp\n  y = np.exp(z)\n")
    assert failure_message(_with_outputs(warning)) == (
        "the test cell wrote to stderr (RuntimeWarning: overflow in exp); any stderr output (a warning too) scores 0")
    plain = new_output("stream", name="stderr", text="debug\n")
    assert failure_message(_with_outputs(plain)) == "the test cell wrote to stderr; any stderr output (a warning too) scores 0"
    assert failure_message(_with_outputs(new_output("stream", name="stdout", text="hello\n"))) == "the cell did not earn its points"


def _chain():
    """markdown, setup, exercise, exercise, test, test: cells 0..5."""
    return _notebook(_cell("# Title", kind="markdown"), _setup(), _cell("## Exercise 1: the loss", kind="markdown"),
                     _cell("def f(x):\n    return g(x)", grade_id="f", solution=True), _cell("data = load()"),
                     _test(), _test("test_g"))


def test_first_error_is_the_first_ungraded_cell_that_raised():
    nb = _chain()
    tests = {5: "test_f", 6: "test_g"}
    replies = {1: {"status": "ok"}, 3: {"status": "error", "ename": "NotImplementedError", "evalue": ""},
               4: {"status": "error", "ename": "FileNotFoundError", "evalue": " data.csv \n"},
               5: {"status": "error", "ename": "NameError", "evalue": "data"}}
    assert first_error(nb, replies, tests) == FirstError(cell=5, heading="Exercise 1: the loss", ename="FileNotFoundError",
                                                         evalue="data.csv")
    del replies[4]
    assert first_error(nb, replies, tests) is None, "a stub's NotImplementedError and test cells are not causes"
    assert first_error(nb, {1: {"status": "error", "ename": None, "evalue": None}}, tests) == FirstError(1 + 1, "Title", "Error", "")


def test_root_cause_leads_with_an_earlier_error_only():
    cause = FirstError(cell=5, heading="Exercise 1", ename="FileNotFoundError", evalue="data.csv")
    own = "NameError: name 'data' is not defined"
    assert root_cause(cause, 5, own) == (
        'not run: cell 5 ("Exercise 1") raised FileNotFoundError: data.csv (then: NameError: name \'data\' is not defined)')
    assert root_cause(cause, 4, own) == own, "an error in the test cell itself or after it causes nothing before"
    assert root_cause(None, 5, own) == own
    assert root_cause(cause, 5, "NotImplementedError: the exercise is not solved yet").startswith("NotImplementedError")
    assert len(root_cause(cause, 9, "E: " + "x" * 2000)) == 700


# --- engine: integrity checkpoints and review flags ------------------------------------------------

def test_checkpoints_before_and_after_test_cells_and_after_locked_cells():
    data = _cell("Y = X * 2", grade_id="data", locked=True)  # locked cells in a row: one check after them
    nb = _notebook(_cell("# T", kind="markdown"), _setup(), data, _cell("def f(x):\n    return x + 1", grade_id="f", solution=True),
                   _test(source="cases = [1, 2]\nassert f(1) == 2"), _cell("plot(f)"), _test("test_g"))
    points = _checkpoints(nb, {4: "test_f", 6: "test_g"})
    assert points == {1: (), 3: ("np", "X", "Y"), 4: (), 5: ("cases",), 6: (), 7: ()}
    nb.cells.pop()  # the notebook now ends with an ordinary cell: no check after the end
    assert _checkpoints(nb, {4: "test_f"}) == {1: (), 3: ("np", "X", "Y"), 4: (), 5: ("cases",)}


def test_review_flags_only_cells_the_learner_edits():
    nb = _notebook(_setup(), _cell("exec('print(1)')", grade_id="locked_demo", locked=True),
                   _cell("def f(x):\n    return x\nnp.allclose = lambda *a, **k: True", grade_id="f", solution=True),
                   _cell("import gc"))
    flags = _review_flags(nb)
    assert len(flags) == 2, flags
    assert flags[0].startswith("review: cell 3 (f), line 3: ") and "np.allclose" in flags[0]
    assert flags[1].startswith("review: cell 4, line 1: ") and "gc" in flags[1]


# --- kit and submissions -----------------------------------------------------------------------------

def test_identify_names_every_solution_and_release_whatever_the_file_name(tmp_path):
    for name in course.assignments():
        for path in (course.solution_path(name), course.released_path(name)):
            assert identify(course.read_notebook(path), tmp_path / "renamed.ipynb") == name


def test_identify_refuses_notebooks_of_no_course_notebook(tmp_path):
    with pytest.raises(course.CourseError, match="no nbgrader cells"):
        identify(_notebook(_cell("1 + 1")), tmp_path / "x.ipynb")
    with pytest.raises(course.CourseError, match="match no notebook in solutions/"):
        identify(_released(), tmp_path / "x.ipynb")


def _write(path: Path, nb=None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb if nb is not None else _notebook(), path)
    return path


def test_discover_student_folders_skipping_checkpoints_and_other_depths(tmp_path):
    ann = _write(tmp_path / "ann" / "01_perceptron.ipynb")
    ben = _write(tmp_path / "ben" / "my copy.ipynb")
    _write(tmp_path / "ann" / ".ipynb_checkpoints" / "01_perceptron-checkpoint.ipynb")
    _write(tmp_path / "stray.ipynb")
    _write(tmp_path / "a" / "b" / "c" / "deep.ipynb")
    (tmp_path / "ann" / "notes.txt").write_text("not a notebook")
    assert discover(tmp_path) == [Submission("ann", "01_perceptron", ann), Submission("ben", "my copy", ben)]


def test_discover_nbgrader_submitted_layout(tmp_path):
    zoe = _write(tmp_path / "submitted" / "zoe" / "01_perceptron" / "perceptron.ipynb")
    _write(tmp_path / "submitted" / "zoe" / "01_perceptron" / ".ipynb_checkpoints" / "perceptron-checkpoint.ipynb")
    _write(tmp_path / "submitted" / ".ipynb_checkpoints" / "x-checkpoint.ipynb")
    _write(tmp_path / "autograded" / "zoe" / "01_perceptron" / "perceptron.ipynb")  # not under submitted/
    assert discover(tmp_path) == [Submission("zoe", "01_perceptron", zoe)]


def test_assignment_of_trusts_the_name_else_the_graded_cells(tmp_path):
    name = course.assignments()[0]
    garbage = tmp_path / "ann" / f"{name}.ipynb"
    garbage.parent.mkdir()
    garbage.write_text("not json")
    assert assignment_of(Submission("ann", name, garbage)) == name
    renamed = tmp_path / "ben" / "homework.ipynb"
    renamed.parent.mkdir()
    renamed.write_bytes(course.released_path(name).read_bytes())
    assert assignment_of(Submission("ben", "homework", renamed)) == name
    assert assignment_of(Submission("cy", "homework", garbage)) is None
    assert assignment_of(Submission("dee", "homework", _write(tmp_path / "dee" / "homework.ipynb"))) is None


# --- results ----------------------------------------------------------------------------------------

def _result(**changes) -> NotebookResult:
    result = NotebookResult(
        notebook="ann/01_perceptron.ipynb", assignment="01_perceptron", score=1.5, max_score=5.0,
        cells=[CellResult("test_a", 1.5, 1.5, True, ""), CellResult("test_b", 0.0, 3.5, False, "AssertionError: <b>wrong</b>")],
        manual=[ManualCell("answer_1", 2.0)], status=Status.REVIEW, flags=["review: cell 3, line 1: calls exec"],
        first_error=FirstError(4, "Exercise 1", "ValueError", "bad shape"), isolation="full", sha256="ab" * 32,
        elapsed_s=3.25, execution_s=2.5, grader="host:123", guard={"checks": 7, "seconds": 0.01})
    return replace(result, **changes)


def test_notebook_result_round_trips_through_json():
    result = _result(executed="{}")
    stored = json.loads(json.dumps(result.to_json()))
    assert "executed" not in stored and stored["status"] == "review"
    assert NotebookResult.from_json(stored) == replace(result, executed=None)
    bare = NotebookResult(notebook="x.ipynb", assignment=None, status=Status.INVALID, flags=["unreadable"])
    assert NotebookResult.from_json(json.loads(json.dumps(bare.to_json()))) == bare


@pytest.mark.parametrize("change, message", [
    (lambda d: [d], "not a JSON object"),
    (lambda d: {k: v for k, v in d.items() if k not in ("score", "cells")}, "no score, cells"),
    (lambda d: {**d, "cells": "none"}, "cells is not a list"),
    (lambda d: {**d, "cells": [{"grade_id": "a", "score": 1}]}, r"cells\[0\] lacks grade_id"),
    (lambda d: {**d, "cells": [{**d["cells"][0], "grade_id": 3}]}, r"cells\[0\].grade_id is not text"),
    (lambda d: {**d, "score": "lots"}, "score is not a number"),
    (lambda d: {**d, "score": True}, "score is not a number"),
    (lambda d: {**d, "max_score": math.inf}, "max_score is not a finite number"),
    (lambda d: {**d, "cells": [{**d["cells"][0], "score": None}]}, r"cells\[0\].score is not a number"),
    (lambda d: {**d, "flags": "tampered"}, "flags is not a list"),
    (lambda d: {**d, "status": "great"}, "unknown status 'great'"),
    (lambda d: {**d, "assignment": ["01"]}, "assignment is not text"),
    (lambda d: {**d, "elapsed_s": "NaN"}, "elapsed_s is not a finite number"),
])
def test_notebook_result_from_json_names_what_is_wrong(change, message):
    with pytest.raises(ValueError, match=f"^{message}"):
        NotebookResult.from_json(change(_result().to_json()))


def test_status_values_are_what_json_and_csv_hold():
    assert [s.value for s in Status] == ["ok", "review", "tampered", "timeout", "crashed", "output_limit", "invalid", "error"]
    assert str(Status.OUTPUT_LIMIT) == "output_limit" and f"{Status.TIMEOUT}" == "timeout"
    assert Status("ok") is Status.OK and Status.OK == "ok"
    assert [s for s in Status if s.scored] == [Status.OK, Status.REVIEW]


# --- kernel launch settings and the launcher's command line -----------------------------------------

def _settings(**changes) -> LaunchSettings:
    settings = LaunchSettings.for_sandbox(Path("/tmp/g/work"), Path("/tmp/g/chan"), Limits(notebook_timeout_s=100, memory_mb=512),
                                          None, {"COURSE_FAST", "B"}, ["/srv/solutions"], "zyg-1")
    return replace(settings, **changes)


def test_launch_settings_round_trip_and_refuse_unknown_keys():
    settings = _settings()
    assert (settings.cpu_s, settings.memory_mb, settings.environment_keys, settings.hidden) == (210, 512, ("B", "COURSE_FAST"), ("/srv/solutions",))
    assert LaunchSettings.decode(settings.encode()) == settings
    no_isolation = _settings(hidden=None, zygote=None, cgroup="/sys/fs/cgroup/x")
    assert LaunchSettings.decode(no_isolation.encode()) == no_isolation
    with pytest.raises(ValueError, match="^unknown launch settings: bogus, extra$"):
        LaunchSettings.decode(json.dumps({**json.loads(settings.encode()), "bogus": 1, "extra": 2}))
    assert settings.pid_file == Path("/tmp/g/kernel.pid") and settings.isolation_report == Path("/tmp/g/chan/isolation.json")


def test_launcher_reads_back_the_argv_it_is_given(monkeypatch):
    started = []
    monkeypatch.setattr(launcher, "start", lambda settings, connection_file: started.append((settings, connection_file)))
    monkeypatch.setattr(launcher, "_via_zygote", lambda settings, connection_file: None)  # zygote unreachable: start here
    settings = _settings()
    argv = settings.argv("/run/kernel-1.json")
    assert argv[1:4] == ["-m", "autograder.kernel.launcher", "--settings"] and argv[-2:] == ["-f", "/run/kernel-1.json"]
    launcher.main(argv[3:])
    assert started == [(settings, "/run/kernel-1.json")]


@pytest.mark.parametrize("code, exit_status", [(0, 0), (3, 3), (-9, 137)])
def test_launcher_as_a_zygote_proxy_exits_with_the_kernel(monkeypatch, code, exit_status):
    monkeypatch.setattr(launcher, "start", lambda *a: pytest.fail("the zygote started the kernel"))
    monkeypatch.setattr(launcher, "_via_zygote", lambda settings, connection_file: code)
    with pytest.raises(SystemExit) as stopped:
        launcher.main(_settings().argv("c.json")[3:])
    assert stopped.value.code == exit_status


@pytest.mark.parametrize("argv", [["-f", "c.json"], ["--settings", "{}", "-f", "c.json"], ["--settings", '{"bogus": 1}', "-f", "c.json"],
                                  ["--settings", "not json", "-f", "c.json"]])
def test_launcher_refuses_a_bad_command_line(monkeypatch, capsys, argv):
    monkeypatch.setattr(launcher, "start", lambda *a: pytest.fail("started with bad settings"))
    with pytest.raises(SystemExit) as stopped:
        launcher.main(argv)
    assert stopped.value.code == 2 and "usage: python -m autograder.kernel.launcher" in capsys.readouterr().err


# --- outputs -------------------------------------------------------------------------------------------

def test_grades_csv_one_sorted_row_per_result():
    results = {("ben", "02_mle_map"): _result(notebook="b", score=2.0, max_score=4.0, status=Status.OK, flags=[]),
               ("ann", "01_perceptron"): _result(flags=["a, with comma", "b"]),
               ("ann", "02_mle_map"): _result(score=0.0, status=Status.TIMEOUT, flags=[])}
    rows = list(csv.reader(io.StringIO(_grades_csv(results))))
    assert rows == [["student", "notebook", "score", "max_score", "status", "flags"],
                    ["ann", "01_perceptron", "1.5", "5", "review", "a, with comma; b"],
                    ["ann", "02_mle_map", "0", "5", "timeout", ""],
                    ["ben", "02_mle_map", "2", "4", "ok", ""]]
    assert _grades_csv({}) == "student,notebook,score,max_score,status,flags\n"


def test_feedback_page_shows_every_cell_and_escapes_messages():
    page = feedback_html("ann <b>", _result())
    assert page.startswith("<!DOCTYPE html>") and "<title>01_perceptron: ann &lt;b&gt;</title>" in page
    assert "Score: <strong>1.5 / 5</strong> (status: review)" in page
    assert "<td>test_a</td><td>1.5 / 1.5</td><td class='passed'>passed</td>" in page
    assert "<td class='failed'>failed</td><td>AssertionError: &lt;b&gt;wrong&lt;/b&gt;</td>" in page
    assert "<td>answer_1</td><td>? / 2</td><td>graded by hand</td>" in page
    assert "<li>review: cell 3, line 1: calls exec</li>" in page
    assert "cell 4 (&ldquo;Exercise 1&rdquo;) raised ValueError: bad shape" in page
    plain = feedback_html("bo", _result(assignment=None, flags=[], first_error=None, manual=[], status=Status.OK))
    assert "<title>ann/01_perceptron.ipynb: bo</title>" in plain and "Notes from the grader" not in plain and "First error" not in plain


def test_format_table_lists_cells_total_first_error_and_flags():
    assert format_table(_result()).splitlines() == [
        "ann/01_perceptron.ipynb  (01_perceptron, graded in 3.2 s)",
        "  cell      score    max  result",
        "  test_a      1.5    1.5  passed",
        "  test_b        0    3.5  FAILED  AssertionError: <b>wrong</b>",
        "  answer_1      -      2  graded by hand (not in the total)",
        "  total       1.5      5",
        '  first error: cell 4 ("Exercise 1") raised ValueError: bad shape',
        "  status: review",
        "    - review: cell 3, line 1: calls exec",
    ]
    ok = format_table(_result(status=Status.OK, flags=[], first_error=None))
    assert "status" not in ok and "first error" not in ok
    assert format_table(_result(status=Status.TIMEOUT, flags=[])).endswith("\n  status: timeout")
    header, passed, *_, manual = format_table(_result(manual=[ManualCell("a_long_written_answer", 2.0)], first_error=None,
                                                      status=Status.OK, flags=[])).splitlines()[1:-1]
    assert header.index("result") == passed.index("passed") == manual.index("graded by hand"), "columns aligned"


def test_result_files_have_safe_names_and_are_replaced_whole(tmp_path):
    assert safe_name("Anne Marie/../x") == "Anne_Marie_.._x" and safe_name("") == "_" and safe_name("a.b@c+d-e_f") == "a.b@c+d-e_f"
    assert result_path(tmp_path, "a b", "01/x") == tmp_path / "json" / "a_b" / "01_x.json"
    assert feedback_path(tmp_path, "a b", "01") == tmp_path / "feedback" / "a_b" / "01.html"
    target = tmp_path / "json" / "ann" / "01.json"
    write_atomically(target, "first")
    write_atomically(target, "second")
    assert target.read_text() == "second" and [p.name for p in target.parent.iterdir()] == ["01.json"]


def test_an_interrupted_write_leaves_the_previous_file(tmp_path, monkeypatch):
    target = tmp_path / "grades.csv"
    write_atomically(target, "complete\n")

    def interrupted(self, text, *args, **kwargs):
        with open(self, "w") as half_written:  # stopped halfway through writing the new version
            half_written.write(text[: len(text) // 2])
        raise KeyboardInterrupt

    monkeypatch.setattr(Path, "write_text", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_atomically(target, "new")
    monkeypatch.undo()
    assert target.read_text() == "complete\n"


def test_gradebooks_are_stamped_with_the_revision_the_alembic_command_reports():
    """course.alembic_head replaces nbgrader's ``alembic heads`` subprocess: same answer required."""
    import subprocess
    import sys

    from nbgrader.dbutil import _temp_alembic_ini

    with _temp_alembic_ini("sqlite:////tmp/unused.db") as ini:
        command = Path(sys.executable).parent / "alembic"
        output = subprocess.check_output([str(command), "-c", ini, "heads"], text=True)
    assert course.alembic_head() == output.split("\n")[0].split(" ")[0]


class _FakeClient:
    """What sandbox._Checks uses of the grader's client: the kernel client's user_expressions, the
    last reply, the output hook; execute_cell stands for a probe request (here: nothing comes)."""

    def __init__(self, nb):
        self.nb, self.kc = nb, type("KernelClient", (), {"user_expressions": {}})()
        self.last_reply, self.last_expressions, self.take_output = None, {}, None
        self.probes = 0

    def execute_cell(self, cell, index, store_history=True):
        self.probes += 1
        self.last_reply, self.last_expressions = {"status": "ok"}, {}


def _report(nonce, findings=()):
    return {"msg_type": "display_data", "content": {"data": {REPORT_MIME: {"nonce": nonce, "findings": list(findings)}}}}


def _riding_check(nb_cells=3):
    """A check riding along with cell 0, for the checkpoint before cell 1."""
    from autograder.kernel.sandbox import _ASK_GUARD, _Checks

    nb = new_notebook(cells=[new_code_cell("x = 1") for _ in range(nb_cells)])
    client = _FakeClient(nb)
    result = type("Execution", (), {"findings": {}, "guard_s": 0.0})()
    checks = _Checks(client, nb, {1: ()}, result)
    checks.ride_along(0)
    nonce = client.kc.user_expressions[_ASK_GUARD].split("check(")[1].split(",")[0].strip("'")
    return checks, client, result, nonce


def test_a_riding_check_counts_only_after_the_cell_and_the_check_succeeded():
    checks, client, result, nonce = _riding_check()
    assert client.take_output(_report(nonce, ["np.dot was replaced"])), "the guard's report is not an output of the cell"
    assert not client.take_output(_report("another nonce")), "other reports stay ordinary output"
    client.last_reply, client.last_expressions = {"status": "ok"}, {"course_guard": {"status": "ok"}}
    checks.checkpoint(1)
    assert result.findings[1] == ["np.dot was replaced"] and client.probes == 0

    # The cell failed (so ipykernel evaluated no expression): a report it sent itself must not count.
    checks, client, result, nonce = _riding_check()
    client.take_output(_report(nonce))
    client.last_reply, client.last_expressions = {"status": "error"}, {}
    checks.checkpoint(1)
    assert client.probes == 1 and "silenced" in result.findings[1][0]

    # The cell succeeded but the check raised (its import broken after a forged report was sent).
    checks, client, result, nonce = _riding_check()
    client.take_output(_report(nonce))
    client.last_reply, client.last_expressions = {"status": "ok"}, {"course_guard": {"status": "error"}}
    checks.checkpoint(1)
    assert client.probes == 1 and "silenced" in result.findings[1][0]


def test_two_reports_with_one_nonce_are_tampering_and_a_third_is_ordinary_output():
    checks, client, result, nonce = _riding_check()
    assert client.take_output(_report(nonce)) and client.take_output(_report(nonce, ["x"]))
    assert not client.take_output(_report(nonce)), "beyond two, reports count against the output budget"
    client.last_reply, client.last_expressions = {"status": "ok"}, {"course_guard": {"status": "ok"}}
    checks.checkpoint(1)
    assert any("more than one report" in finding for finding in result.findings[1])

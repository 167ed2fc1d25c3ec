"""The leak checker (tests/leaks.py) must find a real hidden-test line planted in every kind of
output the course writes, in the form that output stores it, and stay quiet on honest output."""

from __future__ import annotations

import ast
import csv
import html
import io
import json
import re

import jinja2
import nbformat
import pytest
from graded import graded_solution
from leaks import HIDDEN, _clean, assert_no_leak, find_leaks, hidden_test_lines

from autograder import course
from autograder.class_grading.grade_class import _grades_csv
from autograder.grading.results import CellResult, NotebookResult, Status
from autograder.outputs.feedback import feedback_html, format_table

SPECIAL = re.compile(r"""["'<>&]""")


def _solution(name):
    return nbformat.read(course.solution_path(name), as_version=4)


def _planted_line(lines):
    """The hidden line hardest to find once escaped: quotes and <, > or & if the notebook has one."""
    return max(sorted(lines), key=lambda line: (bool(re.search(r"[<>&]", line)) + bool(re.search("[\"']", line)), len(line)))


def _autograded_ids(name):
    return [cell["grade_id"] for cell in course.graded_cells(_solution(name)) if cell["autograded"]]


def _result(name, messages):
    """A grading result whose autograded cells fail with the given messages (cycled over the cells)."""
    ids = _autograded_ids(name)
    cells = [CellResult(grade_id=ids[i % len(ids)], score=0.0, max_score=1.0, passed=False, message=m) for i, m in enumerate(messages)]
    return NotebookResult(notebook=f"{name}.ipynb", score=0.0, max_score=float(len(cells)), cells=cells, assignment=name,
                          status=Status.REVIEW, flags=messages[:2])


def _outputs(name, message):
    """Every output the course writes for one graded notebook whose failure message is ``message``:
    (form, what, text)."""
    result = _result(name, [message])
    report = {**result.to_json(), "assignment": name}
    jinja = jinja2.Environment(autoescape=True)
    return [
        ("json", "grade --json", json.dumps(report)),
        ("json", "json/ report (indent, not ascii-only)", json.dumps(report, indent=1, ensure_ascii=False)),
        ("json", "a JSON string inside a JSON string", json.dumps({"log": json.dumps(report)})),
        ("html", "feedback page (Jinja2 autoescape)", feedback_html("ann", result)),
        ("html", "html.escape, quote=False", f"<pre>{html.escape(message, quote=False)}</pre>"),
        ("html", "Jinja2 autoescape", jinja.from_string("<td>{{ message }}</td>").render(message=message)),
        ("html", "Jinja2 |tojson in a script", jinja.from_string("<script>var r = {{ report|tojson }};</script>").render(report=report)),
        ("csv", "grades.csv", _grades_csv({("ann", name): result})),
        ("text", "grade table", format_table(result)),
        ("text", "a traceback on the console", f"Traceback (most recent call last):\n----> 12     {message}\nAssertionError"),
    ]


def test_hidden_lines_come_from_the_parsed_notebook_and_skip_trivial_ones(notebook):
    nb = _solution(notebook)
    lines = hidden_test_lines(nb)
    hidden_source = "\n".join(block for cell in nb.cells for block in HIDDEN.findall(cell.source))
    assert len(lines) >= 30, f"{notebook}: only {len(lines)} hidden-test lines to look for"
    assert all(line in hidden_source and "\\n" not in line for line in lines)  # source lines, not JSON fragments
    assert not {"else:", "pass", "continue", "try:"} & lines
    assert not [line for line in lines if line.startswith("#") or len(line) < 16]
    assert any(SPECIAL.search(line) for line in lines), f"{notebook}: no hidden line with quotes or <>& to plant"


def test_a_planted_hidden_line_is_found_in_every_output_form(notebook):
    lines = hidden_test_lines(_solution(notebook))
    planted = _planted_line(lines)
    assert re.search("[\"']", planted), planted
    for form, what, text in _outputs(notebook, f"AssertionError: {planted}"):
        assert planted in find_leaks(text, lines, form), f"{notebook}: {what} holds {planted!r} but the checker missed it"
        with pytest.raises(AssertionError, match="hidden-test line"):
            assert_no_leak(text, lines, form, what)


def test_the_escaped_forms_are_invisible_to_a_plain_substring_search():
    """Why the checker decodes: the old tests' ``line in text`` could never see these."""
    lines = hidden_test_lines(_solution("01_perceptron"))
    planted = _planted_line(lines)
    assert re.search(r"[<>&]", planted) and '"' in planted, planted
    missed = [what for form, what, text in _outputs("01_perceptron", planted) if planted not in text]
    assert {"grade --json", "feedback page (Jinja2 autoescape)", "grades.csv", "Jinja2 autoescape"} <= set(missed), missed


def test_a_whole_hidden_cell_pasted_into_a_page_is_found(notebook):
    nb = _solution(notebook)
    lines = hidden_test_lines(nb)
    cell = next(cell for cell in nb.cells if HIDDEN.search(cell.source))
    in_cell = {line for line in lines if line in {_clean(raw) for raw in cell.source.splitlines()}}
    page = feedback_html("ann", NotebookResult(notebook="x.ipynb", assignment=notebook, flags=[cell.source]))
    assert in_cell and set(find_leaks(page, lines, "html")) >= in_cell
    assert set(find_leaks(json.dumps(nbformat.writes(nb)), lines, "json")) == lines  # the notebook file itself, as JSON


def _hidden_messages(nb):
    """Every message a hidden assertion can show a learner (f-string fields filled in): the
    most an honest failure message can say."""
    messages = []
    for cell in nb.cells:
        if not HIDDEN.search(cell.source):
            continue
        for node in ast.walk(ast.parse(cell.source)):
            message = node.msg if isinstance(node, ast.Assert) else None
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and node.exc.args:
                message = node.exc.args[0]
            if message is not None:
                parts = message.values if isinstance(message, ast.JoinedStr) else [message]
                text = "".join(p.value if isinstance(p, ast.Constant) else "0.5" for p in parts)
                messages.append(f"AssertionError: {text}")
    return messages


def test_honest_failure_messages_raise_no_alarm(notebook):
    nb = _solution(notebook)
    lines, messages = hidden_test_lines(nb), _hidden_messages(nb)
    assert len(messages) >= 10
    result = _result(notebook, messages)
    report = {**result.to_json(), "assignment": notebook}
    assert_no_leak(json.dumps(report, indent=1), lines, "json", f"{notebook}: every hidden message, json")
    assert_no_leak(feedback_html("ann", result), lines, "html", f"{notebook}: every hidden message, feedback page")
    assert_no_leak(_grades_csv({("ann", notebook): result}), lines, "csv", f"{notebook}: every hidden message, grades.csv")
    assert_no_leak(format_table(result), lines, "text", f"{notebook}: every hidden message, grade table")


def test_real_feedback_of_the_reference_solution_raises_no_alarm():
    name = "01_perceptron"
    result = graded_solution(name)
    lines = hidden_test_lines(_solution(name))
    report = result.to_json()
    assert_no_leak(json.dumps(report), lines, "json", "grade --json")
    assert_no_leak(feedback_html("ann", result), lines, "html", "feedback page")
    assert_no_leak(format_table(result), lines, "text", "grade table")
    rows = list(csv.reader(io.StringIO(_grades_csv({("ann", name): result}))))
    assert rows[1][:2] == ["ann", name]
    assert_no_leak(_grades_csv({("ann", name): result}), lines, "csv", "grades.csv")


def test_unknown_form_is_rejected():
    with pytest.raises(ValueError, match="unknown form 'xml'"):
        find_leaks("", {"some hidden line"}, "xml")

"""The class report (autograder/report.py) against a generated class whose every outcome is known.

The class (tests/class_generator.py: known_class, plus a file that is not a notebook) is graded once
by grade-class (conftest.py: graded_class), which writes the report. Every figure of the report's CSV
files is compared with what the construction of the class says, computed here independently.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import shutil
import statistics
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
from leaks import assert_no_leak, hidden_test_lines

from autograder import cli, course
from autograder.outputs import report
from autograder.outputs.report import build_report, normalise

SCORED = ("ok", "review")


def _rows(out: Path, name: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO((out / "report" / name).read_text())))


def _close(shown: str, expected: float | None, tolerance: float = 1e-3) -> bool:
    if expected is None:
        return shown == "n/a"
    return shown != "n/a" and math.isclose(float(shown), expected, abs_tol=tolerance)


def _correlation(x: list[float], y: list[float]) -> float | None:
    if len(set(x)) < 2 or len(set(y)) < 2:
        return None
    mx, my = statistics.fmean(x), statistics.fmean(y)
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y))
    return sxy / math.sqrt(sum((a - mx) ** 2 for a in x) * sum((b - my) ** 2 for b in y))


@pytest.mark.slow
def test_grading_gives_the_outcomes_the_generator_knows(graded_class):
    notebook, students, results, _ = graded_class
    for student in students:
        result = results[(student.student, notebook)]
        assert result.status == student.status, f"{student.student} ({student.description}): {result.status} {result.flags}"
        passed = {cell.grade_id: cell.passed for cell in result.cells}
        assert passed == student.expected, f"{student.student} ({student.description})"
        assert result.score == student.expected_score()
    assert results[("garbage", notebook)].status == "invalid"


@pytest.mark.slow
def test_report_figures_match_the_known_answers(graded_class):
    notebook, students, results, out = graded_class
    normal = [s for s in students if s.status in SCORED]
    points = students[0].points

    items = {row["grade_id"]: row for row in _rows(out, "items.csv")}
    assert list(items) == list(points), "one row per autograded cell, in notebook order"
    for grade_id, cell_points in points.items():
        row = items[grade_id]
        graded = len(normal)
        passed = sum(s.expected[grade_id] for s in normal)
        attempted = graded - sum(grade_id in s.unsolved for s in normal)
        item = [s.expected_points(grade_id) for s in normal]
        rest = [s.expected_score() - score for s, score in zip(normal, item)]
        expected = {"notebook": notebook, "points": f"{cell_points:g}", "graded": str(graded), "attempted": str(attempted),
                    "passed": str(passed)}
        assert {key: row[key] for key in expected} == expected, grade_id
        assert _close(row["pass_rate"], passed / graded), grade_id
        assert _close(row["pass_rate_attempted"], passed / attempted if attempted else None), grade_id
        assert _close(row["mean_points"], sum(item) / graded), grade_id
        discrimination = _correlation(item, rest)
        assert _close(row["discrimination"], discrimination), grade_id
        flags = row["flags"]
        assert ("almost nobody passes" in flags) == (attempted >= report.MIN_FOR_FLAGS and passed / attempted < report.LOW_PASS_RATE)
        assert ("almost everybody passes" in flags) == (graded >= report.MIN_FOR_FLAGS and passed / graded > report.HIGH_PASS_RATE)
        low = discrimination is not None and discrimination < report.LOW_DISCRIMINATION and graded >= report.MIN_FOR_FLAGS
        assert ("discrimination" in flags) == low, f"{grade_id}: {flags}"

    scores = [s.expected_score() for s in students] + [0.0]  # the file that is not a notebook scores 0
    max_score = sum(points.values())
    histogram = [(float(row["low"]), float(row["high"]), int(row["count"])) for row in _rows(out, "scores.csv")]
    assert histogram == [(low, low + 1, sum(math.floor(score) == low for score in scores)) for low in range(int(max_score) + 1)]

    statuses = {row["status"]: int(row["count"]) for row in _rows(out, "statuses.csv")}
    assert statuses == dict(Counter([s.status for s in students] + ["invalid"]))

    [summary] = _rows(out, "notebooks.csv")
    elapsed = [results[key].elapsed_s for key in results]
    assert (summary["notebook"], summary["submissions"], summary["max_score"], summary["graded_normally"], summary["timed"]) == (
        notebook, str(len(students) + 1), f"{max_score:g}", str(len(normal)), str(len(elapsed)))
    assert _close(summary["mean_score"], statistics.fmean(scores)) and _close(summary["median_score"], statistics.median(scores))
    assert _close(summary["elapsed_max_s"], max(elapsed), 0.01) and _close(summary["elapsed_median_s"], statistics.median(elapsed), 0.01)


@pytest.mark.slow
def test_failure_groups_name_every_failing_student_once(graded_class):
    notebook, students, _, out = graded_class
    normal = [s for s in students if s.status in SCORED]
    groups = _rows(out, "failures.csv")
    for grade_id in students[0].points:
        rows = [row for row in groups if row["grade_id"] == grade_id]
        failing = sorted(s.student for s in normal if not s.expected[grade_id])
        listed = sorted(name for row in rows for name in row["students"].split())
        assert listed == failing, f"{grade_id}: every failing student exactly once"
        assert all(int(row["count"]) == len(row["students"].split()) for row in rows)
        assert [int(row["count"]) for row in rows] == sorted((int(row["count"]) for row in rows), reverse=True), "most common first"
        for row in rows:
            assert normalise(row["example"]) == row["pattern"]
        stubs = sorted(s.student for s in normal if grade_id in s.unsolved)
        unsolved = [row for row in rows if row["pattern"].startswith("NotImplementedError")]
        assert sorted(name for row in unsolved for name in row["students"].split()) == stubs, grade_id
    wrong = [s for s in normal if s.kind == "wrong"]
    wrong_rows = [row for row in groups if any(s.student in row["students"].split() for s in wrong)]
    assert len(wrong_rows) == len(wrong), "two different mistakes: two groups"


@pytest.mark.slow
def test_needs_attention_lists_what_needs_a_person_with_links(graded_class):
    notebook, students, _, out = graded_class
    rows = _rows(out, "needs_attention.csv")
    expected = {(s.student, s.status) for s in students if s.status != "ok"} | {("garbage", "invalid")}
    assert {(row["student"], row["status"]) for row in rows} == expected
    for row in rows:
        assert row["reason"], row
        assert (out / row["json"]).is_file() and (out / row["feedback"]).is_file(), row
    tampered = next(row for row in rows if row["status"] == "tampered")
    assert "showtraceback was replaced" in tampered["reason"]
    index = (out / "report" / "index.html").read_text()
    for row in rows:
        assert f'href="../{row["json"]}"' in index and f'href="../{row["feedback"]}"' in index


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.images = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if tag == "img":
            assert attrs.get("src", "").startswith("data:image/png;base64,"), "plots are embedded"
            self.images += 1


@pytest.mark.slow
def test_pages_link_only_to_files_that_exist_and_leak_no_hidden_test(graded_class, tmp_path):
    notebook, _, _, out = graded_class
    folder = out / "report"
    hidden = hidden_test_lines(nbformat.read(course.solution_path(notebook), as_version=4))
    pages = sorted(folder.glob("*.html"))
    assert [p.name for p in pages] == ["index.html", f"notebook-{notebook}.html", "similarity.html"]
    for page in pages:
        text = page.read_text()
        parser = _Links()
        parser.feed(text)
        assert parser.images >= 1 or page.name == "similarity.html", f"{page.name}: no plot"
        anchors = [link for link in parser.links if link.startswith("#")]
        missing = [link for link in parser.links if link not in anchors and not (folder / link).resolve().is_file()]
        missing += [link for link in anchors if f'id="{link[1:]}"' not in text]
        assert not missing, f"{page.name}: links to missing files or anchors {missing}"
        assert_no_leak(text, hidden, "html", f"report/{page.name}")
    assert "similarity.html" in (folder / "index.html").read_text(), "grade-class wrote a similarity page: the index links it"
    for table in folder.glob("*.csv"):
        assert_no_leak(table.read_text(), hidden, "csv", f"report/{table.name}")
    without = tmp_path / "results"
    shutil.copytree(out, without)
    (without / "report" / "similarity.html").unlink()
    build_report(without)
    assert "similarity.html" not in (without / "report" / "index.html").read_text(), "no similarity page, no link"


@pytest.mark.slow
def test_partial_results_give_a_partial_report_with_one_line_per_problem(graded_class, tmp_path):
    notebook, students, _, out = graded_class
    partial = tmp_path / "results"
    shutil.copytree(out, partial)
    shutil.rmtree(partial / "report")
    (partial / "json" / "ref_a" / f"{notebook}.json").unlink()
    (partial / "json" / "ref_b" / f"{notebook}.json").write_text('{"score": 20, "cells": [')
    (partial / "feedback" / "blank" / f"{notebook}.html").unlink()
    odd = json.loads((partial / "json" / "blank" / f"{notebook}.json").read_text())
    odd["cells"][0]["score"] = "lots"
    (partial / "json" / "partial_1" / f"{notebook}.json").write_text(json.dumps(odd))
    (partial / "json" / "<b>mallory").mkdir()  # not in grades.csv; its flag must be escaped
    (partial / "json" / "<b>mallory" / f"{notebook}.json").write_text(json.dumps(
        {"assignment": notebook, "score": 0, "max_score": 23, "status": "tampered", "cells": [],
         "flags": ["<script>alert(1)</script>"]}))

    console, errors = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(console), contextlib.redirect_stderr(errors):
        assert cli.main(["report", str(partial)]) == 0
    problems = (partial / "report" / "problems.txt").read_text().splitlines()
    assert sorted(problems) == sorted([
        f"json/ref_a/{notebook}.json: missing: ref_a/{notebook} counts in scores and statuses (grades.csv), not in item statistics",
        f"json/ref_b/{notebook}.json: not valid JSON (line 1, column 25): ref_b/{notebook} counts in scores and statuses (grades.csv), not in item statistics",
        f"feedback/blank/{notebook}.html: missing",
        f"json/partial_1/{notebook}.json: unexpected content (cells[0].score is not a number ('lots')): partial_1/{notebook} counts in scores and statuses (grades.csv), not in item statistics",
        f"json/<b>mallory/{notebook}.json: not listed in grades.csv (included)",
        f"feedback/<b>mallory/{notebook}.html: missing",
    ])
    assert errors.getvalue().splitlines() == [f"warning: {p}" for p in problems], "one line each, no traceback"
    assert "partial: 6 problem(s)" in console.getvalue()
    statuses = {row["status"]: int(row["count"]) for row in _rows(partial, "statuses.csv")}
    assert sum(statuses.values()) == len(students) + 2, "missing JSON still counts from grades.csv"
    graded = {row["grade_id"]: int(row["graded"]) for row in _rows(partial, "items.csv")}
    assert set(graded.values()) == {sum(s.status in SCORED for s in students) - 3}
    index = (partial / "report" / "index.html").read_text()
    assert "Partial report: 6 problem(s)" in index
    assert "<script>alert" not in index and "&lt;script&gt;alert(1)&lt;/script&gt;" in index, "autoescaped"
    assert "&lt;b&gt;mallory" in index

    (partial / "grades.csv").unlink()
    shutil.rmtree(partial / "json")
    built = build_report(partial)
    assert built.problems == ["grades.csv: missing: the report is built from json/ alone"] and built.notebooks == []
    assert "No results found." in built.index.read_text()


def test_a_folder_that_is_not_there_is_one_line(tmp_path, capsys):
    assert cli.main(["report", str(tmp_path / "nowhere")]) == 2
    assert capsys.readouterr().err.strip().count("\n") == 0


@pytest.mark.parametrize("message, pattern", [
    ("AssertionError: expected shape (3,), got (2, 1)", "AssertionError: expected shape (<num>,), got (<nums>)"),
    ("NameError: name 'w_sep' is not defined", "NameError: name <str> is not defined"),
    ("AssertionError: expected dw = [-2, -3], db = -2; got [-4. -3.], -3.0", "AssertionError: expected dw = [<nums>], db = <num>; got [<nums>], <num>"),
    ("TypeError: <function f at 0x7f3a2c> got 1e-05", "TypeError: <function f at <addr>> got <num>"),
    ("ValueError: float64 array x2 is\n  empty", "ValueError: float64 array x2 is empty"),
])
def test_failure_messages_are_normalised_by_the_documented_rule(message, pattern):
    assert normalise(message) == pattern


@pytest.mark.parametrize("graded, attempted, passed, discrimination, expected", [
    (20, 20, 1, 0.5, ["almost nobody passes"]),  # 5% of attempts
    (20, 2, 0, 0.5, []),  # too few attempts to judge
    (20, 20, 2, 0.5, []),  # 10%: not below the threshold
    (20, 20, 20, None, ["almost everybody passes"]),
    (20, 20, 19, 0.5, []),  # 95%: not above the threshold
    (20, 20, 10, -0.3, ["negative discrimination"]),
    (20, 20, 10, 0.1, ["weak discrimination"]),
    (4, 4, 2, -0.9, []),  # fewer than MIN_FOR_FLAGS submissions
])
def test_items_are_highlighted_by_the_documented_thresholds(graded, attempted, passed, discrimination, expected):
    item = report.ItemStats("cell", 2.0, graded, attempted, passed, 1.0, discrimination)
    flags = report._item_flags(item)
    assert len(flags) == len(expected) and all(flag.startswith(text) for flag, text in zip(flags, expected)), flags

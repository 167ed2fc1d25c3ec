"""Gradebook exports: exact Canvas and Moodle files from a hand-made results folder, roster cases,
and the files read back the way Canvas's and Moodle's importers read them."""

from __future__ import annotations

import csv
import io
import re

import pytest

from autograder import course
from autograder.class_grading.grade_class import grade_class
from autograder.cli import main
from autograder.outputs import exports

GRADES = """student,notebook,score,max_score,status,flags
ann,01_perceptron,8.5,10,ok,
ann,02_mle_map,12,12,review,review: cell 7: open()
ann,notes,0,0,invalid,not a notebook of this course
bob,01_perceptron,0,10,tampered,test cell edited
bob,02_mle_map,3,12,timeout,notebook timed out
carl,01_perceptron,0,0,error,grader error: KilledWorker
dora,01_perceptron,10,10,ok,
"""

ROSTER = """ ID , Name ,Email,Folder,Section
s001,"Lovelace, Ada",ada.lovelace@uni.edu,ann,A
s002,Bob Byte,bob@uni.edu,,A
s003,Carl Core,Carl@uni.edu,,B
s004,Eve Empty,eve@uni.edu,,B
"""

CANVAS_EMPTY = """Student,ID,SIS User ID,SIS Login ID,Section,01_perceptron,02_mle_map
Points Possible,,,,,10,12
"Lovelace, Ada",,s001,ada.lovelace@uni.edu,A,8.5,12
Bob Byte,,s002,bob@uni.edu,A,0,3
Carl Core,,s003,Carl@uni.edu,B,,
Eve Empty,,s004,eve@uni.edu,B,,
"""

MOODLE_EMPTY = """ID number,Full name,Email address,01_perceptron,02_mle_map
s001,"Lovelace, Ada",ada.lovelace@uni.edu,8.5,12
s002,Bob Byte,bob@uni.edu,0,3
s003,Carl Core,Carl@uni.edu,,
s004,Eve Empty,eve@uni.edu,,
"""

MOODLE_ZERO = """ID number,Full name,Email address,01_perceptron,02_mle_map
s001,"Lovelace, Ada",ada.lovelace@uni.edu,8.5,12
s002,Bob Byte,bob@uni.edu,0,3
s003,Carl Core,Carl@uni.edu,,0
s004,Eve Empty,eve@uni.edu,0,0
"""


@pytest.fixture
def results(tmp_path):
    folder = tmp_path / "results"
    folder.mkdir()
    (folder / "grades.csv").write_text(GRADES)
    (tmp_path / "roster.csv").write_text(ROSTER)
    return folder


def _export(results, missing):
    lines = []
    exports.export(results, results.parent / "roster.csv", missing, log=lines.append)
    return (results / "canvas.csv").read_text(), (results / "moodle.csv").read_text(), lines


def test_canvas_and_moodle_files_with_empty_cells_for_missing_work(results):
    canvas, moodle, lines = _export(results, "empty")
    assert canvas == CANVAS_EMPTY
    assert moodle == MOODLE_EMPTY
    assert lines[:-1] == [
        "export: not exported: ann/notes: not a notebook of this course (invalid)",
        "export: no score: carl/01_perceptron: error (grader error: KilledWorker); left empty, regrade it",
        "export: not in the roster: dora (01_perceptron: 10/10, ok); kept in grades.csv, not exported: add the student to the roster",
        "export: no submission: s003 (Carl Core) for 02_mle_map: written as an empty cell",
        "export: no submission: s004 (Eve Empty) for 01_perceptron, 02_mle_map: written as an empty cell",
    ]


def test_missing_zero_writes_zero_but_never_a_score_for_a_failed_grading(results):
    canvas, moodle, lines = _export(results, "zero")
    assert moodle == MOODLE_ZERO
    assert "Carl Core,,s003,Carl@uni.edu,B,,0\n" in canvas  # the grader's error stays empty
    assert "Eve Empty,,s004,eve@uni.edu,B,0,0\n" in canvas
    assert "export: no submission: s004 (Eve Empty) for 01_perceptron, 02_mle_map: written as 0" in lines


def _canvas_import(text: str) -> tuple[list[str], dict[str, str], dict[str, dict[str, str]]]:
    """Canvas's GradebookImporter rules: the header's first columns are Student, ID, then SIS User ID and
    SIS Login ID, and the last student column is Section; a row whose first cell has "Points Possible"
    describes the assignments; any other row is a student, found by ID, else SIS User ID, else SIS
    Login ID; each later cell is that assignment's grade."""
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0]
    assert len(header) > 3 and re.search("Student", header[0]) and re.search("ID", header[1])
    assert re.search(r"SIS\s+User\s+ID", header[2]) and re.search(r"SIS\s+Login\s+ID", header[3])
    student_columns = 5
    assert re.search("Section", header[student_columns - 1])
    assignments = header[student_columns:]
    points, grades = {}, {}
    for row in rows[1:]:
        if re.search("Points Possible", row[0]):
            points = dict(zip(assignments, row[student_columns:]))
            continue
        who = row[1] or row[2] or row[3]
        assert who, f"a row Canvas cannot match to a student: {row}"
        grades[who] = dict(zip(assignments, row[student_columns:]))
    return assignments, points, grades


def _moodle_import(text: str, emails: set[str]) -> dict[str, dict[str, float | None]]:
    """Moodle's CSV grade import, users mapped by "Email address" to email: an unknown user aborts the
    whole import; a grade is empty or "-" (no grade) or numeric (anything else aborts too)."""
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0]
    key = header.index("Email address")
    grades = {}
    for row in rows[1:]:
        assert row[key] in emails, f"user mapping error, could not find user with email address {row[key]!r}"
        values = {}
        for name, value in zip(header[3:], row[3:]):
            assert value in ("", "-") or re.fullmatch(r"-?\d+(\.\d+)?", value), f"bad grade {value!r}"
            values[name] = None if value in ("", "-") else float(value)
        grades[row[key]] = values
    return grades


def test_the_files_read_back_as_canvas_and_moodle_read_them(results):
    canvas, moodle, _ = _export(results, "empty")
    assignments, points, grades = _canvas_import(canvas)
    assert assignments == ["01_perceptron", "02_mle_map"]
    assert points == {"01_perceptron": "10", "02_mle_map": "12"}
    assert grades["s001"] == {"01_perceptron": "8.5", "02_mle_map": "12"}
    assert set(grades) == {"s001", "s002", "s003", "s004"}
    roster = exports.read_roster(results.parent / "roster.csv")
    read = _moodle_import(moodle, {s.email for s in roster})
    assert read["bob@uni.edu"] == {"01_perceptron": 0.0, "02_mle_map": 3.0}
    assert read["eve@uni.edu"] == {"01_perceptron": None, "02_mle_map": None}


@pytest.mark.parametrize("text, message", [
    ("id,name\ns1,Ann\n", "row 1: missing column(s) email"),
    ("id,name,email\ns1,Ann,a@x.org\ns1,Bob,b@x.org\n", "row 3: duplicate id 's1' (already on row 2)"),
    ("id,name,email\ns1,Ann,a@x.org\n,Bob,b@x.org\n", "row 3: empty id"),
    ("id,name,email\nann,Ann,a@x.org\ns2,Bob,ann@x.org\n", "row 3: 'ann' also names the student on row 2"),
    ("", "the roster is empty"),
])
def test_a_bad_roster_is_one_line_naming_the_file_and_row(tmp_path, text, message):
    path = tmp_path / "roster.csv"
    path.write_text(text)
    with pytest.raises(course.CourseError) as error:
        exports.read_roster(path)
    assert str(error.value).startswith(str(path)) and message in str(error.value) and "\n" not in str(error.value)


def test_an_unreadable_roster_and_the_command_line(results, tmp_path, capsys):
    binary = tmp_path / "roster.xlsx"
    binary.write_bytes(b"PK\x03\x04\xff\xfe\x00")
    assert main(["export", str(results), "--roster", str(binary)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(binary) in err and "cannot read the roster" in err
    assert main(["export", str(tmp_path / "nothing"), "--roster", str(results.parent / "roster.csv")]) == 2
    assert "grades.csv: no such file" in capsys.readouterr().err
    (tmp_path / "edited").mkdir()
    (tmp_path / "edited" / "grades.csv").write_text("student,points\nann,3\n")
    assert main(["export", str(tmp_path / "edited"), "--roster", str(results.parent / "roster.csv")]) == 2
    assert "row 1: missing column(s) notebook, score, max_score, status, flags" in capsys.readouterr().err
    assert main(["export", str(results), "--roster", str(results.parent / "roster.csv"), "--missing", "zero"]) == 0
    assert "4 student(s) x 2 notebook(s)" in capsys.readouterr().out
    assert (results / "moodle.csv").read_text() == MOODLE_ZERO


def test_grade_class_runs_similarity_and_exports(tmp_path):
    """No notebook of the course here, so nothing is graded on Dask: only what grade-class writes after."""
    submissions = tmp_path / "submissions"
    (submissions / "ann").mkdir(parents=True)
    (submissions / "ann" / "notes.ipynb").write_text("not a notebook")
    roster = tmp_path / "roster.csv"
    roster.write_text("id,name,email\nann,Ann A,ann@x.org\n")
    grade_class(submissions, tmp_path / "out", roster=roster, missing="zero", progress=False)
    assert (tmp_path / "out" / "report" / "similarity.html").is_file()
    assert (tmp_path / "out" / "canvas.csv").read_text() == "Student,ID,SIS User ID,SIS Login ID,Section\nPoints Possible,,,,\nAnn A,,ann,ann@x.org,\n"

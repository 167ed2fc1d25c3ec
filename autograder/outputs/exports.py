"""Gradebook files for a learning management system, from a graded class's ``grades.csv``.

``RESULTS_DIR/canvas.csv``: Canvas's gradebook import format: columns ``Student``, ``ID``,
``SIS User ID``, ``SIS Login ID``, ``Section``, then one column per notebook; the second row is
``Points Possible`` (the notebook's maximum). Canvas matches a row by ``ID`` (left empty: the
roster does not know Canvas's internal number), ``SIS User ID`` (the roster's ``id``) or ``SIS Login
ID`` (the roster's ``email``). A column named like no assignment creates one; to fill an existing
assignment, rename the column to Canvas's ``Name (number)`` as its own export shows it.

``RESULTS_DIR/moodle.csv``: for Moodle's "Import grades: CSV file": ``ID number``, ``Full name``,
``Email address``, then one column per notebook. On import choose "Identify user by: map from
Email address to email address" (or ID number to ID number) and map each notebook column to its
grade item.

The roster (``--roster FILE``) is a UTF-8 CSV file with a header row naming at least the columns
``id``, ``name``, ``email`` (any order, any case); optional ``folder`` (the submission folder name,
when it is none of id, email or the part of the email before @) and ``section`` (Canvas's Section).
A submission folder is matched to the roster row whose folder, id, email or email login equals its
name (ignoring case).

Scores: every graded submission's score is exported as graded, whatever its status (tampered cells
and cells that never ran already count 0; ``review`` asks a person to look but changes no score),
except ``error`` (the grader itself failed, so there is no score: the cell is left empty and the
submission reported, to be regraded). A roster student without a submission for a notebook gets
an empty cell or 0, as ``--missing`` says, and is reported; a submission folder that is not in the
roster is reported and stays in ``grades.csv``.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from autograder import course

REQUIRED = ("id", "name", "email")
NO_SCORE = {"error"}  # statuses without a score: the grader failed, not the submission
MISSING = ("empty", "zero")


@dataclass
class Student:
    id: str
    name: str
    email: str
    section: str
    keys: tuple[str, ...]  # lower-case names a submission folder may have


def read_roster(path: Path) -> list[Student]:
    """The roster's students; a bad roster raises a one-line CourseError naming the file and row."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")  # a spreadsheet's BOM is not part of the first column name
    except (OSError, UnicodeDecodeError) as error:
        raise course.CourseError(f"{path}: cannot read the roster ({type(error).__name__}: {error}); "
                                 f"expected a UTF-8 CSV file with columns {', '.join(REQUIRED)}") from None
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise course.CourseError(f"{path}: the roster is empty; expected a header row with columns {', '.join(REQUIRED)}")
    header = [cell.strip().lower() for cell in rows[0]]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise course.CourseError(f"{path} row 1: missing column(s) {', '.join(missing)} (the header has: {', '.join(rows[0])}); "
                                 f"expected {', '.join(REQUIRED)} [, folder, section]")
    column = {name: header.index(name) for name in header}
    students: list[Student] = []
    owner: dict[str, int] = {}  # key -> row number that claimed it
    ids: dict[str, int] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < len(header):
            row = row + [""] * (len(header) - len(row))
        value = {name: row[index].strip() for name, index in column.items()}
        if not value["id"]:
            raise course.CourseError(f"{path} row {number}: empty id")
        if value["id"] in ids:
            raise course.CourseError(f"{path} row {number}: duplicate id {value['id']!r} (already on row {ids[value['id']]})")
        ids[value["id"]] = number
        email = value["email"]
        keys = tuple(dict.fromkeys(k.lower() for k in (value.get("folder", ""), value["id"], email, email.split("@")[0]) if k))
        for key in keys:
            if key in owner and owner[key] != number:
                raise course.CourseError(f"{path} row {number}: {key!r} also names the student on row {owner[key]}; "
                                         f"give each a distinct folder column")
            owner[key] = number
        students.append(Student(value["id"], value["name"], email, value.get("section", ""), keys))
    return students


def read_grades(results: Path) -> list[dict]:
    """The rows of ``RESULTS_DIR/grades.csv`` (student, notebook, score, max_score, status, flags)."""
    path = Path(results) / "grades.csv"
    if not path.is_file():
        raise course.CourseError(f"{path}: no such file (grade the class first: python -m autograder grade-class ... --out {results})")
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
    missing = [name for name in ("student", "notebook", "score", "max_score", "status", "flags") if name not in (reader.fieldnames or [])]
    if missing:
        raise course.CourseError(f"{path} row 1: missing column(s) {', '.join(missing)}: not a grades.csv written by grade-class")
    return rows


def _number(value: float) -> str:
    return f"{value:g}"


def build(grades: list[dict], roster: list[Student], missing: str = "empty") -> tuple[list[str], list[list[str]], dict[str, str], list[str]]:
    """(notebooks, one row of cells per roster student, points possible, report lines)."""
    if missing not in MISSING:
        raise course.CourseError(f"--missing {missing}: choose one of {', '.join(MISSING)}")
    points: dict[str, float] = {}
    for row in grades:
        if float(row["max_score"] or 0) > 0:
            points[row["notebook"]] = max(points.get(row["notebook"], 0.0), float(row["max_score"]))
    notebooks = sorted(points)
    by_key = {key: index for index, student in enumerate(roster) for key in student.keys}
    cells: list[dict[str, str]] = [{} for _ in roster]
    lines = []
    for row in grades:
        student, notebook = row["student"], row["notebook"]
        index = by_key.get(student.lower())
        if index is None:
            lines.append(f"not in the roster: {student} ({notebook}: {row['score']}/{row['max_score']}, {row['status']}); "
                         f"kept in grades.csv, not exported: add the student to the roster")
        elif notebook not in points:
            lines.append(f"not exported: {student}/{notebook}: not a notebook of this course ({row['status']})")
        elif row["status"] in NO_SCORE:
            cells[index][notebook] = ""
            lines.append(f"no score: {student}/{notebook}: {row['status']} ({row['flags']}); left empty, regrade it")
        else:
            cells[index][notebook] = _number(float(row["score"]))
    table = []
    for student, found in zip(roster, cells):
        absent = [name for name in notebooks if name not in found]
        if absent:
            lines.append(f"no submission: {student.id} ({student.name}) for {', '.join(absent)}: written as "
                         + ("an empty cell" if missing == "empty" else "0"))
        table.append([found.get(name, "" if missing == "empty" else "0") for name in notebooks])
    return notebooks, table, {name: _number(points[name]) for name in notebooks}, lines


def canvas_csv(notebooks: list[str], table: list[list[str]], points: dict[str, str], roster: list[Student]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *notebooks])
    writer.writerow(["Points Possible", "", "", "", "", *(points[name] for name in notebooks)])
    for student, scores in zip(roster, table):
        writer.writerow([student.name, "", student.id, student.email, student.section, *scores])
    return out.getvalue()


def moodle_csv(notebooks: list[str], table: list[list[str]], roster: list[Student]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["ID number", "Full name", "Email address", *notebooks])
    for student, scores in zip(roster, table):
        writer.writerow([student.id, student.name, student.email, *scores])
    return out.getvalue()


def export(results: Path, roster_path: Path, missing: str = "empty", log=print) -> tuple[Path, Path]:
    """Write ``RESULTS_DIR/canvas.csv`` and ``moodle.csv``; report what the roster and results disagree on."""
    from autograder.outputs.files import write_atomically

    results = Path(results)
    roster = read_roster(roster_path)
    notebooks, table, points, lines = build(read_grades(results), roster, missing)
    write_atomically(results / "canvas.csv", canvas_csv(notebooks, table, points, roster))
    write_atomically(results / "moodle.csv", moodle_csv(notebooks, table, roster))
    for line in lines:
        log(f"export: {line}")
    log(f"export: {len(roster)} student(s) x {len(notebooks)} notebook(s) written to {results / 'canvas.csv'} and {results / 'moodle.csv'}")
    return results / "canvas.csv", results / "moodle.csv"

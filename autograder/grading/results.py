"""What grading produces, as data: a notebook's status, each test cell's result, the notebook's
result, and their JSON form (``grade --json`` prints it, ``grade-class`` stores one per submission
in ``json/<student>/<notebook>.json``, the class report and the exports read it back).

Imports nothing from the package, so every part of it (engine, class grading, outputs) may import
this module.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import Enum


class Status(str, Enum):
    """How the grading of one notebook ended. Its value is what JSON and grades.csv hold."""

    OK = "ok"  # graded normally
    REVIEW = "review"  # graded normally; the flags name constructs a person should look at
    TAMPERED = "tampered"  # the grading was interfered with: the cells concerned score 0
    TIMEOUT = "timeout"  # a cell or the whole notebook ran out of time: the rest scores 0
    CRASHED = "crashed"  # the kernel died (exit, crash, memory limit) or never started
    OUTPUT_LIMIT = "output_limit"  # a cell printed more than the limit: it was interrupted
    INVALID = "invalid"  # not gradable: unreadable, not from this course, or an older release
    ERROR = "error"  # the grader itself failed on this submission (e.g. a worker died)

    def __str__(self) -> str:
        return self.value

    @property
    def scored(self) -> bool:
        """Do the cell scores reflect the learner's work (not the reason grading ended early)?"""
        return self in (Status.OK, Status.REVIEW)


@dataclass
class CellResult:
    """One autograded test cell."""

    grade_id: str
    score: float
    max_score: float
    passed: bool
    message: str  # why it lost its points ("" when passed); never quotes test source


@dataclass
class ManualCell:
    """An answer cell an instructor grades by hand (not in the autograded total)."""

    grade_id: str
    max_score: float


@dataclass
class FirstError:
    """The first ungraded code cell that raised: where a chain of failures starts."""

    cell: int  # 1-based position in the notebook
    heading: str  # the nearest markdown heading above it ("" if none)
    ename: str
    evalue: str

    def where(self) -> str:
        return f"cell {self.cell}" + (f' ("{self.heading}")' if self.heading else "")


@dataclass
class NotebookResult:
    """The grading of one notebook. ``to_json``/``from_json`` give the stored form (the keys are
    those grade-class has always written; ``executed`` is never stored)."""

    notebook: str  # the file graded (grade-class: student/file)
    assignment: str | None  # the course notebook it is; None when it is none of them
    score: float = 0.0
    max_score: float = 0.0
    cells: list[CellResult] = field(default_factory=list)
    manual: list[ManualCell] = field(default_factory=list)
    status: Status = Status.OK
    flags: list[str] = field(default_factory=list)
    first_error: FirstError | None = None
    isolation: str | None = None  # full | partial | none, as the kernel reported it; None: no kernel ran
    sha256: str = ""  # of the submitted file: grade-class regrades only what changed
    elapsed_s: float = 0.0  # grading, overhead included
    execution_s: float = 0.0  # the notebook's own run in the kernel
    grader: str = ""  # host:pid of the process that graded it
    guard: dict | None = None  # integrity checks made: {"checks": N, "seconds": S}
    # The notebook as the grader ran it (JSON text; hidden tests and outputs): ``grade --executed``
    # writes it for an instructor; never stored by grade-class nor shown to learners.
    executed: str | None = field(default=None, repr=False)

    def to_json(self) -> dict:
        data = {
            "notebook": self.notebook, "assignment": self.assignment, "score": self.score, "max_score": self.max_score,
            "cells": [vars(cell).copy() for cell in self.cells], "manual": [vars(cell).copy() for cell in self.manual],
            "status": self.status.value, "flags": list(self.flags), "sha256": self.sha256, "execution_s": self.execution_s,
            "grader": self.grader, "guard": self.guard, "isolation": self.isolation,
            "first_error": vars(self.first_error).copy() if self.first_error else None, "elapsed_s": self.elapsed_s,
        }
        return data

    @classmethod
    def from_json(cls, data) -> NotebookResult:
        """A stored result; ValueError names the first thing wrong (files may be edited or damaged)."""
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        missing = [key for key in ("score", "max_score", "status", "cells") if key not in data]
        if missing:
            raise ValueError(f"no {', '.join(missing)}")
        if not isinstance(data["cells"], list):
            raise ValueError("cells is not a list")
        cells = []
        for number, cell in enumerate(data["cells"]):
            where = f"cells[{number}]"
            if not isinstance(cell, dict) or not {"grade_id", "score", "max_score", "passed"} <= set(cell):
                raise ValueError(f"{where} lacks grade_id, score, max_score or passed")
            cells.append(CellResult(_text(cell["grade_id"], f"{where}.grade_id"), finite_number(cell["score"], f"{where}.score"),
                                    finite_number(cell["max_score"], f"{where}.max_score"), bool(cell["passed"]),
                                    str(cell.get("message") or "")))
        flags = data.get("flags") or []
        if not isinstance(flags, list):
            raise ValueError("flags is not a list")
        try:
            status = Status(data["status"])
        except ValueError:
            raise ValueError(f"unknown status {str(data['status'])[:20]!r}") from None
        manual = [ManualCell(str(m.get("grade_id", "")), finite_number(m.get("max_score", 0), "manual max_score"))
                  for m in data.get("manual") or [] if isinstance(m, dict)]
        error = data.get("first_error")
        first_error = FirstError(**{key: error.get(key) for key in ("cell", "heading", "ename", "evalue")}) if isinstance(error, dict) else None
        assignment = data.get("assignment")
        return cls(
            notebook=str(data.get("notebook", "")), assignment=None if assignment is None else _text(assignment, "assignment"),
            score=finite_number(data["score"], "score"), max_score=finite_number(data["max_score"], "max_score"), cells=cells,
            manual=manual, status=status, flags=[str(f) for f in flags], first_error=first_error,
            isolation=data.get("isolation"), sha256=str(data.get("sha256") or ""),
            elapsed_s=finite_number(data.get("elapsed_s") or 0.0, "elapsed_s"), execution_s=finite_number(data.get("execution_s") or 0.0, "execution_s"),
            grader=str(data.get("grader") or ""), guard=data.get("guard") if isinstance(data.get("guard"), dict) else None,
        )


def finite_number(value, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"{what} is not a number")
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"{what} is not a number ({str(value)[:20]!r})") from None
    if not math.isfinite(number):
        raise ValueError(f"{what} is not a finite number")
    return number


def _text(value, what: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{what} is not text")
    return value

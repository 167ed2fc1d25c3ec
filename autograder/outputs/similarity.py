"""Similar submissions: pairs of students whose solution code overlaps more than honest work does.

For each course notebook, every student's document is the code of the cells a learner edits
(nbgrader ``solution`` code cells, never test cells) with the released stub text removed: the
lines of the released cell (signature, docstring, ``# YOUR CODE HERE``) are dropped, and whatever
is left of them (a re-indented docstring) is also ignored by copydetect as boilerplate, so the
starter code everyone shares does not count.

copydetect (winnowing fingerprints, as MOSS) tokenises each document with Pygments, replaces
names by one letter (renamed variables do not hide a copy), drops comments, and hashes every
k-gram of the filtered text (window 1: all of them are kept, so that a score does not depend on
Python's per-process string hashing, which winnowing's choice of minima would). A pair's similarity
is the larger of the two shares of each document that lies in the fingerprints both have; reordered
functions still match, since fingerprints are compared as sets. A pair is kept when its similarity
reaches ``threshold`` and at least ``MIN_MATCHED`` filtered characters match (two one-line answers
to a one-line exercise are alike by necessity). Kept pairs are written to
``RESULTS_DIR/report/similarity.csv`` and ``similarity.html`` (matched regions highlighted side by
side). Every pair of a notebook's submissions is compared: O(N^2) pairs, each a set intersection.

The default threshold (0.5) was calibrated on six independently written solutions of 01_perceptron
in tests/similarity_cases/ (loops, vectorised, einsum, helpers, comprehensions, verbose): their 15
pairs score 0 to 0.20, none reported; a copy of one of them with every local name changed and its
helper functions moved and reordered scores 0.98. Without the stub removal, two students who hand
in the released notebook unchanged score 1.0.
"""

from __future__ import annotations

import csv
import io
import itertools
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from autograder import course

THRESHOLD = 0.5
MIN_MATCHED = 50  # filtered characters (a name counts as one)
NOISE_TOKENS = 25  # copydetect's k: shortest match (in filtered characters) that counts
GUARANTEE_TOKENS = NOISE_TOKENS  # window 1: every k-gram is kept (deterministic scores)
SHOWN = 100  # pairs shown side by side on the page (the table and the CSV list all of them)


@dataclass
class Document:
    student: str
    notebook: str
    text: str  # the student's own code: solution cells, stub lines removed, one header per cell


@dataclass
class Pair:
    notebook: str
    student_a: str
    student_b: str
    similarity: float  # max of the two shares below
    share_a: float  # fraction of a's fingerprinted code that also is in b's
    share_b: float
    matched_tokens: int
    segments_a: list[tuple[str, bool]] = field(default_factory=list)  # (text, matched) for the side-by-side view
    segments_b: list[tuple[str, bool]] = field(default_factory=list)


def _is_solution_code(cell) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return (cell.get("cell_type") == "code" and isinstance(meta, dict) and bool(meta.get("solution"))
            and isinstance(meta.get("grade_id"), str) and isinstance(cell.get("source"), str))


def released_stubs(name: str) -> dict[str, str]:
    """grade_id -> released source of each cell a learner edits in course notebook ``name``."""
    path = course.released_path(name)
    nb = course.read_notebook(path)
    return {cell.metadata.nbgrader["grade_id"]: cell.source for cell in nb.cells if _is_solution_code(cell)}


def starter_code(name: str) -> list[str]:
    """What copydetect treats as boilerplate for notebook ``name``: each released stub, and the whole
    unsolved document (whose k-grams also span from one stub into the next)."""
    stubs = released_stubs(name)
    return [*stubs.values(), solution_text(course.read_notebook(course.released_path(name)), stubs, remove_stub=False)]


def strip_stub(source: str, stub: str) -> str:
    """``source`` without the lines it shares with the released ``stub`` (compared stripped)."""
    stub_lines = {line.strip() for line in stub.splitlines() if line.strip()}
    kept = [line for line in source.splitlines() if line.strip() and line.strip() not in stub_lines]
    return "\n".join(kept)


def solution_text(nb: nbformat.NotebookNode, stubs: dict[str, str], remove_stub: bool = True) -> str:
    """The code a student wrote in the cells released as stubs, one ``# <grade_id>`` header each."""
    parts = []
    for cell in nb.cells:
        if not _is_solution_code(cell):
            continue
        grade_id = cell.metadata.nbgrader["grade_id"]
        if grade_id not in stubs:  # a cell the release does not have: not one a learner was asked to edit
            continue
        own = strip_stub(cell.source, stubs[grade_id]) if remove_stub else cell.source
        if own.strip():
            parts.append(f"# {grade_id}\n{own}")
    return "\n\n".join(parts) + ("\n" if parts else "")


def collect(submissions: Path, remove_stub: bool = True) -> tuple[list[Document], list[str]]:
    """The documents of every readable submission (same layouts as grade-class), and what was skipped."""
    from autograder.grading.submissions import assignment_of, discover

    submissions = Path(submissions)
    if not submissions.is_dir():
        raise course.CourseError(f"{submissions}: not a folder of submissions")
    documents: dict[tuple[str, str], Document] = {}
    skipped, stubs = [], {}
    for job in discover(submissions):
        name = assignment_of(job)
        if name is None:
            skipped.append(f"{job.path}: not a notebook of this course, left out")
            continue
        try:
            nb = course.read_notebook(job.path)
        except course.CourseError as error:
            skipped.append(f"{error}, left out")
            continue
        if name not in stubs:
            stubs[name] = released_stubs(name)
        documents[(job.student, name)] = Document(job.student, name, solution_text(nb, stubs[name], remove_stub))
    return [documents[key] for key in sorted(documents)], skipped


def _segments(text: str, slices) -> list[tuple[str, bool]]:
    """``text`` cut into (piece, matched) at copydetect's character slices."""
    pieces, position = [], 0
    for start, end in sorted(zip(slices[0].tolist(), slices[1].tolist())) if len(slices) and len(slices[0]) else []:
        start, end = max(int(start), position), int(end)
        if start > position:
            pieces.append((text[position:start], False))
        if end > start:
            pieces.append((text[start:end], True))
            position = end
    if position < len(text):
        pieces.append((text[position:], False))
    return pieces


def compare(documents: list[Document], threshold: float = THRESHOLD, stubs: dict[str, list[str]] | None = None) -> list[Pair]:
    """Every pair of students of the same notebook at or above ``threshold``, most similar first.

    ``stubs``: notebook -> released starter code (``starter_code``), fingerprinted as boilerplate:
    ignored in matches.
    """
    pairs: list[Pair] = []
    by_notebook: dict[str, list[Document]] = {}
    for document in documents:
        if document.text.strip():  # nothing written: nothing to compare
            by_notebook.setdefault(document.notebook, []).append(document)
    by_notebook = {name: group for name, group in by_notebook.items() if len(group) > 1}
    if not by_notebook:  # no pair at all: spare copydetect's import (it loads matplotlib), a second on a rerun
        return pairs
    import numpy as np
    from copydetect import CodeFingerprint, compare_files

    for name, group in sorted(by_notebook.items()):
        boilerplate = np.array([], dtype=np.int64)
        if stubs and stubs.get(name):
            hashes = [CodeFingerprint("stub.py", NOISE_TOKENS, 1, fp=io.StringIO(stub)).hashes for stub in stubs[name]]
            boilerplate = np.unique(np.array(sorted(set().union(*hashes)), dtype=np.int64))
        window = GUARANTEE_TOKENS - NOISE_TOKENS + 1
        prints = [CodeFingerprint(f"{d.student}.py", NOISE_TOKENS, window, boilerplate, fp=io.StringIO(d.text)) for d in group]
        for (a, fa), (b, fb) in itertools.combinations(zip(group, prints), 2):
            overlap, (share_a, share_b), (slices_a, slices_b) = compare_files(fa, fb)
            similarity = float(max(share_a, share_b))
            if similarity >= threshold and overlap >= MIN_MATCHED:
                pairs.append(Pair(name, a.student, b.student, similarity, float(share_a), float(share_b), int(overlap),
                                  _segments(a.text, slices_a), _segments(b.text, slices_b)))
    pairs.sort(key=lambda p: (-p.similarity, p.notebook, p.student_a, p.student_b))
    return pairs


def similarity_csv(pairs: list[Pair]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["notebook", "student_a", "student_b", "similarity", "share_a", "share_b", "matched_tokens"])
    for p in pairs:
        writer.writerow([p.notebook, p.student_a, p.student_b, f"{p.similarity:.3f}", f"{p.share_a:.3f}", f"{p.share_b:.3f}", p.matched_tokens])
    return out.getvalue()


def similarity_html(pairs: list[Pair], documents: list[Document], threshold: float, skipped: list[str]) -> str:
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(loader=PackageLoader("autograder.outputs", "templates"), autoescape=select_autoescape(default=True))
    counts: dict[str, int] = {}
    for document in documents:
        if document.text.strip():
            counts[document.notebook] = counts.get(document.notebook, 0) + 1
    return env.get_template("similarity.html.j2").render(pairs=pairs, counts=sorted(counts.items()), threshold=threshold,
                                                         skipped=skipped, shown=SHOWN)


def run(submissions: Path, out: Path, threshold: float = THRESHOLD, log=print) -> list[Pair]:
    """Compare a class's submissions; write ``out/report/similarity.csv`` and ``similarity.html``."""
    from autograder.outputs.files import write_atomically

    if not 0 < threshold <= 1:
        raise course.CourseError(f"--threshold {threshold}: must be in (0, 1], the share of a student's code that matches")
    start = time.perf_counter()
    documents, skipped = collect(Path(submissions))
    stubs = {name: starter_code(name) for name in sorted({d.notebook for d in documents})}
    pairs = compare(documents, threshold, stubs)
    report = Path(out) / "report"
    write_atomically(report / "similarity.csv", similarity_csv(pairs))
    write_atomically(report / "similarity.html", similarity_html(pairs, documents, threshold, skipped))
    for line in skipped:
        log(f"similarity: {line}")
    log(f"similarity: {len(documents)} submission(s), {len(pairs)} pair(s) at or above {threshold:g} "
        f"in {time.perf_counter() - start:.1f} s; see {report / 'similarity.html'}")
    return pairs

"""The instructor's view of a graded class: ``python -m autograder report RESULTS_DIR``.

Built only from what ``grade-class`` wrote (``grades.csv``, ``json/<student>/<notebook>.json``,
``feedback/<student>/<notebook>.html``); nothing is regraded. Writes ``RESULTS_DIR/report/``:
``index.html``, one page per notebook (``notebook-<name>.html``) and plain CSV files beside them
(``notebooks.csv``, ``statuses.csv``, ``scores.csv``, ``items.csv``, ``failures.csv``,
``needs_attention.csv``) and ``problems.txt``. A missing or unreadable file is a problem (one line
each, listed on the index page and in problems.txt), never a crash: the report covers the rest.

Figures (the README repeats the thresholds):
- item statistics (per autograded test cell) use the submissions graded normally (status ``ok`` or
  ``review``): a tampered, crashed or timed-out notebook scores 0 for reasons that are not the
  exercise's. ``attempted``: graded minus the cells that failed with the stub's
  ``NotImplementedError`` (the exercise left as released);
- discrimination: the corrected item-total correlation, Pearson's r between a cell's points and the
  points of the notebook's other autograded cells, n/a when either is constant or fewer than 3
  submissions;
- an item is highlighted, from MIN_FOR_FLAGS submissions on, when its pass rate among attempts is
  below LOW_PASS_RATE (unfair test? unclear exercise?), its pass rate among all graded is above
  HIGH_PASS_RATE (does the test check enough?), or its discrimination is below LOW_DISCRIMINATION
  (negative: passing goes with a lower total);
- failure messages are grouped after normalising them (NORMALISE, in order): memory addresses, then
  quoted strings (names in NameError, keys, file names, headings), then numbers, then runs of
  numbers (an array's values) become placeholders, and white space is collapsed.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import math
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from autograder import course
from autograder.grading.results import CellResult, NotebookResult, Status, finite_number
from autograder.outputs.files import safe_name

STATUSES = tuple(status.value for status in Status)
SCORED = tuple(status.value for status in Status if status.scored)  # statuses whose cell scores reflect the learner's work
LOW_PASS_RATE = 0.10
HIGH_PASS_RATE = 0.95
LOW_DISCRIMINATION = 0.20
MIN_FOR_FLAGS = 5
TOP_FAILURES = 10  # failure groups shown per cell on the pages (the CSV has them all)
NORMALISE = (
    (re.compile(r"0x[0-9a-fA-F]+"), "<addr>"),
    (re.compile(r"'[^'\n]*'|\"[^\"\n]*\""), "<str>"),
    (re.compile(r"(?<![\w.<])[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?![\w>])"), "<num>"),
    (re.compile(r"<num>(?:[\s,;]+<num>)+"), "<nums>"),
    (re.compile(r"\s+"), " "),
)
# Pages other tools may write into report/: linked from the index when they exist.
OPTIONAL_PAGES = (("similarity.html", "Similarity: pairs of submissions that look copied"),)


# --- Reading the results ------------------------------------------------------------------------


@dataclass
class SubmissionResult:
    student: str
    notebook: str
    score: float
    max_score: float
    status: str
    flags: list[str]
    cells: list[CellResult] | None  # None: no readable JSON (score and status from grades.csv)
    elapsed_s: float | None = None
    json_path: str | None = None  # relative to the results folder, when the file exists
    feedback_path: str | None = None


@dataclass
class ClassResults:
    folder: Path
    submissions: list[SubmissionResult]
    problems: list[str]


def _parse_result(data, student: str, notebook: str) -> SubmissionResult:
    """One grade-class JSON object as typed fields; ValueError names the first thing wrong."""
    result = NotebookResult.from_json(data)
    elapsed = data.get("elapsed_s")
    return SubmissionResult(student, result.assignment or notebook, result.score, result.max_score, result.status.value,
                            result.flags, result.cells, None if elapsed is None else result.elapsed_s)


def load_results(folder: Path) -> ClassResults:
    """Everything grade-class left in ``folder``, with one line per file missing or unreadable."""
    folder = Path(folder)
    if not folder.is_dir():
        raise course.CourseError(f"{folder}: not a folder of results (grade-class --out writes one)")
    problems: list[str] = []
    rows: list[dict] = []
    grades = folder / "grades.csv"
    if grades.is_file():
        try:
            reader = csv.DictReader(io.StringIO(grades.read_text(encoding="utf-8")))
            needed = {"student", "notebook", "score", "max_score", "status"}
            if not needed <= set(reader.fieldnames or ()):
                problems.append(f"grades.csv: no {', '.join(sorted(needed - set(reader.fieldnames or ())))} column: ignored")
            else:
                rows = list(reader)
        except (OSError, UnicodeDecodeError, csv.Error) as error:
            problems.append(f"grades.csv: unreadable ({type(error).__name__}): ignored")
    else:
        problems.append("grades.csv: missing: the report is built from json/ alone")

    stored = {(path.parent.name, path.stem): path for path in sorted((folder / "json").glob("*/*.json"))}
    submissions = []

    def add(student: str, notebook: str, path: Path | None, row: dict | None) -> None:
        # The files of a submission: grade-class names them after its student and notebook, made safe.
        stem = f"{safe_name(student)}/{safe_name(notebook)}" if path is None else f"{path.parent.name}/{path.stem}"
        relative = f"json/{stem}.json"
        result = None
        if path is not None:
            try:
                result = _parse_result(json.loads(path.read_text(encoding="utf-8")), student, notebook)
                result.json_path = relative
            except (OSError, UnicodeDecodeError) as error:
                problems.append(f"{relative}: unreadable ({type(error).__name__})")
            except json.JSONDecodeError as error:
                problems.append(f"{relative}: not valid JSON (line {error.lineno}, column {error.colno})")
            except ValueError as error:
                problems.append(f"{relative}: unexpected content ({error})")
        elif row is not None:
            problems.append(f"{relative}: missing")
        if result is None and row is not None:
            try:
                result = SubmissionResult(student, notebook, finite_number(row["score"], "score"), finite_number(row["max_score"], "max_score"),
                                          row["status"] or "unknown", [f for f in (row.get("flags") or "").split("; ") if f], None)
            except ValueError as error:
                problems.append(f"grades.csv: {student}/{notebook}: {error}: left out")
                return
        if result is None:
            return
        if result.cells is None:
            problems[-1] += f": {student}/{notebook} counts in scores and statuses (grades.csv), not in item statistics"
        feedback = f"feedback/{stem}.html"
        if (folder / feedback).is_file():
            result.feedback_path = feedback
        elif path is not None or row is not None:
            problems.append(f"{feedback}: missing")
        submissions.append(result)

    for number, row in enumerate(rows, start=2):
        student, notebook = row["student"], row["notebook"]
        if not student or not notebook:
            problems.append(f"grades.csv: line {number} names no student or notebook: left out")
            continue
        add(student, notebook, stored.pop((safe_name(student), safe_name(notebook)), None), row)
    for (student, notebook), path in stored.items():
        if rows:
            problems.append(f"json/{student}/{notebook}.json: not listed in grades.csv (included)")
        add(student, notebook, path, None)
    return ClassResults(folder, submissions, problems)


# --- Figures ------------------------------------------------------------------------------------


@dataclass
class ItemStats:
    grade_id: str
    points: float
    graded: int
    attempted: int
    passed: int
    mean_points: float | None
    discrimination: float | None
    flags: list[str] = field(default_factory=list)

    @property
    def pass_rate(self) -> float | None:
        return self.passed / self.graded if self.graded else None

    @property
    def pass_rate_attempted(self) -> float | None:
        return self.passed / self.attempted if self.attempted else None


@dataclass
class FailureGroup:
    grade_id: str
    pattern: str
    count: int
    students: list[str]
    example: str


@dataclass
class NotebookStats:
    name: str
    submissions: list[SubmissionResult]
    max_score: float
    histogram: list[tuple[float, float, int]]  # [low, high) and count
    statuses: dict[str, int]
    elapsed: list[float]
    items: list[ItemStats]
    failures: list[FailureGroup]

    @property
    def page(self) -> str:
        return f"notebook-{re.sub(r'[^A-Za-z0-9_.-]', '_', self.name)}.html"

    @property
    def scored(self) -> list[SubmissionResult]:
        return [s for s in self.submissions if s.status in SCORED and s.cells is not None]

    @property
    def needs_attention(self) -> list[SubmissionResult]:
        return _attention_order([s for s in self.submissions if s.status != "ok"])


def normalise(message: str) -> str:
    """A failure message with its varying parts replaced (NORMALISE): the key messages are grouped by."""
    for pattern, placeholder in NORMALISE:
        message = pattern.sub(placeholder, message)
    return message.strip()


def _attention_order(submissions: list[SubmissionResult]) -> list[SubmissionResult]:
    rank = {status: number for number, status in enumerate(STATUSES)}
    return sorted(submissions, key=lambda s: (rank.get(s.status, len(rank)), s.notebook, s.student))


def histogram(scores: list[float], max_score: float) -> list[tuple[float, float, int]]:
    """Counts in bins [low, high) of one point (wider past 25 points); the last bin holds full marks."""
    width = 1.0 if max_score <= 25 else float(math.ceil(max_score / 25))
    bins = max(1, math.floor(max_score / width) + 1)
    counts = [0] * bins
    for score in scores:
        counts[min(bins - 1, max(0, math.floor(score / width)))] += 1
    return [(i * width, (i + 1) * width, count) for i, count in enumerate(counts)]


def discrimination(item: list[float], rest: list[float]) -> float | None:
    """Pearson's r of a cell's points with the rest of the notebook's; None when undefined."""
    if len(item) < 3 or len(set(item)) < 2 or len(set(rest)) < 2:
        return None
    return statistics.correlation(item, rest)


def _item_flags(item: ItemStats) -> list[str]:
    flags = []
    if item.attempted >= MIN_FOR_FLAGS and item.pass_rate_attempted < LOW_PASS_RATE:
        flags.append(f"almost nobody passes ({item.pass_rate_attempted:.0%} of attempts): is the test fair, the exercise clear?")
    if item.graded >= MIN_FOR_FLAGS and item.pass_rate > HIGH_PASS_RATE:
        flags.append(f"almost everybody passes ({item.pass_rate:.0%}): does the test check enough?")
    if item.graded >= MIN_FOR_FLAGS and item.discrimination is not None and item.discrimination < LOW_DISCRIMINATION:
        kind = "negative" if item.discrimination < 0 else "weak"
        flags.append(f"{kind} discrimination ({item.discrimination:.2f}): passing goes "
                     f"{'with a lower' if kind == 'negative' else 'little with a higher'} total on the other cells")
    return flags


def notebook_stats(name: str, submissions: list[SubmissionResult]) -> NotebookStats:
    maxima = Counter(s.max_score for s in submissions if s.max_score > 0)
    max_score = maxima.most_common(1)[0][0] if maxima else 0.0
    statuses = Counter(s.status for s in submissions)
    ordered = {status: statuses[status] for status in STATUSES if statuses[status]}
    ordered.update({status: count for status, count in sorted(statuses.items()) if status not in ordered})
    scored = [s for s in submissions if s.status in SCORED and s.cells is not None]
    grade_ids = list(dict.fromkeys(c.grade_id for s in scored for c in s.cells))
    items, failures = [], []
    for grade_id in grade_ids:
        pairs = []  # (submission, its cell) for the submissions graded on this cell
        for submission in scored:
            cell = next((c for c in submission.cells if c.grade_id == grade_id), None)
            if cell is not None:
                pairs.append((submission, cell))
        item_scores = [cell.score for _, cell in pairs]
        rest = [sum(c.score for c in s.cells) - cell.score for s, cell in pairs]
        unsolved = sum(not cell.passed and cell.message.startswith("NotImplementedError") for _, cell in pairs)
        item = ItemStats(grade_id, max(c.max_score for _, c in pairs), len(pairs), len(pairs) - unsolved,
                         sum(cell.passed for _, cell in pairs), statistics.fmean(item_scores) if pairs else None,
                         discrimination(item_scores, rest))
        item.flags = _item_flags(item)
        items.append(item)
        groups: dict[str, list[tuple[str, str]]] = {}
        for submission, cell in pairs:
            if not cell.passed:
                groups.setdefault(normalise(cell.message), []).append((submission.student, cell.message))
        for pattern, members in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            example = sorted(Counter(m for _, m in members).items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
            failures.append(FailureGroup(grade_id, pattern, len(members), sorted(s for s, _ in members), example))
    return NotebookStats(name, submissions, max_score, histogram([s.score for s in submissions], max_score), ordered,
                         [s.elapsed_s for s in submissions if s.elapsed_s is not None], items, failures)


# --- Writing the report ---------------------------------------------------------------------------


@dataclass
class Report:
    index: Path
    notebooks: list[NotebookStats]
    problems: list[str]
    files: list[Path]

    @property
    def needs_attention(self) -> list[SubmissionResult]:
        return _attention_order([s for nb in self.notebooks for s in nb.needs_attention])


def _png(figure) -> str:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _histogram_png(stats: NotebookStats) -> str:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6, 2.8), layout="constrained")
    axes = figure.add_subplot()
    lows = [low for low, _, _ in stats.histogram]
    width = stats.histogram[0][1] - stats.histogram[0][0]
    axes.bar(lows, [count for _, _, count in stats.histogram], width=width * 0.9, align="edge", color="#3a6ea5")
    axes.set_xlabel(f"score (of {stats.max_score:g})")
    axes.set_ylabel("submissions")
    axes.set_title(f"{stats.name}: scores of {len(stats.submissions)} submission(s)")
    axes.yaxis.get_major_locator().set_params(integer=True)
    return _png(figure)


def _pass_rate_png(stats: NotebookStats) -> str | None:
    if not stats.items:
        return None
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6, 0.5 + 0.32 * len(stats.items)), layout="constrained")
    axes = figure.add_subplot()
    names = [item.grade_id for item in stats.items][::-1]
    rates = [item.pass_rate or 0.0 for item in stats.items][::-1]
    colors = ["#b5472b" if item.flags else "#3a6ea5" for item in stats.items][::-1]
    axes.barh(names, rates, color=colors)
    axes.set_xlim(0, 1)
    axes.set_xlabel("pass rate (submissions graded normally)")
    return _png(figure)


def _fmt(value: float | None, digits: int = 4) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _csv(rows: list[list]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def _tables(notebooks: list[NotebookStats], attention: list[SubmissionResult]) -> dict[str, str]:
    elapsed = [[nb.name, len(nb.submissions), f"{nb.max_score:g}", len(nb.scored),
                _fmt(statistics.fmean([s.score for s in nb.submissions]) if nb.submissions else None),
                _fmt(statistics.median([s.score for s in nb.submissions]) if nb.submissions else None), len(nb.elapsed),
                _fmt(statistics.fmean(nb.elapsed) if nb.elapsed else None, 2), _fmt(statistics.median(nb.elapsed) if nb.elapsed else None, 2),
                _fmt(max(nb.elapsed) if nb.elapsed else None, 2)] for nb in notebooks]
    return {
        "notebooks.csv": _csv([["notebook", "submissions", "max_score", "graded_normally", "mean_score", "median_score",
                                "timed", "elapsed_mean_s", "elapsed_median_s", "elapsed_max_s"], *elapsed]),
        "statuses.csv": _csv([["notebook", "status", "count"], *[[nb.name, status, count] for nb in notebooks for status, count in nb.statuses.items()]]),
        "scores.csv": _csv([["notebook", "low", "high", "count"], *[[nb.name, f"{low:g}", f"{high:g}", count] for nb in notebooks for low, high, count in nb.histogram]]),
        "items.csv": _csv([["notebook", "grade_id", "points", "graded", "attempted", "passed", "pass_rate", "pass_rate_attempted",
                            "mean_points", "discrimination", "flags"],
                           *[[nb.name, i.grade_id, f"{i.points:g}", i.graded, i.attempted, i.passed, _fmt(i.pass_rate),
                              _fmt(i.pass_rate_attempted), _fmt(i.mean_points), _fmt(i.discrimination), "; ".join(i.flags)]
                             for nb in notebooks for i in nb.items]]),
        "failures.csv": _csv([["notebook", "grade_id", "count", "pattern", "example", "students"],
                              *[[nb.name, f.grade_id, f.count, f.pattern, f.example, " ".join(f.students)] for nb in notebooks for f in nb.failures]]),
        "needs_attention.csv": _csv([["student", "notebook", "status", "score", "max_score", "reason", "json", "feedback"],
                                     *[[s.student, s.notebook, s.status, f"{s.score:g}", f"{s.max_score:g}", "; ".join(s.flags),
                                        s.json_path or "", s.feedback_path or ""] for s in attention]]),
    }


def build_report(folder: Path) -> Report:
    """Write ``folder/report/`` from the results in ``folder`` (see the module's docstring)."""
    import jinja2

    results = load_results(folder)
    out = results.folder / "report"
    out.mkdir(exist_ok=True)
    for stale in out.glob("notebook-*.html"):
        stale.unlink()
    by_notebook: dict[str, list[SubmissionResult]] = {}
    for submission in results.submissions:
        by_notebook.setdefault(submission.notebook, []).append(submission)
    notebooks = [notebook_stats(name, subs) for name, subs in sorted(by_notebook.items())]
    attention = _attention_order([s for nb in notebooks for s in nb.needs_attention])

    env = jinja2.Environment(loader=jinja2.PackageLoader("autograder.outputs", "templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["num"] = lambda value, digits=2: _fmt(value, digits)
    env.filters["pct"] = lambda value: "n/a" if value is None else f"{value:.0%}"
    common = {"statuses": STATUSES, "thresholds": {"low": LOW_PASS_RATE, "high": HIGH_PASS_RATE, "discrimination": LOW_DISCRIMINATION,
                                                   "min": MIN_FOR_FLAGS}, "top_failures": TOP_FAILURES}
    files = []
    histograms = {stats.name: _histogram_png(stats) for stats in notebooks}
    for stats in notebooks:
        page = env.get_template("report_notebook.html").render(
            nb=stats, histogram=histograms[stats.name], pass_rates=_pass_rate_png(stats),
            median=statistics.median(stats.elapsed) if stats.elapsed else None,
            mean=statistics.fmean(stats.elapsed) if stats.elapsed else None, **common)
        files.append(out / stats.page)
        files[-1].write_text(page, encoding="utf-8")
    tables = _tables(notebooks, attention)
    for name, text in tables.items():
        (out / name).write_text(text, encoding="utf-8")
        files.append(out / name)
    (out / "problems.txt").write_text("".join(f"{p}\n" for p in results.problems), encoding="utf-8")
    files.append(out / "problems.txt")
    optional = [(page, title) for page, title in OPTIONAL_PAGES if (out / page).is_file()]
    index = env.get_template("report_index.html").render(
        folder=results.folder.name, notebooks=notebooks, histograms=histograms, attention=attention, problems=results.problems,
        tables=sorted(tables), optional=optional, **common)
    (out / "index.html").write_text(index, encoding="utf-8")
    files.insert(0, out / "index.html")
    return Report(out / "index.html", notebooks, results.problems, files)

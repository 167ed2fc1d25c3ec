"""Build lecture pages: execute notebooks top to bottom and write them as HTML with plots embedded.

``python -m autograder render`` runs each solution notebook (or, with ``released=True``, each
student version from ``notebooks/``) in a fresh ordinary Jupyter kernel whose working directory is
the notebook's own folder, exactly as JupyterLab would, then writes one HTML page per notebook with
its plots embedded (base64 PNG; only MathJax and tqdm's progress widgets load from a CDN), and an
``index.html`` listing the notebooks in order with their prerequisites, expected working time and
learning objectives, the mode, the device and the time each took.

These are the course's own, trusted notebooks: no grading sandbox, no limits beyond a per-cell
timeout. Solution pages show solutions and hidden tests; they are for instructors and lecturers.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import nbformat

from autograder import course
from autograder.kernel import executor
from autograder.notebook_helpers import runtime

DEFAULT_OUT = {False: Path("build") / "lectures", True: Path("build") / "released"}  # inside the course folder
DEFAULT_CELL_TIMEOUT_S = {True: 600.0, False: 1800.0}  # keyed by fast mode
OBJECTIVES_MARKER = "**Learning objectives.**"
PREREQUISITES_MARKER = "**Prerequisites.**"
WORKING_TIME_MARKER = "**Expected working time.**"


@dataclass
class CellError:
    """A cell that raised: its 1-based position in the notebook and the exception."""

    number: int
    ename: str
    evalue: str

    def __str__(self) -> str:
        first_line = (self.evalue.strip().splitlines() or [""])[0]
        return f"cell {self.number}: {self.ename}: {first_line}" if first_line else f"cell {self.number}: {self.ename}"


@dataclass
class Rendered:
    """What rendering one notebook produced."""

    name: str
    title: str
    objectives: list[str]  # markdown, one string per bullet
    page: Path
    seconds: float
    cells: int  # code cells executed
    code_cells: int  # non-empty code cells in the notebook
    errors: list[CellError] = field(default_factory=list)  # cells that raised (errors allowed)
    failure: str | None = None  # why the notebook stopped before its end, in one line
    prerequisites: str = ""  # markdown, one paragraph ("" when the notebook states none)
    working_time: str = ""  # markdown, one paragraph ("" when the notebook states none)


def title_of(nb: nbformat.NotebookNode) -> str:
    """The notebook's title: the first level-1 markdown heading."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return ""


def learning_objectives(nb: nbformat.NotebookNode) -> list[str]:
    """The bullets after "**Learning objectives.** ..." in the notebook's markdown, as markdown.

    A bullet starts with ``-`` or ``*``; indented lines continue it; a blank line or any other
    text ends the list.
    """
    for cell in nb.cells:
        if cell.cell_type != "markdown" or OBJECTIVES_MARKER not in cell.source:
            continue
        lines = cell.source.split(OBJECTIVES_MARKER, 1)[1].splitlines()[1:]
        bullets: list[str] = []
        for line in lines:
            if re.match(r"[-*] ", line):
                bullets.append(line[2:].strip())
            elif bullets and line.strip() and line[:1].isspace():
                bullets[-1] += " " + line.strip()
            elif bullets or line.strip():
                break
        return bullets
    return []


def labelled_paragraph(nb: nbformat.NotebookNode, marker: str) -> str:
    """The paragraph that follows ``marker`` (e.g. "**Prerequisites.**") in the notebook's markdown.

    The text runs from the marker to the first blank line, its lines joined by spaces; "" when no
    markdown cell holds the marker.
    """
    for cell in nb.cells:
        if cell.cell_type != "markdown" or marker not in cell.source:
            continue
        paragraph = re.split(r"\n[ \t]*\n", cell.source.split(marker, 1)[1], maxsplit=1)[0]
        return " ".join(line.strip() for line in paragraph.splitlines() if line.strip())
    return ""


def prerequisites(nb: nbformat.NotebookNode) -> str:
    """The notebook's "**Prerequisites.**" paragraph, as markdown ("" if it has none)."""
    return labelled_paragraph(nb, PREREQUISITES_MARKER)


def working_time(nb: nbformat.NotebookNode) -> str:
    """The notebook's "**Expected working time.**" paragraph, as markdown ("" if it has none)."""
    return labelled_paragraph(nb, WORKING_TIME_MARKER)


def resolve_names(names: list[str] | None, released: bool = False) -> list[str]:
    """Course notebook names to render, in course order (default: all).

    Raises:
        course.CourseError: an unknown name (the message lists the valid ones), or a student
            version that was never released.
    """
    valid = course.assignments()
    unknown = [name for name in names or [] if name.rstrip("/") not in valid]
    if unknown:
        raise course.CourseError(
            f"unknown notebook{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}; "
            f"valid names: {' '.join(valid)}"
        )
    wanted = {name.rstrip("/") for name in names} if names else set(valid)
    chosen = [name for name in valid if name in wanted]
    if released:
        missing = [name for name in chosen if not course.released_path(name).exists()]
        if missing:
            raise course.CourseError(f"{', '.join(missing)}: not in notebooks/; run `python -m autograder release` first")
    return chosen


_DEVICE_PROBE = """
try:
    import torch
except ImportError:
    print("cpu (torch is not installed)")
    raise SystemExit(0)
from autograder.notebook_helpers import runtime
device = runtime.pick_device()
print(f"{device} ({torch.cuda.get_device_name(device)})" if device.type == "cuda" else device)
"""


def describe_device(env: dict[str, str]) -> str:
    """The torch device the notebooks' ``runtime.pick_device()`` will choose, with the GPU's name.

    Asked in a child process with the kernel's environment, so that this process holds no CUDA
    context (GPU memory) while the notebooks train.
    """
    probe = subprocess.run([sys.executable, "-c", _DEVICE_PROBE], env=env, capture_output=True, text=True)
    if probe.returncode != 0:  # e.g. COURSE_DEVICE=cuda without a GPU: every torch notebook would fail
        lines = probe.stderr.strip().splitlines() or [f"exit status {probe.returncode}"]
        raise course.CourseError(f"cannot pick the notebooks' device: {lines[-1]}")
    return probe.stdout.strip()


def _cell_errors(nb: nbformat.NotebookNode) -> list[CellError]:
    errors = []
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if output.output_type == "error":
                errors.append(CellError(index + 1, output.ename, output.evalue))
                break
    return errors


def execute(path: Path, fast: bool, cell_timeout_s: float, allow_errors: bool, progress=None) -> tuple[nbformat.NotebookNode, str | None]:
    """Run the notebook at ``path`` top to bottom in a fresh kernel started in its folder.

    Returns the executed notebook (partly executed when it stopped) and ``None``, or the reason it
    stopped in one line ("cell 12 of 67 (grade_id x): ZeroDivisionError: division by zero").
    ``progress(index, total)`` is called before each code cell.
    """
    nb, run = executor.execute_notebook(path, env=executor.notebook_environment(fast), cell_timeout_s=cell_timeout_s,
                                        stop_on_error=not allow_errors, on_cell=progress)
    return nb, run.message or None


def to_html(nb: nbformat.NotebookNode, title: str) -> str:
    """A self-contained page: images inline (base64), JupyterLab's look."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="lab", embed_images=True)
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    return body


def render(names: list[str] | None = None, *, full: bool = False, released: bool = False,
           out: Path | None = None, cell_timeout_s: float | None = None, log=print) -> tuple[list[Rendered], Path]:
    """Execute and write the chosen notebooks and the index; return what was rendered and the index path.

    ``log`` receives one line per notebook as it finishes. A solution notebook stops at its first
    error (reported in ``Rendered.failure``); a student version runs with errors allowed (its
    exercise stubs raise ``NotImplementedError``), and the cells that raised are listed in
    ``Rendered.errors``. Every page is written either way.
    """
    chosen = resolve_names(names, released)
    fast = not full
    timeout = DEFAULT_CELL_TIMEOUT_S[fast] if cell_timeout_s is None else cell_timeout_s
    if timeout <= 0:
        raise course.CourseError(f"--cell-timeout must be positive, not {timeout:g}")
    out = Path(out) if out else runtime.course_root() / DEFAULT_OUT[released]
    device = describe_device(executor.notebook_environment(fast))
    mode = f"{'fast' if fast else 'full'} mode ({runtime.FAST_ENV}={int(fast)})"
    source = "notebooks/ (student versions)" if released else "solutions/"
    log(f"rendering {len(chosen)} notebook(s) from {source} in {mode}; kernel device: {device}; cell timeout {timeout:g} s")
    out.mkdir(parents=True, exist_ok=True)
    results = []
    for name in chosen:
        path = course.released_path(name) if released else course.solution_path(name)
        start = time.perf_counter()
        with _progress_bar(name) as progress:
            nb, failure = execute(path, fast, timeout, allow_errors=released, progress=progress)
        seconds = time.perf_counter() - start
        title = title_of(nb) or name
        page = out / f"{name}.html"
        page.write_text(to_html(nb, title), encoding="utf-8")
        result = Rendered(
            name=name, title=title, objectives=learning_objectives(nb), page=page, seconds=seconds,
            prerequisites=prerequisites(nb), working_time=working_time(nb),
            cells=sum(1 for c in nb.cells if c.cell_type == "code" and c.get("execution_count")),
            code_cells=sum(1 for c in nb.cells if c.cell_type == "code" and c.source.strip()),
            errors=_cell_errors(nb) if released else [], failure=failure,
        )
        results.append(result)
        log(summary_line(result))
    index = out / "index.html"
    index.write_text(index_html(results, released=released, mode=mode, device=device), encoding="utf-8")
    return results, index


@contextmanager
def _progress_bar(name: str):
    """On a terminal, a "name: cells i/n" bar while a notebook runs, removed when it ends (the
    summary line replaces it); elsewhere (logs, CI) nothing."""
    from tqdm.auto import tqdm

    bar = tqdm(desc=name, unit="cell", leave=False, disable=not sys.stdout.isatty(), file=sys.stdout)

    def show(index: int, total: int) -> None:
        bar.total = total
        bar.n = index + 1
        bar.refresh()

    try:
        yield show
    finally:
        bar.close()


def error_counts(errors: list[CellError]) -> str:
    """"12 cells raised (9 NotImplementedError, 3 NameError)", or "no errors"."""
    if not errors:
        return "no errors"
    counts: dict[str, int] = {}
    for error in errors:
        counts[error.ename] = counts.get(error.ename, 0) + 1
    detail = ", ".join(f"{n} {ename}" for ename, n in sorted(counts.items(), key=lambda item: -item[1]))
    return f"{len(errors)} cell{'s' if len(errors) > 1 else ''} raised ({detail})"


def summary_line(result: Rendered) -> str:
    """The line printed when a notebook finishes: name, seconds, cells, errors (or where it stopped)."""
    status = f"FAILED at {result.failure}" if result.failure else error_counts(result.errors)
    return f"{result.name:<22} {result.seconds:6.1f} s  {result.cells:3d}/{result.code_cells} code cells  {status}"


def markdown_html(text: str) -> str:
    """One line of markdown as inline HTML (math left for MathJax), as notebooks render it."""
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    return markdown2html_mistune(text).strip().removeprefix("<p>").removesuffix("</p>")


def index_html(results: list[Rendered], *, released: bool, mode: str, device: str) -> str:
    """The index page: notebooks in order with title, prerequisites, working time, objectives, run time, cells and errors."""
    import jinja2
    from markupsafe import Markup

    env = jinja2.Environment(loader=jinja2.PackageLoader("autograder.publish", "templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["markdown"] = lambda text: Markup(markdown_html(text))
    env.filters["error_counts"] = error_counts
    return env.get_template("lecture_index.html.j2").render(
        results=results, released=released, mode=mode, device=device, total=sum(r.seconds for r in results),
        built=datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"))

"""``python -m autograder render``: lecture pages with plots, an index with learning objectives,
student versions that leak nothing, and errors a lecturer can act on.

Real notebooks: 07_factor_graphs only (about 10 s as a solution, 3 s as released); the failure
paths use tiny notebooks in a temporary solutions/ folder.
"""

import contextlib
import html
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from leaks import assert_no_leak, find_leaks, hidden_test_lines

from autograder import cli, course
from autograder.publish import render

NAME = "07_factor_graphs"
HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.S)
SOLUTION = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.S)
PNG = re.compile(r'<img[^>]+src="data:image/png;base64,[A-Za-z0-9+/=\s]{200,}"')


def _run(capsys, *argv):
    status = cli.main(["render", *map(str, argv)])
    out, err = capsys.readouterr()
    return status, out, err


def _page_lines(page):
    """The visible text of an HTML page (tags stripped, entities decoded), one stripped line each."""
    text = html.unescape(re.sub(r"<[^>]+>", "", page.read_text(encoding="utf-8")))
    return {line.strip() for line in text.splitlines()}


def _kernels_of_this_process():
    """Live child processes of this one running an IPython kernel (Linux's /proc; [] elsewhere)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (stat.parent / "cmdline").read_bytes()
        except (OSError, ValueError, IndexError):
            continue
        if ppid == os.getpid() and b"ipykernel" in cmdline:
            found.append(stat.parent.name)
    return found


def _significant_lines(text):
    return {line.strip() for line in text.splitlines() if len(line.strip()) > 12}


def _run_captured(*argv):
    """``cli.main(["render", *argv])`` with its output captured (module fixtures cannot use capsys)."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        status = cli.main(["render", *map(str, argv)])
    return status, stdout.getvalue(), stderr.getvalue()


@pytest.fixture(scope="module")
def solution_render(tmp_path_factory):
    out = tmp_path_factory.mktemp("lectures")
    return (*_run_captured(NAME, "--out", out), out)


@pytest.fixture(scope="module")
def released_render(tmp_path_factory):
    out = tmp_path_factory.mktemp("released")
    return (*_run_captured(NAME, "--released", "--out", out), out)


@pytest.mark.slow
def test_solution_page_has_plots_and_index_lists_objectives(solution_render):
    status, out, err, folder = solution_render
    assert status == 0, out + err
    page, index = folder / f"{NAME}.html", folder / "index.html"
    assert page.exists() and index.exists(), out
    assert len(PNG.findall(page.read_text(encoding="utf-8"))) >= 3, "the notebook's plots are not embedded as PNG"
    assert re.search(rf"^{NAME}\s+[\d.]+ s\s+(\d+)/\1 code cells\s+no errors$", out, re.M), out
    assert out.rstrip().endswith(f"open {index}"), out

    nb = nbformat.read(course.solution_path(NAME), as_version=4)
    objectives = render.learning_objectives(nb)
    assert len(objectives) >= 4 and any("variable elimination" in o for o in objectives), objectives
    index_html = index.read_text(encoding="utf-8")
    assert f'href="{NAME}.html"' in index_html and "Factor graphs and exact inference" in index_html
    for objective in objectives:  # rendered as HTML: compare the plain text of the index
        assert html.unescape(re.sub(r"<[^>]+>", "", render.markdown_html(objective))) in html.unescape(re.sub(r"<[^>]+>", "", index_html))
    assert "fast mode" in index_html and "device:" in index_html
    for paragraph in (render.prerequisites(nb), render.working_time(nb)):  # beside the objectives
        assert paragraph and _plain(render.markdown_html(paragraph)) in _plain(index_html)
    assert "do not give them to students" in index_html and "hidden tests" in index_html


@pytest.mark.slow
def test_released_page_holds_no_solutions_or_hidden_tests_and_records_errors(solution_render, released_render):
    status, out, err, folder = released_render
    assert status == 0, out + err  # stubs raising is expected for student versions
    released_page = folder / f"{NAME}.html"
    released_lines = _page_lines(released_page)
    released_text = released_page.read_text(encoding="utf-8")
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
        assert marker not in released_text, f"released page contains {marker!r}"

    solution_nb = nbformat.read(course.solution_path(NAME), as_version=4)
    solved, public = set(), []
    for cell in solution_nb.cells:
        solved |= {line for block in SOLUTION.findall(cell.source) for line in _significant_lines(block)}
        public.append(SOLUTION.sub("", HIDDEN.sub("", cell.source)))
    solved -= _significant_lines("\n".join(public))
    hidden = hidden_test_lines(solution_nb)
    # The check can see hidden tests: the solution page shows every one of them.
    solution_page = (solution_render[3] / f"{NAME}.html").read_text(encoding="utf-8")
    assert find_leaks(solution_page, hidden, "html") == sorted(hidden)
    assert_no_leak(released_text, hidden, "html", "released lecture page")
    assert_no_leak(out + err, hidden, "text", "render --released console")
    assert not (solved & released_lines), f"released page shows solutions: {sorted(solved & released_lines)[:3]}"
    assert "YOUR CODE HERE" in released_text  # it is the student version, executed

    line = re.search(rf"^{NAME}\s.*$", out, re.M).group(0)
    raised = re.search(r"(\d+) cells raised \((\d+) NotImplementedError", line)
    assert raised and int(raised.group(2)) >= 5, line
    index_html = (folder / "index.html").read_text(encoding="utf-8")
    assert f"{raised.group(1)} cells raised" in index_html and "NotImplementedError" in index_html
    assert "do not give them to students" not in index_html
    assert "student versions" in index_html.lower()


def test_unknown_name_lists_the_valid_ones_and_exits_2(tmp_path):
    result = subprocess.run([sys.executable, "-m", "autograder", "render", "07_factor_graph", "--out", str(tmp_path / "x")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "unknown notebook '07_factor_graph'" in result.stderr
    assert all(name in result.stderr for name in course.assignments()), result.stderr
    assert not (tmp_path / "x").exists()


def _notebook(*sources, markdown=None):
    cells = [nbformat.v4.new_markdown_cell(markdown)] if markdown else []
    cells += [nbformat.v4.new_code_cell(source) for source in sources]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


@pytest.fixture
def tiny_course(tmp_path, monkeypatch):
    """solutions/ with 01_ok (a plot; prints its folder and mode) and 02_bad (cell 3 raises)."""
    solutions = tmp_path / "solutions"
    ok = _notebook(
        "import os\nprint('cwd', os.getcwd())\nprint('mode', os.environ['COURSE_FAST'])\nprint(open('beside.txt').read())",
        "import matplotlib.pyplot as plt\nplt.plot([0, 1], [1, 0])\nplt.show()",
        markdown="# 01 · OK\n\n**Learning objectives.** After this notebook you should be able to\n\n"
                 "- read a bullet\n  that continues;\n* and a second one.\n\nMore text, not an objective.",
    )
    bad = _notebook("x = 1", "y = 2", "1 / 0", "print('never')", markdown="# 02 · Bad")
    for name, nb in (("01_ok", ok), ("02_bad", bad)):
        (solutions / name).mkdir(parents=True)
        nbformat.write(nb, solutions / name / f"{name}.ipynb")
    (solutions / "01_ok" / "beside.txt").write_text("found the file beside the notebook")
    monkeypatch.setattr(course, "SOLUTIONS_DIR", solutions)
    monkeypatch.setenv("MPLBACKEND", "Agg")  # as on CI: plots must still reach the page
    monkeypatch.setattr(render, "describe_device", lambda env: "cpu (not probed)")  # saves a torch import
    return solutions


@pytest.mark.slow
def test_failing_cell_is_reported_others_still_written_exit_1(tiny_course, tmp_path, capsys):
    status, out, err = _run(capsys, "--out", tmp_path / "out")
    assert status == 1, out + err
    assert re.search(r"^02_bad\s.*FAILED at cell 4 of 5: ZeroDivisionError: division by zero$", out, re.M), out
    assert "error: 02_bad: stopped at cell 4 of 5: ZeroDivisionError" in err
    assert (tmp_path / "out" / "02_bad.html").exists()
    ok_lines = _page_lines(tmp_path / "out" / "01_ok.html")
    assert f"cwd {tiny_course / '01_ok'}" in ok_lines and "mode 1" in ok_lines
    assert "found the file beside the notebook" in ok_lines
    assert PNG.search((tmp_path / "out" / "01_ok.html").read_text(encoding="utf-8"))
    index = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert index.index("01_ok.html") < index.index("02_bad.html")
    assert "<li>read a bullet that continues;</li><li>and a second one.</li></ul>" in index
    assert "stopped at cell 4 of 5" in index
    assert _kernels_of_this_process() == [], "a kernel outlived its notebook"


@pytest.mark.slow
def test_full_mode_and_cell_timeout(tiny_course, tmp_path, capsys):
    status, out, err = _run(capsys, "01_ok", "--full", "--out", tmp_path / "full")
    assert status == 0, out + err
    assert "mode 0" in _page_lines(tmp_path / "full" / "01_ok.html")
    assert "full mode (COURSE_FAST=0)" in (tmp_path / "full" / "index.html").read_text(encoding="utf-8")
    status, out, err = _run(capsys, "01_ok", "--cell-timeout", "0", "--out", tmp_path / "never")
    assert status == 2 and "--cell-timeout must be positive" in err

    (tiny_course / "03_slow").mkdir()
    nbformat.write(_notebook("import time\ntime.sleep(60)"), tiny_course / "03_slow" / "03_slow.ipynb")
    status, out, err = _run(capsys, "03_slow", "--cell-timeout", "1", "--out", tmp_path / "slow")
    assert status == 1 and "03_slow: stopped at cell 1 of 1: timed out after 1 s" in err, out + err
    assert _kernels_of_this_process() == []


def test_learning_objectives_join_continued_bullets():
    nb = nbformat.read(course.solution_path("02_mle_map"), as_version=4)
    objectives = render.learning_objectives(nb)
    assert objectives[0].startswith("follow a recipe to derive an MLE")
    assert objectives[0].endswith("and the MAP estimate by adding a log prior;")
    assert all(o and "\n" not in o for o in objectives)
    assert render.learning_objectives(_notebook("x = 1", markdown="# T\n\nno objectives here")) == []


def _plain(page_html):
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", page_html)))


@pytest.mark.parametrize("name", course.assignments())
def test_every_notebook_states_prerequisites_and_working_time(name):
    for path in (course.solution_path(name), course.released_path(name)):
        nb = nbformat.read(path, as_version=4)
        prerequisites, working_time = render.prerequisites(nb), render.working_time(nb)
        assert "Maths:" in prerequisites, f"{path}: no **Prerequisites.** paragraph naming the maths it needs"
        assert re.match(r"About \d+ hours?\b", working_time), f"{path}: no **Expected working time.** paragraph (About N hours: ...)"
        assert "\n" not in prerequisites + working_time


def test_labelled_paragraph_joins_lines_and_stops_at_a_blank_line():
    nb = _notebook("x = 1", markdown="# T\n\n**Prerequisites.** Notebook 01.\nMaths: sums.\n\n**Expected working time.** About 2 hours.\n\nMore.")
    assert render.prerequisites(nb) == "Notebook 01. Maths: sums."
    assert render.working_time(nb) == "About 2 hours."
    assert render.prerequisites(_notebook("x = 1", markdown="# T\n\nnothing stated")) == ""


def test_index_shows_prerequisites_and_working_time_beside_the_objectives(tmp_path):
    nb = nbformat.read(course.solution_path(NAME), as_version=4)
    stated = render.Rendered(
        name=NAME, title=render.title_of(nb), objectives=render.learning_objectives(nb), page=tmp_path / f"{NAME}.html",
        seconds=1.0, cells=1, code_cells=1, prerequisites=render.prerequisites(nb), working_time=render.working_time(nb),
    )
    bare = render.Rendered(name="09_bare", title="Bare", objectives=[], page=tmp_path / "09_bare.html", seconds=0.0, cells=0, code_cells=0)
    text = _plain(render.index_html([stated, bare], released=False, mode="fast mode", device="cpu"))
    first, second = text.split("09_bare", 1)
    assert "Prerequisites. Notebook 02 (likelihood, posterior and MAP estimates)" in first
    assert "Expected working time. About 6 hours: 14 coding exercises" in first
    assert first.index("Prerequisites.") < first.index("Expected working time.") < first.index("After this notebook")
    assert "Prerequisites. not stated" in second and "Expected working time. not stated" in second

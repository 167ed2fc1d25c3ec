"""The course in JupyterLab, in a real browser: what a learner sees after `make lab`.

Starts JupyterLab headless on a free localhost port (token, temporary Jupyter config, data and
runtime folders, the course's `jupyter-config/` first on JUPYTER_CONFIG_PATH as `make lab` does,
COURSE_FAST=1 for the kernels), drives Debian's Chromium through Playwright, and checks that
- a released notebook opens, shows its title and nbgrader's Validate button, with no dialog, no
  notification and no JavaScript error on start-up, and the nbgrader tools the course switches off
  (Formgrader, Assignment List, Course List, the Nbgrader menu; see jupyter-config/README.md) are
  absent;
- the reference solution runs to the end with Run > Run All Cells: every code cell executed, no
  error output, plots rendered (screenshot in build/test-artifacts/);
- Validate on the untouched release reports the failing test cells, not an internal error;
- the class report grade-class writes (for a generated class) shows its plots and every link
  resolves (no server: the pages are opened from disk; screenshot in docs/report.png).

Both notebooks are copied to build/test-artifacts/jupyterlab/ first: running and validating save
them, and notebooks/ and solutions/ must stay untouched (checked at the end).

Skipped when playwright or Chromium is missing, unless COURSE_REQUIRE_BROWSER=1 (CI), which turns
the skip into a failure. Every wait is bounded; the server and its kernels are always stopped.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import nbformat
import pytest

from autograder import course
from autograder.notebook_helpers.runtime import REPO_ROOT

pytestmark = pytest.mark.slow

NAME = "01_perceptron"
ARTIFACTS = REPO_ROOT / "build" / "test-artifacts"
WORK = ARTIFACTS / "jupyterlab"  # under root_dir, so JupyterLab can open it; /build/ is git-ignored
README_SHOT = REPO_ROOT / "docs" / "jupyterlab.png"
LAB_CONFIG = REPO_ROOT / "jupyter-config"  # what `make lab` uses
VIEWPORT = {"width": 1280, "height": 800}
ACTIVE_PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"
STDERR = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'

SERVER_START_S = 90
PAGE_LOAD_S = 60
RUN_ALL_S = 180  # the notebook itself takes ~10 s in fast mode
VALIDATE_S = 180
# nbgrader plugins the course disables (jupyter-config/labconfig/page_config.json).
DISABLED_PLUGINS = [
    "@jupyter/nbgrader:assignment-list",
    "@jupyter/nbgrader:course-list",
    "@jupyter/nbgrader:formgrader",
    "@jupyter/nbgrader:menu",
    "@jupyterlab/apputils-extension:announcements",  # the "Jupyter news?" notification
]


def _chromium() -> str | None:
    """Debian's Chromium, or the browser named by COURSE_CHROMIUM (e.g. Chrome on macOS)."""
    if os.environ.get("COURSE_CHROMIUM"):
        path = os.environ["COURSE_CHROMIUM"]
        return path if os.access(path, os.X_OK) else None
    for candidate in ("/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if os.access(candidate, os.X_OK):
            return candidate
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def chromium_path():
    """Chromium's path; skip (or fail under COURSE_REQUIRE_BROWSER=1) when something is missing."""
    missing = []
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the Python package playwright (`.venv/bin/pip install -r requirements.txt`)")
    path = _chromium()
    if path is None:
        missing.append("Chromium (`sudo apt-get install chromium`)")
    if missing:
        message = "browser test needs " + " and ".join(missing)
        if os.environ.get("COURSE_REQUIRE_BROWSER") == "1":
            pytest.fail(f"COURSE_REQUIRE_BROWSER=1 but {message}", pytrace=False)
        pytest.skip(message)
    return path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


class Lab:
    def __init__(self, url: str, token: str, log: Path):
        self.url, self.token, self.log = url, token, log

    def open_url(self, path: str, workspace: str) -> str:
        """URL opening `path` (relative to the repository) in a fresh, named workspace."""
        return f"{self.url}/lab/workspaces/{workspace}/tree/{path}?reset&token={self.token}"


def _stop(proc: subprocess.Popen, url: str, token: str) -> None:
    """Ask the server to shut down (it stops its kernels), then signal its process group."""
    if proc.poll() is None:
        request = urllib.request.Request(
            f"{url}/api/shutdown", method="POST", headers={"Authorization": f"token {token}"}
        )
        try:
            urllib.request.urlopen(request, timeout=5).close()
            proc.wait(timeout=15)
        except (OSError, subprocess.TimeoutExpired):
            pass
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            # The server's session. Kernels run in sessions of their own: /api/shutdown stops them,
            # and they exit by themselves when the server dies (ipykernel watches its parent).
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            continue
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass


@pytest.fixture(scope="module")
def lab(chromium_path, tmp_path_factory):
    home = tmp_path_factory.mktemp("jupyter")
    port, token = _free_port(), secrets.token_hex(16)
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(home / "config"),  # not the user's ~/.jupyter
        "JUPYTER_DATA_DIR": str(home / "data"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTER_CONFIG_PATH": str(LAB_CONFIG),
        "COURSE_FAST": "1",  # inherited by every kernel the server starts
    }
    env.pop("JUPYTER_PREFER_ENV_PATH", None)
    log = home / "jupyterlab.log"
    command = [
        sys.executable, "-m", "jupyterlab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={REPO_ROOT}",
        "--ServerApp.allow_root=True",  # CI containers run as root
    ]
    with open(log, "wb") as log_file:
        # cwd: nbgrader's Validate reads nbgrader_config.py from the server's working folder.
        proc = subprocess.Popen(
            command, cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log_file,
            stderr=subprocess.STDOUT, start_new_session=True,
        )
    try:
        deadline = time.monotonic() + SERVER_START_S
        while True:
            if proc.poll() is not None:
                pytest.fail(f"JupyterLab exited with status {proc.returncode} on start-up; log:\n{_tail(log)}")
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=5) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"JupyterLab did not answer on {url} within {SERVER_START_S} s; log:\n{_tail(log)}")
            time.sleep(0.5)
        yield Lab(url, token, log)
    finally:
        _stop(proc, url, token)


@pytest.fixture(scope="module")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path, headless=True, timeout=60_000)
        try:
            yield chromium
        finally:
            chromium.close()


class Page:
    """A fresh browser page, the JavaScript errors it raised, and a screenshot if the test fails."""

    def __init__(self, browser, name: str):
        self.name = name
        self.context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
        self.context.set_default_timeout(30_000)
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.page.on("pageerror", lambda error: self.problems.append(str(error)))

    def __enter__(self):
        return self

    def __exit__(self, kind, value, traceback):
        if kind is not None:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            try:
                self.page.screenshot(path=str(ARTIFACTS / f"jupyterlab-{self.name}-failure.png"), timeout=10_000)
            except Exception:  # noqa: BLE001 (best effort: the test's own failure is what matters)
                pass
        self.context.close()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _copy(source: Path, folder: str) -> str:
    """Copy a notebook under WORK and return its path relative to the repository root."""
    target = WORK / folder / source.name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(target.parent / ".ipynb_checkpoints", ignore_errors=True)
    shutil.copyfile(source, target)
    return target.relative_to(REPO_ROOT).as_posix()


def _title(path: Path) -> str:
    first = nbformat.read(path, as_version=4).cells[0]
    return first.source.splitlines()[0].lstrip("#").strip()


def _open_notebook(tab: Page, lab: Lab, path: str, workspace: str, title: str):
    """Open a notebook; check its title, its tab and kernel, and that nothing went wrong."""
    page = tab.page
    page.goto(lab.open_url(path, workspace), timeout=PAGE_LOAD_S * 1000)
    panel = page.locator(".jp-NotebookPanel:visible")
    heading = panel.locator(".jp-MarkdownOutput h1").first
    heading.wait_for(timeout=PAGE_LOAD_S * 1000)
    assert title in heading.inner_text(), f"notebook title: expected {title!r}, shown {heading.inner_text()!r}"
    current = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current").inner_text()
    assert Path(path).name in current, f"current tab is {current!r}"
    # The kernel started and is idle (the indicator in the notebook toolbar).
    page.wait_for_function(
        f"""() => {{ const el = document.querySelector('{ACTIVE_PANEL} .jp-Notebook-ExecutionIndicator');
                   return el !== null && el.getAttribute('data-status') === 'idle'; }}""",
        timeout=PAGE_LOAD_S * 1000,
    )
    page.wait_for_timeout(1500)  # let late start-up dialogs or notifications appear
    _assert_no_errors_shown(tab, "on start-up")
    return panel


def _assert_no_errors_shown(tab: Page, when: str) -> None:
    dialogs = tab.page.locator(".jp-Dialog")
    if dialogs.count():
        pytest.fail(f"dialog {when}: {dialogs.first.inner_text()[:1000]!r}")
    toasts = tab.page.locator(".Toastify__toast")  # any notification: errors, warnings, questions
    if toasts.count():
        pytest.fail(f"notification {when}: {toasts.all_inner_texts()}")
    assert not tab.problems, f"JavaScript errors {when}: {tab.problems}"


def _menu(page, menu: str, command: str) -> None:
    page.locator(".lm-MenuBar-item", has_text=menu).first.click()
    page.locator(f'.lm-Menu-item[data-command="{command}"]').click()


def test_released_notebook_opens_cleanly_and_validate_reports_failing_tests(browser, lab):
    released = course.released_path(NAME)
    before = _sha256(released)
    path = _copy(released, "released")
    with Page(browser, "released") as tab:
        page = tab.page
        panel = _open_notebook(tab, lab, path, "released", _title(released))

        # nbgrader as the course configures it: Validate kept, course and exchange tools off.
        menus = page.locator(".lm-MenuBar-content .lm-MenuBar-itemLabel").all_inner_texts()
        assert "Run" in menus and "Nbgrader" not in menus, f"menu bar: {menus}"
        page_config = json.loads(page.locator("#jupyter-config-data").text_content())
        disabled = page_config.get("disabledExtensions", [])
        assert all(plugin in disabled for plugin in DISABLED_PLUGINS), f"disabledExtensions: {disabled}"
        assert "@jupyter/nbgrader:validate-assignment" not in disabled
        validate = panel.locator(".validate-button").get_by_role("button", name="Validate")
        assert validate.is_visible(), "nbgrader's Validate button is missing from the notebook toolbar"

        # Validate saves the notebook, runs it in a fresh kernel and lists the test cells that
        # fail: every exercise of the release still raises NotImplementedError.
        validate.click()
        dialog = page.locator(".jp-Dialog")
        dialog.wait_for(timeout=VALIDATE_S * 1000)
        header = dialog.locator(".jp-Dialog-header").inner_text()
        assert "Validation Results" in header, f"Validate: {header}: {dialog.inner_text()[:3000]}"
        message = dialog.locator("#validation-message")
        text = message.text_content() or ""
        classes = message.get_attribute("class") or ""
        assert "error running the validate command" not in text, f"Validate crashed:\n{text[:3000]}"
        assert "validation-failed" in classes, f"Validate reported no failing tests ({classes}):\n{text[:3000]}"
        assert "The following cell failed:" in text and "NotImplementedError" in text, text[:3000]
        dialog.locator(".jp-Dialog-button.jp-mod-accept").click()
        dialog.wait_for(state="detached", timeout=10_000)
    assert _sha256(released) == before, "the test changed the released notebook in notebooks/"


def test_solution_runs_all_cells_in_jupyterlab(browser, lab):
    solution = course.solution_path(NAME)
    before = _sha256(solution)
    cells = [cell for cell in nbformat.read(solution, as_version=4).cells if cell.cell_type == "code"]
    path = _copy(solution, "solution")
    with Page(browser, "solution") as tab:
        page = tab.page
        panel = _open_notebook(tab, lab, path, "solution", _title(solution))
        code_cells = panel.locator(".jp-Notebook .jp-CodeCell")
        # JupyterLab attaches cells progressively after the first screenful.
        page.wait_for_function(
            f"() => document.querySelectorAll('{ACTIVE_PANEL} .jp-Notebook .jp-CodeCell').length >= {len(cells)}",
            timeout=PAGE_LOAD_S * 1000,
        )
        assert code_cells.count() == len(cells), f"{code_cells.count()} code cells shown, {len(cells)} in the file"

        _menu(page, "Run", "runmenu:run-all")
        # Done when the kernel is idle, no cell is queued or running ([*]), and either every code
        # cell has an execution count or an error stopped the run (later cells are left unrun).
        page.wait_for_function(
            f"""() => {{
                const panel = document.querySelector('{ACTIVE_PANEL}');
                const indicator = panel.querySelector('.jp-Notebook-ExecutionIndicator');
                if (!indicator || indicator.getAttribute('data-status') !== 'idle') return false;
                const prompts = [...panel.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')]
                    .map(p => p.textContent.trim());
                if (prompts.some(p => p.includes('*'))) return false;
                const stderr = panel.querySelectorAll('{STDERR}');
                const failed = [...stderr].some(e => /Traceback|Error\\b/.test(e.textContent));
                return failed || prompts.every(p => /^\\[\\d+\\]:$/.test(p));
            }}""",
            timeout=RUN_ALL_S * 1000,
            polling=500,
        )

        # text_content, not inner_text: cells out of view are skipped by the browser's rendering
        # (content-visibility), and inner_text would read them as empty.
        stderr = panel.locator(STDERR).all_text_contents()
        errors = [text for text in stderr if re.search(r"Traceback|^\w*(Error|Exception)\b", text, re.M)]
        assert not errors, "a cell raised in JupyterLab:\n" + "\n---\n".join(e[-2000:] for e in errors)
        prompts = [p.strip() for p in panel.locator(".jp-CodeCell .jp-InputArea-prompt").all_text_contents()]
        unrun = [i for i, p in enumerate(prompts) if not re.fullmatch(r"\[\d+\]:", p)]
        assert not unrun, f"code cells without an execution count: {unrun} (prompts {prompts})"
        plots = panel.locator('.jp-OutputArea-output[data-mime-type="image/png"] img')
        assert plots.count() > 0, "no plot rendered"
        assert plots.first.evaluate("img => img.complete && img.naturalWidth > 0"), "the first plot is empty"
        _assert_no_errors_shown(tab, "after Run All Cells")

        # What the browser showed is what the kernel produced: save, and read the outputs back.
        saved = WORK / "solution" / solution.name
        _menu(page, "File", "docmanager:save")
        deadline = time.monotonic() + 30
        while True:
            executed = nbformat.read(saved, as_version=4).cells
            counts = [cell.execution_count for cell in executed if cell.cell_type == "code"]
            if all(counts) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert all(counts), f"the saved notebook has unexecuted code cells: {counts}"
        raised = [
            f"{out.ename}: {out.evalue}" for cell in executed if cell.cell_type == "code"
            for out in cell.outputs if out.output_type == "error"
        ]
        assert not raised, f"error outputs in the saved notebook: {raised}"

        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"jupyterlab-{NAME}.png"), full_page=True)
        # The README's picture: the file browser at the top of the course, and the first plot of a
        # cell that is not an exercise (so that it shows no solution).
        page.locator(".jp-FileBrowser .jp-BreadCrumbs-home").click()
        for index, cell in enumerate(cells):
            nbgrader = cell.metadata.get("nbgrader", {})
            plot = code_cells.nth(index).locator('.jp-OutputArea-output[data-mime-type="image/png"] img')
            if not nbgrader.get("solution") and not nbgrader.get("grade") and plot.count():
                plot.first.evaluate("img => img.scrollIntoView({block: 'center'})")
                break
        page.locator(".jp-FileBrowser .jp-DirListing-item", has_text="solutions").wait_for()
        page.wait_for_timeout(500)
        shot = ARTIFACTS / "jupyterlab-readme.png"
        page.screenshot(path=str(shot))
        if os.environ.get("COURSE_UPDATE_SCREENSHOT") == "1" or not README_SHOT.exists():
            README_SHOT.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(shot, README_SHOT)
    assert _sha256(solution) == before, "the test changed the reference solution in solutions/"


REPORT_SHOT = REPO_ROOT / "docs" / "report.png"


def _check_report_page(tab: Page, url: str) -> list[str]:
    """Load one report page: every plot drawn, every link to a file that exists; returns its page links."""
    from urllib.parse import unquote, urlparse

    page = tab.page
    page.goto(url, timeout=PAGE_LOAD_S * 1000)
    page.wait_for_load_state("load")
    plots = page.locator("img")
    # The report's own pages have plots; the similarity page (pairs side by side) and feedback pages need none.
    assert plots.count() > 0 or not (url.endswith("/index.html") or "/notebook-" in url), f"{url}: no plot"
    for number in range(plots.count()):
        drawn = plots.nth(number).evaluate("img => img.complete && img.naturalWidth > 0 && img.naturalHeight > 0")
        assert drawn, f"{url}: plot {number} did not render"
    links = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
    assert links, f"{url}: no links"
    missing = [link for link in links if urlparse(link).scheme != "file" or not Path(unquote(urlparse(link).path)).is_file()]
    here = urlparse(url).path
    missing += [link for link in links if urlparse(link).fragment and urlparse(link).path == here
                and page.locator(f"[id='{urlparse(link).fragment}']").count() == 0]
    assert not missing, f"{url}: links that do not resolve: {missing}"
    assert not tab.problems, f"{url}: JavaScript errors: {tab.problems}"
    return [link for link in links if link.endswith(".html")]


def test_class_report_shows_its_plots_and_every_link_resolves(browser, graded_class):
    """The report grade-class wrote for a generated class (conftest.py: graded_class), opened from disk."""
    notebook, _, _, out = graded_class
    index = (out / "report" / "index.html").as_uri()
    with Page(browser, "report") as tab:
        seen, pending = set(), [index]
        while pending:  # every HTML page reachable from the index: report pages, feedback pages
            url = pending.pop()
            if url in seen:
                continue
            seen.add(url)
            if "/report/" in url:
                pending += _check_report_page(tab, url)
            else:
                tab.page.goto(url, timeout=PAGE_LOAD_S * 1000)
                assert tab.page.locator("h1").count() == 1, f"{url}: not a feedback page"
        assert any(url.endswith(f"notebook-{notebook}.html") for url in seen)
        assert sum("/feedback/" in url for url in seen) == 2, "the tampered and the invalid submissions' feedback"

        tab.page.set_viewport_size({"width": 1280, "height": 1000})  # the README's picture: plots and the items table
        tab.page.goto((out / "report" / f"notebook-{notebook}.html").as_uri())
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shot = ARTIFACTS / "report.png"
        tab.page.screenshot(path=str(shot))
        if os.environ.get("COURSE_UPDATE_SCREENSHOT") == "1" or not REPORT_SHOT.exists():
            REPORT_SHOT.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(shot, REPORT_SHOT)

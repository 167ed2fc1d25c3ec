"""The kernel zygote: kernels are forked from a warm process, inside the same sandbox."""

from __future__ import annotations

import nbformat
import pytest

from autograder.grading.engine import GRADER_ENVIRONMENT
from autograder.kernel import zygote
from autograder.kernel.sandbox import Limits, execute
from autograder.kernel.settings import LaunchSettings

PRELOAD = ("numpy", "matplotlib.pyplot")


def _run(*sources: str, limits: Limits | None = None):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    return execute(nb, limits or Limits(notebook_timeout_s=60, cell_timeout_s=30), check_before={0},
                   environment=GRADER_ENVIRONMENT, preload=PRELOAD)


def _stdout(cell) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream" and o.name == "stdout")


@pytest.mark.slow
def test_kernels_are_forked_from_a_zygote_that_already_imported_the_setup_modules():
    run = _run("import os, sys\nprint(os.getppid(), 'numpy' in sys.modules, 'matplotlib.pyplot' in sys.modules)")
    assert run.status == "ok" and not run.findings[0], run.message
    parent, numpy_loaded, pyplot_loaded = _stdout(run.notebook.cells[0]).split()
    forks = [z.process.pid for z in zygote._zygotes.values()]
    assert int(parent) in forks, "the kernel was not forked by this process's zygote"
    assert numpy_loaded == pyplot_loaded == "True"


@pytest.mark.slow
def test_a_kernel_cannot_ask_the_zygote_for_a_kernel_without_limits(tmp_path):
    unlimited = LaunchSettings(workdir=str(tmp_path / "work"), channel=str(tmp_path), memory_mb=0, cpu_s=0, file_size_mb=0,
                               max_processes=0, cgroup=None, environment_keys=(), figures=False, hidden=None)
    request = {"settings": unlimited.encode(), "connection_file": str(tmp_path / "kernel.json"), "env": {}}
    probe = (
        "import json, os, socket\n"
        "address = open(f'/proc/{os.getppid()}/cmdline', 'rb').read().split(b'\\0')[3].decode()\n"
        "conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)\n"
        "conn.settimeout(10)\n"
        "try:\n"
        "    conn.connect('\\0' + address)\n"
        f"    conn.sendall(json.dumps({request!r}).encode() + b'\\n')\n"
        "    print('reply', conn.recv(100) or 'refused')\n"
        "except (BrokenPipeError, ConnectionResetError, ConnectionRefusedError):  # isolated: not even reachable\n"
        "    print('reply refused')"
    )
    run = _run(probe)
    assert run.status == "ok", run.message
    assert _stdout(run.notebook.cells[0]).strip() == "reply refused", run.notebook.cells[0].outputs
    assert not unlimited.pid_file.exists()
    assert all(z.alive() for z in zygote._zygotes.values())


@pytest.mark.slow
def test_figures_are_drawn_only_when_asked():
    plot = "import matplotlib.pyplot as plt\nplt.plot([0, 1], [1, 0])\nplt.show()"
    for figures, expected in ((True, 1), (False, 0)):
        run = _run(plot, limits=Limits(notebook_timeout_s=60, cell_timeout_s=30, figures=figures))
        cell = run.notebook.cells[0]
        assert run.status == "ok" and not any(o.output_type == "error" for o in cell.outputs)
        assert sum("image/png" in o.get("data", {}) for o in cell.outputs) == expected


def test_setup_imports_are_read_from_the_first_code_cell():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# title"),
        nbformat.v4.new_code_cell("import numpy as np, os\nfrom autograder.notebook_helpers.data import load_digits\nfrom . import x\nprint(1)"),
        nbformat.v4.new_code_cell("import torch"),
    ])
    assert zygote.setup_imports(nb) == ("numpy", "os", "autograder.notebook_helpers.data")


@pytest.mark.slow
def test_a_temp_folder_too_deep_for_socket_paths_still_grades(tmp_path, monkeypatch):
    """A Unix socket path holds 107 bytes: under a deep TMPDIR (a test runner's, a long home folder)
    the kernel's socket files would not fit and every kernel crashed; sandboxes then go to /tmp."""
    deep = tmp_path / ("a-long-folder-name-for-temporary-files-" * 3)
    deep.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(deep))
    run = _run("print('ran')")
    assert run.status == "ok" and "ran" in "".join(o.get("text", "") for o in run.notebook.cells[0].outputs), run.message

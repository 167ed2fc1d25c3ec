"""A newcomer's paths: getting Fashion-MNIST, finding the course folder, the student bundle, CI's demo.

Every data path runs the real loading code: a local HTTP server on 127.0.0.1 stands in for the
canonical download, apt-get is replaced by an injected runner (and run for real only where the
package is already installed, so nothing changes on the machine), and the Debian folder is hidden
through ``COURSE_SYSTEM_DATA_DIR``.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import threading
import time
from pathlib import Path

import pytest

from autograder import cli, course
from autograder.notebook_helpers import data, runtime
from autograder.publish.bundle import LEARNER_PACKAGE

REPO = Path(__file__).resolve().parents[1]
DEBIAN_FOLDER = data.SYSTEM_DATA_DIR / "fashion-mnist"  # the real one (some tests move SYSTEM_DATA_DIR)
NOWHERE_URL = "http://127.0.0.1:9/"  # the discard port: nothing listens, a connection is refused at once


def system_fashion_mnist() -> dict[str, Path]:
    """The verified files of the Debian package (CI installs it; `make test` runs `make data` first)."""
    return data.find_fashion_mnist([DEBIAN_FOLDER])


@pytest.fixture
def hidden_data(monkeypatch, tmp_path):
    """Every dataset hidden: an empty data folder, the Debian folder elsewhere, downloads refused."""
    empty = tmp_path / "data"
    empty.mkdir()
    monkeypatch.setenv(runtime.DATA_ENV, str(empty))
    monkeypatch.setenv(data.SYSTEM_DATA_ENV, str(tmp_path / "no-system-datasets"))
    monkeypatch.setenv(data.FASHION_MNIST_URL_ENV, NOWHERE_URL)
    monkeypatch.setenv(data.PYPI_SIMPLE_ENV, NOWHERE_URL + "simple")
    return empty


@pytest.fixture
def mirror(tmp_path):
    """A local HTTP server on 127.0.0.1 serving a folder; yields (folder, base URL)."""
    folder = tmp_path / "mirror"
    folder.mkdir()
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield folder, f"http://127.0.0.1:{server.server_address[1]}/fashion/"
    finally:
        server.shutdown()
        server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve_fashion_mnist(folder: Path, corrupt: str | None = None) -> None:
    (folder / "fashion").mkdir()
    for name, path in system_fashion_mnist().items():
        payload = bytearray(path.read_bytes())
        if name == corrupt:
            payload[len(payload) // 2] ^= 0xFF
        (folder / "fashion" / name).write_bytes(bytes(payload))


# --- Fashion-MNIST: the four ways, and what happens when all fail ---------------------------------

def test_download_path_fetches_verifies_and_caches(hidden_data, mirror, monkeypatch):
    folder, url = mirror
    serve_fashion_mnist(folder)
    monkeypatch.setenv(data.FASHION_MNIST_URL_ENV, url)
    with pytest.raises(data.DataMissingError, match="^Fashion-MNIST: "):
        data.load_fashion_mnist()  # notebooks never download
    said = data.fetch_fashion_mnist(log=lambda line: None, euid=1000)
    assert said == f"downloaded from {url} into {hidden_data / 'fashion-mnist'}"
    assert sorted(p.name for p in (hidden_data / "fashion-mnist").iterdir()) == sorted(data.FASHION_MNIST_FILES)
    X_train, y_train, X_test, y_test = data.load_fashion_mnist()
    assert X_train.shape == (60000, 28, 28) and y_test.shape == (10000,)
    assert data.fetch_fashion_mnist(log=lambda line: None, euid=1000) == f"found in {hidden_data / 'fashion-mnist'}"


def test_corrupt_download_fails_loudly_and_is_not_kept(hidden_data, mirror, monkeypatch):
    folder, url = mirror
    serve_fashion_mnist(folder, corrupt="train-labels-idx1-ubyte.gz")
    monkeypatch.setenv(data.FASHION_MNIST_URL_ENV, url)
    with pytest.raises(data.DataMissingError, match=r"train-labels-idx1-ubyte\.gz has SHA-256 [0-9a-f]{64}, expected 0ae29f65"):
        data.fetch_fashion_mnist(log=lambda line: None, euid=1000)
    cached = sorted(p.name for p in (hidden_data / "fashion-mnist").iterdir())
    assert cached == ["train-images-idx3-ubyte.gz"], "only the verified file may stay"


def test_corrupt_cached_file_is_named(hidden_data):
    cache = hidden_data / "fashion-mnist"
    cache.mkdir()
    (cache / "train-images-idx3-ubyte.gz").write_bytes(b"truncated")
    with pytest.raises(data.DataMissingError, match=r"^Fashion-MNIST: train-images-idx3-ubyte\.gz is corrupt at .*SHA-256 mismatch"):
        data.load_fashion_mnist()


def test_missing_folder_is_named(tmp_path):
    with pytest.raises(data.DataMissingError, match=f"not found in: {re.escape(str(tmp_path / 'absent'))}"):
        data.load_fashion_mnist([tmp_path / "absent"])


def test_when_every_way_fails_one_message_says_what_to_do_fast(hidden_data):
    start = time.perf_counter()
    with pytest.raises(data.DataMissingError) as caught:
        data.fetch_fashion_mnist(log=lambda line: None)
    message = str(caught.value)
    assert time.perf_counter() - start < 10
    assert "\n" not in message and message.startswith("Fashion-MNIST not found, not installed, not downloaded")
    assert f"apt-get not tried: {data.SYSTEM_DATA_ENV} points away" in message
    assert f"could not download {NOWHERE_URL}train-images-idx3-ubyte.gz" in message
    assert "make data" in message and "sudo apt-get install dataset-fashion-mnist" in message


DEBIAN = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\n'
UBUNTU = "NAME=Ubuntu\nID=ubuntu\nID_LIKE=debian\n"


@pytest.mark.parametrize("euid, apt_get, os_release, system, refusal", [
    (0, "/usr/bin/apt-get", DEBIAN, None, None),
    (0, "/usr/bin/apt-get", UBUNTU, None, None),
    (0, "/usr/bin/apt-get", "ID=fedora\n", None, "not Debian or Ubuntu"),
    (0, "/usr/bin/apt-get", "", None, "not Debian or Ubuntu"),
    (0, None, DEBIAN, None, "no apt-get on PATH"),
    (1000, "/usr/bin/apt-get", UBUNTU, None, "not root"),
    (0, "/usr/bin/apt-get", DEBIAN, "/tmp/elsewhere", "points away"),
])
def test_apt_is_tried_only_as_root_on_debian_with_apt_get(euid, apt_get, os_release, system, refusal):
    said = data.apt_refusal(Path(system) if system else data.SYSTEM_DATA_DIR, euid=euid, apt_get=apt_get, os_release=os_release)
    assert said is None if refusal is None else refusal in said


class FakeApt:
    """Stands in for subprocess.run: apt knows the package only after `update`; install puts the files."""

    def __init__(self, system: Path, timeout_on: str | None = None):
        self.system, self.timeout_on, self.calls, self.updated = system, timeout_on, [], False

    def __call__(self, command, **kwargs):
        self.calls.append((command, kwargs))
        step = command[1]
        if step == self.timeout_on:
            raise subprocess.TimeoutExpired(command, kwargs["timeout"])
        if step == "update":
            self.updated = True
            return subprocess.CompletedProcess(command, 0, "", "")
        if not self.updated:
            return subprocess.CompletedProcess(command, 100, "", "E: Unable to locate package dataset-fashion-mnist")
        (self.system / "fashion-mnist").mkdir(parents=True)
        for name, path in system_fashion_mnist().items():
            (self.system / "fashion-mnist" / name).symlink_to(path)
        return subprocess.CompletedProcess(command, 0, "", "")


def test_apt_path_installs_non_interactively_updating_once(hidden_data, monkeypatch, tmp_path):
    system = tmp_path / "usr-share-datasets"
    monkeypatch.delenv(data.SYSTEM_DATA_ENV)
    monkeypatch.setattr(data, "SYSTEM_DATA_DIR", system)
    apt = FakeApt(system)
    said = data.fetch_fashion_mnist(log=lambda line: None, runner=apt, euid=0, apt_get="/usr/bin/apt-get", os_release=DEBIAN)
    assert said == f"installed the Debian package dataset-fashion-mnist ({system / 'fashion-mnist'})"
    assert [command[1] for command, _ in apt.calls] == ["install", "update", "install"]
    assert apt.calls[0][0][-1] == "dataset-fashion-mnist" and "-y" in apt.calls[0][0]
    for _, kwargs in apt.calls:
        assert kwargs["env"]["DEBIAN_FRONTEND"] == "noninteractive" and kwargs["stdin"] == subprocess.DEVNULL
        assert 0 < kwargs["timeout"] <= 300
    data.load_fashion_mnist()


def test_apt_that_hangs_is_cut_off_and_the_download_is_tried(hidden_data, monkeypatch, tmp_path):
    monkeypatch.delenv(data.SYSTEM_DATA_ENV)
    monkeypatch.setattr(data, "SYSTEM_DATA_DIR", tmp_path / "usr-share-datasets")
    apt = FakeApt(tmp_path / "usr-share-datasets", timeout_on="install")
    with pytest.raises(data.DataMissingError, match=r"did not finish within 300 s; .*could not download http://127\.0\.0\.1:9/"):
        data.fetch_fashion_mnist(log=lambda line: None, runner=apt, euid=0, apt_get="/usr/bin/apt-get", os_release=DEBIAN)


def _package_installed() -> bool:
    dpkg = shutil.which("dpkg-query")
    if not dpkg:
        return False
    done = subprocess.run([dpkg, "-W", "-f=${Status}", data.FASHION_MNIST_PACKAGE], capture_output=True, text=True)
    return done.stdout.strip() == "install ok installed"


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("apt-get") or not _package_installed(),
                    reason="runs apt-get for real only as root where the package is already installed (changes nothing)")
def test_real_apt_get_on_an_installed_package_succeeds_quickly():
    start = time.perf_counter()
    said = data.install_with_apt(shutil.which("apt-get"), log=lambda line: None)
    assert said.endswith("exited 0"), said
    assert time.perf_counter() - start < 60


# --- The course folder: found explicitly, the same from a `pip install .` ----------------------

def _course(folder: Path, kind: str = "solutions") -> Path:
    (folder / kind).mkdir(parents=True)
    (folder / "nbgrader_config.py").write_text("")
    return folder


def test_course_root_from_environment_current_folder_or_checkout(monkeypatch, tmp_path):
    monkeypatch.delenv(runtime.ROOT_ENV, raising=False)
    monkeypatch.delenv(runtime.DATA_ENV, raising=False)
    bundle_like = _course(tmp_path / "bundle", "notebooks")
    (bundle_like / "notebooks" / "01_x").mkdir()
    monkeypatch.chdir(bundle_like / "notebooks" / "01_x")  # where JupyterLab starts a notebook's kernel
    assert runtime.course_root() == bundle_like and runtime.data_dir() == bundle_like / "data"
    other = _course(tmp_path / "other")
    monkeypatch.setenv(runtime.ROOT_ENV, str(other))
    assert runtime.course_root() == other and course.SOLUTIONS_DIR == other / "solutions"
    monkeypatch.setenv(runtime.ROOT_ENV, str(tmp_path))
    with pytest.raises(runtime.CourseNotFoundError, match="COURSE_ROOT=.* is not a course folder"):
        runtime.course_root()
    monkeypatch.delenv(runtime.ROOT_ENV)
    monkeypatch.chdir(tmp_path)
    assert runtime.course_root() == REPO  # this package's source checkout
    monkeypatch.setattr(runtime, "__file__", str(tmp_path / "site-packages" / "autograder" / "notebook_helpers" / "runtime.py"))
    with pytest.raises(runtime.CourseNotFoundError) as caught:
        runtime.data_dir()
    assert "\n" not in str(caught.value) and "--course DIR, or set COURSE_ROOT=DIR" in str(caught.value)


def test_cli_course_option_names_a_bad_folder_in_one_line(tmp_path, capsys):
    assert cli.main(["--course", str(tmp_path), "release", "--check"]) == 2
    err = capsys.readouterr().err
    assert err == f"error: {tmp_path} is not a course folder (it needs nbgrader_config.py and solutions/ or notebooks/)\n"


def fresh_venv(tmp_path: Path, source: Path, name: str) -> Path:
    """A new virtual environment with ``source`` installed NON-editable by pip (a wheel is built and
    its files copied into the venv's site-packages).

    Third-party dependencies come from this test's own environment through a plain path in a .pth
    file: that adds the folder to sys.path but runs none of the .pth files inside it, so the
    editable finder of this checkout is not loaded and ``autograder`` can only come from the wheel.
    Offline, and seconds instead of minutes of downloading torch.
    """
    venv = tmp_path / name
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip()
    Path(purelib, "course-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    # The one console script of a dependency the course runs (nbgrader calls `alembic`), as pip
    # would have written it had it installed the dependencies here.
    alembic = venv / "bin" / "alembic"
    alembic.write_text(f"#!{python}\nimport sys\nfrom alembic.config import main\nsys.exit(main())\n")
    alembic.chmod(0o755)
    subprocess.run([python, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "--no-index",
                    "--disable-pip-version-check", str(source)], check=True, env=clean_env(), cwd=tmp_path)
    return python


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", runtime.ROOT_ENV)}
    return {**env, **extra}


@pytest.mark.slow
def test_non_editable_install_grades_from_another_folder(tmp_path):
    source = tmp_path / "src"  # a copy, so that building the wheel leaves no build/ in the checkout
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copyfile(REPO / name, source / name)
    shutil.copytree(REPO / "autograder", source / "autograder", ignore=shutil.ignore_patterns("__pycache__"))
    python = fresh_venv(tmp_path, source, "venv")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    def run(*args, cwd=elsewhere, **env):
        return subprocess.run([python, *args], cwd=cwd, env=clean_env(**env), capture_output=True, text=True, timeout=300)

    where = run("-c", "import autograder; print(autograder.__file__)").stdout.strip()
    assert where.startswith(str(tmp_path / "venv")) and "site-packages" in where, where
    lost = run("-m", "autograder", "release", "--check")
    assert lost.returncode == 2 and lost.stderr.startswith("error: no course folder found in"), lost.stderr
    assert len(lost.stderr.splitlines()) == 1
    probe = "from autograder.notebook_helpers import runtime; print(runtime.data_dir())"
    assert run("-c", probe, cwd=REPO / "solutions").stdout.strip() == str(REPO / "data")  # current folder
    assert run("-c", probe, COURSE_ROOT=str(REPO)).stdout.strip() == str(REPO / "data")  # environment
    graded = run("-m", "autograder", "--course", str(REPO), "grade", "--require-full",
                 str(REPO / "solutions" / "01_perceptron" / "01_perceptron.ipynb"))
    assert graded.returncode == 0, graded.stdout + graded.stderr
    assert re.search(r"^  total\s+(\d+)\s+\1$", graded.stdout, re.M), graded.stdout


# --- The student bundle ---------------------------------------------------------------------------

MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "BEGIN MARK SCHEME")


def secret_lines() -> set[str]:
    """Lines of every solution and hidden test (and model answer) in solutions/ that appear nowhere
    in public text: the rest of those notebooks and the helper modules students get (a line such as
    ``grad[index] = (f_plus - f_minus) / (2 * h)`` is in both a solution and ``gradcheck``)."""
    secret, public = set(), [path.read_text() for path in sorted((REPO / "autograder" / LEARNER_PACKAGE).glob("*.py"))]
    for name in course.assignments():
        for cell in course.read_notebook(course.solution_path(name)).cells:
            inside = False
            for line in cell.source.splitlines():
                stripped = line.strip()
                if any(marker in stripped for marker in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "BEGIN MARK SCHEME")):
                    inside = True
                elif any(marker in stripped for marker in ("END SOLUTION", "END HIDDEN TESTS", "END MARK SCHEME")):
                    inside = False
                elif inside and len(stripped) >= 25:
                    secret.add(stripped)
                elif not inside:
                    public.append(line)
    public_text = "\n".join(public)
    return {line for line in secret if line not in public_text}


def leaks(bundle: Path, secrets: set[str]) -> list[str]:
    found = []
    for path in sorted(p for p in bundle.rglob("*") if p.is_file()):
        relative = path.relative_to(bundle).as_posix()
        if path.suffix == ".db" or "gradebook" in path.name or relative.startswith(("solutions/", "tests/")):
            found.append(f"{relative}: not for students")
            continue
        text = path.read_text(errors="replace")
        found += [f"{relative}: nbgrader marker {marker!r}" for marker in MARKERS if marker in text]
        found += [f"{relative}: solution or hidden-test line {line[:60]!r}" for line in secrets if line in text]
    return found


@pytest.fixture(scope="module")
def student_bundle(tmp_path_factory):
    out = tmp_path_factory.mktemp("handout") / "bundle"
    assert cli.main(["bundle", "--out", str(out)]) == 0
    return out


def test_bundle_has_what_students_need_and_nothing_of_the_grader(student_bundle, tmp_path):
    files = {p.relative_to(student_bundle).as_posix() for p in student_bundle.rglob("*") if p.is_file()}
    assert {f"notebooks/{name}/{name}.ipynb" for name in course.assignments()} <= files
    helpers = {f"autograder/{LEARNER_PACKAGE}/{p.name}" for p in (REPO / "autograder" / LEARNER_PACKAGE).glob("*.py")}
    assert {f"autograder/{LEARNER_PACKAGE}/{name}.py" for name in ("runtime", "data", "gradcheck", "plotting")} <= helpers
    assert {p for p in files if p.startswith("autograder/")} == {"autograder/__init__.py"} | helpers
    assert {"README.md", "data/README.md", "requirements.txt", "pyproject.toml", "nbgrader_config.py",
            "jupyter-config/labconfig/page_config.json"} <= files
    # what the training cells print and plot: measured times and reference runs
    assert {"data/training_times.json", "data/reference/05_degradation.json", "data/reference/06_exposure_bias.json"} <= files
    readme = (student_bundle / "README.md").read_text()
    assert "pip install -r requirements.txt" in readme and "jupyter lab" in readme and "Validate" in readme
    requirements = (student_bundle / "requirements.txt").read_text()
    assert "torch==2.13.0" in requirements and "nbgrader==" in requirements and "dask" not in requirements
    secrets = secret_lines()
    assert len(secrets) > 100, "the scan must know the solutions"
    assert leaks(student_bundle, secrets) == []
    # The scan finds a leak when there is one.
    leaky = tmp_path / "leaky"
    shutil.copytree(student_bundle, leaky)
    shutil.copyfile(course.solution_path("07_factor_graphs"), leaky / "notebooks" / "07_factor_graphs" / "07_factor_graphs.ipynb")
    assert any("07_factor_graphs.ipynb: solution or hidden-test line" in leak for leak in leaks(leaky, secrets))


def test_bundle_refuses_a_folder_in_use(student_bundle, capsys):
    assert cli.main(["bundle", "--out", str(student_bundle)]) == 2
    assert "exists and is not an empty folder" in capsys.readouterr().err


RUN_RELEASED = """
import json, sys
import nbformat
from nbclient import NotebookClient
nb = nbformat.read(sys.argv[1], as_version=4)
nb.cells.append(nbformat.v4.new_code_cell(
    "import autograder, importlib.util; print('helpers at', autograder.__file__);"
    "print('grader present:', importlib.util.find_spec('autograder.grading') is not None)"))
NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True).execute(cwd=sys.argv[2])
errors = [o["ename"] for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
print(json.dumps({"errors": errors, "text": text}))
"""


@pytest.mark.slow
def test_bundle_installs_and_runs_a_released_notebook(student_bundle, tmp_path):
    import json

    source = tmp_path / "bundle-copy"  # building the wheel writes build/ beside its sources
    shutil.copytree(student_bundle, source)
    python = fresh_venv(tmp_path, source, "student-venv")
    notebook = student_bundle / "notebooks" / "01_perceptron" / "01_perceptron.ipynb"
    script = tmp_path / "run_released.py"
    script.write_text(RUN_RELEASED)
    done = subprocess.run([python, script, notebook, notebook.parent], env=clean_env(COURSE_FAST="1"),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["errors"] and set(result["errors"]) == {"NotImplementedError"}, result["errors"]
    assert f"data: {student_bundle / 'data'}" in result["text"]
    assert f"helpers at {tmp_path / 'student-venv'}" in result["text"] and "grader present: False" in result["text"]


# --- CI's newcomer path: missing data is named, `make demo` stops before grading -------------------

@pytest.mark.slow
def test_grade_names_the_missing_dataset(hidden_data):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", "--require-full",
                           str(course.solution_path("05_cnn_architectures"))],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Fashion-MNIST" in done.stdout, done.stdout
    assert "error: not full marks: 05_cnn_architectures" in done.stderr


@pytest.mark.slow
def test_make_demo_gets_data_first_and_stops_when_it_is_missing(hidden_data, tmp_path):
    if not shutil.which("make"):
        pytest.skip("no make")
    stamp = tmp_path / "installed"  # this environment is installed already: `make` must not reinstall it
    stamp.touch()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    start = time.perf_counter()
    make = subprocess.Popen(["make", "--no-print-directory", "demo", f"BIN={Path(sys.executable).parent}", f"STAMP={stamp}"],
                            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    try:
        out, _ = make.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(make.pid, 9)  # make and whatever it started (a grader, kernels)
        out, _ = make.communicate()
        pytest.fail(f"make demo did not stop within 120 s:\n{out[-3000:]}")
    assert make.returncode != 0, out
    assert "MISSING  fashion-mnist: Fashion-MNIST not found" in out
    assert "error: missing dataset(s): fashion-mnist, shakespeare, ocr-letters" in out
    assert "autograder release" not in out and "autograder grade" not in out, "grading must not start"
    assert time.perf_counter() - start < 60

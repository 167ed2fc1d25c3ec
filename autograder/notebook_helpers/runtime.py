"""Settings every notebook reads in its setup cell: fast mode, seeding, device and data folder.

Read them through these functions only, never from ``os.environ`` directly, so that the grader,
CI and a learner's laptop all agree on what "fast mode" means.
"""

from __future__ import annotations

import os
import random
import sys
from pathlib import Path

import numpy as np

FAST_ENV = "COURSE_FAST"
DEVICE_ENV = "COURSE_DEVICE"
DATA_ENV = "COURSE_DATA_DIR"
ROOT_ENV = "COURSE_ROOT"
# The backend Jupyter kernels plot with; set explicitly where matplotlib is imported before the
# kernel starts (grading zygote) or the caller's environment may say otherwise (lecture builds).
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def fast_mode() -> bool:
    """True when training cells should run in the reduced (CI / grading / laptop) mode.

    ``COURSE_FAST=1`` forces fast mode and ``COURSE_FAST=0`` full mode; unset (or empty), the device
    decides: full mode when training would run on a GPU, fast mode on a CPU, where full training can
    take most of an hour. Fast mode shrinks training (fewer epochs, a data subset); everything else
    is identical.
    """
    value = os.environ.get(FAST_ENV, "").strip().lower()
    if not value:
        return not training_uses_gpu()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(
        f"{FAST_ENV}={os.environ[FAST_ENV]!r} is not understood: set it to 1 (fast mode) or 0 (full mode)."
    )


def training_uses_gpu() -> bool:
    """True when torch sees a GPU and ``COURSE_DEVICE`` does not force another device.

    The same rule as :func:`pick_device`, without its error: fast mode only needs to know whether
    training would run on a GPU.
    """
    try:
        import torch
    except ImportError:  # a numpy-only install: everything runs on the CPU
        return False
    forced = os.environ.get(DEVICE_ENV, "").strip().lower()
    if forced and not forced.startswith("cuda"):
        return False
    return torch.cuda.is_available()


def seed_everything(seed: int = 0) -> np.random.Generator:
    """Seed Python, NumPy's global state and (if imported) torch; return a fresh NumPy Generator.

    Call it after the imports of the setup cell: torch is seeded only when the notebook has
    already imported it, so numpy-only notebooks do not pay for importing torch.
    """
    random.seed(seed)
    np.random.seed(seed)
    if "torch" in sys.modules:
        import torch

        torch.manual_seed(seed)  # seeds CUDA generators too
    return np.random.default_rng(seed)


def limit_threads(n: int = 1) -> None:
    """Use ``n`` CPU threads for NumPy's BLAS and (if imported) torch.

    Small arrays run faster on one thread (no hand-off between threads), and timing comparisons
    are only fair at equal thread counts.
    """
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=n)
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(n)


def pick_device(prefer: str | None = None):
    """The torch device training cells use: ``cuda`` when available, else ``cpu``.

    ``COURSE_DEVICE=cpu`` (or the ``prefer`` argument) forces a device, e.g. to compare timings.
    """
    import torch

    choice = (prefer or os.environ.get(DEVICE_ENV, "")).strip().lower()
    if choice:
        if choice.startswith("cuda") and not torch.cuda.is_available():
            raise RuntimeError(
                f"{DEVICE_ENV}={choice!r} asks for a GPU, but torch sees none "
                f"(torch {torch.__version__}); unset {DEVICE_ENV} to run on the CPU."
            )
        return torch.device(choice)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


class CourseNotFoundError(FileNotFoundError):
    """No course folder could be found; the message (one line) says how to name one."""


def is_course_folder(path: Path) -> bool:
    """A course folder holds ``nbgrader_config.py`` beside ``solutions/`` (instructors' clone) or
    ``notebooks/`` (a student bundle)."""
    path = Path(path)
    return (path / "nbgrader_config.py").is_file() and ((path / "solutions").is_dir() or (path / "notebooks").is_dir())


def find_course_root(cwd: Path | None = None) -> Path | None:
    """The course folder, or None: ``COURSE_ROOT`` if set, else the current folder or one of its
    parents, else the source checkout this package runs from (an editable install or a clone).

    Raises:
        CourseNotFoundError: ``COURSE_ROOT`` is set but is not a course folder.
    """
    configured = os.environ.get(ROOT_ENV)
    if configured:
        root = Path(configured).expanduser().resolve()
        if not is_course_folder(root):
            raise CourseNotFoundError(
                f"{ROOT_ENV}={configured} is not a course folder (it needs nbgrader_config.py and solutions/ or notebooks/)"
            )
        return root
    here = Path(cwd or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if is_course_folder(folder):
            return folder
    checkout = Path(__file__).resolve().parents[2]  # autograder/notebook_helpers/runtime.py: site-packages when installed
    return checkout if is_course_folder(checkout) else None


def course_root() -> Path:
    """The course folder (see ``find_course_root``), or a one-line CourseNotFoundError."""
    root = find_course_root()
    if root is None:
        raise CourseNotFoundError(
            f"no course folder found in {Path.cwd()} or its parents (one with nbgrader_config.py and "
            f"solutions/ or notebooks/): run from the course folder, pass --course DIR, or set {ROOT_ENV}=DIR"
        )
    return root


def use_course(root: Path | str) -> Path:
    """Make ``root`` the course folder of this process and of every process it starts (kernels,
    workers), through ``COURSE_ROOT``; returns it, absolute."""
    path = Path(root).expanduser().resolve()
    if not is_course_folder(path):
        raise CourseNotFoundError(f"{root} is not a course folder (it needs nbgrader_config.py and solutions/ or notebooks/)")
    os.environ[ROOT_ENV] = str(path)
    return path


def __getattr__(name: str):
    if name == "REPO_ROOT":  # kept for older code: the course folder, resolved on each access
        return course_root()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def data_dir() -> Path:
    """Folder where datasets are cached: ``COURSE_DATA_DIR`` if set, else the course folder's ``data/``.

    Absolute, so it works from any working directory (nbgrader grades in a different folder).
    """
    configured = os.environ.get(DATA_ENV)
    path = Path(configured).expanduser() if configured else course_root() / "data"
    return path.resolve()


def mode_reason() -> str:
    """Why fast mode is on or off, and how to change it, in words for the setup cell."""
    value = os.environ.get(FAST_ENV, "").strip()
    fast = fast_mode()
    switch = f"start Jupyter with {FAST_ENV}={0 if fast else 1} for {'full' if fast else 'short'} training runs"
    if value:
        return f"set by {FAST_ENV}={value}; {switch}"
    if fast:
        return f"{FAST_ENV} unset and no GPU, so training is sized for a CPU; {switch} (minutes to an hour on a CPU)"
    return f"{FAST_ENV} unset and a GPU is available; {switch}"


def describe(device=None) -> str:
    """One line for the setup cell's output: mode (and why), device and data folder."""
    parts = [f"fast mode: {'on' if fast_mode() else 'off'} ({mode_reason()})"]
    if device is not None:
        parts.append(f"device: {device}")
    parts.append(f"data: {data_dir()}")
    return " | ".join(parts)


# --- What a training cell costs, said before it starts -------------------------------------------------
# The measured wall-clock times of every training cell live in one file, data/training_times.json
# (with how, where and when each was measured), so that no notebook types a figure that goes stale.
TIMES_FILE = "training_times.json"
REFERENCE_FOLDER = "reference"
GRADING_ENV = "NBGRADER_EXECUTION"


def _course_file(*parts: str) -> Path:
    """A file that ships with the course (not a downloaded dataset): under the course folder's data/."""
    return course_root().joinpath("data", *parts)


def training_times() -> dict:
    """The table of measured training times, ``{cell name: {"what", "fast", "full"}}``."""
    import json

    return json.loads(_course_file(TIMES_FILE).read_text())["cells"]


def _duration(seconds: float) -> str:
    if seconds < 180:
        return f"about {max(1, round(seconds))} s"
    minutes = seconds / 60
    return f"about {minutes:.0f} min" if minutes < 90 else f"about {minutes / 60:.1f} h"


def _measured(entry: dict | None, device: str, where: str) -> str:
    if not entry:
        return f"{device}: no measurement yet"
    return f"{_duration(entry['seconds'])} on {where}"


def _mode_line(mode: dict) -> str:
    return f"{_measured(mode.get('cpu'), 'CPU', 'a 2-core CPU')}; {_measured(mode.get('gpu'), 'GPU', 'one GPU')}"


def announce(name: str) -> str:
    """Print (and return) what the training cell ``name`` trains and how long it took where measured.

    The line is for the learner who is about to press Run: the current mode's size and times first,
    then the other mode's, e.g. "Training LeNet-5 on Fashion-MNIST: 10,000 images x 2 epochs (fast
    mode). Measured: about 4 s on a 2-core CPU; GPU: no measurement yet. ..."
    """
    table = training_times()
    if name not in table:
        raise KeyError(f"{name!r} is not in data/{TIMES_FILE}: add its measured times there")
    cell = table[name]
    current, other = ("fast", "full") if fast_mode() else ("full", "fast")
    lines = [
        f"Training {cell['what']}: {cell[current]['size']} ({current} mode).",
        f"  Time: {_mode_line(cell[current])}.",
        f"  In {other} mode ({FAST_ENV}={1 if other == 'fast' else 0}): {cell[other]['size']}; {_mode_line(cell[other])}.",
    ]
    text = "\n".join(lines)
    print(text, flush=True)
    return text


def grading() -> bool:
    """True while an autograder runs the notebook (nbgrader and this package set NBGRADER_EXECUTION)."""
    return os.environ.get(GRADING_ENV, "").strip().lower() == "autograde"


def progress(iterable=None, **kwargs):
    """A progress bar (``tqdm.auto``: a widget in Jupyter, text elsewhere), switched off while grading.

    Takes tqdm's arguments. Under grading nobody watches the bar, and tqdm writes to stderr, which a
    grader reads as a warning; the returned object then still supports ``update``, ``set_postfix``
    and ``close``, silently.
    """
    from tqdm.auto import tqdm

    kwargs["disable"] = kwargs.get("disable", False) or grading()
    return tqdm(iterable, **kwargs)


def reference_results(name: str) -> dict:
    """Results measured once with larger settings than a learner's run, shipped as
    ``data/reference/<name>.json`` with their provenance (device, date, commit, settings)."""
    import json

    path = _course_file(REFERENCE_FOLDER, f"{name}.json")
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: it ships with the course (data/{REFERENCE_FOLDER}/)")
    return json.loads(path.read_text())


def reference_label(reference: dict) -> str:
    """One line saying where a reference run comes from (settings; device, date, commit)."""
    about = reference["provenance"]
    return f"reference run ({about['settings']}; {about['device']}, {about['date']}, commit {about['commit']})"

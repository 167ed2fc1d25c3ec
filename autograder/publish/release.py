"""Generate the student notebooks (``notebooks/``) from the nbgrader sources (``solutions/``).

nbgrader's generate_assignment does the work (solutions replaced by stubs, hidden tests removed,
cells locked and checksummed); it runs in a temporary course root without a gradebook, and the
result is written with outputs and execution counts stripped, so releasing twice gives
byte-identical files.
"""

from __future__ import annotations

import filecmp
import shutil
import tempfile
from pathlib import Path

import nbformat

from autograder import course


def _strip(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return nb


def release(names: list[str] | None = None, dest: Path | None = None) -> list[Path]:
    """Regenerate released notebooks; returns the files written.

    Args:
        names: notebook folders to release (default: all in solutions/).
        dest: output root (default notebooks/); tests pass a temporary folder to check for drift.
    """
    dest = Path(dest) if dest else course.NOTEBOOKS_DIR
    names = names or course.assignments()
    unknown = sorted(set(names) - set(course.assignments()))
    if unknown:
        raise course.CourseError(f"no solutions/<name>/<name>.ipynb for: {', '.join(unknown)}")
    written = []
    for name in names:
        with tempfile.TemporaryDirectory(prefix="release-") as tmp:
            released = course.generate_assignment(name, Path(tmp), gradebook=False)
            target = dest / name
            if target.exists():
                shutil.rmtree(target)
            target.mkdir(parents=True)
            for path in sorted(released.rglob("*")):
                out = target / path.relative_to(released)
                if path.is_dir():
                    out.mkdir(exist_ok=True)
                elif path.suffix == ".ipynb":
                    nbformat.write(_strip(nbformat.read(path, as_version=4)), out)
                    written.append(out)
                else:
                    shutil.copyfile(path, out)
                    written.append(out)
    return written


def drift() -> list[str]:
    """Files under notebooks/ that differ from a fresh release (missing, extra or changed)."""
    with tempfile.TemporaryDirectory(prefix="release-check-") as tmp:
        fresh = Path(tmp)
        release(dest=fresh)
        expected = {p.relative_to(fresh) for p in fresh.rglob("*") if p.is_file()}
        actual = {p.relative_to(course.NOTEBOOKS_DIR) for p in course.NOTEBOOKS_DIR.rglob("*") if p.is_file()}
        problems = [f"missing: notebooks/{p}" for p in sorted(expected - actual)]
        problems += [f"not produced by release: notebooks/{p}" for p in sorted(actual - expected)]
        problems += [
            f"differs from release: notebooks/{p}"
            for p in sorted(expected & actual)
            if not filecmp.cmp(fresh / p, course.NOTEBOOKS_DIR / p, shallow=False)
        ]
        return problems

"""The results folder's files: one name per student and notebook, written atomically."""

from __future__ import annotations

import os
import re
from pathlib import Path


def safe_name(name: str) -> str:
    """A student or notebook name as a file name (anything but letters, digits and ``_.@+-`` becomes ``_``)."""
    return re.sub(r"[^A-Za-z0-9_.@+-]", "_", name) or "_"


def result_path(out: Path, student: str, notebook: str) -> Path:
    return Path(out) / "json" / safe_name(student) / f"{safe_name(notebook)}.json"


def feedback_path(out: Path, student: str, notebook: str) -> Path:
    return Path(out) / "feedback" / safe_name(student) / f"{safe_name(notebook)}.html"


def write_atomically(path: Path, text: str) -> None:
    """A reader (or an interrupted run) sees the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.part")
    partial.write_text(text)
    partial.replace(path)

"""The limits of a grading kernel (what an instructor sets) and the settings it is launched with
(what the launcher, and a zygote's forked child, apply before any submitted code runs).

``LaunchSettings`` travels as one JSON argument of the launcher's command line
(``python -m autograder.kernel.launcher --settings JSON -f CONNECTION_FILE``) and, through the
zygote, as the same JSON: ``encode``/``decode`` are the only two places that know the format.
Adding a limit means adding a field here and applying it in ``launcher.start``.

Imports only the standard library: the launcher reads it before anything else.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass, fields
from pathlib import Path


@dataclass(frozen=True)
class Limits:
    """What a grading run allows each notebook (``grade-class --timeout --cell-timeout --memory-mb --figures``)."""

    notebook_timeout_s: float = 900.0
    cell_timeout_s: float = 300.0
    memory_mb: int = 4096
    file_size_mb: int = 64
    max_processes: int = 256
    max_output_kb: int = 2048  # per cell; beyond it outputs are dropped and the cell is interrupted
    threads: int | None = None  # BLAS/OpenMP threads per kernel (grade-class: cores / workers)
    # Draw plots as PNG outputs? Figures are still made and closed as usual; only the drawing, which
    # no grade depends on, is skipped (about half of notebook 01's grading time).
    figures: bool = False
    # Folders the kernel must not see besides the course's own (isolation.hidden_paths): grade-class
    # adds the submissions and the results folders.
    hidden_paths: tuple[str, ...] = ()


@dataclass(frozen=True)
class LaunchSettings:
    """Everything one grading kernel is started with, in one place."""

    workdir: str  # its working folder, the only one it may write besides ``channel``
    channel: str  # folder of the Unix sockets it talks over, and of its isolation report
    memory_mb: int  # address space (RLIMIT_AS)
    cpu_s: int  # CPU seconds (RLIMIT_CPU)
    file_size_mb: int  # largest file it may write (RLIMIT_FSIZE)
    max_processes: int  # processes it may start (pids cgroup, else RLIMIT_NPROC)
    cgroup: str | None  # the pids cgroup the grader prepared, None where it could not make one
    environment_keys: tuple[str, ...]  # variables the grader set: the guard reports changes to them
    figures: bool  # draw plots to PNG (False: made and closed, never drawn)
    hidden: tuple[str, ...] | None  # folders to hide (isolation.enter); None: no isolation (tests)
    zygote: str | None = None  # a warm zygote's abstract socket name: ask it to fork the kernel

    @property
    def pid_file(self) -> Path:
        """Where a zygote writes the pid of the kernel it forked: beside the working folder, so the
        grader can kill it whatever the kernel does to its own folder."""
        return Path(self.workdir).parent / "kernel.pid"

    @property
    def isolation_report(self) -> Path:
        """The kernel writes the isolation level it reached here before any cell runs."""
        return Path(self.channel) / "isolation.json"

    @classmethod
    def for_sandbox(cls, workdir: Path, channel: Path, limits: Limits, cgroup: Path | None, environment_keys,
                    hidden: list[str] | None, zygote: str | None) -> LaunchSettings:
        return cls(workdir=str(workdir), channel=str(channel), memory_mb=limits.memory_mb,
                   cpu_s=int(limits.notebook_timeout_s * 2) + 10, file_size_mb=limits.file_size_mb,
                   max_processes=limits.max_processes, cgroup=str(cgroup) if cgroup else None,
                   environment_keys=tuple(sorted(environment_keys)), figures=limits.figures,
                   hidden=None if hidden is None else tuple(hidden), zygote=zygote)

    def encode(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def decode(cls, text: str) -> LaunchSettings:
        data = json.loads(text)
        unknown = set(data) - {f.name for f in fields(cls)}
        if unknown:
            raise ValueError(f"unknown launch settings: {', '.join(sorted(unknown))}")
        for name in ("environment_keys", "hidden"):
            if data.get(name) is not None:
                data[name] = tuple(data[name])
        return cls(**data)

    def argv(self, connection_file: str = "{connection_file}") -> list[str]:
        """The kernelspec's argv (jupyter_client fills in ``{connection_file}``)."""
        return [sys.executable, "-m", "autograder.kernel.launcher", "--settings", self.encode(), "-f", connection_file]

"""requirements.txt (pip) and environment.yml (conda, Binder) describe the same environment."""

import os
import re

import yaml

from autograder.notebook_helpers.runtime import REPO_ROOT


def _requirements():
    pins = {}
    for line in (REPO_ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, version = line.split("==")
            pins[name.strip().lower()] = version.strip()
    return pins


def _environment():
    return yaml.safe_load((REPO_ROOT / "environment.yml").read_text())


def _environment_yml():
    """The pinned packages of environment.yml: conda `name=version` and pip `name==version` entries."""
    pins = {}
    for entry in _environment()["dependencies"]:
        for spec in entry["pip"] if isinstance(entry, dict) else [entry]:
            name, _, version = re.split(r"(==|=)", spec, maxsplit=1) if "=" in spec else (spec, "", "")
            if name.strip() not in ("python", "pip"):
                pins[name.strip().lower()] = version.strip()
    return pins


def test_every_requirement_is_pinned_exactly():
    assert _requirements()["torch"] == "2.13.0", "a looser torch pin pulls a multi-GB CUDA build"
    for line in (REPO_ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        assert not line or "==" in line, f"not pinned: {line}"


def test_environment_yml_matches_requirements():
    assert _environment_yml() == _requirements()


def test_environment_yml_is_enough_for_conda_and_binder():
    env = _environment()
    assert env["name"] == "dl-course" and "python=3.11" in env["dependencies"] and "pip" in env["dependencies"]
    assert all(not str(spec).startswith(("-e", ".")) for spec in _environment_yml()), (
        "Binder installs environment.yml before the repository is copied in: no local paths in it"
    )
    # Binder then runs postBuild (the course package) and start (JupyterLab settings, fast mode).
    assert "pip install --no-deps -e ." in (REPO_ROOT / "postBuild").read_text()
    assert "jupyter-config" in (REPO_ROOT / "start").read_text()
    for script in ("postBuild", "start"):
        assert os.access(REPO_ROOT / script, os.X_OK), f"{script} must be executable for repo2docker"

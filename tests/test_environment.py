"""requirements.txt (pip) and environment.yml (conda, Binder) describe the same environment."""

import re

from autograder.runtime import REPO_ROOT


def _requirements():
    pins = {}
    for line in (REPO_ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, version = line.split("==")
            pins[name.strip().lower()] = version.strip()
    return pins


def _environment_yml():
    """The pinned packages of environment.yml: conda `name=version` and pip `name==version` entries."""
    pins = {}
    for line in (REPO_ROOT / "environment.yml").read_text().splitlines():
        match = re.match(r"^\s*-\s*([A-Za-z0-9_.\-]+)\s*(==|=)\s*([^\s#]+)", line)
        if match and match.group(1) not in ("python", "pip"):
            pins[match.group(1).lower()] = match.group(3)
    return pins


def test_every_requirement_is_pinned_exactly():
    assert _requirements()["torch"] == "2.13.0", "a looser torch pin pulls a multi-GB CUDA build"
    for line in (REPO_ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        assert not line or "==" in line, f"not pinned: {line}"


def test_environment_yml_matches_requirements():
    assert _environment_yml() == _requirements()


def test_environment_yml_names_the_python_and_the_course_package():
    text = (REPO_ROOT / "environment.yml").read_text()
    assert re.search(r"-\s*python\s*=\s*3\.11", text)
    assert "-e ." in text, "environment.yml must install the course package"

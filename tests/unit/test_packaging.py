"""The pinned requirement files agree with pyproject.toml, and the egg scrapyd runs holds the crawler only."""

from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

PROJECT_ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = PROJECT_ROOT / "requirements"


def project_table() -> dict:
    """The ``[project]`` table of pyproject.toml."""
    with open(PROJECT_ROOT / "pyproject.toml", "rb") as file:
        return tomllib.load(file)["project"]


def declared(extras: tuple[str, ...]) -> dict[str, Requirement]:
    """pyproject's dependencies and those of ``extras`` by normalised name, extras of the project itself expanded."""
    project = project_table()
    own_name = canonicalize_name(project["name"])
    lines, expanded, pending = list(project["dependencies"]), set(), list(extras)
    while pending:
        extra = pending.pop()
        if extra not in expanded:
            expanded.add(extra)
            for line in project["optional-dependencies"][extra]:
                requirement = Requirement(line)
                if canonicalize_name(requirement.name) == own_name:
                    pending += requirement.extras
                else:
                    lines.append(line)
    requirements: dict[str, Requirement] = {}
    for line in lines:
        requirement = Requirement(line)
        assert canonicalize_name(requirement.name) not in requirements, f"{requirement.name} is declared twice"
        requirements[canonicalize_name(requirement.name)] = requirement
    return requirements


def pinned(path: Path) -> dict[str, Requirement]:
    """The requirements of a pip requirements file by normalised name, following its ``-r`` includes."""
    requirements: dict[str, Requirement] = {}
    for line in path.read_text("utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("-r "):
            included = pinned(path.parent / line.removeprefix("-r ").strip())
        elif line:
            requirement = Requirement(line)
            included = {canonicalize_name(requirement.name): requirement}
        else:
            continue
        twice = requirements.keys() & included.keys()
        assert not twice, f"{path.name} pins {twice} twice"
        requirements.update(included)
    return requirements


@pytest.mark.parametrize(("file_name", "extras"), [
    ("runtime.txt", ()),
    ("web.txt", ("web",)),
    ("dev.txt", tuple(project_table()["optional-dependencies"])),
])
def test_each_requirements_file_pins_exactly_the_dependencies_pyproject_declares_for_it(file_name, extras):
    pins = pinned(REQUIREMENTS / file_name)
    expected = declared(extras)
    assert set(pins) == set(expected)
    for name, pin in pins.items():
        (specifier,) = pin.specifier
        assert specifier.operator == "==", f"{pin} is not an exact pin"
        assert expected[name].specifier.contains(specifier.version), f"{pin} is outside pyproject's {expected[name]}"
        assert pin.extras == expected[name].extras and pin.marker == expected[name].marker, pin


def test_the_egg_scrapyd_deploy_builds_holds_the_crawler_only(tmp_path):
    # The command scrapyd-deploy runs, with every build directory in tmp_path instead of the project.
    subprocess.run([sys.executable, "setup.py", "-q", "egg_info", "--egg-base", str(tmp_path),
                    "build", "--build-base", str(tmp_path / "build"),
                    "bdist_egg", "--bdist-dir", str(tmp_path / "bdist"), "--dist-dir", str(tmp_path / "dist")],
                   cwd=PROJECT_ROOT, check=True, capture_output=True, timeout=120)
    (egg,) = (tmp_path / "dist").glob("*.egg")
    with zipfile.ZipFile(egg) as contents:
        modules = {name for name in contents.namelist() if name.endswith(".py")}
        entry_points = contents.read("EGG-INFO/entry_points.txt").decode()
    crawler = {path.relative_to(PROJECT_ROOT).as_posix() for path in (PROJECT_ROOT / "zendesk_crawler").rglob("*.py")}
    assert modules == crawler  # every module of the crawler, and no sandbox, tests or benchmarks
    assert "[scrapy]\nsettings = zendesk_crawler.settings" in entry_points

"""The committed lock pins every dependency that pyproject.toml names, inside its range.

The README's commands install through the lock; a range changed without refreshing it would
install something no one tested (or fail to resolve) on a fresh machine.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent


def locked_versions() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        requirement = Requirement(line)
        (specifier,) = requirement.specifier  # one "==" pin per line
        assert specifier.operator == "==", line
        pins[canonicalize_name(requirement.name)] = specifier.version
    return pins


def declared_requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        declared.extend(extra)
    return [Requirement(text) for text in declared]


@pytest.mark.parametrize("requirement", declared_requirements(), ids=str)
def test_every_declared_requirement_is_pinned_inside_its_range(requirement: Requirement) -> None:
    if requirement.marker and not requirement.marker.evaluate(default_environment()):
        pytest.skip("not for this platform")
    pins = locked_versions()
    name = canonicalize_name(requirement.name)
    assert name in pins, f"{requirement.name} is not in requirements.lock: refresh the lock"
    assert requirement.specifier.contains(pins[name], prereleases=True), (
        f"requirements.lock pins {requirement.name}=={pins[name]}, outside {requirement.specifier}"
    )


def test_the_lock_holds_no_prerelease_and_no_local_path() -> None:
    for name, version in locked_versions().items():
        assert not Version(version).is_prerelease, (name, version)
    assert "file:" not in (ROOT / "requirements.lock").read_text()


def test_the_readme_commands_install_through_the_lock() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "pip install -c requirements.lock -e . && smptrack serve --demo" in readme
    assert 'pip install -c requirements.lock -e ".[test]" && python -m pytest' in readme
    assert "-c requirements.lock" in (ROOT / ".ci" / "run").read_text()

"""smptrack.domain imports the standard library only (STYLE.md, "What may import what")."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

DOMAIN = Path(__file__).resolve().parents[2] / "smptrack" / "domain"


def foreign_imports(source: str) -> list[str]:
    """Top-level names imported by ``source`` that are neither standard library nor our domain."""
    foreign = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names = [node.module or ""]
        else:
            continue  # relative imports stay inside the domain package
        foreign += [
            name
            for name in names
            if name.split(".")[0] not in sys.stdlib_module_names
            and name != "smptrack.domain"
            and not name.startswith("smptrack.domain.")
        ]
    return foreign


def domain_modules() -> list[Path]:
    return sorted(DOMAIN.rglob("*.py"))


def test_the_domain_package_has_its_modules() -> None:
    names = {path.name for path in domain_modules()}
    assert {"__init__.py", "uv.py", "fade.py"} <= names


@pytest.mark.parametrize("path", domain_modules(), ids=lambda path: path.name)
def test_a_domain_module_imports_only_the_standard_library(path: Path) -> None:
    assert foreign_imports(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    ("source", "foreign"),
    [
        ("import flask", ["flask"]),
        ("from sqlalchemy import orm", ["sqlalchemy"]),
        ("import smptrack.models", ["smptrack.models"]),
        ("from smptrack import extensions", ["smptrack"]),
        ("def f():\n    import numpy\n", ["numpy"]),
        ("import math, json\nfrom datetime import date", []),
        ("from smptrack.domain import uv\nfrom . import fade\nfrom .uv import constant", []),
    ],
)
def test_the_checker_tells_foreign_imports_from_allowed_ones(
    source: str, foreign: list[str]
) -> None:
    assert foreign_imports(source) == foreign

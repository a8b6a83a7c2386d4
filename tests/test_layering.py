"""The direction of imports between the project's apps (STYLE.md, docs/ARCHITECTURE.md), read
from the source with `ast`, so that a lazy import inside a function counts as much as one at the
top of a module:

- nothing imports a portal-side app: no module outside `publicity` imports `publicity`, none
  outside `my` imports `my`;
- registry ← blacklists ← sanctions: the registry imports neither lists nor sanctions, the lists
  app never imports sanctions (it writes outbox events that sanctions consumes).

Tests and benchmarks are drivers that exercise the portals from outside and are not checked.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DRIVERS = {"tests", "benchmarks", ".venv", "node_modules", "static", "templates"}

# app → apps it must never import (its own package excepted)
FORBIDDEN = {
    "registry": {"blacklists", "sanctions"},
    "blacklists": {"sanctions"},
}
PORTAL_SIDE = ("publicity", "my")


def project_modules() -> list[Path]:
    return sorted(
        path
        for path in ROOT.rglob("*.py")
        if not DRIVERS.intersection(path.relative_to(ROOT).parts[:1])
        and not any(part.startswith(".") for part in path.relative_to(ROOT).parts)
    )


def imported_packages(source: str) -> list[tuple[int, str]]:
    """(line, top-level package) of every absolute import in the source, at any depth."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name.split(".")[0]) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module.split(".")[0]))
    return found


def violations(package: str, source: str) -> list[str]:
    """Why this module (in top-level `package`) breaks the import direction, if it does."""
    problems = []
    for line, imported in imported_packages(source):
        if imported == package:
            continue
        if imported in PORTAL_SIDE:
            problems.append(f"{line}: imports the portal-side app {imported!r}")
        if imported in FORBIDDEN.get(package, ()):
            problems.append(f"{line}: {package!r} must not import {imported!r}")
    return problems


def test_the_scan_sees_the_project():
    packages = {path.relative_to(ROOT).parts[0] for path in project_modules()}
    assert {"registry", "blacklists", "sanctions", "publicity", "my", "reports", "scs"} <= packages
    assert "tests" not in packages


@pytest.mark.parametrize(
    ("package", "source"),
    [
        ("my", "from publicity.views import special_report_response\n"),
        ("publicity", "def f():\n    import my.views\n"),
        ("scs", "from publicity import labels\n"),
        ("reports", "import publicity\n"),
        ("registry", "def later():\n    from blacklists.models import ListEntry\n"),
        ("registry", "from sanctions import selectors\n"),
        ("blacklists", "from sanctions.models import Sanction\n"),
    ],
)
def test_the_check_catches_an_upward_import(package, source):
    assert violations(package, source)


@pytest.mark.parametrize(
    ("package", "source"),
    [
        ("publicity", "from publicity import selectors\nfrom reports.pdf import issue_report\n"),
        ("my", "from my import auth\nfrom blacklists import forms\n"),
        ("sanctions", "from blacklists.models import ListEntry\nfrom registry import names\n"),
        ("blacklists", "from registry.models import Subject\n"),
        ("scs", "import mypy\nfrom myths import x\n"),
    ],
)
def test_the_check_allows_downward_imports(package, source):
    assert violations(package, source) == []


def test_nothing_imports_a_portal_side_app_and_the_domain_chain_points_one_way():
    found = {}
    for path in project_modules():
        relative = path.relative_to(ROOT)
        problems = violations(relative.parts[0], path.read_text(encoding="utf-8"))
        if problems:
            found[str(relative)] = problems
    assert found == {}

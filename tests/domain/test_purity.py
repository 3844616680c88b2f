"""The domain stays pure: standard library, zoneinfo and holidays only, and no clock."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

DOMAIN = Path(__file__).resolve().parents[2] / "app" / "domain"
SOURCES = sorted(DOMAIN.glob("*.py"))
ALLOWED_THIRD_PARTY = {"holidays"}
CLOCK_CALLS = {"now", "today", "utcnow", "time", "monotonic", "perf_counter", "time_ns"}


def _imported_modules(tree: ast.AST) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
    return modules


def test_the_domain_has_sources() -> None:
    assert {path.name for path in SOURCES} >= {
        "__init__.py",
        "model.py",
        "calendar.py",
        "rules.py",
        "plan.py",
        "texts.py",
    }


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: path.name)
def test_imports_only_the_standard_library_holidays_and_itself(path: Path) -> None:
    for module in _imported_modules(ast.parse(path.read_text())):
        top = module.split(".")[0]
        if top == "app":
            assert module.startswith("app.domain"), f"{path.name} imports {module}"
        else:
            assert top in sys.stdlib_module_names or top in ALLOWED_THIRD_PARTY, module


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: path.name)
def test_never_reads_the_clock(path: Path) -> None:
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            assert node.func.attr not in CLOCK_CALLS, f"{path.name}:{node.lineno} reads the clock"

"""The layering STYLE.md asks for, enforced: the domain stays pure."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

DOMAIN = Path(__file__).resolve().parents[1] / "app" / "domain"
ALLOWED_THIRD_PARTY = {"holidays", "tzdata", "zoneinfo"}


def _imported_modules(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module)
    return modules


def _allowed(module: str) -> bool:
    root = module.split(".")[0]
    if root == "app":
        return module == "app.domain" or module.startswith("app.domain.")
    return root in sys.stdlib_module_names or root in ALLOWED_THIRD_PARTY


def test_domain_imports_only_the_standard_library_zoneinfo_and_holidays() -> None:
    files = sorted(DOMAIN.glob("**/*.py"))
    assert files, "the domain package has no modules"
    offenders = {
        path.name: sorted(m for m in _imported_modules(path) if not _allowed(m)) for path in files
    }
    assert {name: bad for name, bad in offenders.items() if bad} == {}


def test_the_purity_check_catches_a_framework_import(tmp_path: Path) -> None:
    leaky = tmp_path / "leaky.py"
    leaky.write_text("import sqlalchemy\nfrom app.db import models\nfrom datetime import date\n")
    assert sorted(m for m in _imported_modules(leaky) if not _allowed(m)) == [
        "app.db",
        "sqlalchemy",
    ]


def test_domain_never_reads_the_clock() -> None:
    for path in DOMAIN.glob("**/*.py"):
        source = path.read_text()
        for forbidden in ("datetime.now(", "datetime.utcnow(", "date.today(", "time.time("):
            assert forbidden not in source, f"{path.name} reads the clock via {forbidden}"

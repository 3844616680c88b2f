"""The layering STYLE.md asks for, enforced.

From the bottom up: the domain (pure: the standard library and ``holidays`` only, and no
clock); ``schemas`` (the domain and themselves); ``db`` < ``repositories`` < ``services``
< ``api``, each importing only the layers below it (``schemas`` from ``services`` and
``api``); ``mcp_server`` sits beside ``api`` and may import it. ``clock``, ``errors``,
``settings`` and ``observability`` sit beside the layers for every one of them but the
domain and the schemas; ``main`` and ``cli`` assemble it all.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[1] / "app"
DOMAIN = APP / "domain"
ALLOWED_THIRD_PARTY = {"holidays"}  # zoneinfo is the standard library's
CLOCK_CALLS = {"now", "today", "utcnow", "time", "monotonic", "perf_counter", "time_ns"}

# The parts of `app` beside the layers: each imports only the others of them.
BESIDE = {"clock", "errors", "settings", "observability"}
LAYERS = ["db", "repositories", "services", "api"]  # from the bottom up
# Entry points at the API layer's level, beside it: they may import what `api` may, and
# `api` itself (its dependencies, its route functions); nothing below imports them.
ENTRY_POINTS = {"mcp_server"}
# What assembles the application: it may import anything.
ASSEMBLY = {"app", "main", "cli", "__main__"}
ORM_MODELS = "app.db.models"


def _module(path: Path) -> str:
    parts = path.relative_to(APP.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(path: Path) -> set[str]:
    """The absolute modules ``path`` imports; ``from app import domain`` is ``app.domain``."""
    package = _module(path).split(".") if path.is_relative_to(APP) else []
    if path.name != "__init__.py":
        package = package[:-1]
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            if module != "app":  # the package itself holds nothing; its modules count
                modules.add(module)
            # The names may be modules too (`from app.db import models`).
            modules.update(f"{module}.{alias.name}" for alias in node.names)
    return modules


def _part(module: str) -> str:
    """The layer (or the part beside them) a module of `app` belongs to."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def _may_import(part: str) -> set[str]:
    if part == "domain":
        return {"domain"}
    if part == "schemas":
        return {"domain", "schemas"}
    if part in BESIDE:
        return BESIDE
    if part in ENTRY_POINTS:
        return {*_may_import("api"), "api", part}
    below = LAYERS[: LAYERS.index(part) + 1]
    schemas = {"schemas"} if part in {"services", "api"} else set()
    return {"domain", *BESIDE, *below, *schemas}


def _app_sources() -> list[Path]:
    return sorted(APP.glob("**/*.py"))


def _offenders(part_of_interest: str | None = None) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in _app_sources():
        module = _module(path)
        part = _part(module)
        if part in ASSEMBLY or (part_of_interest and part != part_of_interest):
            continue
        allowed = _may_import(part)
        bad = sorted(
            imported
            for imported in _imported(path)
            if imported.split(".")[0] == "app" and _part(imported) not in allowed
        )
        if bad:
            found[module] = bad
    return found


# --- the domain --------------------------------------------------------------------------


def _outside_the_domain(module: str) -> bool:
    root = module.split(".")[0]
    if root == "app":
        return not (module == "app.domain" or module.startswith("app.domain."))
    return root not in sys.stdlib_module_names and root not in ALLOWED_THIRD_PARTY


def test_the_domain_has_its_modules() -> None:
    assert {path.name for path in DOMAIN.glob("*.py")} >= {
        "__init__.py",
        "model.py",
        "calendar.py",
        "rules.py",
        "plan.py",
        "texts.py",
    }


@pytest.mark.parametrize("path", sorted(DOMAIN.glob("**/*.py")), ids=lambda path: path.name)
def test_the_domain_imports_only_the_standard_library_holidays_and_itself(path: Path) -> None:
    assert sorted(m for m in _imported(path) if _outside_the_domain(m)) == []


@pytest.mark.parametrize("path", sorted(DOMAIN.glob("**/*.py")), ids=lambda path: path.name)
def test_the_domain_never_reads_the_clock(path: Path) -> None:
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            assert node.func.attr not in CLOCK_CALLS, f"{path.name}:{node.lineno} reads the clock"


def test_the_purity_check_catches_a_framework_import(tmp_path: Path) -> None:
    leaky = tmp_path / "leaky.py"
    leaky.write_text("import sqlalchemy\nfrom app.db import models\nfrom datetime import date\n")
    assert sorted(m for m in _imported(leaky) if _outside_the_domain(m)) == [
        "app.db",
        "app.db.models",
        "sqlalchemy",
    ]


# --- the layers --------------------------------------------------------------------------


def test_schemas_import_only_the_domain_and_schemas() -> None:
    assert _offenders("schemas") == {}


def test_no_layer_imports_one_above_it() -> None:
    assert _offenders() == {}


def test_the_layer_rule_is_one_way() -> None:
    assert "api" not in _may_import("services")
    assert "services" not in _may_import("repositories")
    assert "repositories" not in _may_import("db")
    assert "services" not in _may_import("schemas")
    assert _may_import("domain") == {"domain"}
    assert "schemas" not in _may_import("repositories")


@pytest.mark.parametrize("layer", ["api", *sorted(ENTRY_POINTS)])
def test_api_imports_no_orm_model(layer: str) -> None:
    importing = {
        _module(path)
        for path in sorted((APP / layer).glob("**/*.py"))
        if any(m == ORM_MODELS or m.startswith(ORM_MODELS + ".") for m in _imported(path))
    }
    assert importing == set(), f"{layer}/ reaches ORM rows through services, answers with schemas"


def test_entry_points_sit_beside_the_api_and_nothing_below_imports_them() -> None:
    assert "api" in _may_import("mcp_server")
    assert all("mcp_server" not in _may_import(layer) for layer in [*LAYERS, "schemas"])
    assert _offenders("mcp_server") == {}


def test_the_layer_check_catches_an_import_from_above(tmp_path: Path) -> None:
    leaky = tmp_path / "leaky.py"
    leaky.write_text("from app import domain\nfrom app.services import events\n")
    imported = _imported(leaky)
    assert {"app.domain", "app.services.events"} <= imported
    assert sorted(m for m in imported if _part(m) not in _may_import("schemas")) == [
        "app.services",
        "app.services.events",
    ]

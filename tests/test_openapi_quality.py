"""The OpenAPI document is what integrators build clients from: every field described,
every request body with an example, every error declared, stable operation IDs."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from app.main import contract_document, create_app
from app.settings import Settings


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    settings = Settings(secret_key="openapi-only", database_url="sqlite+aiosqlite:///:memory:")
    return create_app(settings).openapi()


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]


def _described(spec: dict[str, Any], schemas: dict[str, Any]) -> bool:
    """A property is described by itself, by a branch of its `anyOf` (an optional value),
    or by the component it refers to (an enum's own description)."""
    if spec.get("description"):
        return True
    ref = spec.get("$ref")
    if ref and schemas.get(ref.rsplit("/", 1)[-1], {}).get("description"):
        return True
    return any(_described(branch, schemas) for branch in spec.get("anyOf", []))


def test_every_schema_property_is_described(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    undescribed = [
        f"{name}.{prop}"
        for name, schema in schemas.items()
        for prop, spec in schema.get("properties", {}).items()
        if not _described(spec, schemas)
    ]
    assert undescribed == []


def test_every_request_body_has_an_example(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    missing = []
    for method, path, operation in _operations(document):
        body = operation.get("requestBody")
        if not body:
            continue
        media = body["content"]["application/json"]
        # An optional body is `anyOf: [$ref, null]`; the example sits on the component.
        refs = [media["schema"].get("$ref", "")]
        refs += [branch.get("$ref", "") for branch in media["schema"].get("anyOf", [])]
        component_examples = any(
            schemas.get(ref.rsplit("/", 1)[-1], {}).get("examples") for ref in refs if ref
        )
        if not (media.get("example") or media.get("examples") or component_examples):
            missing.append(f"{method.upper()} {path}")
    assert missing == []


def test_every_operation_declares_its_errors_as_problems(document: dict[str, Any]) -> None:
    for method, path, operation in _operations(document):
        if path in {"/healthz"}:
            continue
        errors = {code: r for code, r in operation["responses"].items() if code.startswith("4")}
        assert errors or path == "/readyz", f"{method.upper()} {path} declares no 4xx"
        for code, response in errors.items():
            assert "application/problem+json" in response.get("content", {}), (
                f"{method.upper()} {path} {code} is not problem+json"
            )


def test_operation_ids_are_unique_and_readable(document: dict[str, Any]) -> None:
    ids = [operation["operationId"] for _, _, operation in _operations(document)]
    assert len(ids) == len(set(ids))
    assert all(i.replace("_", "").isalnum() and i.islower() for i in ids), ids


def test_every_operation_has_a_written_summary(document: dict[str, Any]) -> None:
    """Not FastAPI's default, the handler's name in Title Case ("Healthz", "List
    Candidates"): written summaries are sentences ("List candidates")."""
    generated = [
        f"{method.upper()} {path}: {operation.get('summary')}"
        for method, path, operation in _operations(document)
        if not operation.get("summary")
        or operation["summary"] == operation["summary"].title()
        or operation["summary"] == operation["operationId"].replace("_", " ").title()
    ]
    assert generated == []


def test_every_summary_is_distinct_and_short(document: dict[str, Any]) -> None:
    summaries = [operation["summary"] for _, _, operation in _operations(document)]
    assert len(summaries) == len(set(summaries))
    assert all(len(summary) <= 60 and not summary.endswith(".") for summary in summaries)


def _tagged_operations(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Paths' operations and, once the document has them, webhooks' ones."""
    sections = [document["paths"], document.get("webhooks", {})]
    return [
        operation
        for section in sections
        for item in section.values()
        for operation in item.values()
    ]


def test_every_tag_used_is_declared_with_a_description(document: dict[str, Any]) -> None:
    declared = {tag["name"]: tag.get("description", "") for tag in document["tags"]}
    used = {tag for operation in _tagged_operations(document) for tag in operation.get("tags", [])}
    assert all(operation.get("tags") for operation in _tagged_operations(document))
    assert sorted(used - set(declared)) == []
    assert sorted(name for name in used if not declared[name].strip()) == []
    # A declared tag no operation uses would be an empty section in the docs.
    assert sorted(set(declared) - used) == []


def test_info_names_a_contact_and_the_license(document: dict[str, Any], project_root: Path) -> None:
    assert document["info"]["contact"]["url"].startswith("https://")
    license_ = document["info"]["license"]
    pyproject = tomllib.loads((project_root / "pyproject.toml").read_text())
    assert license_["identifier"] == pyproject["project"]["license"] == "MIT"


def test_the_contract_names_a_relative_server(document: dict[str, Any]) -> None:
    """The committed document holds for every deployment: its server is wherever it was
    fetched from."""
    assert [server["url"] for server in document["servers"]] == ["/"]
    assert document["servers"][0]["description"]


def test_a_deployment_serves_its_public_address_as_the_server() -> None:
    settings = Settings(
        secret_key="openapi-only",
        database_url="sqlite+aiosqlite:///:memory:",
        public_base_url="https://followup.example.com/api",
    )
    served = create_app(settings).openapi()
    assert [server["url"] for server in served["servers"]] == ["https://followup.example.com/api"]
    # The committed rendering of the same app stays relative.
    assert [server["url"] for server in contract_document(settings)["servers"]] == ["/"]


def test_every_error_status_is_a_problem_document(document: dict[str, Any]) -> None:
    """4xx and 5xx alike: a client's generated error type is the same everywhere."""
    undeclared = []
    for method, path, operation in _operations(document):
        for code, response in operation["responses"].items():
            if code[0] not in "45":
                continue
            schema = response.get("content", {}).get("application/problem+json", {}).get("schema")
            if schema != {"$ref": "#/components/schemas/Problem"}:
                undeclared.append(f"{method.upper()} {path} {code}")
    assert undeclared == []
    assert any(
        code.startswith("5")
        for _, _, operation in _operations(document)
        for code in operation["responses"]
    )

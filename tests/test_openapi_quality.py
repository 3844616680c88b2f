"""The OpenAPI document is what integrators build clients from: every field described,
every request body with an example, every error declared, stable operation IDs."""

from __future__ import annotations

from typing import Any

import pytest

from app.main import create_app
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

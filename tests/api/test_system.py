"""Operational endpoints and the cross-cutting behaviour every route shares."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
from fastapi import FastAPI, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.api.errors import PROBLEM_JSON
from app.services import api_keys, credentials
from app.settings import Settings
from tests.conftest import Tenant, client_for, make_tenant


def assert_problem(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body = response.json()
    assert body["status"] == status
    assert body["type"].startswith("https://")
    assert body["title"]
    return dict(body)


async def test_healthz(anonymous: httpx.AsyncClient) -> None:
    response = await anonymous.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_reports_the_schema_at_head(anonymous: httpx.AsyncClient) -> None:
    from app.db.migrations import head_revision

    response = await anonymous.get("/readyz")
    assert response.status_code == 200
    assert response.json()["schema_revision"] == head_revision()


async def test_every_response_carries_a_request_id(anonymous: httpx.AsyncClient) -> None:
    first = await anonymous.get("/healthz")
    second = await anonymous.get("/healthz")
    assert re.fullmatch(r"[0-9a-f]{16}", first.headers["x-request-id"])
    assert first.headers["x-request-id"] != second.headers["x-request-id"]
    echoed = await anonymous.get("/healthz", headers={"X-Request-ID": "ats-42"})
    assert echoed.headers["x-request-id"] == "ats-42"


async def test_unknown_path_is_a_404_problem(anonymous: httpx.AsyncClient) -> None:
    body = assert_problem(await anonymous.get("/v1/no-such-thing"), 404)
    assert body["instance"] == "/v1/no-such-thing"


async def test_wrong_method_is_a_405_problem(anonymous: httpx.AsyncClient) -> None:
    assert_problem(await anonymous.delete("/healthz"), 405)


async def test_oversized_body_is_a_413_problem(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    body = b"{" + b" " * settings.max_body_bytes + b"}"
    response = await client.post("/v1/me", content=body)
    problem = assert_problem(response, 413)
    assert str(settings.max_body_bytes) in str(problem["detail"])


async def test_oversized_streamed_body_is_a_413_problem(app: FastAPI, settings: Settings) -> None:
    @app.post("/echo-length")
    async def echo_length(request: Request) -> dict[str, int]:
        return {"length": len(await request.body())}

    async def chunks(total: int) -> AsyncIterator[bytes]:
        # An empty JSON array padded with spaces: a body every route may be sent.
        yield b"["
        for _ in range(total // 1024):
            yield b" " * 1024
        yield b"]"

    # Without Content-Length the limit must hold while the body streams in.
    json_body = {"Content-Type": "application/json"}
    async with client_for(app) as http:
        small = await http.post("/echo-length", content=chunks(4096), headers=json_body)
        assert small.json() == {"length": 4096 + 2}
        oversized = chunks(settings.max_body_bytes * 2)
        assert_problem(await http.post("/echo-length", content=oversized, headers=json_body), 413)


async def test_request_without_a_key_is_a_401_problem(anonymous: httpx.AsyncClient) -> None:
    response = await anonymous.get("/v1/me")
    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"


async def test_malformed_key_is_a_401_problem(app: object) -> None:
    for bad in ("nonsense", "fu_live_zz", "fu_live_" + "0" * 12 + "_" + "0" * 48):
        async with client_for(app, bad) as http:
            assert_problem(await http.get("/v1/me"), 401)


async def test_key_with_a_wrong_secret_is_a_401_problem(app: object, tenant: Tenant) -> None:
    parsed = credentials.parse(tenant.key)
    assert parsed is not None
    lookup = parsed[1]
    forged = f"fu_live_{lookup}_{'a' * 48}"
    async with client_for(app, forged) as http:
        assert_problem(await http.get("/v1/me"), 401)


async def test_revoked_key_is_a_401_problem(
    app: object, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with client_for(app, tenant.key) as http:
        assert (await http.get("/v1/me")).status_code == 200
        async with sessionmaker() as session, session.begin():
            assert await api_keys.revoke(session, tenant.key_id) is not None
        assert_problem(await http.get("/v1/me"), 401)


async def test_me_names_the_tenant_and_scopes(client: httpx.AsyncClient, tenant: Tenant) -> None:
    response = await client.get("/v1/me")
    assert response.status_code == 200
    assert response.json()["tenant_id"] == tenant.id
    assert response.json()["scopes"] == ["read", "write"]


async def test_key_without_read_scope_is_a_403_problem(
    app: object, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    writer_only = await make_tenant(sessionmaker, settings, scopes=["write"])
    async with client_for(app, writer_only.key) as http:
        assert_problem(await http.get("/v1/me"), 403)


async def test_keys_are_stored_only_as_hashes(
    tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    from sqlalchemy import select

    from app.db.models import ApiKey

    async with sessionmaker() as session:
        record = await session.scalar(select(ApiKey).where(ApiKey.id == tenant.key_id))
    assert record is not None
    secret = tenant.key.rsplit("_", 1)[1]
    stored = " ".join(str(v) for v in vars(record).values())
    assert secret not in stored
    assert len(record.secret_hash) == 64


async def test_docs_pages_reference_no_external_host(anonymous: httpx.AsyncClient) -> None:
    for page in ("/docs", "/redoc"):
        response = await anonymous.get(page)
        assert response.status_code == 200
        hosts = re.findall(r"(?:https?:)?//([a-zA-Z0-9.-]+\.[a-z]{2,})", response.text)
        assert hosts == [], f"{page} references {hosts}"
        for asset in re.findall(r'(?:src|href)="(/docs-assets/[^"]+)"', response.text):
            assert (await anonymous.get(asset)).status_code == 200, asset


async def test_metrics_are_exported(anonymous: httpx.AsyncClient) -> None:
    await anonymous.get("/healthz")
    response = await anonymous.get("/metrics")
    assert response.status_code == 200
    assert (
        'followup_http_requests_total{method="GET",route="/healthz",status="200"}' in response.text
    )


async def test_an_unexpected_error_is_a_500_problem_with_the_request_id(app: FastAPI) -> None:
    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("kaboom")

    async with client_for(app) as http:
        response = await http.get("/boom", headers={"X-Request-ID": "trace-500"})
    body = assert_problem(response, 500)
    assert response.headers["x-request-id"] == "trace-500"
    assert body["request_id"] == "trace-500"
    assert "kaboom" not in response.text

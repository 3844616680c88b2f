"""Calls from a browser page on another origin: preflights for a configured origin succeed
for exactly the methods and headers the API reads, and every answer, errors included,
names the origin so the page's script can read it. Other origins get nothing to read."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.api.cors import ALLOWED_HEADERS
from app.api.errors import PROBLEM_JSON
from app.settings import Settings
from tests.api.builders import new_candidate
from tests.conftest import app_in_transaction, client_for, make_tenant

PAGE = "https://app.example.com"
STRANGER = "https://evil.example.net"
# What a page's fetch() of a JSON write with a candidate token asks to send.
WRITE_HEADERS = "authorization, content-type, idempotency-key, if-match"
KEY_LIMIT = 20
# The headers an MCP client (the official SDK's) adds to its POSTs to /mcp.
MCP_HEADERS = {"mcp-protocol-version", "mcp-method", "mcp-name"}
EXPOSED = {
    "etag",
    "location",
    "x-request-id",
    "idempotent-replayed",
    "retry-after",
    "ratelimit",
    "ratelimit-policy",
}


def _listed(response: httpx.Response, header: str) -> set[str]:
    return {item.strip().lower() for item in response.headers.get(header, "").split(",") if item}


async def _preflight(
    http: httpx.AsyncClient, path: str, method: str, headers: str, origin: str = PAGE
) -> httpx.Response:
    return await http.options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": headers,
        },
    )


@pytest.fixture
def cors_settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "cors_origins": [PAGE],
            "cors_max_age_seconds": 1800,
            "rate_limit_per_key": f"{KEY_LIMIT}/day",
        }
    )


@pytest.fixture
def browser_app(
    cors_settings: Settings, engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession]
) -> Any:
    return app_in_transaction(cors_settings, engine, sessionmaker)


@pytest.fixture
async def page(
    browser_app: Any, sessionmaker: async_sessionmaker[AsyncSession], cors_settings: Settings
) -> AsyncIterator[httpx.AsyncClient]:
    """A client that calls as a page on PAGE does: with its Origin and a tenant key."""
    tenant = await make_tenant(sessionmaker, cors_settings, name="Page Careers")
    async with client_for(browser_app, tenant.key) as http:
        http.headers["Origin"] = PAGE
        yield http


async def test_a_preflight_for_a_write_with_a_token_succeeds_for_the_configured_origin(
    page: httpx.AsyncClient,
) -> None:
    candidate = await new_candidate(page)
    answer = await _preflight(page, f"/v1/candidates/{candidate['id']}", "PATCH", WRITE_HEADERS)
    assert answer.status_code == 200, answer.text
    assert answer.headers["access-control-allow-origin"] == PAGE
    assert _listed(answer, "access-control-allow-methods") == {
        "get",
        "head",
        "post",
        "put",
        "patch",
        "delete",
    }
    assert _listed(answer, "access-control-allow-headers") >= set(WRITE_HEADERS.split(", "))
    assert answer.headers["access-control-max-age"] == "1800"
    assert "access-control-allow-credentials" not in answer.headers
    assert "origin" in _listed(answer, "vary")


async def test_every_header_and_method_the_contract_names_passes_a_preflight(
    page: httpx.AsyncClient,
) -> None:
    document = (await page.get("/openapi.json")).json()
    parameters = document["components"].get("parameters", {})
    headers = {"authorization", "content-type", "x-request-id", "cache-control", "pragma"}
    methods: set[str] = set()
    for path_item in document["paths"].values():
        for method, operation in path_item.items():
            methods.add(method.upper())
            for parameter in operation.get("parameters", []):
                if "$ref" in parameter:
                    parameter = parameters[parameter["$ref"].rsplit("/", 1)[1]]
                if parameter["in"] == "header":
                    headers.add(parameter["name"].lower())
    assert {"idempotency-key", "if-match", "if-none-match", "if-modified-since"} <= headers
    # /mcp is outside the REST contract; its headers are tested below.
    headers |= MCP_HEADERS
    assert {header.lower() for header in ALLOWED_HEADERS} == headers
    for method in sorted(methods):
        answer = await _preflight(page, "/v1/candidates", method, ", ".join(sorted(headers)))
        assert answer.status_code == 200, (method, answer.text)
        assert answer.headers["access-control-allow-origin"] == PAGE


async def test_a_browser_mcp_client_passes_the_preflight_of_each_of_its_requests(
    page: httpx.AsyncClient,
) -> None:
    # The handshake carries no protocol version yet; every later request does.
    for headers in ("authorization, content-type", ", ".join(sorted(MCP_HEADERS))):
        answer = await _preflight(page, "/mcp", "POST", f"authorization, content-type, {headers}")
        assert answer.status_code == 200, answer.text
        assert answer.headers["access-control-allow-origin"] == PAGE


async def test_a_preflight_for_a_header_the_api_does_not_read_is_refused(
    page: httpx.AsyncClient,
) -> None:
    answer = await _preflight(page, "/v1/candidates", "POST", "authorization, x-tracking-id")
    # A browser fails any preflight that is not a 2xx, and this one lists only what the
    # API reads.
    assert answer.status_code == 400
    assert "x-tracking-id" not in _listed(answer, "access-control-allow-headers")


async def test_another_origin_is_given_nothing_a_browser_would_let_it_read(
    page: httpx.AsyncClient,
) -> None:
    preflight = await _preflight(page, "/v1/candidates", "POST", WRITE_HEADERS, origin=STRANGER)
    actual = await page.get("/v1/candidates", headers={"Origin": STRANGER})
    assert preflight.status_code == 400
    assert "access-control-allow-origin" not in preflight.headers
    # The request itself is answered (a bearer credential, not the origin, authorises it);
    # the browser keeps the answer from the other origin's script.
    assert actual.status_code == 200
    assert "access-control-allow-origin" not in actual.headers
    # Caches must not hand this answer to the configured origin, nor the reverse.
    assert "origin" in _listed(actual, "vary")


async def _unauthenticated(page: httpx.AsyncClient) -> httpx.Response:
    return await page.get("/v1/candidates", headers={"Authorization": ""})


async def _unknown_key(page: httpx.AsyncClient) -> httpx.Response:
    return await page.post("/v1/candidates", headers={"Authorization": "Bearer fu_live_nope"})


async def _unknown(page: httpx.AsyncClient) -> httpx.Response:
    return await page.get("/v1/candidates/cand_doesnotexist")


async def _invalid(page: httpx.AsyncClient) -> httpx.Response:
    return await page.post("/v1/candidates", json={"name": ""})


async def _not_json(page: httpx.AsyncClient) -> httpx.Response:
    return await page.post(
        "/v1/candidates", content=b"name=Ada", headers={"Content-Type": "text/plain"}
    )


async def _too_large(page: httpx.AsyncClient) -> httpx.Response:
    return await page.post("/v1/candidates", json={"name": "A" * 300_000})


async def _rate_limited(page: httpx.AsyncClient) -> httpx.Response:
    for _ in range(KEY_LIMIT):
        await page.get("/v1/me")
    return await page.get("/v1/me")


async def _not_modified(page: httpx.AsyncClient) -> httpx.Response:
    candidate = await new_candidate(page)
    path = f"/v1/candidates/{candidate['id']}"
    etag = (await page.get(path)).headers["etag"]
    return await page.get(path, headers={"If-None-Match": etag})


@pytest.mark.parametrize(
    ("ask", "status"),
    [
        (_unauthenticated, 401),
        (_unknown_key, 401),
        (_unknown, 404),
        (_invalid, 422),
        (_not_json, 415),
        (_too_large, 413),
        (_rate_limited, 429),
        (_not_modified, 304),
    ],
)
async def test_every_kind_of_answer_names_the_origin_so_the_page_can_read_it(
    page: httpx.AsyncClient,
    ask: Callable[[httpx.AsyncClient], Awaitable[httpx.Response]],
    status: int,
) -> None:
    answer = await ask(page)
    assert answer.status_code == status, answer.text
    assert answer.headers["access-control-allow-origin"] == PAGE
    assert _listed(answer, "access-control-expose-headers") == EXPOSED
    assert "access-control-allow-credentials" not in answer.headers
    if status != 304:
        assert answer.headers["content-type"] == PROBLEM_JSON
    if status == 429:
        assert answer.headers["retry-after"].isdigit()


async def test_a_key_without_the_write_scope_is_refused_readably(
    browser_app: Any, sessionmaker: async_sessionmaker[AsyncSession], cors_settings: Settings
) -> None:
    reader = await make_tenant(sessionmaker, cors_settings, name="Reader", scopes=["read"])
    async with client_for(browser_app, reader.key) as http:
        answer = await http.post("/v1/candidates", json={"name": "Ada"}, headers={"Origin": PAGE})
    assert answer.status_code == 403, answer.text
    assert answer.headers["access-control-allow-origin"] == PAGE


async def test_an_unexpected_error_is_a_500_the_page_can_read(browser_app: Any) -> None:
    async def broken() -> None:
        raise RuntimeError("a bug")

    browser_app.add_api_route("/probe/broken", broken, methods=["GET"])
    async with client_for(browser_app) as http:
        answer = await http.get("/probe/broken", headers={"Origin": PAGE})
    assert answer.status_code == 500
    assert answer.json()["type"].endswith("/internal-error")
    assert answer.headers["access-control-allow-origin"] == PAGE
    assert answer.headers["x-request-id"]


async def test_a_creation_shows_the_page_its_version_address_and_limits(
    page: httpx.AsyncClient,
) -> None:
    created = await page.post(
        "/v1/candidates",
        json={"name": "Ada", "time_zone": "Europe/Berlin", "country": "DE"},
        headers={"Idempotency-Key": "page-1"},
    )
    assert created.status_code == 201, created.text
    assert created.headers["access-control-allow-origin"] == PAGE
    assert {"etag", "location", "x-request-id", "ratelimit", "ratelimit-policy"} <= set(
        created.headers
    )
    assert _listed(created, "access-control-expose-headers") == EXPOSED


async def test_without_configured_origins_no_cors_header_is_sent(app: Any, tenant: Any) -> None:
    async with client_for(app, tenant.key) as http:
        preflight = await _preflight(http, "/v1/candidates", "POST", WRITE_HEADERS)
        actual = await http.get("/v1/candidates", headers={"Origin": PAGE})
    # Answered as a plain OPTIONS (the methods the path has), with nothing a browser reads
    # as permission.
    assert preflight.status_code == 204
    assert actual.status_code == 200
    for answer in (preflight, actual):
        assert not [name for name in answer.headers if name.startswith("access-control-")]


@pytest.mark.parametrize(
    ("configured", "kept"),
    [
        ("https://App.Example.com/", ["https://app.example.com"]),
        (
            "https://app.example.com:443, http://localhost:5173",
            ["https://app.example.com", "http://localhost:5173"],
        ),
        ("http://[::1]:80", ["http://[::1]"]),
        ("*", ["*"]),
        ("", []),
    ],
)
def test_origins_are_kept_as_browsers_write_them(configured: str, kept: list[str]) -> None:
    assert Settings(cors_origins=configured).cors_origins == kept


@pytest.mark.parametrize(
    "configured",
    [
        "app.example.com",
        "https://app.example.com/app",
        "ftp://app.example.com",
        "https://user@app.example.com",
        "https://app.example.com?x=1",
        "https://app.example.com:99999",
    ],
)
def test_an_origin_a_browser_never_sends_is_refused(configured: str) -> None:
    with pytest.raises(ValueError, match="cors_origins"):
        Settings(cors_origins=configured)

"""What each transport adds: `/mcp` behind the API's middleware (authentication, rate
limits, JSON strictness, compression, methods), and `followup mcp`'s start."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from app.mcp_server.stdio import CREDENTIAL_VARIABLE
from app.settings import Settings
from tests.conftest import client_for, committing_app, make_tenant
from tests.mcp.conftest import (
    FOLLOWUP,
    Live,
    live_app,
    over_http,
    over_stdio,
    stdio_environment,
)

INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "test", "version": "1"},
    },
}
LIST_TOOLS = {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}
MCP_HEADERS = {
    "Accept": "application/json, text/event-stream",
    "MCP-Protocol-Version": "2025-11-25",
}


def _headers(key: str | None = None, **extra: str) -> dict[str, str]:
    headers = {**MCP_HEADERS, **extra}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    return headers


async def test_mcp_asks_for_the_same_bearer_credential_as_the_api(live: Live) -> None:
    async with httpx.AsyncClient(base_url=live.url) as http:
        for authorization in (None, "Bearer fu_live_000000000000_" + "0" * 48, "Basic abc"):
            headers = _headers()
            if authorization:
                headers["Authorization"] = authorization
            answer = await http.post("/mcp", json=INITIALIZE, headers=headers)
            assert answer.status_code == 401
            assert answer.headers["content-type"] == "application/problem+json"
            assert answer.headers["www-authenticate"] == "Bearer"
            assert answer.json()["type"] == "https://followup.dev/problems/unauthorized"


async def test_mcp_is_served_behind_the_apis_middleware(live: Live) -> None:
    tenant = await live.tenant()
    async with httpx.AsyncClient(base_url=live.url) as http:
        answer = await http.post(
            "/mcp", json=INITIALIZE, headers=_headers(tenant.key, **{"X-Request-ID": "mcp-1"})
        )
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"].startswith("application/json")
        assert answer.json()["result"]["serverInfo"]["name"] == "followup"
        # Counted as any request is, and named like one.
        assert answer.headers["ratelimit-policy"].startswith('"key";q=')
        assert answer.headers["x-request-id"] == "mcp-1"

        # A tools/list answer is large: compressed for a client that accepts gzip.
        listed = await http.post(
            "/mcp",
            json=LIST_TOOLS,
            headers=_headers(tenant.key, **{"Accept-Encoding": "gzip"}),
        )
        assert listed.status_code == 200
        assert listed.headers["content-encoding"] == "gzip"
        assert len(listed.json()["result"]["tools"]) == 12

        # A body that is not JSON is refused as everywhere else.
        wrong_type = await http.post(
            "/mcp", content=b"{}", headers=_headers(tenant.key, **{"Content-Type": "text/plain"})
        )
        assert wrong_type.status_code == 415
        broken = await http.post(
            "/mcp",
            content=b'{"jsonrpc": ',
            headers=_headers(tenant.key, **{"Content-Type": "application/json"}),
        )
        assert broken.status_code == 422
        assert broken.json()["errors"][0]["field"] == "body"

        # No stream for the server to push on: POST is the only method.
        for method in ("GET", "DELETE", "PUT"):
            refused = await http.request(method, "/mcp", headers=_headers(tenant.key))
            assert refused.status_code == 405
            assert refused.headers["allow"] == "POST, OPTIONS"
        options = await http.options("/mcp")
        assert options.status_code == 204 and options.headers["allow"] == "POST, OPTIONS"

        # Not a REST operation: the OpenAPI document does not list it.
        assert "/mcp" not in (await http.get("/openapi.json")).json()["paths"]


async def test_mcp_is_served_in_each_lifespan_of_the_same_app(
    settings: Settings, engine: AsyncEngine
) -> None:
    async with committing_app(settings, engine) as app:
        tenant = await make_tenant(app.state.write_sessionmaker, settings)
        app.state.created_tenants.append(tenant.id)
        async with client_for(app) as http:

            async def refused_while_stopped() -> None:
                # Outside a running lifespan there is no session manager to hand it to.
                answer = await http.post("/mcp", json=INITIALIZE, headers=_headers(tenant.key))
                assert answer.status_code == 503
                assert answer.headers["content-type"] == "application/problem+json"
                assert answer.json()["type"] == "https://followup.dev/problems/unavailable"
                assert int(answer.headers["retry-after"]) >= 1

            await refused_while_stopped()
            for _ in range(2):
                # Started, stopped and started again, as a test suite or an embedding
                # server may: each run gets a session manager of its own.
                async with app.router.lifespan_context(app):
                    for message in (INITIALIZE, LIST_TOOLS):
                        answer = await http.post("/mcp", json=message, headers=_headers(tenant.key))
                        assert answer.status_code == 200, answer.text
                        assert answer.json()["id"] == message["id"]
                await refused_while_stopped()


async def test_an_expensive_tool_counts_against_the_expensive_limits(
    settings: Settings, engine: AsyncEngine
) -> None:
    limited = settings.model_copy(update={"rate_limit_expensive_per_key": "2/minute"})
    async with live_app(limited, engine) as live:
        tenant = await live.tenant()
        async with over_http(live.url, tenant.key) as client:
            check: dict[str, Any] = {"kind": "thank_you", "body": "Dear Grace, thank you."}
            for _ in range(2):
                assert not (await client.call_tool("check_draft", check)).is_error
            # Listing and other ordinary calls go on...
            assert not (await client.call_tool("list_actions", {})).is_error
        # ... but a third draft check within the minute is refused with a 429 problem.
        async with httpx.AsyncClient(base_url=live.url) as http:
            call = {
                "jsonrpc": "2.0",
                "id": 3,
                "method": "tools/call",
                "params": {"name": "check_draft", "arguments": check},
            }
            refused = await http.post("/mcp", json=call, headers=_headers(tenant.key))
            assert refused.status_code == 429
            assert refused.json()["type"] == "https://followup.dev/problems/rate-limited"
            assert int(refused.headers["retry-after"]) >= 1
            assert '"key-expensive";r=0' in refused.headers["ratelimit"]


async def _start(environment: dict[str, str]) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        str(FOLLOWUP),
        "mcp",
        env=environment,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(process.communicate(b""), timeout=60)
    assert process.returncode is not None
    return process.returncode, stderr.decode()


async def test_followup_mcp_refuses_to_start_without_a_valid_credential(live: Live) -> None:
    code, said = await _start(stdio_environment(live.settings, None))
    assert code == 2 and f"set {CREDENTIAL_VARIABLE}" in said
    unknown = "fu_cand_000000000000_" + "0" * 48
    code, said = await _start(stdio_environment(live.settings, unknown))
    assert code == 2 and "candidate token is unknown, expired or revoked" in said


async def test_followup_mcp_answers_on_stdout_and_nothing_else(live: Live) -> None:
    tenant = await live.tenant()
    process = await asyncio.create_subprocess_exec(
        str(FOLLOWUP),
        "mcp",
        env=stdio_environment(live.settings, tenant.key),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        limit=2**22,  # the tool list is one line of JSON schemas
    )
    messages = [INITIALIZE, {"jsonrpc": "2.0", "method": "notifications/initialized"}, LIST_TOOLS]
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write("".join(json.dumps(m) + "\n" for m in messages).encode())
    await process.stdin.drain()
    # Stdin stays open until both answers came, as a client keeps it open: closing it ends
    # the session, and the SDK then drops what is still in flight.
    answers = [await asyncio.wait_for(process.stdout.readline(), timeout=60) for _ in range(2)]
    process.stdin.close()
    rest, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    lines = [json.loads(line) for line in [*answers, *rest.splitlines()]]
    assert [line["id"] for line in lines] == [1, 2]
    assert len(lines[1]["result"]["tools"]) == 12
    assert process.returncode == 0


async def test_over_stdio_each_call_counts_against_the_rate_limits_and_the_deadline(
    live: Live,
) -> None:
    tenant = await live.tenant()
    check: dict[str, Any] = {"kind": "thank_you", "body": "Dear Grace, thank you."}
    limited = {"FOLLOWUP_RATE_LIMIT_EXPENSIVE_PER_KEY": "1/minute"}
    async with over_stdio(live.settings, tenant.key, **limited) as client:
        assert not (await client.call_tool("check_draft", check)).is_error
        refused = await client.call_tool("check_draft", check)
        assert refused.is_error and refused.structured_content is not None
        assert refused.structured_content["status"] == 429
        assert "`key-expensive`" in refused.structured_content["detail"]
        assert not (await client.call_tool("list_actions", {})).is_error
    hurried = {"FOLLOWUP_REQUEST_DEADLINE_SECONDS": "0.000001"}
    async with over_stdio(live.settings, tenant.key, **hurried) as client:
        late = await client.call_tool("list_actions", {})
        assert late.is_error and late.structured_content is not None
        assert late.structured_content["status"] == 504
        assert late.structured_content["request_id"]


async def test_a_client_on_the_initialize_handshake_is_served_too(live: Live) -> None:
    tenant = await live.tenant()
    async with over_http(live.url, tenant.key, mode="legacy") as client:
        assert len((await client.list_tools()).tools) == 12
        result = await client.call_tool("list_actions", {})
        assert not result.is_error and result.structured_content == {
            "data": [],
            "next_cursor": None,
        }

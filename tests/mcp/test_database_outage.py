"""A tool called while the database is down: the assistant gets the REST API's 503 problem
(over stdio and over HTTP, as a tool error), or, when `/mcp` cannot even verify the
credential, the HTTP answer any route gives in an outage: 503 problem+json with
Retry-After. The database is reached through the TCP proxy the REST outage tests cut.

PostgreSQL only, as `tests/api/test_database_outage.py`: the embedded SQLite database is a
file in the app's own process, with no connection that could drop.
"""

from __future__ import annotations

import os

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.api.errors import PROBLEM_JSON
from app.db.engine import create_engine
from app.settings import Settings
from tests import conftest
from tests.conftest import TEST_DATABASE_URL_VARIABLE
from tests.mcp.conftest import live_app, over_http, over_stdio
from tests.mcp.test_transports import MCP_HEADERS
from tests.tcp_proxy import proxy_in_front_of

pytestmark = pytest.mark.skipif(
    not os.environ.get(TEST_DATABASE_URL_VARIABLE, "").startswith("postgres"),
    reason="not applicable on SQLite: the embedded database has no connection to drop; "
    "set FOLLOWUP_TEST_DATABASE_URL to a PostgreSQL server to run it",
)

UNAVAILABLE = "https://followup.dev/problems/database-unavailable"
LIST_ACTIONS = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "tools/call",
    "params": {"name": "list_actions", "arguments": {}},
}


async def test_a_tool_called_while_the_database_is_down_answers_503(
    settings: Settings, engine: AsyncEngine, test_database: conftest.TestDatabase
) -> None:
    # (``engine``: the run's database, migrated; the app reaches it through the proxy.)
    # Over HTTP a credential verified a moment ago is recalled without the database, so
    # the call itself meets the outage.
    proxy, proxied = await proxy_in_front_of(settings, test_database.url, auth_cache_seconds=60.0)
    app_engine = create_engine(proxied)
    try:
        async with live_app(proxied, app_engine) as live:
            tenant = await live.tenant()
            never_verified = await live.tenant("Unverified Careers")
            async with (
                over_http(live.url, tenant.key) as http_client,
                over_stdio(proxied, tenant.key) as stdio_client,
            ):
                for client in (http_client, stdio_client):
                    assert not (await client.call_tool("list_actions", {})).is_error
                await proxy.cut()
                try:
                    for client in (http_client, stdio_client):
                        failed = await client.call_tool("list_actions", {})
                        assert failed.is_error, failed.structured_content
                        problem = failed.structured_content
                        assert problem is not None
                        assert problem["status"] == 503 and problem["type"] == UNAVAILABLE
                        assert problem["request_id"]

                    # A credential /mcp must look up first: refused before any tool runs,
                    # as every route is refused in an outage.
                    async with httpx.AsyncClient(base_url=live.url) as http:
                        headers = {**MCP_HEADERS, "Authorization": f"Bearer {never_verified.key}"}
                        refused = await http.post("/mcp", json=LIST_ACTIONS, headers=headers)
                    assert refused.status_code == 503
                    assert refused.headers["content-type"] == PROBLEM_JSON
                    assert refused.headers["retry-after"].isdigit()
                    assert refused.json()["type"] == UNAVAILABLE
                finally:
                    await proxy.restore()

                # Back without a restart, over both transports.
                for client in (http_client, stdio_client):
                    assert not (await client.call_tool("list_actions", {})).is_error
    finally:
        await proxy.close()
        await app_engine.dispose()

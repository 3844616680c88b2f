"""Follow-Up's MCP server driven by the SDK's own client, over both transports, against
committed data: a live uvicorn server for `/mcp`, and `followup mcp` spawned as a
subprocess (with the environment pointing at the test database) for stdio.

The normal fixtures roll each test back, which neither a live server's requests nor a
subprocess can see, so the data here is committed through an app that really commits, and
every tenant a test creates is deleted with all it owns afterwards (`committing_app`).
"""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import httpx2
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from sqlalchemy.ext.asyncio import AsyncEngine

from app.mcp_server.stdio import CREDENTIAL_VARIABLE
from app.settings import Settings
from tests.conftest import Tenant, client_for, committing_app, make_tenant
from tests.live_server import serving

FOLLOWUP = Path(sys.executable).parent / "followup"

Connect = Callable[[str], AbstractAsyncContextManager[Client]]


@dataclass
class Live:
    """A committing app served on a real port: its URL, and a way to make tenants (deleted
    afterwards) and REST clients to seed records with."""

    app: Any
    url: str
    settings: Settings

    async def tenant(self, name: str = "MCP Careers", scopes: list[str] | None = None) -> Tenant:
        made = await make_tenant(self.app.state.write_sessionmaker, self.settings, name, scopes)
        self.app.state.created_tenants.append(made.id)
        return made

    def rest(self, credential: str) -> httpx.AsyncClient:
        return client_for(self.app, credential)


@asynccontextmanager
async def live_app(settings: Settings, engine: AsyncEngine) -> AsyncIterator[Live]:
    async with committing_app(settings, engine) as app, serving(app) as url:
        yield Live(app, url, settings)


@pytest.fixture
async def live(settings: Settings, engine: AsyncEngine) -> AsyncIterator[Live]:
    async with live_app(settings, engine) as served:
        yield served


@asynccontextmanager
async def over_http(url: str, credential: str, *, mode: str = "auto") -> AsyncIterator[Client]:
    """The SDK's client on `<url>/mcp`, sending the credential as a bearer token."""
    headers = {"Authorization": f"Bearer {credential}"}
    async with (
        httpx2.AsyncClient(headers=headers) as http,
        Client(streamable_http_client(f"{url}/mcp", http_client=http), mode=mode) as client,
    ):
        yield client


def stdio_environment(settings: Settings, credential: str | None, **extra: str) -> dict[str, str]:
    """The environment `followup mcp` runs in: this run's database and secret, and nothing
    of the FOLLOWUP_ settings the test process itself was given."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("FOLLOWUP_")}
    environment.update(
        FOLLOWUP_DATABASE_URL=settings.database_url,
        FOLLOWUP_SECRET_KEY="test-secret",
        FOLLOWUP_DATA_DIR=str(settings.data_dir),
        FOLLOWUP_AUTH_CACHE_SECONDS="0",
        FOLLOWUP_LOG_LEVEL="WARNING",
    )
    environment.update(extra)
    if credential is not None:
        environment[CREDENTIAL_VARIABLE] = credential
    return environment


@asynccontextmanager
async def over_stdio(settings: Settings, credential: str, **extra: str) -> AsyncIterator[Client]:
    """The SDK's client on `followup mcp`, spawned as a subprocess (``extra``: more of its
    environment, e.g. a setting)."""
    environment = stdio_environment(settings, credential, **extra)
    parameters = StdioServerParameters(command=str(FOLLOWUP), args=["mcp"], env=environment)
    async with Client(parameters) as client:
        yield client


@pytest.fixture(params=["http", "stdio"])
def connect(request: pytest.FixtureRequest, live: Live) -> Connect:
    """Open an MCP client acting with a credential, over one transport or the other."""
    if request.param == "http":
        return lambda credential: over_http(live.url, credential)
    return lambda credential: over_stdio(live.settings, credential)

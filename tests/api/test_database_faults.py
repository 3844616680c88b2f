"""How a route's database faults reach the client: a statement past the database-side
timeout is a 503 problem+json, a request past its deadline a 504 with its writes rolled
back, and a genuine SQL error stays a 500 (a bug, not an outage)."""

from __future__ import annotations

import asyncio
import os
import secrets
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.api.deps import SessionDep
from app.api.errors import PROBLEM_JSON
from app.db import models
from app.db.engine import create_engine
from app.repositories.tenants import add_tenant
from app.settings import Settings
from tests.conftest import TEST_DATABASE_URL_VARIABLE, client_for, committing_app


def _add_route(app: Any, path: str, statement: str, *, pause: float = 0.0) -> None:
    async def probe(session: SessionDep) -> dict[str, str]:
        name = "deadline-" + secrets.token_hex(4)
        await add_tenant(session, name)  # written inside the request's transaction
        await session.execute(text(statement))
        await asyncio.sleep(pause)
        return {"name": name}

    app.add_api_route(path, probe, methods=["POST"])


async def test_a_request_past_its_deadline_answers_504_and_commits_nothing(
    settings: Settings, engine: AsyncEngine
) -> None:
    limited = settings.model_copy(update={"request_deadline_seconds": 0.3})
    async with committing_app(limited, engine) as app:
        _add_route(app, "/probe/slow-write", "SELECT 1", pause=5)
        before = await _tenant_names(engine)
        async with client_for(app) as http:
            response = await http.post("/probe/slow-write")
            quick = await http.get("/healthz")
        after = await _tenant_names(engine)
    assert response.status_code == 504
    assert response.headers["content-type"] == PROBLEM_JSON
    problem = response.json()
    assert problem["type"].endswith("/deadline-exceeded") and problem["status"] == 504
    assert "0.3 seconds" in problem["detail"]
    assert {n for n in after - before if n.startswith("deadline-")} == set()  # rolled back
    assert quick.status_code == 200  # and the database is not left locked


async def test_a_genuine_sql_error_is_still_a_500(settings: Settings, engine: AsyncEngine) -> None:
    async with committing_app(settings, engine) as app:
        _add_route(app, "/probe/bad-sql", "SELECT * FROM no_such_table")
        async with client_for(app) as http:
            response = await http.post("/probe/bad-sql")
    assert response.status_code == 500
    assert response.json()["type"].endswith("/internal-error")
    assert "retry-after" not in response.headers


@pytest.mark.skipif(
    not os.environ.get(TEST_DATABASE_URL_VARIABLE, "").startswith("postgres"),
    reason="not applicable on SQLite: it has no server-side statement timeout",
)
async def test_a_statement_past_the_database_timeout_answers_503(settings: Settings) -> None:
    limited = settings.model_copy(update={"db_statement_timeout_seconds": 0.2})
    engine = create_engine(limited)
    try:
        async with committing_app(limited, engine) as app:
            _add_route(app, "/probe/slow-sql", "SELECT pg_sleep(3)")
            async with client_for(app) as http:
                response = await http.post("/probe/slow-sql")
    finally:
        await engine.dispose()
    assert response.status_code == 503
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.headers["retry-after"].isdigit()
    assert response.json()["type"].endswith("/database-timeout")


async def _tenant_names(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as connection:
        return set(await connection.scalars(select(models.Tenant.name)))

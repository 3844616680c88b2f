"""The request's database session: what a read writes is kept, and a request that finds
no free connection gets a 503 it can retry, not a 500.

No route writes on a read today; the first test holds the session dependency to its
promise for the day one does, on both databases (reads run in autocommit on PostgreSQL).
"""

from __future__ import annotations

import contextlib
from typing import Any

from sqlalchemy import insert, select, text
from starlette.requests import Request

from app.api.deps import _session
from app.db.engine import create_engine
from app.db.models import Tenant
from app.main import attach_database, create_app
from app.settings import Settings
from tests.conftest import client_for


def get_request(app: Any) -> Request:
    return Request(
        {
            "type": "http",
            "method": "GET",
            "path": "/",
            "query_string": b"",
            "headers": [],
            "path_params": {},
            "app": app,
        }
    )


async def test_what_a_read_writes_through_the_orm_or_core_is_kept(committed_app: Any) -> None:
    staged_id, executed_id = "ten_read_session_orm", "ten_read_session_core"
    committed_app.state.created_tenants.extend([staged_id, executed_id])
    dependency = _session(get_request(committed_app))
    session = await anext(dependency)
    await session.execute(select(Tenant.id).limit(1))  # a read first, as a route would
    session.add(Tenant(id=staged_id, name="Staged by a read"))
    await session.execute(insert(Tenant).values(id=executed_id, name="Written by a read"))
    with contextlib.suppress(StopAsyncIteration):  # the request ends: the session closes
        await anext(dependency)

    async with committed_app.state.read_sessionmaker() as fresh:
        found = set(
            await fresh.scalars(select(Tenant.id).where(Tenant.id.in_([staged_id, executed_id])))
        )
    assert found == {staged_id, executed_id}


async def test_a_request_that_finds_no_free_connection_gets_503_with_retry_after(
    settings: Settings,
) -> None:
    busy = settings.model_copy(update={"db_pool_timeout_seconds": 0.2})
    engine = create_engine(busy, pool_size=1, max_overflow=0)
    app = create_app(busy)
    attach_database(app, engine)
    try:
        async with engine.connect() as held:  # the pool's only connection, in use elsewhere
            await held.execute(text("SELECT 1"))
            async with client_for(app, "fu_live_000000000000_" + "0" * 48) as client:
                response = await client.get("/v1/me")  # checking the key needs a connection
    finally:
        await engine.dispose()
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith("/database-busy")

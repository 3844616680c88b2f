"""A read (GET) request's session: no explicit transaction, yet nothing it writes is lost.

No route writes on a read today; these tests hold the session dependency to its promise
for the day one does, on both databases (reads run in autocommit on PostgreSQL).
"""

from __future__ import annotations

import contextlib
from typing import Any

from sqlalchemy import insert, select
from starlette.requests import Request

from app.api.deps import _session
from app.db.models import Tenant


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

"""The feed serves each action's JSON from a per-process cache keyed by the row's version.

What the feed shows must always equal what `GET /v1/actions/{id}` shows (that one is
built from the row on every request), however the action changed in between, and
whichever process (worker) changed it.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.api.action_documents import ActionDocumentCache
from app.main import create_app
from app.settings import Settings
from tests.api.builders import actions_of, interview_round, one
from tests.conftest import Tenant, client_for

AS_OF = "2027-01-13T12:00:00Z"


async def assert_feed_matches_single_views(client: httpx.AsyncClient, application_id: str) -> None:
    feed = await actions_of(client, application_id, AS_OF)
    assert feed
    for item in feed:
        response = await client.get(f"/v1/actions/{item['id']}", params={"as_of": AS_OF})
        assert response.status_code == 200
        assert item == response.json()


def worker_app(
    settings: Settings,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    cache_size: int,
) -> Any:
    """Another app on the same database, as a second worker process would be."""
    application = create_app(settings.model_copy(update={"action_document_cache_size": cache_size}))
    application.state.engine = engine
    for name in ("sessionmaker", "read_sessionmaker", "write_sessionmaker"):
        setattr(application.state, name, sessionmaker)
    return application


@pytest.mark.parametrize("cache_size", [0, 1, 20_000])
async def test_feed_equals_the_single_action_view_through_every_change(
    settings: Settings,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    tenant: Tenant,
    cache_size: int,
) -> None:
    app = worker_app(settings, engine, sessionmaker, cache_size)
    async with client_for(app, tenant.key) as client:
        application, interviewer, interview = await interview_round(client)
        await assert_feed_matches_single_views(client, application["id"])  # fills the cache

        thank_you = one(await actions_of(client, application["id"], AS_OF), "send_thank_you")
        changes = [
            ("POST", f"/v1/actions/{thank_you['id']}/complete", {"at": "2027-01-13T15:00:00Z"}),
            ("DELETE", f"/v1/actions/{thank_you['id']}/mark", None),
            ("POST", f"/v1/actions/{thank_you['id']}/snooze", {"until": "2027-01-14T08:00:00Z"}),
            ("POST", f"/v1/actions/{thank_you['id']}/dismiss", {"reason": "Said it in person."}),
            # Re-planning moves windows and rewrites texts of several actions at once.
            (
                "PATCH",
                f"/v1/interviews/{interview['id']}",
                {"start": "2027-01-13T13:00:00Z", "end": "2027-01-13T14:30:00Z"},
            ),
            ("PATCH", f"/v1/contacts/{interviewer['id']}", {"name": "Grace Hopper"}),
        ]
        for method, path, body in changes:
            response = await client.request(method, path, json=body)
            assert response.status_code < 300, (path, response.text)
            await assert_feed_matches_single_views(client, application["id"])


async def test_a_change_made_by_another_worker_shows_at_once(
    settings: Settings,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    tenant: Tenant,
) -> None:
    reader = worker_app(settings, engine, sessionmaker, 1_000)
    writer = worker_app(settings, engine, sessionmaker, 1_000)
    async with client_for(reader, tenant.key) as reading, client_for(writer, tenant.key) as writing:
        application, _, _ = await interview_round(writing)
        before = one(await actions_of(reading, application["id"], AS_OF), "send_thank_you")
        assert before["mark"] is None
        assert len(reader.state.action_documents) > 0

        response = await writing.post(
            f"/v1/actions/{before['id']}/complete", json={"at": "2027-01-13T15:00:00Z"}
        )
        assert response.status_code == 200

        after = one(await actions_of(reading, application["id"], AS_OF), "send_thank_you")
        assert after["status"] == "done"
        assert after["mark"]["kind"] == "done"
        assert after["updated_at"] != before["updated_at"]


def test_the_cache_keeps_the_latest_versions_it_has_room_for() -> None:
    cache = ActionDocumentCache(capacity=2)
    cache.put("act_a", 1, b'{"id":"act_a"')
    cache.put("act_b", 1, b'{"id":"act_b"')
    assert cache.get("act_a", 1) == b'{"id":"act_a"'  # act_a is now the most recent
    assert cache.get("act_a", 2) is None  # another version is never served
    cache.put("act_c", 1, b'{"id":"act_c"')  # evicts act_b, the least recently used
    assert cache.get("act_b", 1) is None
    assert cache.get("act_a", 1) is not None and cache.get("act_c", 1) is not None
    cache.put("act_a", 2, b'{"id":"act_a","v":2')
    assert cache.get("act_a", 1) is None
    assert cache.get("act_a", 2) == b'{"id":"act_a","v":2'
    assert len(cache) == 2


def test_a_cache_of_no_size_keeps_nothing() -> None:
    cache = ActionDocumentCache(capacity=0)
    cache.put("act_a", 1, b"{}")
    assert cache.get("act_a", 1) is None
    assert len(cache) == 0

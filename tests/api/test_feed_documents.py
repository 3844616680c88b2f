"""The feed serves each action's JSON from a per-process cache keyed by the row's version.

What the feed shows must always equal what `GET /v1/actions/{id}` shows (that one is
built from the row on every request), however the action changed in between, and
whichever process (worker) changed it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.api import actions as actions_api
from app.api.action_documents import ActionDocumentCache
from app.db.models import Action
from app.domain import MarkKind
from app.repositories.actions import StoredTexts, confirm_texts
from app.repositories.owners import Owner
from app.repositories.webhooks import mark_time_events
from app.services import actions as action_service
from app.settings import Settings
from tests.api.builders import actions_of, interview_round, one
from tests.conftest import Tenant, app_in_transaction, client_for

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
    return app_in_transaction(
        settings.model_copy(update={"action_document_cache_size": cache_size}), engine, sessionmaker
    )


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


async def test_a_second_read_of_unchanged_actions_needs_no_second_query(
    settings: Settings,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    tenant: Tenant,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    loaded: list[list[str]] = []
    real_loader = action_service.actions_by_ids

    async def counting_loader(session: AsyncSession, owner: Owner, ids: list[str]) -> Any:
        loaded.append(ids)
        return await real_loader(session, owner, ids)

    monkeypatch.setattr(action_service, "actions_by_ids", counting_loader)
    app = worker_app(settings, engine, sessionmaker, 1_000)
    async with client_for(app, tenant.key) as client:
        application, _, _ = await interview_round(client)
        first = await actions_of(client, application["id"], AS_OF)
        assert sorted(loaded[0]) == sorted(a["id"] for a in first)
        loaded.clear()
        assert await actions_of(client, application["id"], AS_OF) == first
        assert loaded == []  # every action's JSON came from the cache


@pytest.mark.parametrize("change", ["completed", "deleted"])
async def test_an_action_changed_between_the_two_queries_is_shown_as_it_is_now(
    settings: Settings,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    tenant: Tenant,
    monkeypatch: pytest.MonkeyPatch,
    change: str,
) -> None:
    # Reads on PostgreSQL run in autocommit: another request can change an action after
    # the feed's query listed it and before its JSON is loaded. Simulated here by doing
    # that change inside the loader, with no cache so that every action is loaded.
    app = worker_app(settings, engine, sessionmaker, 0)
    async with client_for(app, tenant.key) as client:
        application, _, _ = await interview_round(client)
        thank_you = one(await actions_of(client, application["id"], AS_OF), "send_thank_you")
        assert thank_you["status"] == "due"
        real_loader = action_service.actions_by_ids

        async def loader_after_a_change(session: AsyncSession, owner: Owner, ids: list[str]) -> Any:
            if change == "completed":
                await action_service.mark_action(
                    session,
                    owner,
                    thank_you["id"],
                    MarkKind.DONE,
                    at=datetime(2027, 1, 13, 13, tzinfo=UTC),
                )
            else:
                await session.execute(delete(Action).where(Action.id == thank_you["id"]))
            return await real_loader(session, owner, ids)

        monkeypatch.setattr(action_service, "actions_by_ids", loader_after_a_change)
        response = await client.get(
            "/v1/actions",
            params={"as_of": AS_OF, "status": "due", "application_id": application["id"]},
        )
        assert response.status_code == 200
        # Due when listed, done (or gone) when loaded: not shown as a due thank-you.
        assert response.json() == {"data": [], "next_cursor": None}

        monkeypatch.setattr(action_service, "actions_by_ids", real_loader)
        everything = await actions_of(client, application["id"], AS_OF)
        shown = [a for a in everything if a["id"] == thank_you["id"]]
        if change == "completed":
            assert [(a["status"], a["mark"]["kind"]) for a in shown] == [("done", "done")]
        else:
            assert shown == []


async def test_the_workers_event_bookkeeping_changes_nothing_the_feed_shows(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    # The worker's Core updates that keep the version the feed's cache is keyed by (its
    # note of announced windows, its note that stored texts are current) must not touch
    # anything the feed renders.
    application, _, _ = await interview_round(client)
    listed = await actions_of(client, application["id"], AS_OF)
    async with sessionmaker() as session:
        rows = (await session.execute(select(*Action.__table__.columns))).all()
        before = {row.id: (row.version, actions_api.action_fields(row)) for row in rows}
        now = datetime(2027, 2, 1, tzinfo=UTC)
        await mark_time_events(session, [a["id"] for a in listed], now, overdue=False)
        await mark_time_events(session, [a["id"] for a in listed], now, overdue=True)
        current = [
            StoredTexts(r.id, r.version, r.language, "", r.title, r.explanation, r.guidance)
            for r in rows
        ]
        assert await confirm_texts(session, current, "0123456789abcdef") == len(rows)
        rows = (await session.execute(select(*Action.__table__.columns))).all()
        marked = {row.id: row.due_event_at for row in rows}
        after = {row.id: (row.version, actions_api.action_fields(row)) for row in rows}
    assert all(marked[a["id"]] is not None for a in listed)  # the update did happen
    assert after == before


def test_the_cache_keeps_the_latest_versions_it_has_room_for() -> None:
    cache = ActionDocumentCache(capacity=2)
    cache.put("act_a", 1, b'{"id":"act_a"', "en")
    cache.put("act_b", 1, b'{"id":"act_b"', "en")
    assert cache.entry("act_a", 1) == (b'{"id":"act_a"', "en")  # act_a is now the most recent
    assert cache.entry("act_a", 2) is None  # another version is never served
    cache.put("act_c", 1, b'{"id":"act_c"', "en")  # evicts act_b, the least recently used
    assert cache.entry("act_b", 1) is None
    assert cache.entry("act_a", 1) is not None and cache.entry("act_c", 1) is not None
    cache.put("act_a", 2, b'{"id":"act_a","v":2', "en")
    assert cache.entry("act_a", 1) is None
    assert cache.entry("act_a", 2) == (b'{"id":"act_a","v":2', "en")
    assert len(cache) == 2


def test_a_cache_of_no_size_keeps_nothing() -> None:
    cache = ActionDocumentCache(capacity=0)
    cache.put("act_a", 1, b"{}", "en")
    assert cache.entry("act_a", 1) is None
    assert len(cache) == 0

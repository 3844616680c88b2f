"""Feed pages answered again from the process's page cache, and only while they are right.

Through the API: a repeated request costs no query; a write shows at once in the process
that made it and, on PostgreSQL, in every other process once the database announces it
(whatever made the change: the API, a cascade, plain SQL); the clock reading a window's
edge makes the page be read again; other tenants, keys without the read scope, explicit
``as_of`` and ``Cache-Control: no-cache`` never get a stored page; and while the
listening connection is down, nothing is served from the cache.

On SQLite no process hears another's writes, so the app never turns the cache on there
(tested below); the tests that need no other process turn it on by hand, to check the rest
of the behaviour on both databases.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import event, text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from app.api.feed_pages import FeedPageCache
from app.db import migrations
from app.db.engine import create_engine
from app.db.models import Action
from app.db.notifications import APPLICATION_NAME, CHANNEL, ChangeListener
from app.main import listen_for_changes
from app.services import api_keys, credentials
from app.services.credentials import PrincipalCache
from app.settings import Settings
from tests import conftest
from tests.api.builders import interview_round
from tests.api.test_candidate_tokens import mint
from tests.conftest import client_for, committing_app, make_tenant

FEED = "/v1/actions"


@contextmanager
def counting_statements(engine: AsyncEngine) -> Iterator[list[str]]:
    """Every SQL statement the engine runs inside the block."""
    statements: list[str] = []

    def record(_connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


def cache_settings(settings: Settings) -> Settings:
    # Keys stay verified for a minute, as the page cache answers only recently verified keys.
    return settings.model_copy(update={"auth_cache_seconds": 60.0, "feed_page_cache_size": 64})


@asynccontextmanager
async def cached_app(
    settings: Settings, engine: AsyncEngine, *, listen: bool
) -> AsyncIterator[Any]:
    """An app that commits, with the page cache on: told of other processes' changes by
    PostgreSQL when ``listen``, otherwise only of its own writes."""
    async with committing_app(cache_settings(settings), engine) as application:
        listener = None
        if listen:
            listener = await listen_for_changes(application)
            assert listener is not None and application.state.feed_pages.live
        else:
            application.state.feed_pages.listening_started()
        try:
            yield application
        finally:
            if listener is not None:
                await listener.stop()


@asynccontextmanager
async def polling_one_round(
    settings: Settings, engine: AsyncEngine
) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    """An app with the page cache on (hearing only its own writes) and a client of a new
    tenant that has one interview round."""
    async with (
        cached_app(settings, engine, listen=False) as application,
        await new_tenant_client(application, settings) as client,
    ):
        await interview_round(client)
        yield application, client


async def new_tenant_client(application: Any, settings: Settings) -> httpx.AsyncClient:
    tenant = await make_tenant(application.state.write_sessionmaker, cache_settings(settings))
    application.state.created_tenants.append(tenant.id)
    return client_for(application, tenant.key)


async def wait_until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


def without_as_of(page: dict[str, Any]) -> dict[str, Any]:
    data = [{k: v for k, v in item.items() if k != "as_of"} for item in page["data"]]
    return {"data": data, "next_cursor": page["next_cursor"]}


async def answered_from_the_cache(client: httpx.AsyncClient, engine: AsyncEngine) -> None:
    """Read the feed until a request is answered without a query: a late notification
    of an earlier write may drop the page the first time."""
    deadline = time.monotonic() + 5
    while True:
        await client.get(FEED)
        with counting_statements(engine) as statements:
            assert (await client.get(FEED)).status_code == 200
        if not statements:
            return
        assert time.monotonic() < deadline, "never answered from the cache"


@pytest.fixture
def postgres(test_database: conftest.TestDatabase) -> None:
    if not test_database.is_postgres:
        pytest.skip("hearing another process's writes needs PostgreSQL's LISTEN/NOTIFY")


async def test_the_app_listens_for_changes_on_postgresql_and_keeps_the_cache_off_on_sqlite(
    settings: Settings, engine: AsyncEngine, test_database: conftest.TestDatabase
) -> None:
    async with committing_app(cache_settings(settings), engine) as application:
        listener = await listen_for_changes(application)
        try:
            assert (listener is not None) is test_database.is_postgres
            assert application.state.feed_pages.live is test_database.is_postgres
        finally:
            if listener is not None:
                await listener.stop()


async def test_a_repeated_request_is_answered_without_a_query(
    settings: Settings, engine: AsyncEngine
) -> None:
    async with polling_one_round(settings, engine) as (_, client):
        with counting_statements(engine) as first_statements:
            first = await client.get(FEED, params={"limit": 3})
        with counting_statements(engine) as second_statements:
            second = await client.get(FEED, params={"limit": 3})
        fresh = await client.get(FEED, params={"limit": 3}, headers={"Cache-Control": "no-cache"})
        metrics = (await client.get("/metrics")).text
    assert first.status_code == second.status_code == 200
    assert first_statements and not second_statements
    assert len(first.json()["data"]) == 3 and first.json()["next_cursor"]
    assert without_as_of(second.json()) == without_as_of(first.json())
    assert without_as_of(fresh.json()) == without_as_of(first.json())
    # The stored page is answered for the moment of the request, not the one it was read at.
    first_as_of = {item["as_of"] for item in first.json()["data"]}
    second_as_of = {item["as_of"] for item in second.json()["data"]}
    assert len(second_as_of) == 1 and second_as_of != first_as_of
    assert second_as_of.pop() > first_as_of.pop()
    # Operators see it in the metrics: one page kept, one request answered from it.
    assert "followup_feed_pages_stored_total 1.0" in metrics
    assert "followup_feed_pages_served_total 1.0" in metrics


async def test_a_write_shows_at_once_in_the_process_that_made_it(
    settings: Settings, engine: AsyncEngine
) -> None:
    async with polling_one_round(settings, engine) as (application, client):
        before = (await client.get(FEED)).json()["data"]
        with counting_statements(engine) as cached:
            assert (await client.get(FEED)).status_code == 200
        assert not cached and len(application.state.feed_pages) == 1
        target = before[0]
        assert target["status"] != "done"
        marked = await client.post(f"{FEED}/{target['id']}/complete", json={})
        assert marked.status_code == 200, marked.text
        with counting_statements(engine) as statements:
            after = (await client.get(FEED)).json()["data"]
    assert statements, "the page was served from before the write"
    assert {item["id"]: item["status"] for item in after}[target["id"]] == "done"


async def test_another_process_hears_of_every_kind_of_change(
    postgres: None, settings: Settings, engine: AsyncEngine
) -> None:
    async with (
        cached_app(settings, engine, listen=True) as reader,
        cached_app(settings, engine, listen=True) as writer,
    ):
        tenant = await make_tenant(writer.state.write_sessionmaker, cache_settings(settings))
        writer.state.created_tenants.append(tenant.id)
        pages: FeedPageCache = reader.state.feed_pages
        async with client_for(reader, tenant.key) as read, client_for(writer, tenant.key) as write:
            application, _, _ = await interview_round(write)

            async def feed_after_announcement(change: Any) -> list[dict[str, Any]]:
                await answered_from_the_cache(read, engine)
                generation = pages.generation(tenant.id)
                await change()
                await wait_until(lambda: pages.generation(tenant.id) != generation)
                response = await read.get(FEED)
                assert response.status_code == 200
                return list(response.json()["data"])

            # Through the API of another process.
            first = (await read.get(FEED)).json()["data"][0]

            async def complete() -> None:
                response = await write.post(f"{FEED}/{first['id']}/complete", json={})
                assert response.status_code == 200

            data = await feed_after_announcement(complete)
            assert {item["id"]: item["status"] for item in data}[first["id"]] == "done"

            # By plain SQL, outside the app altogether.
            async def retitle() -> None:
                async with engine.begin() as connection:
                    await connection.execute(
                        update(Action)
                        .where(Action.id == first["id"])
                        .values(title="Retitled by hand", version=Action.version + 1)
                    )

            data = await feed_after_announcement(retitle)
            assert {item["id"]: item["title"] for item in data}[first["id"]] == "Retitled by hand"

            # By a cascade: deleting the application deletes its actions in the database.
            async def delete_application() -> None:
                response = await write.delete(f"/v1/applications/{application['id']}")
                assert response.status_code == 204

            assert await feed_after_announcement(delete_application) == []


async def test_an_update_that_keeps_every_version_is_not_announced(
    postgres: None, settings: Settings, engine: AsyncEngine
) -> None:
    # The worker's bookkeeping (a window announced, stored texts found current) changes
    # nothing a page shows, and must not drop every process's pages of the tenants in it.
    async with cached_app(settings, engine, listen=True) as reader:
        tenant = await make_tenant(reader.state.write_sessionmaker, cache_settings(settings))
        reader.state.created_tenants.append(tenant.id)
        pages: FeedPageCache = reader.state.feed_pages
        async with client_for(reader, tenant.key) as read:
            await interview_round(read)
            first = (await read.get(FEED)).json()["data"][0]
            generation = pages.generation(tenant.id)

            async def update_by_hand(**values: Any) -> None:
                async with engine.begin() as connection:
                    await connection.execute(
                        update(Action).where(Action.id == first["id"]).values(**values)
                    )

            await update_by_hand(texts_version="0000-bookkeeping", updated_at=Action.updated_at)
            await update_by_hand(title="Retitled by hand", version=Action.version + 1)
            await wait_until(lambda: pages.generation(tenant.id) != generation)
            # Notifications arrive in commit order: had the first been announced, the
            # count would have moved by two.
            await asyncio.sleep(0.2)
            assert pages.generation(tenant.id)[1] == generation[1] + 1


async def test_a_window_opening_makes_the_page_be_read_again(
    settings: Settings, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The API's clock, held still and moved by hand; ahead of the real one, so that what
    # the planner stamps with the real time is already in the past.
    clock = [datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=1)]
    for module in ("app.api.actions", "app.api.feed_pages"):
        monkeypatch.setattr(f"{module}.utcnow", lambda: clock[0])
    async with (
        cached_app(settings, engine, listen=False) as application,
        await new_tenant_client(application, settings) as client,
    ):
        # The thank-you's window opens when the interview ends, in an hour.
        ends = clock[0] + timedelta(hours=1)
        await interview_round(
            client, start=(clock[0] - timedelta(hours=1)).isoformat(), end=ends.isoformat()
        )
        due = {"status": "due", "type": "send_thank_you"}
        assert (await client.get(FEED, params=due)).json()["data"] == []
        clock[0] = ends - timedelta(microseconds=1)
        with counting_statements(engine) as cached:
            assert (await client.get(FEED, params=due)).json()["data"] == []
        clock[0] = ends
        with counting_statements(engine) as reread:
            after = (await client.get(FEED, params=due)).json()["data"]
    assert not cached, "read again before the window opened"
    assert reread, "served from the cache after the window opened"
    assert [item["type"] for item in after] == ["send_thank_you"]
    assert after[0]["as_of"] == ends.isoformat().replace("+00:00", "Z")


async def test_stored_pages_go_only_to_their_tenant_and_to_keys_that_may_read(
    settings: Settings, engine: AsyncEngine
) -> None:
    async with (
        cached_app(settings, engine, listen=False) as application,
        await new_tenant_client(application, settings) as owner,
        await new_tenant_client(application, settings) as stranger,
    ):
        owner_tenant = application.state.created_tenants[0]
        await interview_round(owner)
        stored = (await owner.get(FEED)).json()
        assert stored["data"]
        assert without_as_of((await owner.get(FEED)).json()) == without_as_of(stored)
        assert (await stranger.get(FEED)).json()["data"] == []
        with counting_statements(engine) as statements:
            assert (await stranger.get(FEED)).json()["data"] == []  # its own stored page
        assert not statements

        async with application.state.write_sessionmaker() as session, session.begin():
            write_only = await api_keys.issue_key(
                session, owner_tenant, settings.resolved_secret_key(), scopes=["write"]
            )
        async with client_for(application, write_only.plaintext) as writer:
            # Verified once (a write it may make), then refused the stored page.
            assert (await writer.get(FEED)).status_code == 403
            assert (await writer.get(FEED)).status_code == 403
        async with client_for(application, "fu_live_000000000000_" + "0" * 48) as unknown:
            assert (await unknown.get(FEED)).status_code == 401


@pytest.mark.parametrize(
    "query",
    [
        {"as_of": "2027-01-13T12:00:00Z"},
        {"as%5Fof": "2027-01-13T12:00:00Z"},  # the name percent-encoded: still an as_of
    ],
)
async def test_an_explicit_moment_is_never_stored(
    settings: Settings, engine: AsyncEngine, query: dict[str, str]
) -> None:
    async with polling_one_round(settings, engine) as (application, client):
        path = FEED + "?" + "&".join(f"{k}={v}" for k, v in query.items())
        first = await client.get(path)
        with counting_statements(engine) as statements:
            second = await client.get(path)
    assert first.status_code == second.status_code == 200
    assert statements
    assert {item["as_of"] for item in second.json()["data"]} == {"2027-01-13T12:00:00Z"}
    assert len(application.state.feed_pages) == 0


async def test_no_cache_reads_the_database(settings: Settings, engine: AsyncEngine) -> None:
    async with polling_one_round(settings, engine) as (application, client):
        await client.get(FEED)
        with counting_statements(engine) as statements:
            response = await client.get(FEED, headers={"Cache-Control": "no-cache"})
        assert response.status_code == 200 and response.json()["data"]
        assert statements
        # Nor is a no-cache answer kept: the query for the next status change is skipped.
        await client.get(FEED, params={"limit": 7}, headers={"Cache-Control": "No-Cache"})
        assert len(application.state.feed_pages) == 1


async def test_a_lost_listener_drops_every_page_and_comes_back(
    postgres: None, settings: Settings, engine: AsyncEngine
) -> None:
    async with cached_app(settings, engine, listen=True) as application:
        pages: FeedPageCache = application.state.feed_pages
        async with await new_tenant_client(application, settings) as client:
            tenant_id = application.state.created_tenants[0]
            await interview_round(client)
            await answered_from_the_cache(client, engine)
            epoch = pages.generation(tenant_id)[0]
            async with engine.begin() as connection:
                terminated = await connection.scalar(
                    text(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND application_name = :name"
                    ),
                    {"name": APPLICATION_NAME},
                )
            assert terminated == 1
            # Lost (nothing served while down: see the unit tests), then listening again.
            await wait_until(lambda: pages.generation(tenant_id)[0] >= epoch + 2 and pages.live)
            assert len(pages) == 0
            await answered_from_the_cache(client, engine)


async def test_the_listener_connects_as_the_engine_does_whatever_the_url_carries(
    postgres: None, settings: Settings
) -> None:
    # Options in the URL that SQLAlchemy reads itself, or turns into asyncpg arguments,
    # must not reach PostgreSQL as settings (it would refuse the connection).
    url = settings.resolved_database_url + "?prepared_statement_cache_size=50&ssl=disable"
    engine = create_engine(settings.model_copy(update={"database_url": url}))
    try:
        async with committing_app(cache_settings(settings), engine) as application:
            listener = await listen_for_changes(application)
            assert listener is not None
            try:
                assert listener.listening.is_set() and application.state.feed_pages.live
            finally:
                await listener.stop()
            assert not application.state.feed_pages.live
    finally:
        await engine.dispose()


async def test_without_the_triggers_nothing_counts_as_listening(
    postgres: None, settings: Settings, scratch_database_url: str
) -> None:
    engine = create_engine(settings.model_copy(update={"database_url": scratch_database_url}))
    try:
        await migrations.upgrade(engine)
        async with engine.begin() as connection:
            await connection.execute(text("DROP TRIGGER actions_notify_update ON actions"))
        async with committing_app(cache_settings(settings), engine) as application:
            application.state.feed_pages.listening_started()  # as if it had listened before
            listener = await listen_for_changes(application)
            assert listener is not None
            try:
                assert not listener.listening.is_set()
                assert not application.state.feed_pages.live
            finally:
                await listener.stop()
    finally:
        await engine.dispose()


def test_a_failure_handling_a_notification_forgets_every_page() -> None:
    forgotten: list[str] = []

    def failing(_tenant_id: str) -> None:
        raise RuntimeError("boom")

    listener = ChangeListener(
        {},
        on_change=failing,
        on_everything=lambda: forgotten.append("everything"),
        on_listening=lambda: None,
        on_lost=lambda: None,
        check_every=1.0,
    )
    listener._notified(None, 0, CHANNEL, "ten_a")
    listener._notified(None, 0, CHANNEL, "*")
    assert forgotten == ["everything", "everything"]


# --- candidate tokens ----------------------------------------------------------------------


async def test_a_candidates_page_goes_to_that_candidates_token_alone(
    settings: Settings, engine: AsyncEngine
) -> None:
    async with (
        cached_app(settings, engine, listen=False) as application,
        await new_tenant_client(application, settings) as key,
    ):
        a_application, _, _ = await interview_round(key)
        b_application, _, _ = await interview_round(key)
        a, b = a_application["candidate_id"], b_application["candidate_id"]
        a_token, b_token = (await mint(key, a))["token"], (await mint(key, b))["token"]
        async with (
            client_for(application, a_token) as as_a,
            client_for(application, b_token) as as_b,
        ):
            pollers = {"key": (key, {a, b}), "a": (as_a, {a}), "b": (as_b, {b})}
            # Each polls the same path twice, in turn: the second answer is its own stored
            # page, read with no query, and holds its own candidates alone.
            for round_ in range(3):
                for name, (client, expected) in pollers.items():
                    with counting_statements(engine) as statements:
                        response = await client.get(FEED)
                    assert response.status_code == 200, response.text
                    shown = {item["candidate_id"] for item in response.json()["data"]}
                    assert shown == expected, f"{name} in round {round_}"
                    assert bool(statements) is (round_ == 0), f"{name} in round {round_}"
            assert len(application.state.feed_pages) == 3


async def test_a_stored_page_is_not_served_to_a_revoked_or_expired_token(
    settings: Settings, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with (
        cached_app(settings, engine, listen=False) as application,
        await new_tenant_client(application, settings) as key,
    ):
        application_, _, _ = await interview_round(key)
        candidate_id = application_["candidate_id"]
        revoked, expiring = await mint(key, candidate_id), await mint(key, candidate_id)
        async with (
            client_for(application, revoked["token"]) as first,
            client_for(application, expiring["token"]) as second,
        ):
            for client in (first, second):
                await answered_from_the_cache(client, engine)
            path = f"/v1/candidates/{candidate_id}/access-tokens/{revoked['id']}"
            assert (await key.delete(path)).status_code == 204
            assert (await first.get(FEED)).status_code == 401
            await answered_from_the_cache(second, engine)
            expires_at = datetime.fromisoformat(expiring["expires_at"])
            monkeypatch.setattr(credentials, "utcnow", lambda: expires_at)
            assert (await second.get(FEED)).status_code == 401


async def test_another_process_drops_a_revoked_token_as_soon_as_postgresql_announces_it(
    postgres: None, settings: Settings, engine: AsyncEngine
) -> None:
    """Both processes trust a verified credential for a minute (cache_settings): without
    the announcement, the revoked token would keep working in the other one that long."""
    async with (
        cached_app(settings, engine, listen=True) as reader,
        cached_app(settings, engine, listen=True) as writer,
    ):
        tenant = await make_tenant(writer.state.write_sessionmaker, cache_settings(settings))
        writer.state.created_tenants.append(tenant.id)
        credentials_cache: PrincipalCache = reader.state.principal_cache
        async with client_for(writer, tenant.key) as key:
            first, _, _ = await interview_round(key)
            second, _, _ = await interview_round(key)
            revoked = await mint(key, first["candidate_id"])
            erased = await mint(key, second["candidate_id"])
            async with (
                client_for(reader, revoked["token"]) as by_revoked,
                client_for(reader, erased["token"]) as by_erased,
            ):
                for client in (by_revoked, by_erased):
                    await answered_from_the_cache(client, engine)

                async def refused_within_moments(
                    client: httpx.AsyncClient, change: Callable[[], Awaitable[httpx.Response]]
                ) -> float:
                    evictions = credentials_cache.evictions
                    response = await change()
                    assert response.status_code == 204, response.text
                    started = time.monotonic()
                    await wait_until(lambda: credentials_cache.evictions != evictions)
                    heard_after = time.monotonic() - started
                    assert (await client.get(FEED)).status_code == 401
                    return heard_after

                # Revoked through the other process's API...
                path = f"/v1/candidates/{first['candidate_id']}/access-tokens/{revoked['id']}"
                heard = await refused_within_moments(by_revoked, lambda: key.delete(path))
                assert heard < 1.0
                # ...and gone with its candidate, erased there.
                erase = f"/v1/candidates/{second['candidate_id']}"
                heard = await refused_within_moments(by_erased, lambda: key.delete(erase))
                assert heard < 1.0

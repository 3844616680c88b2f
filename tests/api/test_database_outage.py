"""A database outage under load: the app and the worker reach PostgreSQL through a TCP
proxy that, in the middle of the load, resets every connection and refuses new ones for a
few seconds, as a restart or a network failure would.

While it lasts every answer that is not a success is a 503 problem+json with Retry-After
(never a 500, never a dropped HTTP connection) and `/readyz` answers 503; afterwards the
same app, not restarted, answers again; every write that got a 2xx is in the database; the
worker delivers what it had and emits the events that fell due meanwhile.

PostgreSQL only: the embedded SQLite database is a file in the app's own process, with no
connection that could drop (its "database is locked" is covered by the classifier's tests).
"""

from __future__ import annotations

import asyncio
import os
import secrets
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.api.errors import PROBLEM_JSON
from app.db import models
from app.db.engine import create_engine, create_sessionmaker
from app.db.faults import DatabaseFault, classify
from app.services.worker import Worker
from app.settings import Settings
from tests import conftest
from tests.api.builders import all_pages, interview_round, one
from tests.conftest import TEST_DATABASE_URL_VARIABLE, client_for, committing_app, make_tenant
from tests.live_server import serving
from tests.services.test_worker import Clock, Receiver, at
from tests.tcp_proxy import TcpProxy, proxy_in_front_of

pytestmark = pytest.mark.skipif(
    not os.environ.get(TEST_DATABASE_URL_VARIABLE, "").startswith("postgres"),
    reason="not applicable on SQLite: the embedded database has no connection to drop; "
    "set FOLLOWUP_TEST_DATABASE_URL to a PostgreSQL server to run it",
)

WRITERS = 6
READERS = 4
UP_BEFORE_SECONDS = 2.0
DOWN_SECONDS = 4.0
AFTER_RECOVERY_SECONDS = 2.0


@dataclass
class Answer:
    path: str
    status: int
    database_up: bool
    retry_after: str | None
    content_type: str
    after_recovery: bool  # sent once /readyz had answered 200 again


@dataclass
class Tally:
    answers: list[Answer] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)  # transport errors: connections lost
    candidates_created: list[str] = field(default_factory=list)
    pings_accepted: list[str] = field(default_factory=list)
    recovered: bool = False

    def note(self, response: httpx.Response, database_up: bool, after_recovery: bool) -> None:
        self.answers.append(
            Answer(
                response.request.url.path,
                response.status_code,
                database_up,
                response.headers.get("retry-after"),
                response.headers.get("content-type", ""),
                after_recovery,
            )
        )


async def test_an_outage_answers_503_then_recovers_losing_nothing(
    settings: Settings, engine: AsyncEngine, test_database: conftest.TestDatabase
) -> None:
    proxy, proxied = await proxy_in_front_of(
        settings,
        test_database.url,
        db_pool_size=8,
        db_pool_timeout_seconds=3.0,
        webhook_allow_http=True,
        webhook_allow_private_networks=True,
        worker_poll_interval_seconds=0.1,
        webhook_timeout_seconds=2.0,
    )
    app_engine, worker_engine = create_engine(proxied), create_engine(proxied)
    receiver = Receiver(delay=0.05)
    receiver.start()
    tally = Tally()
    try:
        async with committing_app(proxied, app_engine) as app, serving(app) as base_url:
            tenant = await make_tenant(app.state.write_sessionmaker, proxied)
            app.state.created_tenants.append(tenant.id)
            async with httpx.AsyncClient(
                base_url=base_url, headers={"Authorization": f"Bearer {tenant.key}"}, timeout=30
            ) as http:
                await _run_outage(http, proxy, proxied, worker_engine, receiver, tally)
            # Nothing a client was told was written is missing, read directly (not through
            # the proxy), before the tenant is cleaned away.
            async with create_sessionmaker(engine)() as session:
                stored = set(
                    await session.scalars(
                        select(models.Candidate.id).where(models.Candidate.tenant_id == tenant.id)
                    )
                )
    finally:
        receiver.stop()
        await proxy.close()
        await app_engine.dispose()
        await worker_engine.dispose()

    missing = set(tally.candidates_created) - stored
    statuses = Counter(a.status for a in tally.answers)
    print(
        f"\noutage: {len(tally.answers)} answers {dict(sorted(statuses.items()))}, "
        f"{sum(1 for a in tally.answers if a.status >= 500 and a.status != 503)} of them 5xx "
        f"other than 503, {len(tally.dropped)} HTTP connections dropped, "
        f"{sum(1 for a in tally.answers if a.after_recovery)} answers after recovery; "
        f"{proxy.connections_dropped} database connections cut; "
        f"{len(tally.candidates_created)} writes answered 201, "
        f"{len(tally.candidates_created) - len(missing)} of them found in the database"
    )
    assert missing == set()


async def _run_outage(
    http: httpx.AsyncClient,
    proxy: TcpProxy,
    settings: Settings,
    worker_engine: AsyncEngine,
    receiver: Receiver,
    tally: Tally,
) -> None:
    endpoint = await http.post(
        "/v1/webhook-endpoints",
        json={"url": receiver.url, "event_types": ["action.due", "interview.scheduled"]},
    )
    assert endpoint.status_code == 201, endpoint.text
    endpoint_id = endpoint.json()["id"]
    application, interviewer, _ = await interview_round(http)
    actions = await all_pages(http, f"/v1/applications/{application['id']}/actions")
    thank_you = one(actions, "send_thank_you", interviewer["id"])
    # Before the interview ends; moved past it while the database is down, so the
    # thank-you's `action.due` falls due during the outage.
    clock = Clock(at("2027-01-13T09:00:00+00:00"))

    stop_load, stop_worker = asyncio.Event(), asyncio.Event()
    # A lease far shorter than the default, so that a claim whose commit the outage cut off
    # (the worker cannot know it went through) is sent again within the test.
    async with Worker(
        create_sessionmaker(worker_engine, for_writes=True),
        settings,
        clock=clock,
        lease=timedelta(seconds=5),
    ) as worker:
        worker_task = asyncio.create_task(worker.run(stop_worker))
        load = [
            *(asyncio.create_task(_write(http, proxy, tally, stop_load)) for _ in range(WRITERS)),
            *(asyncio.create_task(_read(http, proxy, tally, stop_load)) for _ in range(READERS)),
            asyncio.create_task(_ping(http, proxy, tally, stop_load, endpoint_id)),
        ]
        readiness: list[tuple[bool, int]] = []
        probe = asyncio.create_task(_probe_readiness(http, proxy, readiness, stop_load))

        await asyncio.sleep(UP_BEFORE_SECONDS)
        await proxy.cut()
        clock.now = at("2027-01-13T10:30:00+00:00")
        await asyncio.sleep(DOWN_SECONDS)
        await proxy.restore()
        recovered_at = time.monotonic()
        while not readiness or readiness[-1] != (True, 200):
            assert time.monotonic() - recovered_at < 20, "/readyz never answered 200 again"
            await asyncio.sleep(0.1)
        tally.recovered = True
        await asyncio.sleep(AFTER_RECOVERY_SECONDS)
        stop_load.set()
        await asyncio.gather(*load, probe)

        # Recovered without a restart: fresh requests all succeed.
        for _ in range(10):
            assert (await http.get("/v1/candidates", params={"limit": 5})).status_code == 200
        created = await http.post("/v1/candidates", json=_candidate(), headers=_key())
        assert created.status_code == 201, created.text
        tally.candidates_created.append(created.json()["id"])

        # The worker carried on: every delivery arrives, the due event included.
        deadline = time.monotonic() + 20
        while True:
            deliveries = await all_pages(http, f"/v1/webhook-endpoints/{endpoint_id}/deliveries")
            arrived = {r.headers["Followup-Delivery-Id"] for r in receiver.requests}
            if (
                all(d["status"] == "delivered" for d in deliveries)
                and {d["id"] for d in deliveries} <= arrived
            ):
                break
            assert time.monotonic() < deadline, [(d["id"], d["status"]) for d in deliveries]
            await asyncio.sleep(0.1)
        assert not worker_task.done()
        stop_worker.set()
        await worker_task

    assert tally.dropped == []
    assert [a for a in tally.answers if a.status >= 500 and a.status != 503] == []
    unavailable = [a for a in tally.answers if a.status == 503]
    assert unavailable, "no request was answered while the database was down"
    assert all(a.retry_after and a.retry_after.isdigit() for a in unavailable)
    assert all(a.content_type == PROBLEM_JSON for a in unavailable)
    # Every other answer is a success, or a 409 for an Idempotency-Key whose first request
    # was cut off mid-way (its retry waits; see the idempotency layer).
    assert {a.status for a in tally.answers} <= {200, 201, 202, 409, 503}
    # Recovered by itself: once /readyz is back, no request meets a dead pooled connection.
    after = [a for a in tally.answers if a.after_recovery]
    assert after and {a.status for a in after} <= {200, 201, 202, 409}
    assert (False, 503) in readiness and readiness[-1] == (True, 200)
    assert all(status == 503 for up, status in readiness if not up)

    accepted = set(tally.pings_accepted)
    assert accepted and accepted <= {d["id"] for d in deliveries}
    dues = await all_pages(http, "/v1/events", {"type": "action.due"})
    due_ids = {e["id"] for e in dues if e["action_id"] == thank_you["id"]}
    assert len(due_ids) == 1  # emitted once, after the outage
    assert due_ids <= {r.event_id for r in receiver.requests}


def _candidate() -> dict[str, str]:
    return {"name": "Ada " + secrets.token_hex(3), "time_zone": "Europe/Berlin", "country": "DE"}


def _key() -> dict[str, str]:
    return {"Idempotency-Key": secrets.token_hex(12)}


async def _send(
    http: httpx.AsyncClient, proxy: TcpProxy, tally: Tally, method: str, path: str, **kw: Any
) -> httpx.Response | None:
    database_up, after_recovery = proxy.up, tally.recovered
    try:
        response = await http.request(method, path, **kw)
    except httpx.TransportError as exc:
        tally.dropped.append(f"{method} {path}: {exc!r}")
        return None
    # Counted as "up" only if it was up both when sent and when answered.
    tally.note(response, database_up and proxy.up, after_recovery)
    return response


async def _write(
    http: httpx.AsyncClient, proxy: TcpProxy, tally: Tally, stop: asyncio.Event
) -> None:
    """Create candidates, each retried under its Idempotency-Key until it succeeds."""
    while not stop.is_set():
        body, key = _candidate(), _key()
        while not stop.is_set():
            response = await _send(
                http, proxy, tally, "POST", "/v1/candidates", json=body, headers=key
            )
            if response is not None and response.status_code == 201:
                tally.candidates_created.append(response.json()["id"])
                break
            if response is not None and response.status_code == 409:
                break  # cut off mid-way: its key stays taken for a while; write anew
            await asyncio.sleep(0.05)


async def _read(
    http: httpx.AsyncClient, proxy: TcpProxy, tally: Tally, stop: asyncio.Event
) -> None:
    paths = ("/v1/candidates", "/v1/actions", "/v1/me")
    turn = 0
    while not stop.is_set():
        await _send(http, proxy, tally, "GET", paths[turn % len(paths)])
        turn += 1
        await asyncio.sleep(0.01)


async def _ping(
    http: httpx.AsyncClient, proxy: TcpProxy, tally: Tally, stop: asyncio.Event, endpoint_id: str
) -> None:
    """A webhook delivery queued every so often, for the worker to send."""
    while not stop.is_set():
        response = await _send(
            http, proxy, tally, "POST", f"/v1/webhook-endpoints/{endpoint_id}/ping"
        )
        if response is not None and response.status_code == 202:
            tally.pings_accepted.append(response.json()["id"])
        await asyncio.sleep(0.2)


async def _probe_readiness(
    http: httpx.AsyncClient, proxy: TcpProxy, seen: list[tuple[bool, int]], stop: asyncio.Event
) -> None:
    while not stop.is_set():
        up = proxy.up
        response = await http.get("/readyz")
        if up == proxy.up:
            seen.append((up, response.status_code))
        await asyncio.sleep(0.1)


async def test_an_attempt_made_before_an_outage_is_recorded_after_it_not_sent_again(
    settings: Settings, engine: AsyncEngine, test_database: conftest.TestDatabase
) -> None:
    loopback = settings.model_copy(
        update={
            "webhook_allow_http": True,
            "webhook_allow_private_networks": True,
            "webhook_timeout_seconds": 5.0,
        }
    )
    proxy, proxied = await proxy_in_front_of(loopback, test_database.url)
    worker_engine = create_engine(proxied)
    gate = threading.Event()  # holds the attempt until set
    receiver = Receiver(gate=gate)
    receiver.start()
    try:
        async with committing_app(loopback, engine) as app:
            tenant = await make_tenant(app.state.write_sessionmaker, loopback)
            app.state.created_tenants.append(tenant.id)
            async with client_for(app, tenant.key) as http:
                endpoint = (
                    await http.post(
                        "/v1/webhook-endpoints",
                        json={"url": receiver.url, "event_types": ["interview.scheduled"]},
                    )
                ).json()
                ping = (await http.post(f"/v1/webhook-endpoints/{endpoint['id']}/ping")).json()
                async with Worker(
                    create_sessionmaker(worker_engine, for_writes=True), proxied
                ) as worker:
                    delivering = asyncio.create_task(worker.deliver())
                    assert await asyncio.to_thread(receiver.arrived.wait, 10)
                    await proxy.cut()  # the database goes while the attempt is in flight
                    gate.set()
                    with pytest.raises(Exception) as failed:
                        await delivering
                    assert classify(failed.value) is DatabaseFault.UNAVAILABLE
                    await proxy.restore()
                    assert await worker.deliver() == 0  # records the attempt; sends nothing
                (recorded,) = await all_pages(
                    http, f"/v1/webhook-endpoints/{endpoint['id']}/deliveries"
                )
    finally:
        gate.set()
        receiver.stop()
        await proxy.close()
        await worker_engine.dispose()
    assert recorded["id"] == ping["id"]
    assert recorded["status"] == "delivered" and recorded["attempt_count"] == 1
    assert [r.headers["Followup-Delivery-Id"] for r in receiver.requests] == [ping["id"]]

"""The worker end to end, against a real HTTP receiver on 127.0.0.1: signed deliveries,
retries while the receiver is down, at-least-once when the worker dies mid-attempt,
give-ups and auto-disable, due/overdue events, erasure, and several workers at once.

The loopback receiver is reachable because these tests turn on the development settings
(`webhook_allow_http`, `webhook_allow_private_networks`); the guard itself is tested with
them off in test_ssrf.py, and once here against DNS rebinding.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import os
import signal
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.db import models
from app.services.webhooks import signing
from app.services.webhooks.delivery import AttemptResult, Outgoing
from app.services.worker import Worker
from app.settings import Settings
from tests import conftest
from tests.api.builders import all_pages, interview_round, one
from tests.conftest import app_in_transaction, client_for, committing_app, make_tenant
from tests.services.test_ssrf import PUBLIC_V4, fake_dns

ALL_TYPES = [
    "action.created",
    "action.due",
    "action.overdue",
    "action.completed",
    "action.dismissed",
    "action.obsolete",
    "application.outcome",
    "interview.scheduled",
    "interview.cancelled",
    "webhook_endpoint.disabled",
]


def verify(secret: str, header: str, body: bytes, tolerance: int = 300) -> bool:
    """The receiver's check, as the README shows it (written apart from the service code)."""
    items = [item.split("=", 1) for item in header.split(",")]
    timestamp = int(next(value for key, value in items if key == "t"))
    if abs(time.time() - timestamp) > tolerance:
        return False
    expected = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
    ).hexdigest()
    return any(hmac.compare_digest(expected, value) for key, value in items if key == "v1")


# --- the receiver -------------------------------------------------------------------------


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    started: float
    finished: float

    @property
    def event_id(self) -> str:
        return self.headers["Followup-Event-Id"]

    @property
    def document(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the default backlog of 5 resets a worker's concurrent batch


@dataclass
class Receiver:
    """A threaded HTTP server on 127.0.0.1 that records every request it answers."""

    port: int = 0
    status: int = 200
    delay: float = 0.0
    location: str | None = None
    gate: threading.Event | None = None
    requests: list[Received] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                started = time.monotonic()
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.arrived.set()
                if receiver.gate is not None:
                    receiver.gate.wait(10)
                time.sleep(receiver.delay)
                self.send_response(receiver.status)
                if receiver.location:
                    self.send_header("Location", receiver.location)
                self.send_header("Content-Length", "0")
                self.end_headers()
                receiver.requests.append(
                    Received(dict(self.headers.items()), body, started, time.monotonic())
                )

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = _Server(("127.0.0.1", self.port), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    server.start()
    yield server
    if server.gate is not None:
        server.gate.set()
    server.stop()


# --- the app, the clock and the worker ----------------------------------------------------


@pytest.fixture(scope="session")
def loopback_settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "webhook_allow_http": True,
            "webhook_allow_private_networks": True,
            "worker_poll_interval_seconds": 0.05,
            "webhook_timeout_seconds": 2.0,
        }
    )


@pytest.fixture
async def hooks_client(
    loopback_settings: Settings,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> AsyncIterator[httpx.AsyncClient]:
    tenant = await make_tenant(sessionmaker, loopback_settings)
    async with client_for(
        app_in_transaction(loopback_settings, engine, sessionmaker), tenant.key
    ) as client:
        yield client


class Clock:
    """A settable clock for the worker; starts at the real now."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


async def new_endpoint(
    client: httpx.AsyncClient, url: str, event_types: list[str] | None = None
) -> dict[str, Any]:
    response = await client.post(
        "/v1/webhook-endpoints", json={"url": url, "event_types": event_types or ALL_TYPES}
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def deliveries(client: httpx.AsyncClient, endpoint_id: str) -> list[dict[str, Any]]:
    return await all_pages(client, f"/v1/webhook-endpoints/{endpoint_id}/deliveries")


async def drain(worker: Worker, passes: int = 5) -> None:
    for _ in range(passes):
        await worker.run_once()


# --- delivery -----------------------------------------------------------------------------


async def test_events_arrive_signed_and_verifiable(
    hooks_client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    loopback_settings: Settings,
    receiver: Receiver,
) -> None:
    endpoint = await new_endpoint(hooks_client, receiver.url)
    await interview_round(hooks_client)
    async with Worker(sessionmaker, loopback_settings) as worker:
        await drain(worker)
    # Including the `action.due` the worker itself emitted for the panel confirmation.
    events = await all_pages(hooks_client, "/v1/events")
    assert "action.due" in {e["type"] for e in events}

    assert sorted(r.event_id for r in receiver.requests) == sorted(e["id"] for e in events)
    by_id = {e["id"]: e for e in events}
    for request in receiver.requests:
        assert verify(endpoint["secret"], request.headers["Followup-Signature"], request.body)
        assert not verify("whsec_wrong", request.headers["Followup-Signature"], request.body)
        assert request.headers["Followup-Event-Type"] == by_id[request.event_id]["type"]
        assert request.headers["Content-Type"] == "application/json"
        assert request.document == by_id[request.event_id]  # what GET /v1/events shows
    listed = await deliveries(hooks_client, endpoint["id"])
    assert {d["status"] for d in listed} == {"delivered"}
    assert all(d["attempt_count"] == 1 and d["last_status_code"] == 200 for d in listed)
    assert listed[0]["attempts"][0]["status_code"] == 200
    assert listed[0]["attempts"][0]["error"] is None


async def test_only_subscribed_types_are_sent(
    hooks_client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    loopback_settings: Settings,
    receiver: Receiver,
) -> None:
    await new_endpoint(hooks_client, receiver.url, ["interview.scheduled"])
    await interview_round(hooks_client)
    async with Worker(sessionmaker, loopback_settings) as worker:
        await drain(worker)
    assert [r.headers["Followup-Event-Type"] for r in receiver.requests] == ["interview.scheduled"]


async def test_nothing_is_lost_while_the_receiver_is_down(
    hooks_client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    loopback_settings: Settings,
    receiver: Receiver,
) -> None:
    endpoint = await new_endpoint(hooks_client, receiver.url)
    receiver.stop()  # the port is closed: connections are refused
    await interview_round(hooks_client)
    clock = Clock()
    async with Worker(sessionmaker, loopback_settings, clock=clock) as worker:
        await drain(worker)
        events = await all_pages(hooks_client, "/v1/events")
        waiting = await deliveries(hooks_client, endpoint["id"])
        assert len(waiting) == len(events)
        for delivery in waiting:
            assert delivery["status"] == "pending" and delivery["attempt_count"] == 1
            assert delivery["last_status_code"] is None and delivery["last_error"]
            next_at = datetime.fromisoformat(delivery["next_attempt_at"])
            assert clock.now + timedelta(seconds=14) <= next_at <= clock.now + timedelta(seconds=31)
        failing = (await hooks_client.get(f"/v1/webhook-endpoints/{endpoint['id']}")).json()
        assert failing["consecutive_failures"] == len(events) and failing["enabled"]

        receiver.start()  # back, on the same port
        clock.advance(minutes=1)
        await drain(worker)

    assert sorted(r.event_id for r in receiver.requests) == sorted(e["id"] for e in events)
    done = await deliveries(hooks_client, endpoint["id"])
    assert {d["status"] for d in done} == {"delivered"}
    assert all(d["attempt_count"] == 2 for d in done)
    assert all([a["status_code"] for a in d["attempts"]] == [None, 200] for d in done)
    healthy = (await hooks_client.get(f"/v1/webhook-endpoints/{endpoint['id']}")).json()
    assert healthy["consecutive_failures"] == 0


async def test_a_worker_killed_mid_delivery_loses_nothing(
    hooks_client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    loopback_settings: Settings,
    receiver: Receiver,
) -> None:
    endpoint = await new_endpoint(hooks_client, receiver.url, ["interview.scheduled"])
    await interview_round(hooks_client)
    receiver.gate = threading.Event()  # hold the first request open
    clock = Clock()
    async with Worker(sessionmaker, loopback_settings, clock=clock) as doomed:
        task = asyncio.create_task(doomed.run(asyncio.Event()))
        assert await asyncio.to_thread(receiver.arrived.wait, 5)
        task.cancel()  # dies mid-attempt: the attempt is never recorded
        with pytest.raises(asyncio.CancelledError):
            await task
    receiver.gate.set()
    (leased,) = await deliveries(hooks_client, endpoint["id"])
    assert leased["status"] == "pending" and leased["attempts"] == []

    async with Worker(sessionmaker, loopback_settings, clock=clock) as survivor:
        await drain(survivor, 1)  # the lease still holds: nobody retries yet
        (still,) = await deliveries(hooks_client, endpoint["id"])
        assert still["attempt_count"] == 1
        clock.advance(seconds=survivor.lease.total_seconds() + 1)
        await drain(survivor, 1)

    (delivered,) = await deliveries(hooks_client, endpoint["id"])
    assert delivered["status"] == "delivered" and delivered["attempt_count"] == 2
    # At least once: the receiver saw it twice, under one event ID to de-duplicate by.
    ids = [r.event_id for r in receiver.requests]
    assert len(ids) == 2 and len(set(ids)) == 1


async def test_retries_back_off_for_about_three_days_then_give_up(
    hooks_client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    loopback_settings: Settings,
    receiver: Receiver,
) -> None:
    receiver.status = 503
    endpoint = await new_endpoint(hooks_client, receiver.url, ["interview.scheduled"])
    await interview_round(hooks_client)
    clock = Clock()
    start = clock.now
    attempts_at: list[datetime] = []
    async with Worker(sessionmaker, loopback_settings, clock=clock) as worker:
        for _ in range(60):
            attempts_at.append(clock.now)
            await worker.run_once()
            (delivery,) = await deliveries(hooks_client, endpoint["id"])
            if delivery["status"] != "pending":
                break
            clock.now = datetime.fromisoformat(delivery["next_attempt_at"])
    assert delivery["status"] == "failed" and delivery["next_attempt_at"] is None
    assert delivery["last_status_code"] == 503 and delivery["last_error"] == "HTTP 503"
    assert len(receiver.requests) == delivery["attempt_count"] == len(attempts_at)
    assert 12 <= len(attempts_at) <= 30
    gaps = [b - a for a, b in itertools.pairwise(attempts_at)]
    assert gaps[0] < timedelta(minutes=1) and max(gaps) <= timedelta(hours=6)
    assert gaps[5] > gaps[0] * 8  # exponential
    span = attempts_at[-1] - start
    assert timedelta(days=2, hours=12) <= span <= timedelta(days=3)


async def test_a_long_run_of_failures_disables_the_endpoint(
    hooks_client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    loopback_settings: Settings,
    receiver: Receiver,
) -> None:
    receiver.status = 500
    endpoint = await new_endpoint(hooks_client, receiver.url, ["action.created"])
    watcher = await new_endpoint(hooks_client, receiver.url + "?watcher", ["interview.scheduled"])
    await hooks_client.patch(f"/v1/webhook-endpoints/{watcher['id']}", json={"enabled": False})
    await interview_round(hooks_client)  # several action.created events
    strict = loopback_settings.model_copy(update={"webhook_disable_after_failures": 3})
    async with Worker(sessionmaker, strict) as worker:
        await drain(worker, 2)
    # Three failures in a few seconds are an outage, not a dead endpoint: still enabled.
    state = (await hooks_client.get(f"/v1/webhook-endpoints/{endpoint['id']}")).json()
    assert state["enabled"] is True
    assert {d["status"] for d in await deliveries(hooks_client, endpoint["id"])} == {"pending"}

    # Still failing once retries would have run out: disabled, and the event says so.
    later = datetime.now(UTC) + timedelta(days=3, hours=1)
    async with Worker(sessionmaker, strict, clock=lambda: later) as worker:
        await drain(worker, 2)

    state = (await hooks_client.get(f"/v1/webhook-endpoints/{endpoint['id']}")).json()
    assert state["enabled"] is False and state["disabled_reason"] == "failing"
    assert state["consecutive_failures"] >= 3
    listed = await deliveries(hooks_client, endpoint["id"])
    # Past their three days of retries they failed; whatever still waited was cancelled.
    assert {d["status"] for d in listed} <= {"failed", "cancelled"}
    assert "failed" in {d["status"] for d in listed}
    (disabled,) = await all_pages(hooks_client, "/v1/events", {"type": "webhook_endpoint.disabled"})
    assert disabled["data"]["webhook_endpoint"]["id"] == endpoint["id"]


async def test_redirects_are_not_followed(
    hooks_client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    loopback_settings: Settings,
    receiver: Receiver,
) -> None:
    elsewhere = Receiver()
    elsewhere.start()
    try:
        receiver.status, receiver.location = 302, elsewhere.url
        endpoint = await new_endpoint(hooks_client, receiver.url)
        await hooks_client.post(f"/v1/webhook-endpoints/{endpoint['id']}/ping")
        async with Worker(sessionmaker, loopback_settings) as worker:
            await drain(worker, 1)
    finally:
        elsewhere.stop()
    (ping,) = await deliveries(hooks_client, endpoint["id"])
    assert ping["status"] == "failed"  # a ping gets one try
    assert ping["last_error"] == "HTTP 302 (redirects are not followed)"
    assert len(receiver.requests) == 1 and elsewhere.requests == []


async def test_a_ping_is_signed_and_carries_its_delivery_id(
    hooks_client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    loopback_settings: Settings,
    receiver: Receiver,
) -> None:
    endpoint = await new_endpoint(hooks_client, receiver.url)
    ping = (await hooks_client.post(f"/v1/webhook-endpoints/{endpoint['id']}/ping")).json()
    async with Worker(sessionmaker, loopback_settings) as worker:
        await drain(worker, 1)
    (request,) = receiver.requests
    assert request.headers["Followup-Event-Type"] == "ping"
    assert request.event_id == ping["id"] == request.headers["Followup-Delivery-Id"]
    assert request.document["data"] == {"webhook_endpoint_id": endpoint["id"]}
    assert verify(endpoint["secret"], request.headers["Followup-Signature"], request.body)


async def test_after_a_rotation_both_secrets_verify_for_a_while(
    hooks_client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    loopback_settings: Settings,
    receiver: Receiver,
) -> None:
    endpoint = await new_endpoint(hooks_client, receiver.url)
    path = f"/v1/webhook-endpoints/{endpoint['id']}"
    new_secret = (await hooks_client.post(f"{path}/rotate-secret")).json()["secret"]
    await hooks_client.post(f"{path}/ping")
    async with Worker(sessionmaker, loopback_settings) as worker:
        await drain(worker, 1)
    (request,) = receiver.requests
    header = request.headers["Followup-Signature"]
    assert header.count("v1=") == 2
    assert verify(new_secret, header, request.body)
    assert verify(endpoint["secret"], header, request.body)


async def test_erasure_reaches_payloads_not_yet_delivered(
    hooks_client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    loopback_settings: Settings,
    receiver: Receiver,
) -> None:
    await new_endpoint(hooks_client, receiver.url)
    erased, _, _ = await interview_round(hooks_client)
    kept, _, _ = await interview_round(hooks_client)
    async with Worker(sessionmaker, loopback_settings) as worker:
        await worker.fan_out()  # queued, not sent yet
        response = await hooks_client.delete(f"/v1/candidates/{erased['candidate_id']}")
        assert response.status_code == 204
        await drain(worker)
    theirs = [
        r.document
        for r in receiver.requests
        if r.document["candidate_id"] == erased["candidate_id"]
    ]
    others = [
        r.document for r in receiver.requests if r.document["candidate_id"] == kept["candidate_id"]
    ]
    assert theirs and all(d["data"] == {"erased": True} and d["erased_at"] for d in theirs)
    assert others and all(d["data"] != {"erased": True} for d in others)
    assert not any(b"Globex" in r.body for r in receiver.requests if r.document in theirs)


async def test_dns_rebinding_is_refused_when_sending(
    monkeypatch: pytest.MonkeyPatch,
    settings: Settings,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    receiver: Receiver,
) -> None:
    answers = {"rebind.example.com": [PUBLIC_V4]}
    fake_dns(monkeypatch, answers)
    guarded = settings.model_copy(update={"webhook_allow_http": True})  # private stays off
    tenant = await make_tenant(sessionmaker, guarded)
    async with client_for(app_in_transaction(guarded, engine, sessionmaker), tenant.key) as client:
        endpoint = await new_endpoint(client, f"http://rebind.example.com:{receiver.port}/hook")
        await client.post(f"/v1/webhook-endpoints/{endpoint['id']}/ping")
        answers["rebind.example.com"] = ["127.0.0.1"]
        async with Worker(sessionmaker, guarded) as worker:
            await drain(worker, 1)
        (ping,) = await deliveries(client, endpoint["id"])
    assert ping["status"] == "failed"
    assert "refused" in ping["last_error"] and "loopback" in ping["last_error"]
    assert receiver.requests == []


# --- time-driven events -------------------------------------------------------------------


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


async def _types_for(client: httpx.AsyncClient, action_id: str) -> list[str]:
    events = await all_pages(client, "/v1/events", {"type": ["action.due", "action.overdue"]})
    return [e["type"] for e in events if e["action_id"] == action_id]


async def test_due_and_overdue_are_emitted_once_per_window(
    hooks_client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    loopback_settings: Settings,
) -> None:
    # The interview ends 2027-01-13 10:00 UTC: the thank-you is due from then to +24 h.
    application, interviewer, _ = await interview_round(hooks_client)
    actions = await all_pages(hooks_client, f"/v1/applications/{application['id']}/actions")
    thank_you = one(actions, "send_thank_you", interviewer["id"])
    closing = one(actions, "ask_closing_questions")
    clock = Clock(at("2027-01-13T09:00:00+00:00"))
    async with Worker(sessionmaker, loopback_settings, clock=clock) as worker:
        await worker.emit_time_events()
        assert await _types_for(hooks_client, thank_you["id"]) == []
        assert await _types_for(hooks_client, closing["id"]) == ["action.due"]
        clock.now = at("2027-01-13T10:30:00+00:00")
        for _ in range(3):
            await worker.emit_time_events()
        assert await _types_for(hooks_client, thank_you["id"]) == ["action.due"]
        assert await _types_for(hooks_client, closing["id"]) == ["action.due", "action.overdue"]
        clock.now = at("2027-01-14T10:30:00+00:00")
        await worker.emit_time_events()
        await worker.emit_time_events()
    assert await _types_for(hooks_client, thank_you["id"]) == ["action.due", "action.overdue"]
    dues = await all_pages(hooks_client, "/v1/events", {"type": "action.due"})
    assert sorted(e["action_id"] for e in dues) == sorted([thank_you["id"], closing["id"]])
    assert all(e["data"]["action"]["id"] == e["action_id"] for e in dues)


async def test_a_window_that_already_closed_gets_only_overdue(
    hooks_client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    loopback_settings: Settings,
) -> None:
    application, interviewer, _ = await interview_round(hooks_client)
    actions = await all_pages(hooks_client, f"/v1/applications/{application['id']}/actions")
    thank_you = one(actions, "send_thank_you", interviewer["id"])
    clock = Clock(at("2027-02-01T00:00:00+00:00"))
    async with Worker(sessionmaker, loopback_settings, clock=clock) as worker:
        await worker.emit_time_events()
    assert await _types_for(hooks_client, thank_you["id"]) == ["action.overdue"]


async def test_closed_and_snoozed_actions_wait_or_stay_silent(
    hooks_client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    loopback_settings: Settings,
) -> None:
    application, interviewer, interview = await interview_round(hooks_client)
    second = (
        await hooks_client.post(
            f"/v1/applications/{application['id']}/contacts",
            json={
                "role": "interviewer",
                "name": "Alan Turing",
                "title": "CTO",
                "email": "alan@globex.example",
            },
        )
    ).json()
    panel = await hooks_client.patch(
        f"/v1/interviews/{interview['id']}", json={"panel": [interviewer["id"], second["id"]]}
    )
    assert panel.status_code == 200, panel.text
    actions = await all_pages(hooks_client, f"/v1/applications/{application['id']}/actions")
    done = one(actions, "send_thank_you", interviewer["id"])
    snoozed = one(actions, "send_thank_you", second["id"])
    assert (
        await hooks_client.post(f"/v1/actions/{done['id']}/complete", json={})
    ).status_code == 200
    response = await hooks_client.post(
        f"/v1/actions/{snoozed['id']}/snooze", json={"until": "2027-01-13T12:00:00+00:00"}
    )
    assert response.status_code == 200, response.text
    clock = Clock(at("2027-01-13T10:30:00+00:00"))
    async with Worker(sessionmaker, loopback_settings, clock=clock) as worker:
        await worker.emit_time_events()
        assert await _types_for(hooks_client, snoozed["id"]) == []
        clock.now = at("2027-01-13T12:30:00+00:00")  # the snooze ended: announced now
        await worker.emit_time_events()
    assert await _types_for(hooks_client, snoozed["id"]) == ["action.due"]
    assert await _types_for(hooks_client, done["id"]) == []


async def test_a_window_moved_into_the_future_fires_again(
    hooks_client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    loopback_settings: Settings,
) -> None:
    application, interviewer, interview = await interview_round(hooks_client)
    actions = await all_pages(hooks_client, f"/v1/applications/{application['id']}/actions")
    thank_you = one(actions, "send_thank_you", interviewer["id"])
    clock = Clock(at("2027-01-13T10:30:00+00:00"))
    async with Worker(sessionmaker, loopback_settings, clock=clock) as worker:
        await worker.emit_time_events()
        assert await _types_for(hooks_client, thank_you["id"]) == ["action.due"]
        moved = await hooks_client.patch(
            f"/v1/interviews/{interview['id']}",
            json={"start": "2027-01-20T10:00:00+01:00", "end": "2027-01-20T11:00:00+01:00"},
        )
        assert moved.status_code == 200, moved.text
        await worker.emit_time_events()  # at the old time: the new window is not open yet
        assert await _types_for(hooks_client, thank_you["id"]) == ["action.due"]
        clock.now = at("2027-01-20T10:30:00+00:00")
        await worker.emit_time_events()
    assert await _types_for(hooks_client, thank_you["id"]) == ["action.due", "action.due"]


async def test_due_events_are_delivered_in_the_same_pass(
    hooks_client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    loopback_settings: Settings,
    receiver: Receiver,
) -> None:
    await new_endpoint(hooks_client, receiver.url, ["action.due"])
    await interview_round(hooks_client)
    clock = Clock(at("2027-01-13T10:30:00+00:00"))
    async with Worker(sessionmaker, loopback_settings, clock=clock) as worker:
        await worker.run_once()
    (request,) = receiver.requests
    assert request.headers["Followup-Event-Type"] == "action.due"
    assert request.document["data"]["action"]["type"] == "send_thank_you"


# --- several workers, real commits, a real process ------------------------------------------


async def _committed_tenant_client(
    committed_app: Any, settings: Settings
) -> tuple[httpx.AsyncClient, str]:
    tenant = await make_tenant(committed_app.state.write_sessionmaker, settings)
    committed_app.state.created_tenants.append(tenant.id)
    return client_for(committed_app, tenant.key), tenant.id


@pytest.fixture
async def committed_loopback_app(
    loopback_settings: Settings, engine: AsyncEngine
) -> AsyncIterator[Any]:
    """Like `committed_app` (real commits, tenants deleted afterwards), with loopback on."""
    async with committing_app(loopback_settings, engine) as application:
        yield application


async def _all_sent(
    factory: async_sessionmaker[AsyncSession], tenant_id: str, endpoint_id: str
) -> bool:
    async with factory() as session:
        unfanned = await session.scalar(
            select(func.count())
            .select_from(models.Event)
            .where(models.Event.tenant_id == tenant_id, models.Event.fanned_out_at.is_(None))
        )
        waiting = await session.scalar(
            select(func.count())
            .select_from(models.WebhookDelivery)
            .where(
                models.WebhookDelivery.endpoint_id == endpoint_id,
                models.WebhookDelivery.status != "delivered",
            )
        )
    return unfanned == 0 and waiting == 0


async def _delivery_states(factory: async_sessionmaker[AsyncSession], endpoint_id: str) -> str:
    """The endpoint's deliveries in brief, to tell why a wait ran out."""
    async with factory() as session:
        rows = await session.scalars(
            select(models.WebhookDelivery).where(models.WebhookDelivery.endpoint_id == endpoint_id)
        )
        return "; ".join(
            f"{r.id} {r.status} attempts={r.attempt_count} error={r.last_error}" for r in rows
        )


async def _wait_until_delivered(
    factory: async_sessionmaker[AsyncSession], endpoint_id: str, at_least: int, seconds: float
) -> list[models.WebhookDelivery]:
    """The endpoint's deliveries once there are ``at_least`` and none is left pending."""
    deadline = time.monotonic() + seconds
    while True:
        async with factory() as session:
            rows = list(
                await session.scalars(
                    select(models.WebhookDelivery).where(
                        models.WebhookDelivery.endpoint_id == endpoint_id
                    )
                )
            )
        if len(rows) >= at_least and all(r.status == "delivered" for r in rows):
            return rows
        assert time.monotonic() < deadline, [(r.id, r.status) for r in rows]
        await asyncio.sleep(0.05)


class RecordingWorker(Worker):
    """A worker that notes which deliveries it sent."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sent: list[str] = []

    async def send(self, item: Outgoing) -> AttemptResult:
        self.sent.append(item.delivery_id)
        return await super().send(item)


async def test_two_workers_never_send_one_delivery_at_once(
    committed_loopback_app: Any,
    loopback_settings: Settings,
    receiver: Receiver,
    test_database: conftest.TestDatabase,
) -> None:
    receiver.delay = 0.02  # long enough for the two workers' attempts to overlap
    client, tenant_id = await _committed_tenant_client(committed_loopback_app, loopback_settings)
    factory = committed_loopback_app.state.write_sessionmaker
    async with client:
        endpoint = await new_endpoint(client, receiver.url)
        for _ in range(4):
            await interview_round(client)
        for _ in range(10):
            await client.post(f"/v1/webhook-endpoints/{endpoint['id']}/ping")
        stop = asyncio.Event()
        async with (
            RecordingWorker(factory, loopback_settings) as first,
            RecordingWorker(factory, loopback_settings) as second,
        ):
            runs = [asyncio.create_task(w.run(stop)) for w in (first, second)]
            try:
                # Done when every event (the workers' own `action.due` included) has been
                # fanned out and every delivery has arrived.
                deadline = time.monotonic() + 30
                while not await _all_sent(factory, tenant_id, endpoint["id"]):
                    if time.monotonic() >= deadline:
                        raise AssertionError(
                            "the workers did not finish: "
                            + await _delivery_states(factory, endpoint["id"])
                        )
                    await asyncio.sleep(0.05)
            finally:
                stop.set()
                await asyncio.gather(*runs)
        events = await all_pages(client, "/v1/events")
    async with factory() as session:
        rows = list(
            await session.scalars(
                select(models.WebhookDelivery).where(
                    models.WebhookDelivery.endpoint_id == endpoint["id"]
                )
            )
        )
    assert len(rows) == len(events) + 10

    by_delivery: dict[str, list[Received]] = {}
    for request in receiver.requests:
        by_delivery.setdefault(request.headers["Followup-Delivery-Id"], []).append(request)
    # Every delivery arrived exactly once (leases never ran out), so none overlapped itself.
    assert sorted(by_delivery) == sorted(r.id for r in rows)
    assert all(len(requests) == 1 for requests in by_delivery.values())
    assert {r.event_id for r in receiver.requests} >= {e["id"] for e in events}
    # No delivery was sent by both workers.
    assert not set(first.sent) & set(second.sent)
    if test_database.is_postgres:
        # SKIP LOCKED lets both claim batches side by side. (SQLite has one writer, so one
        # worker may well drain the queue alone there; exclusivity is what counts.)
        assert first.sent and second.sent
    assert len(first.sent) + len(second.sent) == len(rows)


async def test_sigterm_finishes_the_attempt_in_hand_and_exits(
    committed_loopback_app: Any,
    loopback_settings: Settings,
    test_database: conftest.TestDatabase,
    receiver: Receiver,
    tmp_path: Path,
) -> None:
    receiver.delay = 1.0
    client, _ = await _committed_tenant_client(committed_loopback_app, loopback_settings)
    async with client:
        endpoint = await new_endpoint(client, receiver.url)
        await client.post(f"/v1/webhook-endpoints/{endpoint['id']}/ping")
    environment = {
        **os.environ,
        "FOLLOWUP_DATABASE_URL": test_database.url,
        "FOLLOWUP_SECRET_KEY": "test-secret",
        "FOLLOWUP_DATA_DIR": str(tmp_path),
        "FOLLOWUP_WEBHOOK_ALLOW_HTTP": "true",
        "FOLLOWUP_WEBHOOK_ALLOW_PRIVATE_NETWORKS": "true",
        "FOLLOWUP_WORKER_POLL_INTERVAL_SECONDS": "0.1",
        "FOLLOWUP_LOG_FORMAT": "text",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app",
        "worker",
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        assert await asyncio.to_thread(receiver.arrived.wait, 30), "the worker never called"
        process.send_signal(signal.SIGTERM)  # mid-attempt: the receiver is still sleeping
        output, _ = await asyncio.wait_for(process.communicate(), 30)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, output.decode()
    factory = committed_loopback_app.state.write_sessionmaker
    (delivery,) = await _wait_until_delivered(factory, endpoint["id"], 1, 1)
    assert delivery.attempt_count == 1 and delivery.last_status_code == 200
    assert len(receiver.requests) == 1


async def test_a_closed_window_that_opens_again_is_due_again(
    hooks_client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    loopback_settings: Settings,
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    three_days_ago = now - timedelta(days=3)
    application, interviewer, interview = await interview_round(
        hooks_client,
        start=(three_days_ago - timedelta(hours=1)).isoformat(),
        end=three_days_ago.isoformat(),
    )
    actions = await all_pages(hooks_client, f"/v1/applications/{application['id']}/actions")
    thank_you = one(actions, "send_thank_you", interviewer["id"])
    async with Worker(sessionmaker, loopback_settings) as worker:
        await worker.emit_time_events()
        assert await _types_for(hooks_client, thank_you["id"]) == ["action.overdue"]
        an_hour_ago = now - timedelta(hours=1)
        moved = await hooks_client.patch(
            f"/v1/interviews/{interview['id']}",
            json={
                "start": (an_hour_ago - timedelta(hours=1)).isoformat(),
                "end": an_hour_ago.isoformat(),
            },
        )
        assert moved.status_code == 200, moved.text
        await worker.emit_time_events()
    assert await _types_for(hooks_client, thank_you["id"]) == ["action.overdue", "action.due"]


def test_malformed_signature_headers_are_refused_not_crashed_on() -> None:
    body = b"{}"
    good = signing.signature("whsec_x", 1_700_000_000, body)
    assert signing.verify_signature("whsec_x", f"t=1700000000,v1={good}", body, now=1_700_000_000)
    for header in ("v1=abc", "t=abc,v1=abc", "t=²,v1=abc", "", "t=1,t=2,v1=abc"):
        assert not signing.verify_signature("whsec_x", header, body, now=1_700_000_000)


async def test_once_stopping_no_new_batch_is_claimed(
    hooks_client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    loopback_settings: Settings,
    receiver: Receiver,
) -> None:
    await new_endpoint(hooks_client, receiver.url)
    await interview_round(hooks_client)
    stopping = asyncio.Event()
    stopping.set()
    async with Worker(sessionmaker, loopback_settings) as worker:
        await worker.run_once(stopping)
        assert receiver.requests == []  # fanned out, but nothing claimed after SIGTERM
        await worker.run_once()
    assert receiver.requests

"""Webhook deliveries: fan-out, claims, sending and what each attempt leads to.

A delivery's life: the worker turns each new event into one delivery per enabled endpoint
that wants its type (fan-out); claims due deliveries under a lease; renders the body from
the event at that moment (so erased data is never sent); signs and sends it; and records
the attempt. A failure is retried with exponential backoff and jitter for about three
days; a long run of failures disables the endpoint and records an event saying so.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic_core import to_jsonable_python
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import models
from app.db.base import new_id
from app.domain.events import DeliveryStatus, DisabledReason, EventType
from app.repositories import webhooks as repo
from app.services import events
from app.services.webhooks.signing import SIGNATURE_HEADER, signature_header, signing_secrets

EVENT_ID_HEADER = "Followup-Event-Id"
EVENT_TYPE_HEADER = "Followup-Event-Type"
DELIVERY_ID_HEADER = "Followup-Delivery-Id"
PING = EventType.PING.value

RETRY_WINDOW = timedelta(days=3)
FIRST_RETRY_DELAY = timedelta(seconds=30)
LONGEST_RETRY_DELAY = timedelta(hours=6)
ATTEMPT_LOG_LENGTH = 30
ERROR_LENGTH = 500
# The last error of each delivery still waiting when its endpoint is disabled.
CANCELLED_ON_DISABLE = "cancelled: the endpoint was disabled"


def new_delivery(
    endpoint: models.WebhookEndpoint, event_id: str | None, event_type: str, now: datetime
) -> models.WebhookDelivery:
    return models.WebhookDelivery(
        id=new_id("whd"),
        tenant_id=endpoint.tenant_id,
        endpoint_id=endpoint.id,
        event_id=event_id,
        event_type=event_type,
        created_at=now,
        status=DeliveryStatus.PENDING,
        next_attempt_at=now,
        attempt_count=0,
        attempts=[],
    )


def wants(endpoint: models.WebhookEndpoint, event: models.Event) -> bool:
    """An endpoint gets the types it asked for, of events after it was created."""
    return event.type in endpoint.event_types and endpoint.created_at <= event.occurred_at


async def fan_out(session: AsyncSession, now: datetime, limit: int) -> int:
    """Turn up to ``limit`` new events into deliveries; returns how many events it took."""
    batch = await repo.lock_events_to_fan_out(session, limit)
    if not batch:
        return 0
    endpoints = await repo.enabled_endpoints(session, [e.tenant_id for e in batch])
    by_tenant: dict[str, list[models.WebhookEndpoint]] = {}
    for endpoint in endpoints:
        by_tenant.setdefault(endpoint.tenant_id, []).append(endpoint)
    for event in batch:
        for endpoint in by_tenant.get(event.tenant_id, ()):
            if wants(endpoint, event):
                session.add(new_delivery(endpoint, event.id, event.type, now))
    await repo.mark_fanned_out(session, [e.id for e in batch], now)
    await session.flush()
    return len(batch)


# --- sending ----------------------------------------------------------------------------


def render_body(delivery: models.WebhookDelivery, event: models.Event | None) -> bytes:
    """The JSON body as sent now: the event as `GET /v1/events` shows it, or a ping."""
    if event is None:
        document: dict[str, Any] = {
            "id": delivery.id,
            "type": PING,
            "occurred_at": delivery.created_at,
            "candidate_id": None,
            "application_id": None,
            "action_id": None,
            "data": {"webhook_endpoint_id": delivery.endpoint_id},
            "erased_at": None,
        }
    else:
        document = {
            "id": event.id,
            "type": event.type,
            "occurred_at": event.occurred_at,
            "candidate_id": event.candidate_id,
            "application_id": event.application_id,
            "action_id": event.action_id,
            "data": event.data,
            "erased_at": event.erased_at,
        }
    # Timestamps serialised as the API writes them (pydantic's RFC 3339 form).
    return json.dumps(to_jsonable_python(document), separators=(",", ":")).encode()


@dataclass(frozen=True)
class Outgoing:
    """One claimed attempt, ready to send outside any transaction."""

    delivery_id: str
    attempt: int
    url: str
    body: bytes
    headers: dict[str, str]


def prepare(
    delivery: models.WebhookDelivery,
    endpoint: models.WebhookEndpoint,
    event: models.Event | None,
    service_key: bytes,
    now: datetime,
) -> Outgoing:
    body = render_body(delivery, event)
    timestamp = int(now.timestamp())
    return Outgoing(
        delivery_id=delivery.id,
        attempt=delivery.attempt_count,
        url=endpoint.url,
        body=body,
        headers={
            "Content-Type": "application/json",
            "User-Agent": "Follow-Up-Webhooks/1",
            SIGNATURE_HEADER: signature_header(
                signing_secrets(endpoint, service_key, now), timestamp, body
            ),
            EVENT_ID_HEADER: delivery.event_id or delivery.id,
            EVENT_TYPE_HEADER: delivery.event_type,
            DELIVERY_ID_HEADER: delivery.id,
        },
    )


async def claim(
    session: AsyncSession,
    service_key: bytes,
    now: datetime,
    *,
    lease: timedelta,
    limit: int,
    per_endpoint: int,
) -> list[Outgoing]:
    """Take up to ``limit`` due deliveries, at most ``per_endpoint`` in flight to any one
    endpoint over every worker: count the attempt and push the lease forward.

    Committed before anything is sent, so another worker skips these until the lease ends;
    a worker that dies mid-attempt leaves them to be retried then (at least once).
    """
    await repo.serialise_claims(session)
    claimed = await repo.lock_due_deliveries(session, now, limit, per_endpoint=per_endpoint)
    if not claimed:
        return []
    endpoints = await repo.endpoints_by_id(session, [d.endpoint_id for d in claimed])
    found = await repo.events_by_id(session, [d.event_id for d in claimed if d.event_id])
    outgoing = []
    for delivery in claimed:
        delivery.attempt_count += 1
        delivery.next_attempt_at = delivery.leased_until = now + lease
        event = found.get(delivery.event_id) if delivery.event_id else None
        outgoing.append(prepare(delivery, endpoints[delivery.endpoint_id], event, service_key, now))
    await session.flush()
    return outgoing


class Outcome(StrEnum):
    """What an attempt made of its delivery (the worker counts them by this)."""

    DELIVERED = "delivered"
    RETRYING = "retrying"  # failed; another attempt is scheduled
    FAILED = "failed"  # failed for good: out of retries, a ping, or cancelled meanwhile


@dataclass(frozen=True)
class AttemptResult:
    delivery_id: str
    attempt: int
    started_at: datetime
    duration_ms: int
    status_code: int | None
    error: str | None

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def retry_delay(attempt: int, rng: random.Random) -> timedelta:
    """Exponential backoff with jitter: 30 s doubling to 6 h, each drawn from its upper half."""
    ceiling = min(FIRST_RETRY_DELAY * 2 ** (attempt - 1), LONGEST_RETRY_DELAY)
    delay: timedelta = ceiling / 2 + ceiling / 2 * rng.random()
    return delay


async def settle_attempt(
    session: AsyncSession,
    result: AttemptResult,
    now: datetime,
    *,
    disable_after: int,
    rng: random.Random,
) -> Outcome | None:
    """Write down one attempt and decide what comes next (done, retry, give up, disable);
    returns what became of the delivery, None when the attempt no longer counts."""
    delivery = await repo.lock_delivery(session, result.delivery_id)
    if delivery is None or delivery.attempt_count != result.attempt:
        return None  # gone with its endpoint, or the lease ran out and another worker took it
    delivery.leased_until = None  # no longer in flight: the endpoint has room for another
    delivery.attempts = [
        *delivery.attempts,
        {
            "attempt": result.attempt,
            "at": result.started_at.isoformat(),
            "duration_ms": result.duration_ms,
            "status_code": result.status_code,
            "error": result.error,
        },
    ][-ATTEMPT_LOG_LENGTH:]
    delivery.last_status_code = result.status_code
    delivery.last_error = result.error[:ERROR_LENGTH] if result.error else None
    if result.succeeded:
        if delivery.status == DeliveryStatus.PENDING:
            delivery.status = DeliveryStatus.DELIVERED
            delivery.next_attempt_at = None
            delivery.delivered_at = now
        await repo.note_success(session, delivery.endpoint_id, now)
        await session.flush()
        return Outcome.DELIVERED
    outcome = Outcome.FAILED
    if delivery.status == DeliveryStatus.PENDING:
        retry_at = now + retry_delay(result.attempt, rng)
        if delivery.event_id is None or retry_at > delivery.created_at + RETRY_WINDOW:
            # A ping gets one try; an event about three days.
            delivery.status = DeliveryStatus.FAILED
            delivery.next_attempt_at = None
        else:
            delivery.next_attempt_at = retry_at
            outcome = Outcome.RETRYING
    await session.flush()
    run = await repo.note_failure(session, delivery.endpoint_id, now)
    worn_out = run >= disable_after and await _failing_for_the_whole_retry_window(
        session, delivery.endpoint_id, now
    )
    if worn_out and await repo.disable_if_enabled(session, delivery.endpoint_id, now):
        await _announce_disabled(session, delivery.endpoint_id, run, now)
    return outcome


async def _failing_for_the_whole_retry_window(
    session: AsyncSession, endpoint_id: str, now: datetime
) -> bool:
    """Whether the endpoint has not taken a delivery for as long as retries last.

    A count alone would disable (and cancel the queue of) a busy endpoint after a short
    outage; nothing is given up on before its deliveries would have run out of retries.
    """
    endpoint = await session.get(models.WebhookEndpoint, endpoint_id)
    if endpoint is None:
        return False
    working_since = endpoint.last_success_at or endpoint.created_at
    return now - working_since >= RETRY_WINDOW


async def _announce_disabled(
    session: AsyncSession, endpoint_id: str, failures: int, now: datetime
) -> None:
    await repo.cancel_pending(session, endpoint_id, CANCELLED_ON_DISABLE)
    endpoint = await session.get(models.WebhookEndpoint, endpoint_id, populate_existing=True)
    assert endpoint is not None
    disabled = {
        "id": endpoint.id,
        "url": endpoint.url,
        "consecutive_failures": failures,
        "reason": DisabledReason.FAILING.value,
    }
    data = {"webhook_endpoint": disabled}
    events.append(
        session,
        EventType.WEBHOOK_ENDPOINT_DISABLED,
        tenant_id=endpoint.tenant_id,
        data=data,
        at=now,
    )
    await session.flush()

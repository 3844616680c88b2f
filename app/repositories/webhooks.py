"""Queries behind webhooks: endpoints, deliveries, the fan-out queue and the due-event scan.

The worker's queries read through partial indexes (pending deliveries, events not fanned
out yet, actions whose due or overdue event is still to come) and lock what they take
with ``FOR UPDATE SKIP LOCKED``, so several workers on PostgreSQL share the work without
waiting on or repeating each other. SQLite ignores the locking clause; its writers take
turns anyway (each write transaction starts with ``BEGIN IMMEDIATE``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Action, Event, WebhookDelivery, WebhookEndpoint
from app.domain.events import DeliveryStatus, DisabledReason
from app.repositories.pagination import PageResult, paginate

# The advisory lock claims take turns on (PostgreSQL), named so it is recognisable.
CLAIM_LOCK = "followup:webhook-claims"


async def get_endpoint(
    session: AsyncSession, tenant_id: str, endpoint_id: str
) -> WebhookEndpoint | None:
    endpoint = await session.get(WebhookEndpoint, endpoint_id)
    return endpoint if endpoint is not None and endpoint.tenant_id == tenant_id else None


async def page_endpoints(
    session: AsyncSession, tenant_id: str, *, cursor: str | None, limit: int
) -> PageResult[WebhookEndpoint]:
    query = select(WebhookEndpoint).where(WebhookEndpoint.tenant_id == tenant_id)
    oldest_first = [WebhookEndpoint.created_at, WebhookEndpoint.id]
    return await paginate(session, query, oldest_first, cursor=cursor, limit=limit)


async def page_deliveries(
    session: AsyncSession,
    endpoint_id: str,
    *,
    statuses: Sequence[str],
    cursor: str | None,
    limit: int,
) -> PageResult[WebhookDelivery]:
    query = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
    if statuses:
        query = query.where(WebhookDelivery.status.in_(statuses))
    oldest_first = [WebhookDelivery.created_at, WebhookDelivery.id]
    return await paginate(session, query, oldest_first, cursor=cursor, limit=limit)


async def cancel_pending(session: AsyncSession, endpoint_id: str, reason: str) -> int:
    """Cancel the endpoint's deliveries still waiting (it was disabled)."""
    result = await session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.endpoint_id == endpoint_id,
            WebhookDelivery.status == DeliveryStatus.PENDING,
        )
        .values(status=DeliveryStatus.CANCELLED, next_attempt_at=None, last_error=reason)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


# --- time-driven events -----------------------------------------------------------------


def _not_snoozed(now: datetime) -> Any:
    return or_(Action.snoozed_until.is_(None), Action.snoozed_until <= now)


def _late(announced: Any, moment: Any, now: datetime) -> tuple[Any, ...]:
    """Open, unsnoozed actions whose ``moment`` has come while the event ``announced``
    stamps is still to be emitted. The partial index on ``moment`` has the same predicate
    word for word, so both PostgreSQL and SQLite use it, and ``moment <= now`` is its range.
    """
    return (Action.resolution.is_(None), announced.is_(None), moment <= now, _not_snoozed(now))


async def _lock_late(
    session: AsyncSession, now: datetime, limit: int, announced: Any, moment: Any
) -> list[Action]:
    query = (
        select(Action)
        .where(*_late(announced, moment, now))
        .order_by(moment)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list((await session.scalars(query)).all())


async def lock_newly_due(session: AsyncSession, now: datetime, limit: int) -> list[Action]:
    """Open, unsnoozed actions whose window has opened and whose `action.due` is pending
    (through ``ix_actions_due_event_pending``)."""
    return await _lock_late(session, now, limit, Action.due_event_at, Action.available_from)


async def lock_newly_overdue(session: AsyncSession, now: datetime, limit: int) -> list[Action]:
    """Open, unsnoozed actions past their due time whose `action.overdue` is pending
    (through ``ix_actions_overdue_event_pending``)."""
    return await _lock_late(session, now, limit, Action.overdue_event_at, Action.due_by)


async def mark_time_events(
    session: AsyncSession, action_ids: Sequence[str], now: datetime, *, overdue: bool
) -> None:
    """Record that the worker handled these windows, without touching version or updated_at.

    The action's ETag and calendar SEQUENCE stay as they were: nothing the user sees about
    the action changed, and a client's If-Match from a moment ago still holds.
    """
    if not action_ids:
        return
    values: dict[str, Any] = {"updated_at": Action.updated_at}
    if overdue:
        values["overdue_event_at"] = now
        values["due_event_at"] = func.coalesce(Action.due_event_at, now)
    else:
        values["due_event_at"] = now
    await session.execute(
        update(Action)
        .where(Action.id.in_(action_ids))
        .values(**values)
        .execution_options(synchronize_session=False)
    )


# --- fan-out ----------------------------------------------------------------------------


async def lock_events_to_fan_out(session: AsyncSession, limit: int) -> list[Event]:
    """The oldest events not yet turned into deliveries (``ix_events_fan_out_pending``)."""
    query = (
        select(Event)
        .where(Event.fanned_out_at.is_(None))
        .order_by(Event.occurred_at, Event.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list((await session.scalars(query)).all())


async def enabled_endpoints(
    session: AsyncSession, tenant_ids: Sequence[str]
) -> list[WebhookEndpoint]:
    if not tenant_ids:
        return []
    query = select(WebhookEndpoint).where(
        WebhookEndpoint.tenant_id.in_(sorted(set(tenant_ids))), WebhookEndpoint.enabled
    )
    return list((await session.scalars(query)).all())


async def mark_fanned_out(session: AsyncSession, event_ids: Sequence[str], now: datetime) -> None:
    if event_ids:
        await session.execute(
            update(Event)
            .where(Event.id.in_(event_ids))
            .values(fanned_out_at=now)
            .execution_options(synchronize_session=False)
        )


# --- deliveries -------------------------------------------------------------------------


async def serialise_claims(session: AsyncSession) -> None:
    """Make concurrent claims take turns until this transaction ends.

    The per-endpoint limit counts the leases other workers hold; two claims counting at
    once would both see room and together overshoot it. PostgreSQL: a transaction-level
    advisory lock (claims are short; sending happens after the commit). SQLite's write
    transactions already take turns.
    """
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(select(func.pg_advisory_xact_lock(func.hashtext(CLAIM_LOCK))))


async def lock_due_deliveries(
    session: AsyncSession, now: datetime, limit: int, *, per_endpoint: int
) -> list[WebhookDelivery]:
    """Pending deliveries whose next attempt (or expired lease) has come, oldest first,
    leaving each endpoint at most ``per_endpoint`` in flight, the ones already leased
    included (an expired lease no longer counts: its worker is gone).

    Every due delivery is ranked within its endpoint, so an endpoint with a long queue
    takes only its share of the batch and the others' deliveries still go out.
    """
    due = (WebhookDelivery.status == DeliveryStatus.PENDING, WebhookDelivery.next_attempt_at <= now)
    in_flight = (
        select(WebhookDelivery.endpoint_id, func.count().label("leased"))
        .where(WebhookDelivery.leased_until.is_not(None), WebhookDelivery.leased_until > now)
        .group_by(WebhookDelivery.endpoint_id)
        .subquery()
    )
    place_in_line = func.row_number().over(
        partition_by=WebhookDelivery.endpoint_id,
        order_by=(WebhookDelivery.next_attempt_at, WebhookDelivery.id),
    )
    ranked = (
        select(
            WebhookDelivery.id,
            (place_in_line + func.coalesce(in_flight.c.leased, 0)).label("slot"),
        )
        .outerjoin(in_flight, in_flight.c.endpoint_id == WebhookDelivery.endpoint_id)
        .where(*due)
        .subquery()
    )
    query = (
        select(WebhookDelivery)
        .where(
            *due, WebhookDelivery.id.in_(select(ranked.c.id).where(ranked.c.slot <= per_endpoint))
        )
        .order_by(WebhookDelivery.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list((await session.scalars(query)).all())


async def lock_delivery(session: AsyncSession, delivery_id: str) -> WebhookDelivery | None:
    query = (
        select(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.scalars(query)).one_or_none()


async def endpoints_by_id(
    session: AsyncSession, endpoint_ids: Sequence[str]
) -> dict[str, WebhookEndpoint]:
    if not endpoint_ids:
        return {}
    query = select(WebhookEndpoint).where(WebhookEndpoint.id.in_(sorted(set(endpoint_ids))))
    return {e.id: e for e in await session.scalars(query)}


async def events_by_id(session: AsyncSession, event_ids: Sequence[str]) -> dict[str, Event]:
    if not event_ids:
        return {}
    query = select(Event).where(Event.id.in_(sorted(set(event_ids))))
    return {e.id: e for e in await session.scalars(query)}


async def note_success(session: AsyncSession, endpoint_id: str, now: datetime) -> None:
    """Reset the endpoint's failure run (a counter, not a change: its version stays)."""
    await session.execute(
        update(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint_id)
        .values(consecutive_failures=0, last_success_at=now, updated_at=WebhookEndpoint.updated_at)
        .execution_options(synchronize_session=False)
    )


async def note_failure(session: AsyncSession, endpoint_id: str, now: datetime) -> int:
    """Count one more failure in a row; returns the run's length."""
    result = await session.execute(
        update(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint_id)
        .values(
            consecutive_failures=WebhookEndpoint.consecutive_failures + 1,
            last_failure_at=now,
            updated_at=WebhookEndpoint.updated_at,
        )
        .returning(WebhookEndpoint.consecutive_failures)
        .execution_options(synchronize_session=False)
    )
    return int(result.scalar_one_or_none() or 0)


async def disable_if_enabled(session: AsyncSession, endpoint_id: str, now: datetime) -> bool:
    """Disable a failing endpoint unless someone already did; True when this call did."""
    result = await session.execute(
        update(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.enabled)
        .values(
            enabled=False,
            disabled_reason=DisabledReason.FAILING,
            disabled_at=now,
            updated_at=now,
            version=WebhookEndpoint.version + 1,
        )
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


# --- what the worker's metrics report -------------------------------------------------


async def pending_deliveries(session: AsyncSession) -> tuple[int, datetime | None]:
    """How many deliveries are not finished, and when the oldest of them was created."""
    query = select(func.count(), func.min(WebhookDelivery.created_at)).where(
        WebhookDelivery.status == DeliveryStatus.PENDING
    )
    count, oldest = (await session.execute(query)).one()
    return int(count), oldest


async def oldest_unannounced_due_time(session: AsyncSession, now: datetime) -> datetime | None:
    """The earliest due time (window opened, or closed) among the actions whose
    `action.due` or `action.overdue` is still to be emitted; None when none is late.

    Both read the partial indexes the worker's own scans use, first entry only.
    """
    opened = select(func.min(Action.available_from)).where(
        *_late(Action.due_event_at, Action.available_from, now)
    )
    closed = select(func.min(Action.due_by)).where(
        *_late(Action.overdue_event_at, Action.due_by, now)
    )
    times = [await session.scalar(opened), await session.scalar(closed)]
    found = [t for t in times if t is not None]
    return min(found) if found else None

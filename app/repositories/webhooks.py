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
from app.repositories.pagination import PageResult, paginate

PENDING, DELIVERED, FAILED, CANCELLED = "pending", "delivered", "failed", "cancelled"


async def get_endpoint(
    session: AsyncSession, tenant_id: str, endpoint_id: str
) -> WebhookEndpoint | None:
    endpoint = await session.get(WebhookEndpoint, endpoint_id)
    return endpoint if endpoint is not None and endpoint.tenant_id == tenant_id else None


async def page_endpoints(
    session: AsyncSession, tenant_id: str, *, cursor: str | None, limit: int
) -> PageResult[WebhookEndpoint]:
    query = select(WebhookEndpoint).where(WebhookEndpoint.tenant_id == tenant_id)
    return await paginate(
        session,
        query,
        [WebhookEndpoint.created_at, WebhookEndpoint.id],
        cursor=cursor,
        limit=limit,
    )


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
    return await paginate(
        session,
        query,
        [WebhookDelivery.created_at, WebhookDelivery.id],
        cursor=cursor,
        limit=limit,
    )


async def cancel_pending(session: AsyncSession, endpoint_id: str, reason: str) -> int:
    """Cancel the endpoint's deliveries still waiting (it was disabled)."""
    result = await session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint_id, WebhookDelivery.status == PENDING)
        .values(status=CANCELLED, next_attempt_at=None, last_error=reason)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


# --- time-driven events -----------------------------------------------------------------


def _not_snoozed(now: datetime) -> Any:
    return or_(Action.snoozed_until.is_(None), Action.snoozed_until <= now)


async def lock_newly_due(session: AsyncSession, now: datetime, limit: int) -> list[Action]:
    """Open, unsnoozed actions whose window has opened and whose `action.due` is pending.

    Reads ``ix_actions_due_event_pending``: its predicate is repeated here word for word so
    both PostgreSQL and SQLite use it, and ``available_from <= now`` is its range.
    """
    query = (
        select(Action)
        .where(
            Action.resolution.is_(None),
            Action.due_event_at.is_(None),
            Action.available_from <= now,
            _not_snoozed(now),
        )
        .order_by(Action.available_from)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list((await session.scalars(query)).all())


async def lock_newly_overdue(session: AsyncSession, now: datetime, limit: int) -> list[Action]:
    """Open, unsnoozed actions past their due time whose `action.overdue` is pending."""
    query = (
        select(Action)
        .where(
            Action.resolution.is_(None),
            Action.overdue_event_at.is_(None),
            Action.due_by <= now,
            _not_snoozed(now),
        )
        .order_by(Action.due_by)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list((await session.scalars(query)).all())


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


async def lock_due_deliveries(
    session: AsyncSession, now: datetime, limit: int
) -> list[WebhookDelivery]:
    """Pending deliveries whose next attempt (or expired lease) has come, oldest first."""
    query = (
        select(WebhookDelivery)
        .where(WebhookDelivery.status == PENDING, WebhookDelivery.next_attempt_at <= now)
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
            disabled_reason="failing",
            disabled_at=now,
            updated_at=now,
            version=WebhookEndpoint.version + 1,
        )
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]

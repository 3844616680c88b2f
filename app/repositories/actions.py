"""Queries on stored actions: the feed is an indexed query on windows and marks, never a re-plan."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_, select, union
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Action, Application
from app.domain import ActionStatus, ActionType, ApplicationStatus
from app.repositories.pagination import PageResult, paginate

_CLOSED = {ActionStatus.DONE, ActionStatus.DISMISSED, ActionStatus.OBSOLETE}


def status_condition(status: ActionStatus, as_of: datetime) -> ColumnElement[bool]:
    """SQL for "has this status at as_of"; mirrors ``app.domain.status_of`` (a test checks)."""
    if status in _CLOSED:
        return Action.resolution == status.value
    open_ = Action.resolution.is_(None)
    snoozing = and_(Action.snoozed_until.is_not(None), Action.snoozed_until > as_of)
    if status is ActionStatus.SNOOZED:
        return and_(open_, snoozing)
    awake = or_(Action.snoozed_until.is_(None), Action.snoozed_until <= as_of)
    if status is ActionStatus.UPCOMING:
        return and_(open_, awake, Action.available_from > as_of)
    if status is ActionStatus.DUE:
        return and_(open_, awake, Action.available_from <= as_of, Action.due_by > as_of)
    if status is ActionStatus.OVERDUE:
        return and_(open_, awake, Action.due_by <= as_of)
    return false()


@dataclass(frozen=True)
class ActionFilter:
    """What a caller may narrow the feed by."""

    as_of: datetime
    statuses: Sequence[ActionStatus] = ()
    types: Sequence[ActionType] = ()
    candidate_id: str | None = None
    application_id: str | None = None
    due_before: datetime | None = None
    due_after: datetime | None = None


async def feed(
    session: AsyncSession,
    tenant_id: str,
    criteria: ActionFilter,
    *,
    cursor: str | None,
    limit: int,
) -> PageResult[Any]:
    """A page of the tenant's actions in due order, filtered by status at ``as_of`` and more.

    Items are rows with the attributes of :class:`Action`."""
    conditions: list[Any] = [Action.tenant_id == tenant_id]
    if criteria.statuses:
        conditions.append(or_(*(status_condition(s, criteria.as_of) for s in criteria.statuses)))
    if criteria.types:
        conditions.append(Action.type.in_([t.value for t in criteria.types]))
    if criteria.candidate_id:
        conditions.append(Action.candidate_id == criteria.candidate_id)
    if criteria.application_id:
        conditions.append(Action.application_id == criteria.application_id)
    if criteria.due_before:
        conditions.append(Action.due_by < criteria.due_before)
    if criteria.due_after:
        conditions.append(Action.due_by >= criteria.due_after)
    # Plain rows, not entities: the feed is read-only and the hottest query of the API.
    query = select(*Action.__table__.columns).where(*conditions)
    order = [Action.due_by, Action.id]
    return await paginate(session, query, order, cursor=cursor, limit=limit, entities=False)


async def applications_to_replan(session: AsyncSession, tenant_id: str) -> list[str]:
    """Applications of the tenant a policy change can affect.

    Those with an open action, and every one still in progress (active or offer): a
    policy can call again for an action it had made obsolete (say, check-ins allowed
    again), even when nothing of that application is open any more.
    """
    in_progress = select(Application.id).where(
        Application.tenant_id == tenant_id,
        Application.status.in_([s.value for s in ApplicationStatus if not s.is_final]),
    )
    with_open_actions = select(Action.application_id).where(
        Action.tenant_id == tenant_id, Action.resolution.is_(None)
    )
    return sorted(set(await session.scalars(union(in_progress, with_open_actions))))

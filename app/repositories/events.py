"""Queries on the event log."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Event
from app.repositories.owners import Owner, owned_by
from app.repositories.pagination import PageResult, paginate


async def scrub_candidate(session: AsyncSession, candidate_id: str, now: datetime) -> int:
    """Replace the data of the candidate's events with nothing personal; keep type and time."""
    result = await session.execute(
        update(Event)
        .where(Event.candidate_id == candidate_id)
        .values(data={"erased": True}, erased_at=now)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class EventFilter:
    """Which events a list holds; what is left empty does not narrow it."""

    types: Sequence[str] = ()
    occurred_after: datetime | None = None
    occurred_before: datetime | None = None
    application_id: str | None = None


async def page(
    session: AsyncSession, owner: Owner, wanted: EventFilter, *, cursor: str | None, limit: int
) -> PageResult[Event]:
    conditions: list[Any] = owned_by(Event, owner)
    if wanted.types:
        conditions.append(Event.type.in_(wanted.types))
    if wanted.occurred_after:
        conditions.append(Event.occurred_at >= wanted.occurred_after)
    if wanted.occurred_before:
        conditions.append(Event.occurred_at < wanted.occurred_before)
    if wanted.application_id:
        conditions.append(Event.application_id == wanted.application_id)
    query = select(Event).where(*conditions)
    return await paginate(session, query, [Event.occurred_at, Event.id], cursor=cursor, limit=limit)

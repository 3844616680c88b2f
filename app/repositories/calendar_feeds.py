"""Queries behind calendar feeds: the feed by candidate or token hash, the open actions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Action, CalendarFeed, Candidate


async def feed_of_candidate(session: AsyncSession, candidate_id: str) -> CalendarFeed | None:
    return await session.scalar(
        select(CalendarFeed).where(CalendarFeed.candidate_id == candidate_id)
    )


async def feed_by_token_hash(
    session: AsyncSession, token_hash: str
) -> tuple[CalendarFeed, Candidate] | None:
    row = (
        await session.execute(
            select(CalendarFeed, Candidate)
            .join(Candidate, Candidate.id == CalendarFeed.candidate_id)
            .where(CalendarFeed.token_hash == token_hash)
        )
    ).one_or_none()
    return (row[0], row[1]) if row is not None else None


async def open_actions(session: AsyncSession, candidate_id: str, limit: int) -> list[Action]:
    """The candidate's first ``limit`` open actions by due time
    (``ix_actions_candidate_id_due_by``)."""
    query = (
        select(Action)
        .where(Action.candidate_id == candidate_id, Action.resolution.is_(None))
        .order_by(Action.due_by, Action.id)
        .limit(limit)
    )
    return list((await session.scalars(query)).all())


async def latest_action_change(session: AsyncSession, candidate_id: str) -> datetime | None:
    """When any of the candidate's actions, open or not, last changed."""
    latest: datetime | None = await session.scalar(
        select(func.max(Action.updated_at)).where(Action.candidate_id == candidate_id)
    )
    return latest

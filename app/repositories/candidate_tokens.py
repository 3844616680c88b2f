"""Queries on candidate access tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import ApiKey, CandidateAccessToken
from app.repositories.pagination import PageResult, paginate


async def add(session: AsyncSession, token: CandidateAccessToken) -> None:
    session.add(token)
    await session.flush()


async def find_with_issuer(
    session: AsyncSession, lookup: str
) -> tuple[CandidateAccessToken, datetime | None] | None:
    """The token with this lookup, and when the API key that issued it was revoked (if so)."""
    row = (
        await session.execute(
            select(CandidateAccessToken, ApiKey.revoked_at)
            .join(ApiKey, ApiKey.id == CandidateAccessToken.issued_by_key_id)
            .where(CandidateAccessToken.lookup == lookup)
        )
    ).first()
    return None if row is None else (row[0], row[1])


async def get(
    session: AsyncSession, tenant_id: str, candidate_id: str, token_id: str
) -> CandidateAccessToken | None:
    return await session.scalar(
        select(CandidateAccessToken).filter_by(
            id=token_id, tenant_id=tenant_id, candidate_id=candidate_id
        )
    )


async def page(
    session: AsyncSession, tenant_id: str, candidate_id: str, *, cursor: str | None, limit: int
) -> PageResult[CandidateAccessToken]:
    """The candidate's tokens, oldest first."""
    query: Any = select(CandidateAccessToken).where(
        CandidateAccessToken.tenant_id == tenant_id,
        CandidateAccessToken.candidate_id == candidate_id,
    )
    order = [CandidateAccessToken.created_at, CandidateAccessToken.id]
    return await paginate(session, query, order, cursor=cursor, limit=limit)


async def count_live(session: AsyncSession, candidate_id: str, now: datetime) -> int:
    """How many of the candidate's tokens still work at ``now``."""
    count = await session.scalar(
        select(func.count()).where(
            CandidateAccessToken.candidate_id == candidate_id,
            CandidateAccessToken.revoked_at.is_(None),
            CandidateAccessToken.expires_at > now,
        )
    )
    return int(count or 0)


async def live_ids(session: AsyncSession, candidate_id: str, now: datetime) -> list[str]:
    """The candidate's tokens still working: neither revoked nor expired (an expired one's
    cached verification ends with it), so at most the per-candidate cap of live tokens."""
    return list(
        await session.scalars(
            select(CandidateAccessToken.id).where(
                CandidateAccessToken.candidate_id == candidate_id,
                CandidateAccessToken.revoked_at.is_(None),
                CandidateAccessToken.expires_at > now,
            )
        )
    )


async def revoke(session: AsyncSession, token: CandidateAccessToken, at: datetime) -> None:
    token.revoked_at = at
    await session.flush()


async def prune(session: AsyncSession, candidate_id: str, ended_before: datetime) -> int:
    """Delete the candidate's tokens that expired or were revoked before ``ended_before``."""
    result = await session.execute(
        delete(CandidateAccessToken).where(
            CandidateAccessToken.candidate_id == candidate_id,
            or_(
                CandidateAccessToken.expires_at < ended_before,
                CandidateAccessToken.revoked_at < ended_before,
            ),
        )
    )
    return int(result.rowcount)  # type: ignore[attr-defined]

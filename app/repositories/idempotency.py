"""Idempotency records: claim a key, store the response, replay it, forget it after its TTL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import IdempotencyRecord


@dataclass(frozen=True, slots=True)
class StoredKey:
    """An Idempotency-Key as stored: whose it is (the tenant, and which of its credentials
    share keys), and the key itself; together, the record's primary key."""

    tenant_id: str
    credential_scope: str
    key: str


async def claim(
    session: AsyncSession,
    stored_key: StoredKey,
    *,
    fingerprint: str,
    now: datetime,
    expires_at: datetime,
) -> bool:
    """Insert a running record for the key; False when a record for it already exists.

    The primary key (tenant, credential scope, key) makes the insert the arbiter: of any
    number of concurrent requests under one key, exactly one claims it.
    """
    try:
        async with session.begin_nested():
            session.add(
                IdempotencyRecord(
                    tenant_id=stored_key.tenant_id,
                    credential_scope=stored_key.credential_scope,
                    key=stored_key.key,
                    fingerprint=fingerprint,
                    state="running",
                    created_at=now,
                    locked_at=now,
                    expires_at=expires_at,
                )
            )
            await session.flush()
    except IntegrityError:
        return False
    return True


def _is(stored_key: StoredKey) -> list[ColumnElement[bool]]:
    return [
        IdempotencyRecord.tenant_id == stored_key.tenant_id,
        IdempotencyRecord.credential_scope == stored_key.credential_scope,
        IdempotencyRecord.key == stored_key.key,
    ]


async def find(session: AsyncSession, stored_key: StoredKey) -> IdempotencyRecord | None:
    return await session.scalar(
        select(IdempotencyRecord).where(*_is(stored_key)).execution_options(populate_existing=True)
    )


async def take_over(
    session: AsyncSession, record: IdempotencyRecord, *, stale_before: datetime, now: datetime
) -> bool:
    """Claim a record whose first request died mid-way; False if someone else just did."""
    result = await session.execute(
        update(IdempotencyRecord)
        .where(
            *_is(StoredKey(record.tenant_id, record.credential_scope, record.key)),
            IdempotencyRecord.state == "running",
            IdempotencyRecord.locked_at < stale_before,
        )
        .values(locked_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def complete(
    session: AsyncSession,
    stored_key: StoredKey,
    *,
    status_code: int,
    headers: list[list[str]],
    body: bytes,
) -> None:
    await session.execute(
        update(IdempotencyRecord)
        .where(*_is(stored_key))
        .values(state="done", status_code=status_code, response_headers=headers, response_body=body)
    )


async def release(session: AsyncSession, stored_key: StoredKey) -> None:
    """Forget a key whose request failed on the server's side, so a retry runs afresh."""
    await session.execute(delete(IdempotencyRecord).where(*_is(stored_key)))


async def prune(session: AsyncSession, now: datetime, tenant_id: str | None = None) -> int:
    """Delete expired records (all tenants, or one); returns how many went."""
    statement = delete(IdempotencyRecord).where(IdempotencyRecord.expires_at < now)
    if tenant_id is not None:
        statement = statement.where(IdempotencyRecord.tenant_id == tenant_id)
    result = await session.execute(statement)
    return int(result.rowcount)  # type: ignore[attr-defined]


async def forget_responses_mentioning(session: AsyncSession, tenant_id: str, ids: list[str]) -> int:
    """Delete the tenant's stored responses that contain any of these IDs (an erasure).

    Stored responses live at most a day, so reading the tenant's few to match them here
    is cheap, and it works the same on every database whatever the body's encoding.
    """
    needles = [i.encode() for i in ids if i]
    if not needles:
        return 0
    rows = await session.execute(
        select(
            IdempotencyRecord.credential_scope,
            IdempotencyRecord.key,
            IdempotencyRecord.response_body,
        ).where(IdempotencyRecord.tenant_id == tenant_id)
    )
    doomed: dict[str, list[str]] = {}
    for scope, key, body in rows:
        if body and any(n in body for n in needles):
            doomed.setdefault(scope, []).append(key)
    for scope, keys in doomed.items():
        await session.execute(
            delete(IdempotencyRecord).where(
                IdempotencyRecord.tenant_id == tenant_id,
                IdempotencyRecord.credential_scope == scope,
                IdempotencyRecord.key.in_(keys),
            )
        )
    return sum(len(keys) for keys in doomed.values())

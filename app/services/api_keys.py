"""API keys: issued at random, shown once, stored only as a keyed hash.

How a key (or any other credential) is verified lives in app/services/credentials.py.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from app.clock import utcnow
from app.db.models import ApiKey, Tenant
from app.domain.credentials import ALL_SCOPES
from app.repositories import tenants as repo
from app.services.credentials import KEY_PREFIX, hash_secret


@dataclass(frozen=True)
class IssuedKey:
    """A newly created key; ``plaintext`` exists only here, never in the database."""

    record: ApiKey
    plaintext: str


async def issue_key(
    session: AsyncSession,
    tenant_id: str,
    secret_key: bytes,
    *,
    name: str = "default",
    scopes: list[str] | None = None,
) -> IssuedKey:
    lookup = secrets.token_hex(6)
    plaintext = f"{KEY_PREFIX}{lookup}_{secrets.token_hex(24)}"
    record = await repo.add_api_key(
        session,
        tenant_id=tenant_id,
        name=name,
        lookup=lookup,
        secret_hash=hash_secret(plaintext, secret_key),
        scopes=[str(s) for s in (scopes or ALL_SCOPES)],
    )
    return IssuedKey(record=record, plaintext=plaintext)


async def create_tenant_with_key(
    session: AsyncSession, name: str, secret_key: bytes
) -> tuple[Tenant, IssuedKey]:
    tenant = await repo.add_tenant(session, name)
    return tenant, await issue_key(session, tenant.id, secret_key)


async def revoke(session: AsyncSession, key_id: str) -> ApiKey | None:
    """Revoke a key; the candidate tokens it issued stop working with it.

    Keys are revoked from the command line, outside any server process: servers that
    verified the key or its tokens lately keep them for at most the auth cache's TTL
    (``FOLLOWUP_AUTH_CACHE_SECONDS``); key revocations are not announced."""
    key = await repo.get_api_key(session, key_id)
    if key is not None and key.revoked_at is None:
        await repo.revoke_api_key(session, key, utcnow())
    return key


async def get_tenant(session: AsyncSession, tenant_id: str) -> Tenant | None:
    return await repo.get_tenant(session, tenant_id)

"""API keys: issued at random, shown once, stored only as a keyed hash."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from app.clock import utcnow
from app.db.models import ApiKey, Tenant
from app.repositories import tenants as repo

KEY_PREFIX = "fu_live_"
_KEY_PATTERN = re.compile(r"^fu_live_(?P<lookup>[0-9a-f]{12})_(?P<secret>[0-9a-f]{48})$")


class Scope(StrEnum):
    """What a key may do: read lets it list and fetch, write lets it change data."""

    READ = "read"
    WRITE = "write"


ALL_SCOPES = [Scope.READ, Scope.WRITE]


@dataclass(frozen=True)
class IssuedKey:
    """A newly created key; ``plaintext`` exists only here, never in the database."""

    record: ApiKey
    plaintext: str


@dataclass(frozen=True)
class Principal:
    """Who is calling: the tenant a verified key belongs to, and what it may do."""

    tenant_id: str
    key_id: str
    scopes: frozenset[str]


def hash_secret(plaintext: str, secret_key: bytes) -> str:
    return hmac.new(secret_key, plaintext.encode(), hashlib.sha256).hexdigest()


def parse_key(plaintext: str) -> str | None:
    """The lookup part of a well-formed key, or None when the key is malformed."""
    match = _KEY_PATTERN.match(plaintext)
    return match["lookup"] if match else None


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


async def authenticate(
    session: AsyncSession, plaintext: str, secret_key: bytes
) -> Principal | None:
    """The principal a key stands for, or None if it is malformed, unknown or revoked."""
    lookup = parse_key(plaintext)
    if lookup is None:
        return None
    record = await repo.find_api_key(session, lookup)
    if record is None or record.revoked_at is not None:
        return None
    if not hmac.compare_digest(record.secret_hash, hash_secret(plaintext, secret_key)):
        return None
    return Principal(
        tenant_id=record.tenant_id, key_id=record.id, scopes=frozenset(record.scopes.split())
    )


class PrincipalCache:
    """Keys verified in the last ``ttl`` seconds, so a busy client costs no query per request.

    Only successful verifications are kept, under the key's HMAC (never its plaintext). A
    key revoked elsewhere stops working here within ``ttl`` seconds; ``ttl=0`` disables it.
    """

    def __init__(self, ttl: float, max_entries: int = 10_000) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: dict[str, tuple[float, Principal]] = {}

    def get(self, digest: str, now: float) -> Principal | None:
        entry = self._entries.get(digest)
        if entry is None:
            return None
        expires, principal = entry
        if now >= expires:
            del self._entries[digest]
            return None
        return principal

    def put(self, digest: str, principal: Principal, now: float) -> None:
        if self.ttl <= 0:
            return
        if len(self._entries) >= self.max_entries:
            self._entries.clear()  # crude but bounded; refilled on the next requests
        self._entries[digest] = (now + self.ttl, principal)


def recently_verified(plaintext: str, secret_key: bytes, cache: PrincipalCache) -> Principal | None:
    """The principal of a key verified less than ``cache.ttl`` seconds ago, else None."""
    return cache.get(hash_secret(plaintext, secret_key), time.monotonic())


async def authenticate_cached(
    session: AsyncSession, plaintext: str, secret_key: bytes, cache: PrincipalCache
) -> Principal | None:
    """``authenticate``, answered from ``cache`` while a verification is fresh."""
    digest = hash_secret(plaintext, secret_key)
    now = time.monotonic()
    principal = cache.get(digest, now)
    if principal is None:
        principal = await authenticate(session, plaintext, secret_key)
        if principal is not None:
            cache.put(digest, principal, now)
    return principal


async def create_tenant_with_key(
    session: AsyncSession, name: str, secret_key: bytes
) -> tuple[Tenant, IssuedKey]:
    tenant = await repo.add_tenant(session, name)
    return tenant, await issue_key(session, tenant.id, secret_key)


async def revoke(session: AsyncSession, key_id: str) -> ApiKey | None:
    key = await repo.get_api_key(session, key_id)
    if key is not None and key.revoked_at is None:
        await repo.revoke_api_key(session, key, utcnow())
    return key


async def get_tenant(session: AsyncSession, tenant_id: str) -> Tenant | None:
    return await repo.get_tenant(session, tenant_id)

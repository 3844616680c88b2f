"""Verified API keys are trusted for a few seconds, then checked again."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.services import api_keys, credentials
from app.services.credentials import Principal, PrincipalCache
from app.settings import Settings
from tests.conftest import make_tenant


def test_entries_expire_after_the_ttl() -> None:
    cache = PrincipalCache(ttl=10)
    principal = Principal(tenant_id="ten_1", key_id="key_1", scopes=frozenset({"read"}))
    cache.put("digest", principal, now=100.0)
    assert cache.get("digest", now=109.9) == principal
    assert cache.get("digest", now=110.0) is None
    assert cache.get("other", now=100.0) is None


def test_a_zero_ttl_keeps_nothing() -> None:
    cache = PrincipalCache(ttl=0)
    cache.put("digest", Principal("t", "k", frozenset()), now=1.0)
    assert cache.get("digest", now=1.0) is None


async def test_a_revoked_key_works_until_its_cached_verification_expires(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    tenant = await make_tenant(sessionmaker, settings)
    secret = settings.resolved_secret_key()
    cache = PrincipalCache(ttl=3600)
    async with sessionmaker() as session, session.begin():
        first = await credentials.authenticate_cached(session, tenant.key, secret, cache)
        assert first is not None and first.tenant_id == tenant.id
        await api_keys.revoke(session, tenant.key_id)
        # Within the TTL the verification is reused; without a cache it fails at once.
        assert await credentials.authenticate_cached(session, tenant.key, secret, cache) == first
        assert await credentials.authenticate(session, tenant.key, secret) is None
        fresh = PrincipalCache(ttl=3600)
        assert await credentials.authenticate_cached(session, tenant.key, secret, fresh) is None

"""Verified credentials are trusted for a few seconds, then checked again; a candidate
token's never past its expiry, nor after it is evicted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pytest import MonkeyPatch
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.domain.credentials import CredentialType
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


def token_principal(candidate_id: str, expires_at: datetime) -> Principal:
    return Principal(
        tenant_id="ten_1",
        key_id=f"tok_{candidate_id}",
        scopes=frozenset({"read"}),
        credential_type=CredentialType.CANDIDATE_TOKEN,
        candidate_id=candidate_id,
        expires_at=expires_at,
    )


def test_a_candidate_token_is_never_served_past_its_expiry(monkeypatch: MonkeyPatch) -> None:
    now = datetime(2027, 1, 13, 12, tzinfo=UTC)
    monkeypatch.setattr(credentials, "utcnow", lambda: now)
    cache = PrincipalCache(ttl=3600)
    principal = token_principal("cand_a", now + timedelta(seconds=5))
    cache.put("digest", principal, now=100.0)
    assert cache.get("digest", now=100.0) == principal
    # Well within the cache's hour, but the token's five seconds are over.
    monkeypatch.setattr(credentials, "utcnow", lambda: now + timedelta(seconds=5))
    assert cache.get("digest", now=101.0) is None
    assert len(cache) == 0


def test_evicting_a_credential_forgets_it_and_no_other() -> None:
    cache = PrincipalCache(ttl=3600)
    far = datetime(2200, 1, 1, tzinfo=UTC)
    key = Principal("ten_1", "key_1", frozenset({"read"}))
    cache.put("key", key, now=1.0)
    cache.put("a", token_principal("cand_a", far), now=1.0)
    cache.put("b", token_principal("cand_b", far), now=1.0)
    cache.evict("tok_cand_a")
    assert cache.get("a", now=2.0) is None
    assert cache.get("b", now=2.0) is not None and cache.get("key", now=2.0) == key
    cache.evict_candidate_tokens()
    assert cache.get("b", now=2.0) is None and cache.get("key", now=2.0) == key


def test_a_verification_that_raced_a_revocation_is_not_kept() -> None:
    cache = PrincipalCache(ttl=3600)
    far = datetime(2200, 1, 1, tzinfo=UTC)
    before = cache.evictions  # read before the credential's row was
    cache.evict("tok_cand_a")  # a revocation announced while the query ran
    cache.put("a", token_principal("cand_a", far), now=1.0, evictions=before)
    assert cache.get("a", now=1.0) is None
    cache.put("a", token_principal("cand_a", far), now=1.0, evictions=cache.evictions)
    assert cache.get("a", now=1.0) is not None

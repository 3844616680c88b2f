"""Who is calling: the bearer credentials a request may carry, verified and briefly cached.

Two kinds of credential authenticate a request, both sent as `Authorization: Bearer`:

- an API key (``fu_live_<lookup>_<secret>``) acts for its whole tenant, and is meant for
  the tenant's own servers;
- a candidate token (``fu_cand_<lookup>_<secret>``) acts for one candidate of the tenant
  until it expires (an hour by default, a day at most), and is meant for a front end: a
  tenant's back end mints it with an API key (app/services/candidate_tokens.py).

Both are stored only as an HMAC of the whole credential under the server's secret and
compared in constant time. A verification is kept for ``auth_cache_seconds`` under that
same HMAC, so a busy client costs no query per request; a candidate token's is never kept
past the token's expiry, and a revocation drops it at once from the revoking process's
cache (see :func:`note_revoked`) and, on PostgreSQL, from every other process's when the
database announces it (app/db/notifications.py).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.clock import utcnow
from app.domain.credentials import CredentialType
from app.repositories import candidate_tokens as token_repo
from app.repositories import tenants as tenant_repo
from app.repositories.owners import Owner

KEY_PREFIX = "fu_live_"
TOKEN_PREFIX = "fu_cand_"  # noqa: S105 (a prefix, not a secret)
_CREDENTIAL_PATTERN = re.compile(
    r"^fu_(?P<kind>live|cand)_(?P<lookup>[0-9a-f]{12})_(?P<secret>[0-9a-f]{48})$"
)
# Where a session keeps the IDs of credentials its transaction revoked, for the request's
# session dependency to drop them from the process's cache once the transaction commits.
REVOKED_CREDENTIALS = "followup_revoked_credentials"


_KINDS = {"live": CredentialType.API_KEY, "cand": CredentialType.CANDIDATE_TOKEN}


@dataclass(frozen=True)
class Principal:
    """Who is calling: the tenant a verified credential belongs to, and what it may do.

    ``key_id`` is the credential's own ID (an API key's, or a candidate token's): rate
    limits count per credential. A candidate token also names its candidate, whose records
    alone it reaches, and its expiry.
    """

    tenant_id: str
    key_id: str
    scopes: frozenset[str]
    credential_type: CredentialType = CredentialType.API_KEY
    candidate_id: str | None = None
    expires_at: datetime | None = None

    @property
    def owner(self) -> Owner:
        """Whose records this caller may reach."""
        return Owner(self.tenant_id, self.candidate_id)


def hash_secret(plaintext: str, secret_key: bytes) -> str:
    return hmac.new(secret_key, plaintext.encode(), hashlib.sha256).hexdigest()


def parse(plaintext: str) -> tuple[CredentialType, str] | None:
    """The kind and lookup part of a well-formed credential, or None when it is malformed."""
    match = _CREDENTIAL_PATTERN.match(plaintext)
    return (_KINDS[match["kind"]], match["lookup"]) if match else None


async def authenticate(
    session: AsyncSession, plaintext: str, secret_key: bytes
) -> Principal | None:
    """The principal a credential stands for, or None if it is malformed, unknown, revoked
    or (a candidate token) expired, or was issued by an API key since revoked."""
    parsed = parse(plaintext)
    if parsed is None:
        return None
    kind, lookup = parsed
    digest = hash_secret(plaintext, secret_key)
    if kind is CredentialType.API_KEY:
        key = await tenant_repo.find_api_key(session, lookup)
        if key is None or key.revoked_at is not None:
            return None
        if not hmac.compare_digest(key.secret_hash, digest):
            return None
        return Principal(
            tenant_id=key.tenant_id, key_id=key.id, scopes=frozenset(key.scopes.split())
        )
    found = await token_repo.find_with_issuer(session, lookup)
    if found is None:
        return None
    token, issuer_revoked_at = found
    if token.revoked_at is not None or issuer_revoked_at is not None:
        return None
    if token.expires_at <= utcnow():
        return None
    if not hmac.compare_digest(token.secret_hash, digest):
        return None
    return Principal(
        tenant_id=token.tenant_id,
        key_id=token.id,
        scopes=frozenset(token.scopes.split()),
        credential_type=CredentialType.CANDIDATE_TOKEN,
        candidate_id=token.candidate_id,
        expires_at=token.expires_at,
    )


def note_revoked(session: AsyncSession, credential_ids: list[str]) -> None:
    """Remember that this session's transaction revokes these credentials: once it commits,
    the request's session dependency drops them from the process's cache."""
    session.info.setdefault(REVOKED_CREDENTIALS, []).extend(credential_ids)


def revoked_in(session: AsyncSession) -> list[str]:
    """The credentials this session's transaction revoked (see :func:`note_revoked`)."""
    revoked: list[str] = session.info.get(REVOKED_CREDENTIALS, [])
    return revoked


class PrincipalCache:
    """Credentials verified in the last ``ttl`` seconds, so a busy client costs no query per
    request.

    Only successful verifications are kept, under the credential's HMAC (never its
    plaintext). A candidate token's is never served past the token's expiry. A revocation
    is dropped at once with :meth:`evict`; without one (an API key revoked from the command
    line, another process on SQLite) a revoked credential stops working here within
    ``ttl`` seconds. ``ttl=0`` disables it.
    """

    def __init__(self, ttl: float, max_entries: int = 10_000) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: dict[str, tuple[float, Principal]] = {}
        # Counts evictions: a verification that began before one may have read the
        # credential before its revocation committed, so it is not kept (see put).
        self._evictions = 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def evictions(self) -> int:
        """Read before verifying a credential; pass it to :meth:`put`."""
        return self._evictions

    def get(self, digest: str, now: float) -> Principal | None:
        entry = self._entries.get(digest)
        if entry is None:
            return None
        expires, principal = entry
        if now >= expires or (
            principal.expires_at is not None and utcnow() >= principal.expires_at
        ):
            del self._entries[digest]
            return None
        return principal

    def put(
        self, digest: str, principal: Principal, now: float, evictions: int | None = None
    ) -> None:
        """Keep a verification, unless an eviction came since ``evictions`` was read."""
        if self.ttl <= 0 or (evictions is not None and evictions != self._evictions):
            return
        if len(self._entries) >= self.max_entries:
            self._entries.clear()  # crude but bounded; refilled on the next requests
        self._entries[digest] = (now + self.ttl, principal)

    def evict(self, *credential_ids: str) -> None:
        """Forget the verifications of credentials that were just revoked.

        One scan for all of them (the cache holds at most ``max_entries``), however many a
        transaction revoked.
        """
        if not credential_ids:
            return
        self._evictions += 1
        revoked = set(credential_ids)
        for digest in [d for d, (_, p) in self._entries.items() if p.key_id in revoked]:
            del self._entries[digest]

    def evict_candidate_tokens(self) -> None:
        """Forget every candidate token's verification: revocations may have gone unheard."""
        self._evictions += 1
        for digest in [d for d, (_, p) in self._entries.items() if p.candidate_id is not None]:
            del self._entries[digest]


def recently_verified(plaintext: str, secret_key: bytes, cache: PrincipalCache) -> Principal | None:
    """The principal of a credential verified less than ``cache.ttl`` seconds ago, else None."""
    return cache.get(hash_secret(plaintext, secret_key), time.monotonic())


async def authenticate_cached(
    session: AsyncSession, plaintext: str, secret_key: bytes, cache: PrincipalCache
) -> Principal | None:
    """``authenticate``, answered from ``cache`` while a verification is fresh."""
    digest = hash_secret(plaintext, secret_key)
    now = time.monotonic()
    principal = cache.get(digest, now)
    if principal is None:
        evictions = cache.evictions
        principal = await authenticate(session, plaintext, secret_key)
        if principal is not None:
            cache.put(digest, principal, now, evictions)
    return principal

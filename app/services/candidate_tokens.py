"""Candidate tokens: short-lived bearer tokens limited to one candidate, for front ends.

An API key must never ship inside an app or a web page: whoever reads it reaches every
candidate of the tenant. Instead, the tenant's back end mints a token for the candidate
who signs in to its front end (as payment APIs mint ephemeral keys), and the front end
calls the API with it. A token reaches that candidate's records alone, with the scopes it
was given (never more than the key that issued it has), until it expires or is revoked;
it dies with its candidate, and stops working once the key that issued it is revoked.

Like an API key it is shown once and stored only as a keyed hash
(app/services/credentials.py verifies it).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.clock import utcnow
from app.db.base import new_id
from app.db.models import Candidate, CandidateAccessToken
from app.domain.credentials import Scope
from app.errors import InvalidInput, NotFound, found
from app.repositories import candidate_tokens as repo
from app.repositories import records as record_repo
from app.repositories.owners import Owner
from app.repositories.pagination import PageResult
from app.services.credentials import TOKEN_PREFIX, Principal, hash_secret, note_revoked
from app.services.limits import LimitReached
from app.services.preconditions import check_if_match

# Tokens that still work, per candidate: a front end needs one per signed-in session.
MAX_LIVE_TOKENS_PER_CANDIDATE = 100
# How long a token that ended (expired or revoked) is still listed before it is deleted.
KEPT_AFTER_ENDING = timedelta(days=7)


@dataclass(frozen=True)
class IssuedToken:
    """A newly minted token; ``plaintext`` exists only here, never in the database."""

    token: CandidateAccessToken
    plaintext: str


async def _candidate(session: AsyncSession, tenant_id: str, candidate_id: str) -> Candidate:
    candidate = await record_repo.get_owned(session, Candidate, Owner(tenant_id), candidate_id)
    return found(candidate, f"No candidate {candidate_id}.")


async def issue(
    session: AsyncSession,
    issuer: Principal,
    candidate_id: str,
    secret_key: bytes,
    *,
    scopes: list[Scope],
    lifetime_seconds: int,
) -> IssuedToken:
    """Mint a token for one of the issuing key's tenant's candidates.

    Its scopes may not exceed the key's own; tokens of the candidate that ended a week
    ago or more are deleted on the way.
    """
    candidate = await _candidate(session, issuer.tenant_id, candidate_id)
    for index, scope in enumerate(scopes):
        if scope not in issuer.scopes:
            raise InvalidInput.on_field(
                f"body.scopes.{index}",
                f"the API key issuing the token lacks the `{scope}` scope",
                "not_allowed",
            )
    now = utcnow()
    await repo.prune(session, candidate.id, now - KEPT_AFTER_ENDING)
    if await repo.count_live(session, candidate.id, now) >= MAX_LIVE_TOKENS_PER_CANDIDATE:
        raise LimitReached(
            f"Candidate {candidate.id} holds {MAX_LIVE_TOKENS_PER_CANDIDATE} tokens that "
            "still work; revoke some first, or mint shorter-lived ones."
        )
    lookup = secrets.token_hex(6)
    plaintext = f"{TOKEN_PREFIX}{lookup}_{secrets.token_hex(24)}"
    token = CandidateAccessToken(
        id=new_id("tok"),
        tenant_id=issuer.tenant_id,
        candidate_id=candidate.id,
        issued_by_key_id=issuer.key_id,
        lookup=lookup,
        secret_hash=hash_secret(plaintext, secret_key),
        scopes=" ".join(sorted({str(scope) for scope in scopes})),
        created_at=now,
        expires_at=now + timedelta(seconds=lifetime_seconds),
    )
    await repo.add(session, token)
    return IssuedToken(token=token, plaintext=plaintext)


async def list_tokens(
    session: AsyncSession, tenant_id: str, candidate_id: str, *, cursor: str | None, limit: int
) -> PageResult[CandidateAccessToken]:
    await _candidate(session, tenant_id, candidate_id)
    return await repo.page(session, tenant_id, candidate_id, cursor=cursor, limit=limit)


async def get_token(
    session: AsyncSession, tenant_id: str, candidate_id: str, token_id: str
) -> CandidateAccessToken:
    await _candidate(session, tenant_id, candidate_id)
    token = await repo.get(session, tenant_id, candidate_id, token_id)
    if token is None:
        raise NotFound(f"Candidate {candidate_id} has no access token {token_id}.")
    return token


def token_fields(token: CandidateAccessToken) -> dict[str, Any]:
    """The token as the API shows it (`AccessTokenRead`), never with its secret."""
    return {
        "id": token.id,
        "candidate_id": token.candidate_id,
        "scopes": [Scope(scope) for scope in token.scopes.split()],
        "created_at": token.created_at,
        "expires_at": token.expires_at,
        "revoked_at": token.revoked_at,
        "issued_by_key_id": token.issued_by_key_id,
    }


def token_etag(token: CandidateAccessToken) -> str:
    """A token changes once at most: when it is revoked."""
    return f'"{token.id}.{"revoked" if token.revoked_at else "live"}"'


async def revoke(
    session: AsyncSession,
    tenant_id: str,
    candidate_id: str,
    token_id: str,
    if_match: str | None = None,
) -> None:
    """Revoke a token (again: nothing changes). Once the transaction commits, it stops
    working at once in this process, and in others as the database announces it."""
    token = await get_token(session, tenant_id, candidate_id, token_id)
    check_if_match(if_match, token_etag(token))
    if token.revoked_at is None:
        await repo.revoke(session, token, utcnow())
        note_revoked(session, [token.id])


async def forget_candidate(session: AsyncSession, candidate_id: str) -> None:
    """The candidate is being erased: their tokens go with them (the database's cascade
    deletes them), and stop working as a revoked token does."""
    note_revoked(session, await repo.live_ids(session, candidate_id, utcnow()))

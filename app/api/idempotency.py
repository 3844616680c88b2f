"""Idempotency-Key on POST and PUT, with Stripe's semantics, as pure ASGI middleware.

The same key and body replay the stored status and response; the same key with another
body answers 422; a retry that arrives while the first request still runs waits for it
(up to ``wait``) and then replays, or answers 409 if it is still running. Keys are
remembered for ``ttl`` and pruned afterwards. The (tenant, credential scope, key) primary
key decides which of several concurrent requests runs: exactly one does.

Keys are shared by a tenant's API keys (the processes of one integration retry each
other's requests), but a candidate token's are its own: a token never replays an answer
stored for another credential (another candidate's, or the tenant's), and no other
credential replays one stored for it.

The response is stored in its own short transaction after the request's transaction has
committed. Should the process die between the two, the key stays "running" until
``STALE_AFTER`` and a retry then runs the request again: at-least-once, like any HTTP API.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.errors import PROBLEM_JSON, PROBLEM_TYPE_BASE, problem_response
from app.api.json_body import read_body, replay_body
from app.api.middleware import answer_error
from app.api.rate_limits import Cost, RateLimiter
from app.clock import utcnow
from app.db.faults import classify, first_line
from app.domain.credentials import Scope as KeyScope
from app.errors import FieldError, RateLimited
from app.repositories import idempotency as repo
from app.repositories.idempotency import StoredKey
from app.services.credentials import Principal, PrincipalCache, authenticate_cached

HEADER = b"idempotency-key"
REPLAYED_HEADER = "idempotent-replayed"
MAX_KEY_LENGTH = 255
# Visible ASCII, spaces only inside: what the OpenAPI document declares, so a client that
# follows it is never refused (a UUID, a hash, "order-42 retry" all fit).
KEY_PATTERN = r"^[!-~]([ -~]*[!-~])?$"
_VALID_KEY = re.compile(KEY_PATTERN)
# POST creates or acts; PUT upserts, where a retry after a lost answer would otherwise get
# 200 instead of the 201 it missed, or 412 if it carried the If-Match of the first try.
HONOURED_METHODS = frozenset({"POST", "PUT"})
# Answers that say "retry" are never kept: keeping one would make every retry under the
# key fail the same way (a 409 conflict, a 429 over a rate limit, a 5xx outage).
_RETRY_LATER = frozenset({409, 429})
STALE_AFTER = timedelta(minutes=2)
_POLL_SECONDS = 0.05
# Per-response headers that must be fresh on a replay, not copied from the original.
_NOT_REPLAYED = {b"date", b"server", b"x-request-id", b"content-length"}

logger = logging.getLogger(__name__)


def credential_scope(principal: Principal) -> str:
    """Whose requests share Idempotency-Keys: "" for all the tenant's API keys, a candidate
    token's own ID for that token alone."""
    return principal.key_id if principal.candidate_id is not None else ""


@dataclass(frozen=True, slots=True)
class StoredAnswer:
    """The answer the first request under a key gave, kept to replay to its retries."""

    status_code: int
    headers: list[list[str]]
    body: bytes


# What claiming a key comes to: run the request, refuse it (the key was used with another
# request, or the first request under it is still running), or replay its stored answer.
Claim = Literal["run", "mismatch", "running"] | StoredAnswer


class IdempotencyMiddleware:
    """Makes POSTs and PUTs carrying an Idempotency-Key safe to retry."""

    def __init__(self, app: ASGIApp, *, ttl: timedelta, wait_seconds: float) -> None:
        self.app = app
        self.ttl = ttl
        self.wait_seconds = wait_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = _header(scope, HEADER) if scope["type"] == "http" else None
        if key is None or scope["method"] not in HONOURED_METHODS:
            await self.app(scope, receive, send)
            return
        if len(key) > MAX_KEY_LENGTH or not _VALID_KEY.fullmatch(key):
            await _problem(
                scope,
                receive,
                send,
                422,
                "validation-error",
                "Invalid input",
                f"Idempotency-Key must be 1-{MAX_KEY_LENGTH} visible ASCII characters (spaces "
                "allowed inside).",
            )
            return
        body = await read_body(receive)
        state = scope["app"].state
        sessions: async_sessionmaker[AsyncSession] = state.write_sessionmaker
        principal = await _principal(scope, sessions, state.secret_key, state.principal_cache)
        if principal is None or KeyScope.WRITE not in principal.scopes:
            # Authentication and scope errors come from the route itself, unrecorded.
            await self.app(scope, replay_body(body, receive), send)
            return
        fingerprint = _fingerprint(scope, body)
        owner = StoredKey(principal.tenant_id, credential_scope(principal), key)
        outcome = await self._claim(sessions, owner, fingerprint)
        if outcome == "run":
            # The route counts it against the rate limits, at its own cost.
            await self._run(scope, body, receive, send, sessions, owner)
            return
        # Answered here without reaching the route: counted here, as an ordinary request,
        # so replaying a stored answer over and over is limited like anything else.
        limiter: RateLimiter | None = state.rate_limiter
        if limiter is not None:
            try:
                await limiter.enforce(scope, principal, Cost.DEFAULT)
            except RateLimited as refused:
                await answer_error(refused, scope, receive, send)
                return
        if outcome == "mismatch":
            await _problem(
                scope,
                receive,
                send,
                422,
                "idempotency-key-reused",
                "Idempotency-Key reused",
                "This Idempotency-Key was used with a different request; use a new key.",
            )
        elif outcome == "running":
            await _problem(
                scope,
                receive,
                send,
                409,
                "idempotency-key-in-use",
                "Request in progress",
                "A request with this Idempotency-Key is still running; retry shortly.",
            )
        else:
            await _replay(send, outcome)

    async def _claim(
        self, sessions: async_sessionmaker[AsyncSession], owner: StoredKey, fingerprint: str
    ) -> Claim:
        """ "run", "mismatch", "running", or the finished request's answer to replay."""
        deadline = time.monotonic() + self.wait_seconds
        while True:
            now = utcnow()
            async with sessions() as session, session.begin():
                await repo.prune(session, now, owner.tenant_id)
                if await repo.claim(
                    session, owner, fingerprint=fingerprint, now=now, expires_at=now + self.ttl
                ):
                    return "run"
                record = await repo.find(session, owner)
                if record is None:
                    continue  # expired and pruned between the two statements
                if record.fingerprint != fingerprint:
                    return "mismatch"
                if record.state == "done":
                    # A finished request's row always holds its answer.
                    assert record.status_code is not None and record.response_headers is not None
                    return StoredAnswer(
                        record.status_code, record.response_headers, record.response_body or b""
                    )
                if await repo.take_over(session, record, stale_before=now - STALE_AFTER, now=now):
                    return "run"
            if time.monotonic() >= deadline:
                return "running"
            await asyncio.sleep(_POLL_SECONDS)

    async def _run(
        self,
        scope: Scope,
        body: bytes,
        receive: Receive,
        send: Send,
        sessions: async_sessionmaker[AsyncSession],
        owner: StoredKey,
    ) -> None:
        status_code = 500
        headers: list[list[str]] = []
        chunks: list[bytes] = []

        async def recording_send(message: Message) -> None:
            nonlocal status_code, headers
            if message["type"] == "http.response.start":
                status_code = message["status"]
                headers = [
                    [name.decode("latin-1"), value.decode("latin-1")]
                    for name, value in message.get("headers", [])
                    if name.lower() not in _NOT_REPLAYED
                ]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, replay_body(body, receive), recording_send)
        finally:
            try:
                await _record_outcome(sessions, owner, status_code, headers, b"".join(chunks))
            except Exception as exc:
                if classify(exc) is None:
                    raise
                # The database went away after the request was answered (or while it
                # failed): the key stays "running" until STALE_AFTER, when a retry runs
                # the request again. Raising would only break a response already sent.
                logger.warning(
                    "could not record the outcome of an Idempotency-Key: %s", first_line(exc)
                )


async def _record_outcome(
    sessions: async_sessionmaker[AsyncSession],
    owner: StoredKey,
    status_code: int,
    headers: list[list[str]],
    body: bytes,
) -> None:
    """Keep the response for replay, or free the key when a retry should run again."""
    async with sessions() as session, session.begin():
        if status_code < 500 and status_code not in _RETRY_LATER:
            stored_status, stored_headers, stored_body = _keepable(status_code, headers, body)
            await repo.complete(
                session, owner, status_code=stored_status, headers=stored_headers, body=stored_body
            )
        else:
            await repo.release(session, owner)


def _keepable(
    status_code: int, headers: list[list[str]], body: bytes
) -> tuple[int, list[list[str]], bytes]:
    """What may be stored for replay: the response itself, unless it says `no-store`.

    Responses that carry a secret shown once (a webhook signing secret, a calendar URL)
    say `Cache-Control: no-store`; their secret must not sit in this table. A retry then
    gets a 409 that points at the created resource instead of running the request again.
    """
    no_store = any(
        name.lower() == "cache-control" and "no-store" in value.lower() for name, value in headers
    )
    if not no_store:
        return status_code, headers, body
    kept = [[n, v] for n, v in headers if n.lower() in {"location", "cache-control"}]
    problem = {
        "type": PROBLEM_TYPE_BASE + "idempotent-secret-not-kept",
        "title": "Response not kept",
        "status": 409,
        "detail": "The first request under this Idempotency-Key succeeded, but its answer "
        "held a secret that is shown only once and is not stored; the resource is at "
        "Location (rotate its secret if it was lost).",
    }
    kept.append(["content-type", PROBLEM_JSON])
    return 409, kept, json.dumps(problem).encode()


async def _replay(send: Send, answer: StoredAnswer) -> None:
    headers = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in answer.headers]
    body = answer.body
    headers.append((b"content-length", str(len(body)).encode()))
    headers.append((REPLAYED_HEADER.encode(), b"true"))
    await send({"type": "http.response.start", "status": answer.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _header(scope: Scope, name: bytes) -> str | None:
    for header, value in scope.get("headers", []):
        if header == name:
            return str(value.decode("latin-1")).strip()
    return None


def _fingerprint(scope: Scope, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (scope["method"].encode(), scope["path"].encode(), scope.get("query_string", b"")):
        digest.update(part + b"\0")
    digest.update(body)
    return digest.hexdigest()


async def _principal(
    scope: Scope,
    sessions: async_sessionmaker[AsyncSession],
    secret_key: bytes,
    cache: PrincipalCache,
) -> Principal | None:
    authorization = _header(scope, b"authorization") or ""
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    async with sessions() as session, session.begin():
        return await authenticate_cached(session, token.strip(), secret_key, cache)


async def _problem(
    scope: Scope, receive: Receive, send: Send, status: int, slug: str, title: str, detail: str
) -> None:
    errors = [FieldError("header.Idempotency-Key", detail, slug)] if status in {400, 422} else None
    response = problem_response(
        Request(scope), status, slug=slug, title=title, detail=detail, errors=errors
    )
    await response(scope, receive, send)

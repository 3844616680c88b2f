"""One MCP call (a tool, a resource read, a prompt), served as a REST request is: the
caller identified and admitted by the check of the route it mirrors, one transaction
committed (or rolled back) as `api/deps.py` commits a route's, within the request
deadline."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import anyio
from mcp.server import ServerRequestContext
from sqlalchemy.ext.asyncio import AsyncSession

from app.api.deps import TENANT_ID, CredentialCheck, unit_of_work, verified_principal
from app.api.rate_limits import Cost, RateLimiter
from app.errors import DeadlineExceeded, Unauthorized
from app.observability import request_id_var
from app.repositories.owners import Owner
from app.services.credentials import Principal
from app.services.work import Work
from app.settings import Settings

T = TypeVar("T")

# Where the /mcp endpoint leaves the verified caller in the request's ASGI scope.
PRINCIPAL_SCOPE_KEY = "followup.mcp_principal"


@dataclass(frozen=True, slots=True)
class Call:
    """What a tool's body works with: the admitted caller, its transaction, and the pool
    for CPU-heavy work."""

    principal: Principal
    session: AsyncSession
    work: Work

    @property
    def owner(self) -> Owner:
        return self.principal.owner


class Identity(Protocol):
    """How a transport learns who makes a call, counting it against the rate limits."""

    async def principal(
        self, context: ServerRequestContext[Any, Any], session: AsyncSession, cost: Cost
    ) -> Principal: ...


class BearerOfRequest:
    """Over HTTP: the caller the /mcp endpoint verified from the request's bearer
    credential, and already counted at the cost of what the request asks for."""

    async def principal(
        self, context: ServerRequestContext[Any, Any], session: AsyncSession, cost: Cost
    ) -> Principal:
        request = context.request
        principal = getattr(request, "scope", {}).get(PRINCIPAL_SCOPE_KEY)
        if not isinstance(principal, Principal):
            raise Unauthorized("Send an API key or a candidate token as a bearer credential.")
        return principal


async def principal_of(state: Any, credential: str) -> Principal:
    """Whom the credential stands for, or Unauthorized saying what is wrong with it."""
    async with unit_of_work(state, write=False) as session:
        return await verified_principal(session, credential, state)


class StandingCredential:
    """Over stdio: the one credential the process was started with, verified again on
    every call (a token expires, a key is revoked) and each call counted against its
    rate limits."""

    def __init__(self, credential: str, state: Any) -> None:
        self.credential = credential
        self.state = state

    async def principal(
        self, context: ServerRequestContext[Any, Any], session: AsyncSession, cost: Cost
    ) -> Principal:
        principal = await verified_principal(session, self.credential, self.state)
        limiter: RateLimiter | None = self.state.rate_limiter
        if limiter is not None:
            # A scope of its own per call: each call is one request.
            await limiter.enforce({}, principal, cost)
        return principal


async def perform(
    state: Any,
    identity: Identity,
    context: ServerRequestContext[Any, Any],
    check: CredentialCheck,
    body: Callable[[Call], Awaitable[T]],
    *,
    write: bool,
) -> T:
    """Run ``body`` for an admitted caller in one transaction (committed when it returns,
    if ``write``), stopped past the request deadline with what it wrote rolled back."""
    settings: Settings = state.settings
    deadline = settings.request_deadline_seconds
    with anyio.move_on_after(deadline if deadline > 0 else None):
        async with unit_of_work(state, write=write) as session:
            principal = await identity.principal(context, session, check.cost)
            check.admit(principal)
            session.info[TENANT_ID] = principal.tenant_id
            return await body(Call(principal, session, state.work))
    raise DeadlineExceeded(
        f"The call ran past its deadline of {deadline:g} seconds and was stopped; what it "
        "was writing was rolled back, unless its commit had begun."
    )


@contextmanager
def named_call() -> Iterator[None]:
    """Give a call an ID for its log lines and its problem document, where no middleware
    gave its request one (over stdio); over HTTP the request's ID stays."""
    token = request_id_var.set(secrets.token_hex(8)) if request_id_var.get() == "-" else None
    try:
        yield
    finally:
        if token is not None:
            request_id_var.reset(token)

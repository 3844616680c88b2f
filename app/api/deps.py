"""Request-scoped dependencies: the database session (at most one transaction) and the caller."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from app.api.rate_limits import Cost, RateLimiter
from app.domain import plain_text
from app.errors import Conflict, Forbidden, InvalidInput, PreconditionFailed, Unauthorized
from app.services.api_keys import Principal, Scope, authenticate_cached
from app.services.work import Work
from app.settings import Settings

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Where a request's session keeps the caller's tenant, for what happens after the commit.
TENANT_ID = "followup_tenant_id"


def _reject_control_characters(request: Request) -> None:
    """Refuse path and query values with control characters before they reach a query."""
    locations = (("path", request.path_params), ("query", request.query_params))
    for location, values in locations:
        for name, value in values.items():
            # An ID or a filter value is one line: PostgreSQL cannot even store NUL, and
            # none of these characters belongs in one.
            if isinstance(value, str) and plain_text.first_refused(value, single_line=True):
                raise InvalidInput.on_field(
                    f"{location}.{name}", "must not contain control characters", "control_character"
                )


def public_url(request: Request, route_name: str, **path_params: str) -> str:
    """The absolute URL of a route, for the API to hand out.

    It starts with the configured public base URL, never with the request's Host header,
    which the caller controls: a forged Host must not end up in a URL given to others.
    """
    settings: Settings = request.app.state.settings
    path = request.app.url_path_for(route_name, **path_params)
    return f"{settings.resolved_public_base_url}{path}"


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    """At most one transaction per request: committed when the handler returns, rolled back
    on error.

    Every route with a session reads or writes the database, so its path and query values
    are checked here first (called directly: each dependency FastAPI resolves costs more
    per request than this check, and a plain ``def`` one would run in a worker thread).
    """
    _reject_control_characters(request)
    state = request.app.state
    try:
        if request.method in WRITE_METHODS:
            async with state.write_sessionmaker() as session, session.begin():
                yield session
            # Committed: this process's stored feed pages of the caller's tenant are stale
            # from now on, before the response leaves (other processes hear it from the
            # database's notification).
            tenant_id = session.info.get(TENANT_ID)
            if tenant_id is not None:
                state.feed_pages.tenant_changed(tenant_id)
        else:
            async with state.read_sessionmaker() as session:
                yield session
                # No explicit BEGIN for a read: the session begins with its first query,
                # if any. Whatever a read did is kept as a write's would be: on PostgreSQL
                # reads run in autocommit, where each statement is committed as it runs,
                # so only changes still staged in the session need a commit; elsewhere
                # the transaction the first query began is committed.
                if session.in_transaction() and (
                    not getattr(state, "reads_autocommit", False)
                    or session.new
                    or session.dirty
                    or session.deleted
                ):
                    await session.commit()
    except IntegrityError as exc:
        # A concurrent request inserted the same unique value (say, an external_id) first.
        raise Conflict("This conflicts with a record written at the same time; retry it.") from exc
    except StaleDataError as exc:
        # Another request changed the row between our read and our write.
        if request.headers.get("if-match"):
            raise PreconditionFailed("The resource changed while this request ran.") from exc
        raise Conflict("The resource changed while this request ran; retry it.") from exc


# scope="function" commits before the response is sent, so a failed commit is never
# reported to the client as a success.
SessionDep = Annotated[AsyncSession, Depends(_session, scope="function")]

_bearer = HTTPBearer(
    auto_error=False,
    description="An API key such as `fu_live_…`, sent as `Authorization: Bearer <key>`.",
)


async def _principal(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None:
        raise Unauthorized("Send an API key as `Authorization: Bearer <key>`.")
    state = request.app.state
    principal = await authenticate_cached(
        session, credentials.credentials, state.secret_key, state.principal_cache
    )
    if principal is None:
        raise Unauthorized("The API key is malformed, unknown or revoked.")
    session.info[TENANT_ID] = principal.tenant_id
    return principal


def _requires(scope: Scope, cost: Cost = Cost.DEFAULT) -> object:
    async def check(
        request: Request, principal: Annotated[Principal, Depends(_principal)]
    ) -> Principal:
        # Every authenticated request is counted, before anything else refuses it.
        limiter: RateLimiter | None = request.app.state.rate_limiter
        if limiter is not None:
            await limiter.enforce(request.scope, principal, cost)
        if scope not in principal.scopes:
            raise Forbidden(f"This API key lacks the `{scope}` scope.")
        return principal

    return check


# The caller, who may read (or write), counted against the rate limits of ordinary requests.
ReaderDep = Annotated[Principal, Depends(_requires(Scope.READ))]
WriterDep = Annotated[Principal, Depends(_requires(Scope.WRITE))]
# The same for routes whose work is heavy (draft checks and renders, sync batches, template
# writes): counted against the lower expensive limits as well.
ExpensiveReaderDep = Annotated[Principal, Depends(_requires(Scope.READ, Cost.EXPENSIVE))]
ExpensiveWriterDep = Annotated[Principal, Depends(_requires(Scope.WRITE, Cost.EXPENSIVE))]


def _work(request: Request) -> Work:
    return request.app.state.work  # type: ignore[no-any-return]


# The pool and budgets for CPU-heavy work (draft checks, template renders, sync plans).
WorkDep = Annotated[Work, Depends(_work)]

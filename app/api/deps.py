"""Request-scoped dependencies: the database session (at most one transaction) and the caller."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any, get_type_hints

from fastapi import Depends, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from app.api.rate_limits import Cost, RateLimiter
from app.domain import plain_text
from app.domain.credentials import CredentialType, Scope
from app.errors import Conflict, Forbidden, InvalidInput, PreconditionFailed, Unauthorized
from app.services.credentials import Principal, authenticate_cached, parse, revoked_in
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
    write = request.method in WRITE_METHODS
    if_match = bool(request.headers.get("if-match"))
    async with unit_of_work(request.app.state, write=write, if_match=if_match) as session:
        yield session


@asynccontextmanager
async def unit_of_work(
    state: Any, *, write: bool, if_match: bool = False
) -> AsyncIterator[AsyncSession]:
    """One transaction on the app's database (``state`` is the app's state): a write one
    committed when the block ends, or rolled back on error; or a read.

    Every caller that reads or writes for a client goes through here (a route's session,
    an MCP tool call), so what follows a commit happens for all of them, and a clash with
    a concurrent writer answers the same 409 (412 for a request that sent ``If-Match``).
    """
    try:
        if write:
            async with state.write_sessionmaker() as session, session.begin():
                yield session
            # Committed: this process's stored feed pages of the caller's tenant are stale
            # from now on, before the response leaves (other processes hear it from the
            # database's notification).
            tenant_id = session.info.get(TENANT_ID)
            if tenant_id is not None:
                state.feed_pages.tenant_changed(tenant_id)
            # Likewise revoked credentials stop working here at once (other processes drop
            # them when PostgreSQL announces it, see app/db/notifications.py).
            state.principal_cache.evict(*revoked_in(session))
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
        if if_match:
            raise PreconditionFailed("The resource changed while this request ran.") from exc
        raise Conflict("The resource changed while this request ran; retry it.") from exc


# scope="function" commits before the response is sent, so a failed commit is never
# reported to the client as a success.
SessionDep = Annotated[AsyncSession, Depends(_session, scope="function")]

_bearer = HTTPBearer(
    auto_error=False,
    description="Sent as `Authorization: Bearer <credential>`: an API key (`fu_live_…`), "
    "which acts for the whole tenant and belongs on the tenant's own servers, or a candidate "
    "token (`fu_cand_…`), which acts for one candidate until it expires (an hour by "
    "default, a day at most) and is what a front end holds; a back end mints one with "
    "`POST /v1/candidates/{candidate_id}/access-tokens`. Each operation says which of the "
    "two it accepts, in its description and in `x-credentials`.",
)


async def _principal(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None:
        raise Unauthorized(
            "Send an API key or a candidate token as `Authorization: Bearer <credential>`."
        )
    principal = await verified_principal(session, credentials.credentials, request.app.state)
    session.info[TENANT_ID] = principal.tenant_id
    return principal


async def verified_principal(session: AsyncSession, credential: str, state: Any) -> Principal:
    """Whom a bearer credential stands for (verified, or recalled from the app's cache of
    recent verifications), or :class:`Unauthorized` saying what is wrong with it."""
    principal = await authenticate_cached(
        session, credential, state.secret_key, state.principal_cache
    )
    if principal is None:
        parsed = parse(credential)
        if parsed is not None and parsed[0] is CredentialType.CANDIDATE_TOKEN:
            raise Unauthorized(
                "The candidate token is unknown, expired or revoked; get a new one from the "
                "back end that issued it."
            )
        raise Unauthorized("The API key is malformed, unknown or revoked.")
    return principal


_CREDENTIAL_NOUNS = {
    CredentialType.API_KEY: "API key",
    CredentialType.CANDIDATE_TOKEN: "candidate token",
}


class CredentialCheck:
    """The dependency that admits a route's callers: which credentials it accepts, the
    scope it needs, and how heavily it counts against the rate limits.

    Routes admit API keys only unless they say otherwise: a candidate token may call a route
    only when it was written for one, with every query on it narrowed to the token's
    candidate (``principal.owner``). The OpenAPI document and the feed's page cache read the
    accepted credentials from here (:func:`accepted_credentials`).
    """

    def __init__(self, scope: Scope, cost: Cost, *, candidate_tokens: bool) -> None:
        self.scope = scope
        self.cost = cost
        self.credentials = (
            (CredentialType.API_KEY, CredentialType.CANDIDATE_TOKEN)
            if candidate_tokens
            else (CredentialType.API_KEY,)
        )

    async def __call__(
        self, request: Request, principal: Annotated[Principal, Depends(_principal)]
    ) -> Principal:
        # Every authenticated request is counted, before anything else refuses it.
        limiter: RateLimiter | None = request.app.state.rate_limiter
        if limiter is not None:
            await limiter.enforce(request.scope, principal, self.cost)
        self.admit(principal)
        return principal

    def admit(self, principal: Principal) -> None:
        """Refuse (403) a credential of a type or without the scope this check requires."""
        if principal.credential_type not in self.credentials:
            raise Forbidden(
                "A candidate token may not call this operation: it reaches one candidate's "
                "records, and this operation is for the tenant's API keys."
            )
        if self.scope not in principal.scopes:
            noun = _CREDENTIAL_NOUNS[principal.credential_type]
            raise Forbidden(f"This {noun} lacks the `{self.scope}` scope.")


def _requires(
    scope: Scope, cost: Cost = Cost.DEFAULT, *, candidate_tokens: bool = False
) -> CredentialCheck:
    return CredentialCheck(scope, cost, candidate_tokens=candidate_tokens)


def accepted_credentials(route: APIRoute) -> tuple[CredentialType, ...] | None:
    """The credentials a route accepts, or None for a route that needs none."""

    def find(dependant: Dependant) -> CredentialCheck | None:
        for dependency in dependant.dependencies:
            if isinstance(dependency.call, CredentialCheck):
                return dependency.call
            found = find(dependency)
            if found is not None:
                return found
        return None

    check = find(route.dependant)
    return None if check is None else check.credentials


def credential_check_of(endpoint: Callable[..., Any]) -> CredentialCheck:
    """The credential check a route's handler declares (through a ``*ReaderDep`` or
    ``*WriterDep`` parameter), for another entry point that must admit the same callers."""
    for hint in get_type_hints(endpoint, include_extras=True).values():
        for metadata in getattr(hint, "__metadata__", ()):
            dependency = getattr(metadata, "dependency", None)
            if isinstance(dependency, CredentialCheck):
                return dependency
    raise LookupError(f"{endpoint.__qualname__} declares no credential check")


# The caller, holding an API key that may read (or write), counted against the rate limits
# of ordinary requests. A candidate token is refused (403): these are tenant-wide.
ReaderDep = Annotated[Principal, Depends(_requires(Scope.READ))]
WriterDep = Annotated[Principal, Depends(_requires(Scope.WRITE))]
# The same for routes whose work is heavy (draft checks and renders, sync batches, template
# writes): counted against the lower expensive limits as well.
ExpensiveReaderDep = Annotated[Principal, Depends(_requires(Scope.READ, Cost.EXPENSIVE))]
ExpensiveWriterDep = Annotated[Principal, Depends(_requires(Scope.WRITE, Cost.EXPENSIVE))]
# Routes a candidate token may call as well as an API key: everything they load goes
# through ``principal.owner``, so a token reaches its own candidate's records and nothing
# else (another candidate's answer 404, exactly as records that do not exist).
CandidateReaderDep = Annotated[Principal, Depends(_requires(Scope.READ, candidate_tokens=True))]
CandidateWriterDep = Annotated[Principal, Depends(_requires(Scope.WRITE, candidate_tokens=True))]
CandidateExpensiveReaderDep = Annotated[
    Principal, Depends(_requires(Scope.READ, Cost.EXPENSIVE, candidate_tokens=True))
]


def _work(request: Request) -> Work:
    return request.app.state.work  # type: ignore[no-any-return]


# The pool and budgets for CPU-heavy work (draft checks, template renders, sync plans).
WorkDep = Annotated[Work, Depends(_work)]

"""The actions feed, marks on actions, and the tenant's policy."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response

from app import domain
from app.api.action_documents import ActionDocumentCache, page_etag, page_parts, render_document
from app.api.deps import (
    CandidateReaderDep,
    CandidateWriterDep,
    ReaderDep,
    SessionDep,
    WorkDep,
    WriterDep,
)
from app.api.errors import problem_responses
from app.api.etags import ETAG_HEADER, PAGE_ETAG_HEADER, IfMatch, set_etag
from app.api.feed_pages import (
    CachedFeedRoute,
    FeedPageCache,
    feed_response,
    page_key,
    wants_fresh,
)
from app.api.languages import LANGUAGE_HEADERS, LanguageDep
from app.api.params import ApplicationIdFilter, CandidateIdFilter, PageDep
from app.clock import utcnow
from app.repositories.owners import Owner
from app.schemas import actions as schemas
from app.schemas.common import Page, Timestamp
from app.services import actions as service
from app.services import records as record_service
from app.services.action_views import action_fields as action_fields
from app.services.action_views import action_json, shown_language
from app.services.credentials import Principal

router = APIRouter(prefix="/v1")
# The tenant-wide feed alone: its repeated requests are answered from stored pages.
feed_router = APIRouter(prefix="/v1", route_class=CachedFeedRoute)

READ_ERRORS = problem_responses(401, 403, 404, 422)
PAGE_READ = {200: {"headers": {**PAGE_ETAG_HEADER, **LANGUAGE_HEADERS}}, **READ_ERRORS}
ACTION_HEADERS = {**ETAG_HEADER, **LANGUAGE_HEADERS}
WRITE_ERRORS = problem_responses(401, 403, 404, 422)
StatusFilter = Annotated[
    list[domain.ActionStatus] | None,
    Query(alias="status", description="Only these statuses at `as_of` (repeatable)."),
]
# What the two listings (the tenant's feed, one application's actions) declare.
ACTION_PAGE: dict[str, Any] = {
    "response_model": Page[schemas.ActionRead],
    "tags": ["actions"],
    "responses": PAGE_READ,
}
# What the three marking routes (complete, dismiss, snooze) declare.
MARKING: dict[str, Any] = {
    "response_model": schemas.ActionRead,
    "tags": ["actions"],
    "responses": {200: {"headers": ACTION_HEADERS}, **WRITE_ERRORS},
}

AsOf = Annotated[
    Timestamp | None,
    Query(
        description="Evaluate statuses at this moment (RFC 3339 with offset); defaults to now. "
        "Ask `as_of=<next Monday 09:00>` to see what will be due then."
    ),
]


def _as_of(value: datetime | None) -> datetime:
    return utcnow() if value is None else value


def action_read(action: Any, as_of: datetime, language: str | None = None) -> schemas.ActionRead:
    return schemas.ActionRead.model_validate(action_json(action, as_of, language))


async def _feed(
    request: Request,
    session: SessionDep,
    owner: Owner,
    criteria: service.ActionFilter,
    page: Any,
    language: str | None,
    *,
    store: bool = False,
) -> Response:
    """A page of the feed, assembled from each action's JSON (the API's hottest path).

    The query returns only IDs, versions and statuses; each action's JSON comes from the
    process's cache when it holds that version, and is rendered from a second query for
    those it does not. With ``store`` (a request for the current moment), the page is
    also kept in the feed page cache until the tenant's next status change. The route
    still declares `Page[ActionRead]` for OpenAPI, and a test holds this shape to that
    schema. Texts are in ``language``, or each in its candidate's (None): documents are
    kept per language asked for, and so are stored pages.
    """
    cache: ActionDocumentCache = request.app.state.action_documents
    pages: FeedPageCache = request.app.state.feed_pages
    store = store and pages.live
    # Read before the queries: a change announced while they run makes the page unfit.
    generation = pages.generation(owner.tenant_id)
    result = await service.feed(session, owner, criteria, cursor=page.cursor, limit=page.limit)
    documents: dict[str, bytes] = {}
    languages: set[str] = set()
    statuses: dict[str, str] = {}  # in the page's order
    missing = {}
    # Unpacked, not read by name: a row's attribute look-up costs several times as much.
    for action_id, _due_by, version, status in result.items:
        statuses[action_id] = status
        entry = cache.entry(action_id if language is None else (action_id, language), version)
        if entry is None:
            missing[action_id] = version
        else:
            documents[action_id] = entry[0]
            languages.add(entry[1])
    changed_meanwhile = False
    if missing:
        for row in await service.actions_by_ids(session, owner, list(missing)):
            shown = shown_language(row, language)
            document = render_document(action_fields(row, language))
            key = row.id if language is None else (row.id, language)
            cache.put(key, row.version, document, shown)
            documents[row.id] = document
            languages.add(shown)
            if row.version != missing[row.id]:
                # Changed between the two queries (reads on PostgreSQL run in autocommit,
                # each query at its own moment): its status is told again from what is
                # shown, and it leaves a page whose status filter it no longer meets.
                changed_meanwhile = True
                status = service.action_status(row, criteria.as_of)
                if not criteria.admits(status):
                    del documents[row.id]
                statuses[row.id] = status.value
    # An action deleted (or, above, changed out of the filter) between the two queries is
    # left out: the page is shorter, and next_cursor still leads on from where it ended.
    entries = [
        (action_id, status) for action_id, status in statuses.items() if action_id in documents
    ]
    parts = page_parts(entries, documents, result.next_cursor)
    etag = page_etag(parts)
    # Each language once, the one asked for (or the only one) alone in the usual case.
    content_language = ", ".join(sorted(languages)) if languages else (language or "")
    if store and not changed_meanwhile and len(entries) == len(result.items):
        # The tenant's next status change: for a candidate's page, no later than its own.
        valid_until = await service.next_status_change(session, owner.tenant_id, criteria.as_of)
        key = page_key(owner, request, language)
        clock = time.monotonic()
        stored = pages.put(
            key, generation, criteria.as_of, valid_until, parts, clock, etag, content_language
        )
        if stored:
            request.app.state.metrics.feed_pages_stored.inc()
    return feed_response(parts, criteria.as_of, etag, content_language)


@feed_router.get("/actions", summary="List the tenant's follow-up actions", **ACTION_PAGE)
async def list_actions(
    request: Request,
    principal: CandidateReaderDep,
    session: SessionDep,
    page: PageDep,
    language: LanguageDep,
    as_of: AsOf = None,
    status_: StatusFilter = None,
    type_: Annotated[
        list[domain.ActionType] | None,
        Query(alias="type", description="Only these action types (repeatable)."),
    ] = None,
    candidate_id: CandidateIdFilter = None,
    application_id: ApplicationIdFilter = None,
    due_before: Annotated[Timestamp | None, Query(description="Due strictly before.")] = None,
    due_after: Annotated[Timestamp | None, Query(description="Due at or after.")] = None,
    # Also read by CachedFeedRoute, before this handler runs.
    cache_control: Annotated[
        str | None,
        Header(
            alias="Cache-Control",
            description="`no-cache` (or `no-store`, or `max-age=0`; or `Pragma: no-cache`) "
            "reads the page from the database even when this process holds it ready, and "
            "does not keep it.",
        ),
    ] = None,
) -> Response:
    """Every action across the tenant, soonest due first, with its status at `as_of`.
    With a candidate token, the candidate's own actions: their feed.

    An indexed query on stored windows and marks: asking costs the same however many
    candidates the tenant has, and never re-plans.

    On PostgreSQL, a request for the current moment (no `as_of`) is answered again from a
    page each server process keeps, for as long as it stays right: until any of the
    tenant's actions changes, or the clock opens or closes a window or ends a snooze, and
    for a few seconds at most. A change made through the same process shows at once; one
    made through another, when the database announces it (normally within a
    millisecond). Send `Cache-Control: no-cache` to read your own write back at once
    whichever process answers.

    Titles, explanations and guidance are written in the language asked for (`language`,
    else `Accept-Language`), else each in its candidate's language; each action says
    which in `language`, and `Content-Language` lists those on the page."""
    criteria = service.ActionFilter(
        as_of=_as_of(as_of),
        statuses=status_ or (),
        types=type_ or (),
        candidate_id=candidate_id,
        application_id=application_id,
        due_before=due_before,
        due_after=due_after,
    )
    # A no-cache request is not stored either: storing costs a query it did not ask for.
    store = as_of is None and not wants_fresh(cache_control, request.headers.get("pragma"))
    return await _feed(request, session, principal.owner, criteria, page, language, store=store)


@router.get(
    "/applications/{application_id}/actions",
    summary="List one application's actions",
    **ACTION_PAGE,
)
async def list_application_actions(
    request: Request,
    application_id: str,
    principal: CandidateReaderDep,
    session: SessionDep,
    page: PageDep,
    language: LanguageDep,
    as_of: AsOf = None,
    status_: StatusFilter = None,
) -> Response:
    """One application's actions, soonest due first, obsolete ones included as history."""
    await record_service.get_application(session, principal.owner, application_id)
    criteria = service.ActionFilter(
        as_of=_as_of(as_of), statuses=status_ or (), application_id=application_id
    )
    return await _feed(request, session, principal.owner, criteria, page, language)


@router.get(
    "/actions/{action_id}",
    summary="Get an action",
    response_model=schemas.ActionRead,
    tags=["actions"],
    responses={200: {"headers": ACTION_HEADERS}, **READ_ERRORS},
)
async def get_action(
    action_id: str,
    principal: CandidateReaderDep,
    session: SessionDep,
    response: Response,
    language: LanguageDep,
    as_of: AsOf = None,
) -> schemas.ActionRead:
    """One action with its status at `as_of`.

    Its `ETag` names the action's stored version and its status at `as_of`, so it changes
    when the clock alone moves the status (a window opens, a due time passes): an
    `If-None-Match` answered 304 means the action as shown is still current. Its texts
    are in the language asked for (`language`, else `Accept-Language`), else the
    candidate's; the ETag names the language when it is not the candidate's."""
    action = await service.get_action(session, principal.owner, action_id)
    return _with_etag(response, action, _as_of(as_of), language)


@router.post("/actions/{action_id}/complete", summary="Mark an action done", **MARKING)
async def complete_action(
    action_id: str,
    body: schemas.CompleteAction,
    principal: CandidateWriterDep,
    session: SessionDep,
    response: Response,
    language: LanguageDep,
) -> schemas.ActionRead:
    """Mark an action done, now or at the time it really happened (`at`)."""
    kind = domain.MarkKind.DONE
    return await _marked(principal, session, response, language, action_id, kind, at=body.at)


@router.post("/actions/{action_id}/dismiss", summary="Dismiss an action on purpose", **MARKING)
async def dismiss_action(
    action_id: str,
    body: schemas.DismissAction,
    principal: CandidateWriterDep,
    session: SessionDep,
    response: Response,
    language: LanguageDep,
) -> schemas.ActionRead:
    """Skip an action on purpose, saying why."""
    kind = domain.MarkKind.DISMISSED
    return await _marked(
        principal, session, response, language, action_id, kind, at=body.at, reason=body.reason
    )


@router.post(
    "/actions/{action_id}/snooze", summary="Snooze an action until a given time", **MARKING
)
async def snooze_action(
    action_id: str,
    body: schemas.SnoozeAction,
    principal: CandidateWriterDep,
    session: SessionDep,
    response: Response,
    language: LanguageDep,
) -> schemas.ActionRead:
    """Hide an action until `until`; it comes back with the status its window gives."""
    details = {"at": body.at, "snoozed_until": body.until}
    kind = domain.MarkKind.SNOOZED
    return await _marked(principal, session, response, language, action_id, kind, **details)


@router.delete(
    "/actions/{action_id}/mark",
    summary="Reopen an action marked done, dismissed or snoozed",
    response_model=schemas.ActionRead,
    tags=["actions"],
    responses={
        200: {"headers": ACTION_HEADERS},
        **problem_responses(401, 403, 404, 412, 422),
    },
)
async def undo_action_mark(
    action_id: str,
    principal: CandidateWriterDep,
    session: SessionDep,
    response: Response,
    language: LanguageDep,
    if_match: IfMatch = None,
) -> schemas.ActionRead:
    """Undo the user's mark (done, dismissed or snoozed); the action is open again.
    `If-Match` takes the ETag of the action as shown in the same language."""
    return await _marked(principal, session, response, language, action_id, None, if_match=if_match)


async def _marked(
    principal: Principal,
    session: SessionDep,
    response: Response,
    language: str | None,
    action_id: str,
    kind: domain.MarkKind | None,
    **details: Any,
) -> schemas.ActionRead:
    """Put the mark (or, with None, take it off) and show the action as it is now."""
    action = await service.mark_action(
        session, principal.owner, action_id, kind, language=language, **details
    )
    return _with_etag(response, action, utcnow(), language)


def _with_etag(
    response: Response, action: Any, as_of: datetime, language: str | None
) -> schemas.ActionRead:
    shown = action_read(action, as_of, language)
    response.headers["ETag"] = service.action_etag(action, shown.status, language)
    response.headers["Content-Language"] = shown.language
    return shown


# --- policy -----------------------------------------------------------------------------


def _policy_body(policy: domain.Policy) -> Any:
    return schemas.PolicyValues(**{f.name: getattr(policy, f.name) for f in domain.policy_fields()})


@router.get(
    "/policy",
    summary="Get the tenant's timing policy",
    response_model=schemas.PolicyValues,
    tags=["policy"],
    responses={200: {"headers": ETAG_HEADER}, **problem_responses(401, 403)},
)
async def get_policy(principal: ReaderDep, session: SessionDep, response: Response) -> Any:
    """The tenant's timing policy for the etiquette rules."""
    set_etag(response, await service.policy_version(session, principal.tenant_id))
    return _policy_body(await service.get_policy(session, principal.tenant_id))


@router.put(
    "/policy",
    summary="Replace the tenant's timing policy",
    response_model=schemas.PolicyValues,
    tags=["policy"],
    responses={200: {"headers": ETAG_HEADER}, **problem_responses(401, 403, 412, 422)},
)
async def put_policy(
    body: schemas.PolicyUpdate,
    principal: WriterDep,
    session: SessionDep,
    work: WorkDep,
    response: Response,
    if_match: IfMatch = None,
) -> Any:
    """Replace the policy (omitted values return to defaults) and re-plan open actions."""
    policy = await service.put_policy(
        session, principal.tenant_id, body.model_dump(), work, if_match=if_match
    )
    set_etag(response, await service.policy_version(session, principal.tenant_id))
    return _policy_body(policy)

"""Application factory: routers, middleware and error handlers; the lifespan owns the engine."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy.ext.asyncio import AsyncEngine

from app.api import (
    access_tokens,
    actions,
    calendar,
    drafts,
    events,
    records,
    sync,
    system,
    webhook_payloads,
    webhooks,
)
from app.api.action_documents import ActionDocumentCache
from app.api.contract_headers import declare_headers
from app.api.cors import add_cors
from app.api.deps import accepted_credentials
from app.api.docs import install_docs
from app.api.errors import PROBLEM_JSON, Problem, install_error_handlers, problem_responses
from app.api.feed_pages import FeedPageCache
from app.api.http_conventions import (
    CompressionMiddleware,
    ConditionalGetMiddleware,
    MethodsMiddleware,
)
from app.api.idempotency import IdempotencyMiddleware
from app.api.json_body import JsonBodyMiddleware
from app.api.middleware import (
    BodySizeLimitMiddleware,
    DeadlineMiddleware,
    RequestContextMiddleware,
    UnhandledErrorMiddleware,
)
from app.api.rate_limits import RateLimiter
from app.db.engine import create_engine, create_sessionmaker
from app.db.migrations import ensure_at_head
from app.db.notifications import ChangeListener, connect_arguments
from app.domain.credentials import CredentialType
from app.mcp_server import http as mcp_http
from app.mcp_server.http import McpOverHttp
from app.observability import Metrics
from app.services.credentials import PrincipalCache
from app.services.work import CpuPool, Work
from app.settings import Settings, get_settings

API_TITLE = "Follow-Up API"
API_VERSION = "1.0.0"
API_DESCRIPTION = """\
Follow-Up tracks job applications and their interview rounds and tells you, at any
moment, which follow-up actions a candidate owes after an interview: what to do, for
whom, by when, through which channel, why, and with a ready draft.

Authenticate with `Authorization: Bearer <credential>`: an API key (`fu_live_…`), which
acts for the whole tenant and belongs on the tenant's own servers, or a candidate token
(`fu_cand_…`), which a back end mints with `POST /v1/candidates/{candidate_id}/access-tokens`
for a front end: it acts for that one candidate until it expires. Each operation says
which credentials it accepts (`x-credentials`). Errors are RFC 9457
`application/problem+json` documents naming the field that failed.

Request bodies are JSON sent as `application/json` (415 otherwise). Times are RFC 3339
strings with an offset, e.g. `2027-01-13T10:00:00+01:00`, from 1900-01-01 up to (not
including) 2200-01-01 UTC; dates are `YYYY-MM-DD`; time zones are IANA names.
"""
API_CONTACT = {"name": "Follow-Up", "url": "https://followup.dev"}
API_LICENSE = {"name": "MIT", "identifier": "MIT"}
# Every tag an operation uses, described, in the order a reader meets them: the records an
# integrator keeps in step first, then what the API works out from them, then the plumbing.
API_TAGS: list[dict[str, Any]] = [
    {
        "name": "candidates",
        "description": "The job seekers being tracked. A candidate's time zone and country "
        "decide which days are business days for their follow-ups.",
    },
    {
        "name": "applications",
        "description": "The jobs a candidate applied for. An application's status decides "
        "whether check-ins are still owed.",
    },
    {
        "name": "contacts",
        "description": "The people on the employer's side of an application: interviewers, "
        "recruiters, a firm's representatives. Thank-you notes go to them.",
    },
    {
        "name": "interviews",
        "description": "The interview rounds of an application and who sat on each panel. "
        "Recording, rescheduling or cancelling a round re-plans its follow-ups.",
    },
    {
        "name": "replies",
        "description": "The times the employer got back. A reply makes a pending check-in "
        "obsolete.",
    },
    {
        "name": "access-tokens",
        "description": "Short-lived bearer tokens limited to one candidate, which a back end "
        "mints with its API key and hands to a front end (a mobile app, a web page), so "
        "that no API key ever ships to a device.",
    },
    {
        "name": "sync",
        "description": "Keep many records in step with your own system in one call, keyed by "
        "your `external_id`.",
    },
    {
        "name": "actions",
        "description": "The follow-ups a candidate owes: what to do, for whom, by when, "
        "through which channel and why. Mark them done, dismissed or snoozed.",
    },
    {
        "name": "drafts",
        "description": "Ready messages for actions, and a checker that holds any draft to the "
        "etiquette.",
    },
    {
        "name": "templates",
        "description": "The templates drafts are written from: built-in ones, or the tenant's own.",
    },
    {
        "name": "policy",
        "description": "The tenant's timing rules: how long to wait before each kind of "
        "follow-up, and how long it stays worth sending.",
    },
    {
        "name": "events",
        "description": "Everything that changed in the tenant, in order, to poll with a "
        "cursor instead of (or besides) receiving webhooks.",
    },
    {
        "name": "webhooks",
        "description": "Endpoints that receive the tenant's events as signed HTTP POSTs, "
        "their signing secrets and their delivery history.",
    },
    {
        "name": "calendar",
        "description": "A candidate's open follow-ups as an iCalendar feed that calendar apps "
        "subscribe to by a secret URL.",
    },
    {
        "name": "system",
        "description": "Liveness and readiness probes, and a check of whom a credential "
        "belongs to.",
    },
]
# The address the committed document names: relative, so it holds for every deployment.
CONTRACT_SERVER_URL = "/"


def attach_database(app: FastAPI, engine: AsyncEngine) -> None:
    """Make an engine (and its session factory) the one this app's requests use."""
    app.state.engine = engine
    app.state.sessionmaker = create_sessionmaker(engine)
    app.state.read_sessionmaker = create_sessionmaker(engine, read_only=True)
    # create_sessionmaker's read_only sessions run in autocommit on PostgreSQL.
    app.state.reads_autocommit = engine.dialect.name == "postgresql"
    app.state.write_sessionmaker = create_sessionmaker(engine, for_writes=True)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    # The MCP transport's sessions run inside the app's lifetime, over its open database.
    mcp: McpOverHttp = app.state.mcp
    async with connections(app), mcp.running():
        yield


@asynccontextmanager
async def connections(app: FastAPI) -> AsyncIterator[None]:
    """What the app holds open while it serves: the database engine (migrated to head) and
    its change listener, and the rate limiter's connections. The lifespan, without `/mcp`'s
    session manager: what `followup mcp` serves stdio in."""
    limiter: RateLimiter | None = app.state.rate_limiter
    if getattr(app.state, "engine", None) is not None:  # injected by a caller (tests)
        try:
            yield
        finally:
            if limiter is not None:
                await limiter.close()
        return
    settings: Settings = app.state.settings
    engine = create_engine(settings)
    listener = None
    try:
        await ensure_at_head(engine)
        attach_database(app, engine)
        listener = await listen_for_changes(app)
        _settle_garbage_collector()
        yield
    finally:
        if listener is not None:
            await listener.stop()
        if limiter is not None:
            await limiter.close()
        await engine.dispose()
        # Its own engine, so the next run makes a new one (and migrates and listens again)
        # rather than take this one for an engine a caller injected.
        app.state.engine = None


async def listen_for_changes(app: FastAPI) -> ChangeListener | None:
    """On PostgreSQL, keep the feed page cache told of every tenant whose actions change,
    and the cache of verified credentials of every candidate token revoked elsewhere.

    SQLite has no way to hear another process's writes, so there the page cache stays off,
    and a token revoked through another process stops working here within
    ``auth_cache_seconds``; so it does with the page cache turned off (size 0, as behind a
    pooler where LISTEN does not work). Nothing is listened to when credentials are
    verified on every request (``auth_cache_seconds`` 0): no revocation can then go unseen,
    and a stored page is only ever served to a credential verified lately, so none would be.
    """
    settings: Settings = app.state.settings
    pages: FeedPageCache = app.state.feed_pages
    credentials: PrincipalCache = app.state.principal_cache
    if settings.is_sqlite or pages.capacity <= 0 or settings.auth_cache_seconds <= 0:
        return None

    def listening_started() -> None:
        # Revocations made while nobody listened went unheard: verify every token again.
        credentials.evict_candidate_tokens()
        pages.listening_started()

    def listening_lost() -> None:
        credentials.evict_candidate_tokens()
        pages.listening_lost()

    listener = ChangeListener(
        connect_arguments(app.state.engine),
        on_change=pages.tenant_changed,
        on_everything=pages.everything_changed,
        on_listening=listening_started,
        on_lost=listening_lost,
        on_credential_revoked=credentials.evict,
        check_every=settings.feed_page_cache_seconds,
    )
    await listener.start()
    return listener


def _settle_garbage_collector() -> None:
    """Keep the collector's full passes short once the app has loaded.

    The ~200,000 objects that make up the loaded app (routes, models, SQLAlchemy's
    metadata and caches) live as long as the process. Left to the collector, each full
    pass walks all of them, stalling every request in flight for tens of milliseconds,
    several times a minute under load: that was most of the feed's p99. Frozen, they are
    never walked again; only objects made while serving are.
    """
    gc.collect()
    gc.freeze()


def _operation_id(route: APIRoute) -> str:
    # Stable, readable operation IDs: the handler's name (e.g. `list_candidates`).
    return route.name


def _server(settings: Settings) -> dict[str, str]:
    """The API's address as this deployment configured it (`public_base_url`), else the
    address the document itself was fetched from."""
    if settings.public_base_url:
        return {"url": settings.public_base_url, "description": "This deployment."}
    return {
        "url": CONTRACT_SERVER_URL,
        "description": "The host that serves this document. A deployment that sets "
        "`FOLLOWUP_PUBLIC_BASE_URL` names its own address here.",
    }


def contract_document(settings: Settings) -> dict[str, Any]:
    """The document committed as openapi/openapi.json: what the app serves, less any
    deployment's address, so it is the same whatever the environment configures."""
    return create_app(settings.model_copy(update={"public_base_url": ""})).openapi()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title=API_TITLE,
        version=API_VERSION,
        description=API_DESCRIPTION,
        lifespan=_lifespan,
        docs_url=None,
        redoc_url=None,
        generate_unique_id_function=_operation_id,
        openapi_tags=API_TAGS,
        contact=API_CONTACT,
        license_info=API_LICENSE,
        servers=[_server(settings)],
    )
    app.state.settings = settings
    app.state.secret_key = settings.resolved_secret_key()
    app.state.metrics = Metrics()
    app.state.principal_cache = PrincipalCache(ttl=settings.auth_cache_seconds)
    app.state.action_documents = ActionDocumentCache(settings.action_document_cache_size)
    app.state.feed_pages = FeedPageCache(
        settings.feed_page_cache_size, settings.feed_page_cache_seconds
    )
    app.state.work = Work(
        CpuPool(settings.cpu_threads),
        units=settings.work_budget_units,
        seconds=settings.work_budget_seconds,
    )
    # None when rate limiting is off: nothing is counted and no RateLimit header is sent.
    app.state.rate_limiter = (
        RateLimiter(settings, app.state.metrics) if settings.rate_limit_enabled else None
    )
    app.state.engine = None

    install_error_handlers(app)
    app.include_router(system.router)
    # Every route below reads or writes the database, so each can answer 503 when it is
    # unreachable or no connection frees up in time, and 504 past the request deadline
    # (which applies to every route, but only these wait on anything slow). Routes are
    # matched in order, one by one: the actions feed, the hottest read, comes before the
    # thirty-odd record routes (no path of one router matches the other's).
    database_faults = problem_responses(503, 504)
    for router in (
        actions.feed_router,
        actions.router,
        records.router,
        access_tokens.router,
        sync.router,
        events.router,
        drafts.router,
        drafts.templates_router,
        webhooks.router,
        calendar.router,
    ):
        app.include_router(router, responses=database_faults)
    app.webhooks.include_router(webhook_payloads.router)
    # The same tools over the Model Context Protocol, for AI assistants: not a REST
    # operation, so not in the OpenAPI document (README "AI assistants (MCP)" describes it).
    app.state.mcp = McpOverHttp(app.state, version=API_VERSION)
    app.add_route(mcp_http.PATH, app.state.mcp, methods=mcp_http.METHODS, include_in_schema=False)
    install_docs(app)

    # Outermost last: the request context wraps everything, so even a 413 has an ID; the
    # size limit applies before any layer buffers a body, and a body that is not JSON is
    # refused before it can claim an idempotency key.
    app.add_middleware(
        IdempotencyMiddleware,
        ttl=timedelta(hours=settings.idempotency_ttl_hours),
        wait_seconds=settings.idempotency_wait_seconds,
    )
    app.add_middleware(JsonBodyMiddleware)
    app.add_middleware(BodySizeLimitMiddleware, max_body_bytes=settings.max_body_bytes)
    # Around everything that may wait on the database (the idempotency layer included).
    app.add_middleware(DeadlineMiddleware, seconds=settings.request_deadline_seconds)
    # 304s replace whole answers, so this comes outside every layer that writes one.
    app.add_middleware(ConditionalGetMiddleware)
    # Outside the idempotency layer, which so stores and replays plain bodies, each
    # compressed (or not) for the client asking this time.
    app.add_middleware(CompressionMiddleware, minimum_size=settings.gzip_minimum_bytes)
    # Outside compression (a HEAD's headers are its GET's), inside CORS (which answers
    # preflight OPTIONS itself).
    app.add_middleware(MethodsMiddleware, router=app.router)
    # Inside CORS, so a browser's script can read even a 500.
    app.add_middleware(UnhandledErrorMiddleware)
    add_cors(app, settings)
    app.add_middleware(RequestContextMiddleware, metrics=app.state.metrics)

    app.openapi = lambda: _openapi_document(app)  # type: ignore[method-assign]
    return app


def _openapi_document(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document, with its default 422 schema replaced by problem+json."""
    if app.openapi_schema:
        return app.openapi_schema
    from fastapi.openapi.utils import get_openapi

    document = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
        webhooks=app.webhooks.routes,
        tags=app.openapi_tags,
        servers=app.servers,
        contact=app.contact,
        license_info=app.license_info,
    )
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    problem_schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, definition in problem_schema.pop("$defs", {}).items():
        schemas[name] = definition
    schemas["Problem"] = problem_schema
    problem_content = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    rate_limited = problem_responses(429)[429]
    for path_item in document.get("paths", {}).values():
        for operation in path_item.values():
            if "requestBody" in operation:
                # Answered by JsonBodyMiddleware for every operation that takes a body.
                operation["responses"]["415"] = problem_responses(415)[415]
            # Every operation an API key authenticates is rate limited (app/api/rate_limits.py).
            if operation.get("security"):
                operation["responses"]["429"] = rate_limited
            response = operation.get("responses", {}).get("422")
            if response and "application/json" in response.get("content", {}):
                operation["responses"]["422"] = {
                    "description": "A field failed validation; `errors` names each one.",
                    "content": problem_content,
                }
    for path_item in document.get("webhooks", {}).values():
        for operation in path_item.values():
            # The receiver answers these, not Follow-Up: no validation error of ours applies.
            operation["responses"].pop("422", None)
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    _declare_conditional_gets(document)
    _declare_credentials(document, app)
    declare_headers(document)
    app.openapi_schema = document
    return document


CREDENTIALS_EXTENSION = "x-credentials"
_CREDENTIALS_SENTENCES = {
    (CredentialType.API_KEY,): "**Credentials:** an API key; a candidate token is refused (403).",
    (CredentialType.API_KEY, CredentialType.CANDIDATE_TOKEN): "**Credentials:** an API key, "
    "or a candidate token, which reaches its own candidate's records alone: another "
    "candidate's IDs answer 404, exactly as IDs that do not exist, and lists hold the "
    "candidate's records only.",
}


def _declare_credentials(document: dict[str, Any], app: FastAPI) -> None:
    """Say on every authenticated operation which credentials it accepts: in the
    `x-credentials` extension (`api_key`, `candidate_token`) and in a sentence of its
    description, as the route's credential check decides (app/api/deps.py)."""
    # Every route of every included router, each under the path it is served at.
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        credentials = accepted_credentials(route)
        if credentials is None:
            continue
        path_item = document["paths"][context.path_format]
        for method in context.methods or ():
            operation = path_item.get(method.lower())
            if operation is None:
                continue
            operation[CREDENTIALS_EXTENSION] = [credential.value for credential in credentials]
            sentence = _CREDENTIALS_SENTENCES[credentials]
            description = operation.get("description")
            operation["description"] = f"{description}\n\n{sentence}" if description else sentence


# Written as FastAPI writes the optional headers it declares itself (If-Match).
_OPTIONAL_HEADER = {"anyOf": [{"type": "string", "maxLength": 1000}, {"type": "null"}]}


def _declare_conditional_gets(document: dict[str, Any]) -> None:
    """Declare If-None-Match and its 304 on every GET that answers an ETag: they are
    answered for all of them by app/api/http_conventions.py, not by the routes."""
    for path_item in document.get("paths", {}).values():
        operation = path_item.get("get")
        if operation is None:
            continue
        ok = operation.get("responses", {}).get("200", {})
        headers = ok.get("headers", {})
        if "ETag" not in headers:
            continue
        operation.setdefault("parameters", []).append(
            {
                "name": "If-None-Match",
                "in": "header",
                "required": False,
                "description": "The ETag(s) of a copy you hold: if one is current, the "
                "answer is 304 with no body.",
                "schema": _OPTIONAL_HEADER,
            }
        )
        if "Last-Modified" in headers:
            operation["parameters"].append(
                {
                    "name": "If-Modified-Since",
                    "in": "header",
                    "required": False,
                    "description": "An HTTP date: if nothing changed since, the answer is "
                    "304 with no body. Ignored when If-None-Match is sent.",
                    "schema": _OPTIONAL_HEADER,
                }
            )
        operation["responses"]["304"] = {
            "description": "Not Modified: the copy you hold is current.",
            "headers": {
                name: headers[name] for name in ("ETag", "Last-Modified") if name in headers
            },
        }

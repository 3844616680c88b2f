"""Feed pages kept ready per process, and served again until a change or the clock alters them.

Clients (dashboards, ATS integrations) poll the same tenant's "what is due" over and over.
A page of the feed depends on the tenant's actions and on the moment asked about
(``as_of``), and on nothing else. So a page read for the current moment stays right:

- until one of the tenant's actions changes. On PostgreSQL a trigger on ``actions``
  announces each tenant a committed transaction changed, and every process listens
  (app/db/notifications.py). This process's own writes count the moment they commit.
- until the clock alone changes a status in the tenant (a window opens or closes, a snooze
  ends): the page is kept only until the next such moment, read along with the page.
- for ``feed_page_cache_seconds`` at most, in case a notification was lost while the
  connection still seemed up.

Within those bounds the same request (same tenant, same candidate for a candidate token,
same query string, the same language chosen by ``language`` or ``Accept-Language``, no
``as_of``) is answered with the stored page at the current
``as_of``, before FastAPI resolves the route's dependencies and without a query: the
credential must be one verified in the last few seconds, as every route accepts (a
candidate token's never past its expiry, nor once revoked: see
app/services/credentials.py), be of a kind the route accepts, and carry the read scope.
A page read for a candidate token holds that candidate's actions only, and is kept under
that candidate: it is never served to another candidate's token nor to an API key, nor
an API key's page to a token. Everything else goes the normal way, which answers and
stores the page for next time: a credential not verified lately, a query not answered
yet, an explicit ``as_of``, ``Cache-Control: no-cache``, a page past its time, and every
request while the listening connection is down.

A write made through another process reaches this cache when PostgreSQL delivers its
notification, normally well within a millisecond of the commit. A client that must read
such a write back at once sends ``Cache-Control: no-cache``.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from fastapi.security.utils import get_authorization_scheme_param

from app.api.action_documents import page_body, page_etag
from app.api.deps import accepted_credentials
from app.api.languages import VARY, request_language
from app.api.rate_limits import Cost, RateLimiter
from app.clock import utcnow
from app.domain.credentials import CredentialType, Scope
from app.errors import InvalidInput
from app.repositories.owners import Owner
from app.services.credentials import recently_verified

# (epoch, count of the tenant's changes): the epoch moves whenever changes may have been
# missed (the listening connection lost or restarted), which drops every stored page.
Generation = tuple[int, int]


@dataclass(slots=True)
class _Page:
    generation: Generation
    valid_from: datetime  # the as_of it was read at
    valid_until: datetime | None  # the tenant's next status change after that (None: never)
    expires: float  # time.monotonic() past which it is read again regardless
    parts: list[bytes]  # joined by as_of's JSON into the body (action_documents.page_parts)
    etag: str  # action_documents.page_etag(parts), kept so a served page costs no hashing
    content_language: str  # the languages of the page's texts (Content-Language)


# Tenant, the candidate a candidate token's page is narrowed to ("" for an API key's page,
# which holds the whole tenant's), path, raw query string, and the language the request
# chose (app/api/languages.py; "" for each candidate's own): the query string alone does
# not tell it, as Accept-Language may.
PageKey = tuple[str, str, str, bytes, str]


class FeedPageCache:
    """Feed pages by (tenant, candidate, path, query string), valid for one generation and a
    span of time, least recently used first out."""

    def __init__(self, capacity: int, max_age: float) -> None:
        self.capacity = capacity
        self.max_age = max_age
        # Pages are only served and stored while changes are being listened to.
        self.live = False
        self._epoch = 0
        self._changes: dict[str, int] = {}
        self._pages: OrderedDict[PageKey, _Page] = OrderedDict()
        self._keys_by_tenant: dict[str, set[PageKey]] = {}

    def __len__(self) -> int:
        return len(self._pages)

    def generation(self, tenant_id: str) -> Generation:
        """Read this before querying: a page is stored only if it is still current after."""
        return (self._epoch, self._changes.get(tenant_id, 0))

    def tenant_changed(self, tenant_id: str) -> None:
        """Some of the tenant's actions changed: its stored pages are stale."""
        if len(self._changes) >= max(4 * self.capacity, 10_000) and tenant_id not in self._changes:
            # Counts are kept per tenant only so that a query in flight can tell a change
            # came; rather than let them grow with every tenant ever heard of, start over.
            self.everything_changed()
        self._changes[tenant_id] = self._changes.get(tenant_id, 0) + 1
        # Dropped now rather than when next asked for, so that what a candidate's erasure
        # removed does not linger in memory.
        for key in self._keys_by_tenant.pop(tenant_id, ()):
            del self._pages[key]

    def everything_changed(self) -> None:
        """Any tenant's actions may have changed (the table was truncated, say)."""
        self._epoch += 1
        self._changes.clear()
        self._pages.clear()
        self._keys_by_tenant.clear()

    def listening_started(self) -> None:
        """Changes are announced from now on; any made before may have gone unheard."""
        self.everything_changed()
        self.live = True

    def listening_lost(self) -> None:
        """Changes may go unheard until listening starts again: serve nothing until then."""
        self.live = False
        self.everything_changed()

    def get(self, key: PageKey, now: datetime, clock: float) -> list[bytes] | None:
        """The parts of the page stored under ``key``, if it is still right at ``now``."""
        page = self.entry(key, now, clock)
        return None if page is None else page.parts

    def entry(self, key: PageKey, now: datetime, clock: float) -> _Page | None:
        """The page stored under ``key`` (its parts and ETag), if it is still right at ``now``."""
        if not self.live:
            return None
        page = self._pages.get(key)
        if page is None:
            return None
        if (
            page.generation != self.generation(key[0])
            or clock >= page.expires
            or now < page.valid_from
            or (page.valid_until is not None and now >= page.valid_until)
        ):
            self._drop(key)
            return None
        self._pages.move_to_end(key)
        return page

    def put(
        self,
        key: PageKey,
        generation: Generation,
        valid_from: datetime,
        valid_until: datetime | None,
        parts: list[bytes],
        clock: float,
        etag: str | None = None,
        content_language: str = "",
    ) -> bool:
        """Keep a page read at ``valid_from``, unless a change came since ``generation``;
        whether it was kept."""
        tenant_id = key[0]
        if not self.live or self.capacity <= 0 or generation != self.generation(tenant_id):
            return False
        self._pages[key] = _Page(
            generation,
            valid_from,
            valid_until,
            clock + self.max_age,
            parts,
            etag if etag is not None else page_etag(parts),
            content_language,
        )
        self._pages.move_to_end(key)
        self._keys_by_tenant.setdefault(tenant_id, set()).add(key)
        while len(self._pages) > self.capacity:
            self._drop(next(iter(self._pages)))
        return True

    def _drop(self, key: PageKey) -> None:
        del self._pages[key]
        keys = self._keys_by_tenant.get(key[0])
        if keys is not None:
            keys.discard(key)
            if not keys:
                del self._keys_by_tenant[key[0]]


def page_key(owner: Owner, request: Request, language: str | None) -> PageKey:
    """Where a request's page is kept: its tenant, the candidate a candidate token is
    narrowed to, the request's path and exact query string, and the language it chose."""
    return (
        owner.tenant_id,
        owner.candidate_id or "",
        request.scope["path"],
        request.scope["query_string"],
        language or "",
    )


def wants_fresh(cache_control: str | None, pragma: str | None = None) -> bool:
    """Whether the request asks for a page read from the database: ``Cache-Control:
    no-cache`` (or ``no-store``, or ``max-age=0``, as browsers send on reload), or the
    older ``Pragma: no-cache``."""
    if pragma is not None and "no-cache" in pragma.lower():
        return True
    if cache_control is None:
        return False
    directives = {part.strip().replace(" ", "") for part in cache_control.lower().split(",")}
    return bool(directives & {"no-cache", "no-store", "max-age=0"})


async def stored_page(
    request: Request, credentials: tuple[CredentialType, ...] = (CredentialType.API_KEY,)
) -> Response | None:
    """The stored page that answers this request right now, or None.

    ``credentials`` are those the route accepts: a credential of another kind is left to
    the route, which refuses it.

    A request that may be answered here is counted against the rate limits here too (the
    route's own dependency, should the page be missing, then does not count it again)."""
    state = request.app.state
    pages: FeedPageCache = state.feed_pages
    if not pages.live:
        return None
    headers = request.headers
    if wants_fresh(headers.get("cache-control"), headers.get("pragma")):
        return None
    # Parsed exactly as the route's HTTPBearer dependency parses it.
    scheme, token = get_authorization_scheme_param(headers.get("authorization"))
    if scheme.lower() != "bearer" or not token:
        return None
    principal = recently_verified(token, state.secret_key, state.principal_cache)
    if (
        principal is None
        or principal.credential_type not in credentials
        or Scope.READ not in principal.scopes
    ):
        return None
    limiter: RateLimiter | None = state.rate_limiter
    if limiter is not None:
        await limiter.enforce(request.scope, principal, Cost.DEFAULT)
    try:
        language = request_language(request)
    except InvalidInput:
        return None  # the route answers 422
    now = utcnow()
    page = pages.entry(page_key(principal.owner, request, language), now, time.monotonic())
    if page is None:
        return None
    state.metrics.feed_pages_served.inc()
    return feed_response(page.parts, now, page.etag, page.content_language)


def feed_response(
    parts: list[bytes], as_of: datetime, etag: str, content_language: str = ""
) -> Response:
    """A feed page at ``as_of``, with its ETag (If-None-Match is answered in
    app/api/http_conventions.py) and the languages of its texts."""
    headers = {"ETag": etag, "Vary": VARY}
    if content_language:
        headers["Content-Language"] = content_language
    return Response(page_body(parts, as_of), media_type="application/json", headers=headers)


class CachedFeedRoute(APIRoute):
    """A route that answers from :class:`FeedPageCache` when it can, before its dependencies."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()
        credentials = accepted_credentials(self)
        if credentials is None:
            raise TypeError(f"{self.path}: a cached feed route must authenticate its callers")

        async def handler(request: Request) -> Response:
            stored = await stored_page(request, credentials)
            if stored is not None:
                return stored
            return await handle(request)

        return handler

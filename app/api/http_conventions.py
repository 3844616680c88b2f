"""HTTP's own conventions, applied once for every route: ``HEAD`` on every ``GET``,
``OPTIONS`` and 405 naming the methods a path takes, compression, and conditional ``GET``
answered 304.

Each is a pure ASGI middleware, so routes know nothing of them:

- :class:`MethodsMiddleware` answers ``OPTIONS`` with ``Allow``, fixes the ``Allow`` of a
  405 (Starlette names only the one route it tried), and serves ``HEAD`` as a ``GET``
  whose body is dropped, keeping its headers (Content-Length included).
- :class:`CompressionMiddleware` is Starlette's GZip (bodies of ``minimum_size`` bytes or
  more, when the client accepts gzip) that also sends ``Vary: Accept-Encoding`` on every
  response, compressed or not, so a shared cache never hands one client's encoding to
  another.
- :class:`ConditionalGetMiddleware` answers 304 to a ``GET`` whose ``If-None-Match``
  names the response's ``ETag`` (weak comparison, RFC 9110 13.1.2), or, without
  ``If-None-Match``, whose ``If-Modified-Since`` is not before its ``Last-Modified``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from email.utils import parsedate_to_datetime

from fastapi.routing import iter_route_contexts
from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.gzip import GZipMiddleware
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Router
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.http_middleware import HttpMiddleware

# The order Allow lists methods in: the usual reading order, not alphabetical.
_METHOD_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(
    routes: Sequence[BaseRoute], scope: Scope
) -> tuple[list[str], BaseRoute | None]:
    """The methods the request's path takes across every route it matches (and the first
    such route), or no methods when no route has that path."""
    methods: set[str] = set()
    first: BaseRoute | None = None
    # Every route of every included router, each under the path it is served at.
    for route in iter_route_contexts(routes):
        match, _ = route.matches(scope)
        if match is Match.NONE:
            continue
        first = first or route.original_route
        # A mount (the docs' static assets) serves files: GET and HEAD.
        methods.update(route.methods or {"GET"})
    if not methods:
        return [], None
    if "GET" in methods:
        methods.add("HEAD")
    methods.add("OPTIONS")
    ordered = [method for method in _METHOD_ORDER if method in methods]
    return ordered + sorted(methods - set(_METHOD_ORDER)), first


class MethodsMiddleware(HttpMiddleware):
    """``HEAD`` for every ``GET``, ``OPTIONS`` for every path, and 405s with the right ``Allow``.

    Sits inside CORSMiddleware, which answers a browser's preflight ``OPTIONS`` itself when
    origins are configured, and outside compression, so a ``HEAD`` carries the very
    headers (Content-Encoding, Content-Length) its ``GET`` would.
    """

    def __init__(self, app: ASGIApp, router: Router) -> None:
        super().__init__(app)
        self.router = router

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = scope["method"]
        if method == "OPTIONS":
            allow, route = allowed_methods(self.router.routes, scope)
            if allow:
                scope["route"] = route  # so metrics and logs name the path's template
                response = Response(status_code=204, headers={"Allow": ", ".join(allow)})
                await response(scope, receive, send)
                return
        elif method == "HEAD":
            await self._head(scope, receive, send)
            return
        await self.app(scope, receive, self._fixing_allow(scope, send))

    def _fixing_allow(self, scope: Scope, send: Send) -> Send:
        async def fixing_send(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 405:
                allow, _ = allowed_methods(self.router.routes, scope)
                if allow:
                    MutableHeaders(scope=message)["Allow"] = ", ".join(allow)
            await send(message)

        return fixing_send

    async def _head(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Routed and answered as the GET it mirrors. The scope is changed in place (not
        # copied) because the layers outside read what the route writes into it (the
        # route, the rate-limit decision); it says HEAD again before the server sees the
        # response start, since the server frames the response by the request's method.
        scope["method"] = "GET"
        restored = False

        async def headers_only(message: Message) -> None:
            nonlocal restored
            if message["type"] == "http.response.start":
                scope["method"] = "HEAD"
                restored = True
                await send(message)
            elif message["type"] == "http.response.body":
                if not message.get("more_body", False):
                    await send({"type": "http.response.body", "body": b""})
            else:
                await send(message)

        try:
            await self.app(scope, receive, self._fixing_allow(scope, headers_only))
        finally:
            if not restored:
                scope["method"] = "HEAD"


class CompressionMiddleware(HttpMiddleware):
    """Starlette's GZipMiddleware, plus ``Vary: Accept-Encoding`` on every response."""

    def __init__(self, app: ASGIApp, minimum_size: int) -> None:
        # Level 1: compression runs on the event loop for every answer, and a feed page
        # (about 60 KiB) costs about 0.4 ms at level 1 against about 2 ms at level 6, for
        # an answer a third larger.
        super().__init__(GZipMiddleware(app, minimum_size=minimum_size, compresslevel=1))

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:

        async def varying_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                # GZip adds it to what it compresses; everything else gets it here.
                if "accept-encoding" not in headers.get("vary", "").lower():
                    headers.add_vary_header("Accept-Encoding")
            await send(message)

        await self.app(scope, receive, varying_send)


# What a 304 keeps of the 200 it stands for (RFC 9110 15.4.5), besides what layers outside
# this one add (the request ID, rate-limit state, CORS).
_KEPT_ON_304 = frozenset(
    {
        b"etag",
        b"last-modified",
        b"cache-control",
        b"expires",
        b"vary",
        b"content-location",
        b"date",
        b"referrer-policy",
    }
)


class ConditionalGetMiddleware(HttpMiddleware):
    """Answers 304 Not Modified for a ``GET`` whose validators show the client's copy is
    current. The route still runs (its ETag comes from what it reads); only the body is
    not sent."""

    def applies_to(self, scope: Scope) -> bool:
        return super().applies_to(scope) and scope["method"] == "GET"

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        request_headers = Headers(scope=scope)
        if_none_match = request_headers.get("if-none-match")
        if_modified_since = request_headers.get("if-modified-since")
        if if_none_match is None and if_modified_since is None:
            await self.app(scope, receive, send)
            return
        not_modified = False

        async def conditional_send(message: Message) -> None:
            nonlocal not_modified
            if message["type"] == "http.response.start":
                if message["status"] == 200 and _is_fresh(
                    Headers(raw=message.get("headers", [])), if_none_match, if_modified_since
                ):
                    not_modified = True
                    kept = [(k, v) for k, v in message.get("headers", []) if k in _KEPT_ON_304]
                    await send({"type": "http.response.start", "status": 304, "headers": kept})
                    return
            elif message["type"] == "http.response.body" and not_modified:
                if not message.get("more_body", False):
                    await send({"type": "http.response.body", "body": b""})
                return
            await send(message)

        await self.app(scope, receive, conditional_send)


def _is_fresh(
    response_headers: Headers, if_none_match: str | None, if_modified_since: str | None
) -> bool:
    """Whether the client's copy is current: RFC 9110 13.2.2's order, If-None-Match first."""
    etag = response_headers.get("etag")
    if if_none_match is not None:
        if etag is None:
            return False
        wanted = {tag.strip() for tag in if_none_match.split(",")}
        return "*" in wanted or _opaque(etag) in {_opaque(tag) for tag in wanted}
    last_modified = _http_date(response_headers.get("last-modified"))
    since = _http_date(if_modified_since)
    return last_modified is not None and since is not None and last_modified <= since


def _opaque(tag: str) -> str:
    """An entity tag without its weakness mark: If-None-Match compares weakly."""
    return tag.removeprefix("W/")


def _http_date(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None  # an invalid date is ignored (RFC 9110 13.1.3)
    return moment if moment.tzinfo is not None else None

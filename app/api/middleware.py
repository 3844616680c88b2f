"""Pure ASGI middleware: request IDs, rate-limit headers, access logs and metrics, the
answer to errors nothing else answered, the body size limit and the request deadline."""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.routing import Match, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.errors import app_error_response, database_fault_response, problem_response
from app.api.http_middleware import HttpMiddleware
from app.api.rate_limits import SCOPE_KEY as RATE_LIMIT_SCOPE_KEY
from app.api.rate_limits import Outcome
from app.db.faults import classify
from app.errors import AppError, ContentTooLarge, DeadlineExceeded
from app.observability import Metrics, request_id_var, status_class

access_logger = logging.getLogger("followup.access")
error_logger = logging.getLogger("followup.errors")

REQUEST_ID_HEADER = b"x-request-id"
# A caller's own request ID is kept only when it is short and plain, so logs stay clean.
_SAFE_REQUEST_ID = re.compile(rb"^[A-Za-z0-9._:-]{1,128}$")


class SendTracker:
    """Passes a response's messages on and remembers whether it has begun, for a layer that
    may still answer in its place only while nothing has been sent."""

    __slots__ = ("_send", "started")

    def __init__(self, send: Send) -> None:
        self._send = send
        self.started = False

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.started = True
        await self._send(message)


class RequestContextMiddleware(HttpMiddleware):
    """Gives every request an ID (or keeps the caller's), logs it, and records metrics."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        super().__init__(app)
        self.metrics = metrics

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        request_id = _incoming_request_id(scope) or secrets.token_hex(8)
        token = request_id_var.set(request_id)
        method = scope["method"]
        in_progress = self.metrics.in_progress.labels(method)
        in_progress.inc()
        started = time.perf_counter()
        # What is logged if nothing was answered at all (UnhandledErrorMiddleware answers
        # every error raised before a response began).
        status_code = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status_code
            if message["type"] == "http.response.start":
                status_code = message["status"]
                headers = list(message.get("headers", []))
                headers.append((REQUEST_ID_HEADER, request_id.encode()))
                # Written here, outermost, so a response the idempotency layer replays
                # carries this request's counts, never the first one's.
                rate_limit: Outcome | None = scope.get(RATE_LIMIT_SCOPE_KEY)
                if rate_limit is not None:
                    headers.extend(rate_limit.headers())
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            in_progress.dec()
            template = route_template(scope)
            self.metrics.requests.labels(method, template, str(status_code)).inc()
            self.metrics.latency.labels(method, template, status_class(status_code)).observe(
                elapsed
            )
            access_logger.info(
                "%s %s %d %.1fms",
                method,
                _loggable_path(scope["path"], template),
                status_code,
                elapsed * 1000,
                extra={"status": status_code, "duration_ms": round(elapsed * 1000, 2)},
            )
            request_id_var.reset(token)


class UnhandledErrorMiddleware(HttpMiddleware):
    """Answers an error no handler answered, if no response has begun: a database fault as
    the same retryable 503 a route would have answered (it can fail outside any route, in
    the idempotency layer, say), anything else as a logged 500.

    Answered here, not by Starlette's outermost handler, so the answer still carries the
    request ID (in the body, the header and the log line), and inside the CORS layer, so a
    browser page's script can read it like any other answer.
    """

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        sent = SendTracker(send)
        try:
            await self.app(scope, receive, sent.send)
        except Exception as exc:
            if sent.started:
                raise
            fault = classify(exc)
            if fault is not None:
                await database_fault_response(Request(scope), fault, exc)(scope, receive, send)
                return
            error_logger.exception(
                "unhandled error serving %s %s",
                scope["method"],
                _loggable_path(scope["path"], getattr(scope.get("route"), "path", "")),
            )
            await problem_response(
                Request(scope),
                500,
                slug="internal-error",
                title="Internal server error",
                detail="The server failed to handle this request; it has been logged with its "
                "request ID.",
            )(scope, receive, send)


def route_template(scope: Scope) -> str:
    """The template of the route that served the request, for labels and logs.

    FastAPI's own routes leave themselves in the scope; Starlette's plain routes and mounts
    (the OpenAPI document, the docs' static assets) do not, so those are matched again
    here, which only requests outside the API (and 404s) pay for.
    """
    route = scope.get("route")
    if route is not None:
        return str(route.path)
    app = scope.get("app")
    # A mount has moved its prefix into root_path by now; match from the app's root again.
    probe = {**scope, "root_path": scope.get("app_root_path", scope.get("root_path", ""))}
    for candidate in getattr(getattr(app, "router", None), "routes", ()):
        match, _ = candidate.matches(probe)
        if match == Match.FULL:
            if isinstance(candidate, Mount):
                return f"{candidate.path}/{{path}}"
            return str(getattr(candidate, "path", "unmatched"))
    return "unmatched"


def _loggable_path(path: str, template: str) -> str:
    """The path to log: a route whose path holds a secret (a calendar token) logs its
    template instead, so logs never hold a credential."""
    return template if "{token}" in template else path


def _incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == REQUEST_ID_HEADER and _SAFE_REQUEST_ID.match(value):
            return str(value.decode())
    return None


@dataclass(slots=True, eq=False)
class _Watch:
    """One request under its deadline: the task to stop, and when."""

    task: asyncio.Task[Any]
    due: float  # on the event loop's clock
    running: bool = True
    expired: bool = False  # set once, when the watch stopped the task


class DeadlineMiddleware(HttpMiddleware):
    """Stops a request that runs past ``seconds`` and answers 504, if nothing was sent yet.

    The request's task is cancelled once, where it waits: a write transaction in progress
    is rolled back as its session unwinds, never half-committed (a commit the deadline
    interrupts has either reached PostgreSQL whole or not at all), and the idempotency
    layer frees the request's key on the way out. Work already handed to a thread finishes
    there unobserved.

    One timer per process watches every request, rather than a timer per request
    (``asyncio.timeout`` schedules and cancels one each time: about 5 µs, a few percent of
    a cached feed page). Every request has the same allowance, so requests fall due in the
    order they started, and a queue in that order is a queue by deadline: while requests
    run, a timer checks the queue's head every ``resolution`` seconds and stops what is
    past due. A request is so stopped at most ``resolution`` late. The queue holds the
    requests of the last ``seconds`` at most, finished ones dropped as they reach its head.
    """

    def __init__(self, app: ASGIApp, seconds: float) -> None:
        super().__init__(app)
        self.seconds = seconds
        self.resolution = min(max(seconds / 20, 0.01), 0.25)
        self._watches: deque[_Watch] = deque()
        # The loop whose timer is armed (None: no timer): tests run one app in several.
        self._armed_on: asyncio.AbstractEventLoop | None = None

    def watched(self) -> int:
        """How many requests the queue still holds (running, or finished behind one that runs)."""
        return len(self._watches)

    def applies_to(self, scope: Scope) -> bool:
        return self.seconds > 0 and super().applies_to(scope)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None
        watch = _Watch(task, loop.time() + self.seconds)
        # Cancellations already requested of this task are someone else's (see except).
        cancelling = task.cancelling()
        self._watches.append(watch)
        if self._armed_on is not loop:
            self._armed_on = loop
            loop.call_later(self.resolution, self._stop_overdue, loop)
        sent = SendTracker(send)
        try:
            await self.app(scope, receive, sent.send)
        except asyncio.CancelledError as exc:
            # Ours only if the watch fired and no one else asked to cancel the task too
            # (a server shutting down, say): as asyncio.timeout decides it.
            if not watch.expired or task.uncancel() > cancelling:
                raise
            if sent.started:
                raise TimeoutError("request deadline exceeded") from exc
            error_logger.warning(
                "deadline of %gs exceeded serving %s %s",
                self.seconds,
                scope["method"],
                _loggable_path(scope["path"], getattr(scope.get("route"), "path", "")),
            )
            overdue = DeadlineExceeded(
                f"The request ran past its deadline of {self.seconds:g} seconds and was "
                "stopped; what it was writing was rolled back, unless its commit had begun."
            )
            await answer_error(overdue, scope, receive, send)
        finally:
            watch.running = False

    def _stop_overdue(self, loop: asyncio.AbstractEventLoop) -> None:
        """Cancel the requests past their deadline; re-arm while any request runs."""
        now = loop.time()
        watches = self._watches
        while watches and (not watches[0].running or watches[0].due <= now):
            watch = watches.popleft()
            # A request of a loop that has since closed can no longer be cancelled.
            if watch.running and watch.task.get_loop() is loop:
                watch.expired = True
                watch.task.cancel()
        if watches:
            loop.call_later(self.resolution, self._stop_overdue, loop)
        else:
            self._armed_on = None


class BodySizeLimitMiddleware(HttpMiddleware):
    """Refuses bodies over the limit with 413, whether declared up front or streamed."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        super().__init__(app)
        self.max_body_bytes = max_body_bytes

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        declared = _content_length(scope)
        if declared is not None and declared > self.max_body_bytes:
            await self._refuse(scope, receive, send)
            return

        received = 0
        sent = SendTracker(send)

        async def counting_receive() -> Message:
            # A body without Content-Length (chunked) is counted as it streams in; the
            # exception reaches the app's problem+json handler like any HTTP error.
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise BodyTooLarge(413, detail=self._detail())
            return message

        try:
            await self.app(scope, counting_receive, sent.send)
        except BodyTooLarge:
            # Raised while a middleware (not the app, whose handler answers it) read the body.
            if sent.started:
                raise
            await self._refuse(scope, receive, send)

    def _detail(self) -> str:
        return f"The request body exceeds the limit of {self.max_body_bytes} bytes."

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        await answer_error(ContentTooLarge(self._detail()), scope, receive, send)


async def answer_error(error: AppError, scope: Scope, receive: Receive, send: Send) -> None:
    """Answer ``error`` as problem+json from a middleware, where no route's handler can,
    as the route's handler would."""
    await app_error_response(Request(scope), error)(scope, receive, send)


class BodyTooLarge(HTTPException):
    """The streamed body passed the limit; an HTTP error so the app's handler answers it."""


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None

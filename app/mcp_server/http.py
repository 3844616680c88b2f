"""`/mcp`: the MCP server over streamable HTTP, mounted on the API, behind its middleware.

Stateless, with JSON responses: each POST carries one JSON-RPC message and gets its answer
as one JSON body, so any of several server processes may answer any request (no session
lives in one process's memory), and the API's middleware applies as to any POST: the
request ID and log line, the body size limit, JSON strictness (415/422), the deadline
(504), compression. There is no server-initiated stream to keep open, so `GET` (and
`DELETE`, which ends a session) answer 405 with `Allow: POST`.

Each request is authenticated here, with the bearer credential of the REST API (401
problem+json without one), and counted once against the same rate limits: as an expensive
request when it calls an expensive tool (a draft check or render), else as an ordinary one.
What each call may then do is decided per tool, by the check of the REST route it mirrors.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from pydantic_core import from_json
from starlette.types import Receive, Scope, Send

from app.api.json_body import read_body, replay_body
from app.api.middleware import answer_error
from app.api.rate_limits import Cost, RateLimiter
from app.errors import AppError, ServiceUnavailable, Unauthorized
from app.mcp_server.calls import PRINCIPAL_SCOPE_KEY, BearerOfRequest, principal_of
from app.mcp_server.server import build_server
from app.mcp_server.tools import TOOLS_BY_NAME

PATH = "/mcp"
METHODS = ["POST"]


def cost_of(body: bytes) -> Cost:
    """What a request to /mcp costs against the rate limits: a call of an expensive tool
    costs what its REST route does; anything else (listing, reading, the prompt) is an
    ordinary request. A body the SDK will refuse (a JSON-RPC batch among them: it takes one
    message a POST) costs an ordinary request too."""
    try:
        message = from_json(body)
    except ValueError:
        return Cost.DEFAULT
    if not isinstance(message, dict) or message.get("method") != "tools/call":
        return Cost.DEFAULT
    params = message.get("params")
    name = params.get("name") if isinstance(params, dict) else None
    tool = TOOLS_BY_NAME.get(name) if isinstance(name, str) else None
    return tool.check.cost if tool is not None else Cost.DEFAULT


def _bearer(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            scheme, _, credential = str(value.decode("latin-1")).partition(" ")
            return credential.strip() or None if scheme.lower() == "bearer" else None
    return None


def _not_running() -> ServiceUnavailable:
    # Served before the lifespan started or after it ended (an ASGI server run without
    # `lifespan="on"`, say, or one shutting down): the SDK's manager would raise, a 500.
    return ServiceUnavailable(
        "The MCP endpoint is not running: the server is starting or shutting down."
    )


class McpOverHttp:
    """The /mcp endpoint (an ASGI app the router serves for POST) and the SDK's session
    manager behind it, which lives only while the app's lifespan runs (:meth:`running`)."""

    def __init__(self, state: Any, *, version: str) -> None:
        self.state = state
        self.server = build_server(state, BearerOfRequest(), version=version)
        # None outside a running lifespan. Made afresh by each one: the SDK's manager runs
        # once per instance, and `followup mcp` (stdio) needs none at all.
        self.sessions: StreamableHTTPSessionManager | None = None

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        sessions = StreamableHTTPSessionManager(
            app=self.server,
            json_response=True,
            stateless=True,
            # The API's own limit (BodySizeLimitMiddleware) applies first; this is the SDK's.
            max_request_body_size=self.state.settings.max_body_bytes,
        )
        async with sessions.run():
            self.sessions = sessions
            try:
                yield
            finally:
                # Only its own: another run of the lifespan may have started meanwhile.
                if self.sessions is sessions:
                    self.sessions = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.sessions is None:
            await answer_error(_not_running(), scope, receive, send)
            return
        credential = _bearer(scope)
        try:
            if credential is None:
                raise Unauthorized(
                    "Send an API key or a candidate token as `Authorization: Bearer <credential>`."
                )
            principal = await principal_of(self.state, credential)
            body = await read_body(receive)
            limiter: RateLimiter | None = self.state.rate_limiter
            if limiter is not None:
                await limiter.enforce(scope, principal, cost_of(body))
        except AppError as error:
            await answer_error(error, scope, receive, send)
            return
        scope[PRINCIPAL_SCOPE_KEY] = principal
        # Read again after the awaits above: the lifespan may have ended meanwhile.
        sessions = self.sessions
        if sessions is None:
            await answer_error(_not_running(), scope, receive, send)
            return
        await sessions.handle_request(scope, replay_body(body, receive), send)

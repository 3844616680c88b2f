"""Calls from browser pages on other origins (CORS), for the origins a deployment names.

A browser asks first (a preflight ``OPTIONS``) before any request that carries a header
beyond the few CORS lets through unasked, which every call here does: ``Authorization``.
The answer lists exactly what the API reads, so a preflight for anything else is refused
and the browser never sends a header the API would ignore. Every actual answer (errors,
304s and 500s included) names the origin, so a page's script can read problem bodies and
the headers listed in ``EXPOSED_HEADERS``.
"""

from __future__ import annotations

from fastapi import FastAPI
from mcp.shared.inbound import MCP_METHOD_HEADER, MCP_NAME_HEADER, MCP_PROTOCOL_VERSION_HEADER
from starlette.middleware.cors import CORSMiddleware

from app.api.contract_headers import (
    IDEMPOTENCY_KEY,
    IDEMPOTENT_REPLAYED,
    REQUEST_ID,
    RETRY_AFTER,
)
from app.api.rate_limits import POLICY_HEADER, STATE_HEADER
from app.settings import Settings

ALLOWED_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
# Every request header the API reads. Content-Type needs listing: CORS lets it through
# unasked only for form encodings, never for application/json.
ALLOWED_HEADERS = (
    "Authorization",
    "Content-Type",
    IDEMPOTENCY_KEY,
    "If-Match",
    "If-None-Match",
    "If-Modified-Since",
    "Cache-Control",
    "Pragma",
    # Safelisted, but only while its value keeps to letters, digits and " *,-.;=".
    "Accept-Language",
    REQUEST_ID,
    # What MCP clients send to /mcp (app/mcp_server/http.py): the protocol version after
    # the handshake, and the method and tool, prompt or resource named by each message.
    MCP_PROTOCOL_VERSION_HEADER,
    MCP_METHOD_HEADER,
    MCP_NAME_HEADER,
)
# What a page's script may read besides the few headers CORS always shows: versions, new
# resources' URLs, request IDs, replays, and when and how much it may still ask.
EXPOSED_HEADERS = (
    "ETag",
    "Location",
    REQUEST_ID,
    IDEMPOTENT_REPLAYED,
    RETRY_AFTER,
    STATE_HEADER,
    POLICY_HEADER,
)


def add_cors(app: FastAPI, settings: Settings) -> None:
    """Answer preflights and name the allowed origin on every answer, when origins are set."""
    if not settings.cors_origins:
        return
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=ALLOWED_METHODS,
        allow_headers=ALLOWED_HEADERS,
        expose_headers=EXPOSED_HEADERS,
        # Bearer credentials only: a page sends its key or token on purpose, in a header
        # its own script sets. Cookies and HTTP authentication, which a browser attaches
        # on its own to any page's request, are never allowed, so no other site's script
        # can borrow a signed-in user's credentials (the API has no cookies to borrow).
        allow_credentials=False,
        max_age=settings.cors_max_age_seconds,
    )

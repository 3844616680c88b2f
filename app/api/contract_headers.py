"""The headers that cut across operations, declared in the OpenAPI document in one place.

Each is declared once under ``components`` and referred to where it occurs, so a generated
client sees the same header everywhere: ``X-Request-ID`` on every answer, the rate-limit
headers on what an API key authenticates, ``Retry-After`` on 429 and 503, and, where the
idempotency middleware honours it, the ``Idempotency-Key`` parameter and the
``Idempotent-Replayed`` header of a replayed answer. ``ETag`` and ``Location`` are declared
by the routes that set them.
"""

from __future__ import annotations

import copy
from typing import Any

from app.api.errors import problem_responses
from app.api.idempotency import HONOURED_METHODS, KEY_PATTERN, MAX_KEY_LENGTH
from app.api.rate_limits import POLICY_HEADER, STATE_HEADER

REQUEST_ID = "X-Request-ID"
RETRY_AFTER = "Retry-After"
IDEMPOTENT_REPLAYED = "Idempotent-Replayed"
IDEMPOTENCY_KEY = "Idempotency-Key"

# Answered before any API key is looked at (by the body middleware, or for want of a key):
# neither counted against a rate limit nor kept under an Idempotency-Key.
_BEFORE_AUTHENTICATION = frozenset({"401", "413", "415"})
# Never replayed: a key lacking the write scope is not recorded, and answers saying "retry"
# are not kept (see app/api/idempotency.py).
_NEVER_REPLAYED = _BEFORE_AUTHENTICATION | {"403", "429"}

HEADERS: dict[str, dict[str, Any]] = {
    REQUEST_ID: {
        "description": "This request's ID: the caller's own `X-Request-ID` when it was 1-128 "
        "characters of `A-Za-z0-9._:-`, else one made up. Logs and problem bodies carry it too.",
        "schema": {"type": "string"},
    },
    STATE_HEADER: {
        "description": "What is left of each rate limit this request counted against "
        "(draft-ietf-httpapi-ratelimit-headers), e.g. "
        '`"key";r=598;t=1, "tenant";r=2990;t=1`: `r` requests left, `t` seconds until the '
        "count next drops. Sent when rate limiting is on; a replayed answer is counted as an "
        "ordinary request.",
        "schema": {"type": "string"},
    },
    POLICY_HEADER: {
        "description": "The rate limits this request counted against, e.g. "
        '`"key";q=600;w=60, "tenant";q=3000;w=60`: `q` requests per `w` seconds. Expensive '
        'requests add `"key-expensive"` and `"tenant-expensive"`. Sent when rate limiting is '
        "on.",
        "schema": {"type": "string"},
    },
    RETRY_AFTER: {
        "description": "How many seconds to wait before trying again.",
        "schema": {"type": "integer", "minimum": 1},
    },
    IDEMPOTENT_REPLAYED: {
        "description": "`true` when this is the stored answer to an earlier request under the "
        "same `Idempotency-Key`, replayed instead of running the request again.",
        "schema": {"type": "string", "enum": ["true"]},
    },
}

IDEMPOTENCY_KEY_PARAMETER: dict[str, Any] = {
    "name": IDEMPOTENCY_KEY,
    "in": "header",
    "required": False,
    "description": "Makes the request safe to retry (a UUID per operation suits). The first "
    "request under a key runs and its answer is kept, for `idempotency_ttl_hours` (24 by "
    "default) per tenant; a retry with the same key, method, path, query and body gets that "
    "answer again, with `Idempotent-Replayed: true`, and changes nothing. The same key with "
    "another request answers 422 `idempotency-key-reused`; a retry arriving while the first "
    "still runs waits for it (up to `idempotency_wait_seconds`, 10 by default), then answers "
    "409 `idempotency-key-in-use` if it is still running. Answers saying to retry (409, 429, "
    "5xx) are not kept, so a retry under the same key runs again; an answer holding a secret "
    "shown once is replayed as a 409 pointing at the resource's `Location`. Keys are honoured "
    "for API keys with the `write` scope; a malformed key answers 422 naming "
    "`header.Idempotency-Key`.",
    "schema": {
        "type": "string",
        "minLength": 1,
        "maxLength": MAX_KEY_LENGTH,
        "pattern": KEY_PATTERN,
    },
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/headers/{name}"}


def honours_idempotency_key(method: str, operation: dict[str, Any]) -> bool:
    """Whether the idempotency middleware keeps this operation's answers: a POST or PUT
    authenticated by an API key."""
    return method.upper() in HONOURED_METHODS and bool(operation.get("security"))


def declare_headers(document: dict[str, Any]) -> None:
    """Add the cross-cutting headers and the Idempotency-Key parameter to ``document``."""
    document.setdefault("components", {})["headers"] = copy.deepcopy(HEADERS)
    for path_item in document.get("paths", {}).values():
        for method, operation in path_item.items():
            authenticated = bool(operation.get("security"))
            idempotent = honours_idempotency_key(method, operation)
            if idempotent:
                parameters = operation.setdefault("parameters", [])
                parameters.append(copy.deepcopy(IDEMPOTENCY_KEY_PARAMETER))
            responses = operation.get("responses", {})
            for status, shared in responses.items():
                # FastAPI copies declared responses shallowly: their header maps are shared
                # between operations (and with module constants), so each gets its own.
                response = responses[status] = {**shared, "headers": {**shared.get("headers", {})}}
                headers = response["headers"]
                headers[REQUEST_ID] = _ref(REQUEST_ID)
                if authenticated and status not in _BEFORE_AUTHENTICATION:
                    headers[STATE_HEADER] = _ref(STATE_HEADER)
                    headers[POLICY_HEADER] = _ref(POLICY_HEADER)
                if status in {"429", "503"}:
                    headers[RETRY_AFTER] = _ref(RETRY_AFTER)
                if idempotent and status[0] in "24" and status not in _NEVER_REPLAYED:
                    headers[IDEMPOTENT_REPLAYED] = _ref(IDEMPOTENT_REPLAYED)


def location_header(what: str) -> dict[str, dict[str, Any]]:
    """The `Location` response header, for the routes that set it."""
    return {"Location": {"description": f"Path of {what}.", "schema": {"type": "string"}}}


def secret_not_kept_conflict(what: str) -> dict[int | str, dict[str, Any]]:
    """The 409 of an operation whose answer holds a secret shown once: besides a conflict,
    it is what a retry under the same Idempotency-Key gets, pointing at the resource."""
    conflict = problem_responses(409)[409]
    return {
        409: {
            **conflict,
            "description": conflict["description"] + " Also the answer to a retry under the "
            "same `Idempotency-Key` after the first request succeeded: its answer held a "
            "secret shown once, which is not kept, so this points at the resource in "
            "`Location` instead (`idempotent-secret-not-kept`).",
            "headers": location_header(what),
        }
    }

"""Request bodies are JSON, checked once at the edge for every route (pure ASGI middleware).

A body must be declared `application/json` (or `application/*+json`), UTF-8, and parse
within bounded limits. FastAPI alone would parse a body whatever its declared type or
answer a vague 422, and the standard library's parser raises past 4,300 digits or about a
thousand levels of nesting, which reached the client as an unexplained 400. Here jiter
(pydantic-core's parser, written in Rust) reads it first: it refuses nesting deeper than
its recursion limit and numbers too long to convert, and every refusal says where in the
body it stopped. A body that passes is handed on unchanged, and the schema's own bounds
then name any field whose value is out of range.
"""

from __future__ import annotations

from email.message import Message as MediaType

from pydantic_core import from_json
from starlette.types import Message, Receive, Scope, Send

from app.api.http_middleware import HttpMiddleware
from app.api.middleware import answer_error
from app.errors import AppError, InvalidInput, UnsupportedMediaType

ACCEPTED_MEDIA_TYPES = "`application/json` or `application/*+json`, in UTF-8"


class JsonBodyMiddleware(HttpMiddleware):
    """Answers 415 for a body that is not declared JSON and 422 for one that does not parse."""

    def applies_to(self, scope: Scope) -> bool:
        return super().applies_to(scope) and _may_have_body(scope)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = await read_body(receive)
        refusal = _refusal(scope, body) if body else None
        if refusal is not None:
            await answer_error(refusal, scope, receive, send)
            return
        await self.app(scope, replay_body(body, receive), send)


def _refusal(scope: Scope, body: bytes) -> AppError | None:
    """Why ``body`` is refused: not declared JSON (415) or not parsing (422); else None."""
    media_type = _header(scope, b"content-type")
    if not is_json_media_type(media_type):
        declared = f"`{media_type}`" if media_type else "no Content-Type"
        return UnsupportedMediaType(
            f"The body was sent with {declared}; send it as {ACCEPTED_MEDIA_TYPES}."
        )
    failure = json_failure(body)
    if failure is None:
        return None
    return InvalidInput.on_field("body", f"is not valid JSON: {failure}", "json_invalid")


def is_json_media_type(value: str | None) -> bool:
    """Whether a Content-Type names JSON: `application/json` or `application/*+json`, with
    no parameter but an optional `charset=utf-8` (JSON is UTF-8, RFC 8259)."""
    if not value:
        return False
    parsed = MediaType()
    parsed["content-type"] = value
    # email's parser falls back to text/plain for a malformed value, which is refused too.
    if parsed.get_content_maintype() != "application":
        return False
    subtype = parsed.get_content_subtype()
    if subtype != "json" and not subtype.endswith("+json"):
        return False
    parameters = parsed.get_params(failobj=[])[1:]  # the first pair is the type itself
    return all(
        name.lower() == "charset" and str(content).lower() in {"utf-8", "utf8"}
        for name, content in parameters
    )


def json_failure(body: bytes) -> str | None:
    """Why ``body`` is not acceptable JSON, with the line and column where parsing stopped;
    None when it parses."""
    try:
        # Strings are not interned: a body's keys and values are not worth a shared cache.
        from_json(body, allow_inf_nan=False, cache_strings=False)
    except ValueError as error:
        return str(error)
    return None


async def read_body(receive: Receive) -> bytes:
    """The whole request body (the size limit outside bounds it)."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def replay_body(body: bytes, receive: Receive) -> Receive:
    """A receive that hands the buffered body over once, then defers to the real one."""
    sent = False

    async def replaying_receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # only a disconnect can come now

    return replaying_receive


def _may_have_body(scope: Scope) -> bool:
    # HTTP/1.1 framing: a body comes with a non-zero Content-Length or a Transfer-Encoding.
    for name, value in scope.get("headers", []):
        if name == b"transfer-encoding":
            return True
        if name == b"content-length":
            return value.strip() not in (b"0", b"")
    return False


def _header(scope: Scope, wanted: bytes) -> str | None:
    for name, value in scope.get("headers", []):
        if name == wanted:
            return str(value.decode("latin-1"))
    return None

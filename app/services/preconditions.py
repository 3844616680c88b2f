"""Conditional requests: a resource's ETag is its version; If-Match must name it."""

from __future__ import annotations

from app.errors import PreconditionFailed


def etag_of(version: int) -> str:
    return f'"{version}"'


def check_if_match(if_match: str | None, version: int) -> None:
    """Raise 412 unless ``If-Match`` is absent, ``*``, or names the current version."""
    if if_match is None:
        return
    candidates = {tag.strip() for tag in if_match.split(",")}
    # If-Match uses strong comparison (RFC 9110 13.1.1): a weak tag never matches.
    if "*" in candidates or etag_of(version) in candidates:
        return
    raise PreconditionFailed(
        f"The resource changed: its ETag is now {etag_of(version)}. Fetch it and retry."
    )

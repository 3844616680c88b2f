"""Conditional requests: a resource's ETag is its version; If-Match must name it."""

from __future__ import annotations

from app.errors import PreconditionFailed


def etag_of(version: int) -> str:
    return f'"{version}"'


def check_if_match(if_match: str | None, version: int | str) -> None:
    """Raise 412 unless ``If-Match`` is absent, ``*``, or names the current version (an
    integer version, or an entity tag given as it is sent)."""
    if if_match is None:
        return
    current = etag_of(version) if isinstance(version, int) else version
    candidates = {tag.strip() for tag in if_match.split(",")}
    # If-Match uses strong comparison (RFC 9110 13.1.1): a weak tag never matches.
    if "*" in candidates or current in candidates:
        return
    raise PreconditionFailed(
        f"The resource changed: its ETag is now {current}. Fetch it and retry."
    )

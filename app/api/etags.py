"""ETags on single resources and If-Match on PATCH, PUT and DELETE (lost-update guard).

The ETag is the resource's version, which SQLAlchemy checks and bumps on every UPDATE;
so a stale If-Match is refused up front (412), and two writers racing on one version
cannot both win: the loser's UPDATE matches no row and it gets 412 as well.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Header, Response

from app.errors import PreconditionFailed

IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        max_length=1000,
        description="Apply the change only if the resource's current ETag is one of these "
        "(as returned in `ETag`); otherwise 412. `*` matches any version.",
    ),
]


def etag_of(version: int) -> str:
    return f'"{version}"'


def set_etag(response: Response, version: int) -> None:
    response.headers["ETag"] = etag_of(version)


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


ETAG_HEADER = {
    "ETag": {
        "description": "The resource's version; send it back in `If-Match` to update safely.",
        "schema": {"type": "string"},
    }
}

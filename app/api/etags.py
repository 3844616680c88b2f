"""ETags on single resources and If-Match on PATCH, PUT and DELETE (lost-update guard).

The ETag is the resource's version, which SQLAlchemy checks and bumps on every UPDATE;
so a stale If-Match is refused up front (412), and two writers racing on one version
cannot both win: the loser's UPDATE matches no row and it gets 412 as well.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from fastapi import Header, Response
from pydantic import BaseModel

from app.services.preconditions import etag_of

__all__ = [
    "ETAG_HEADER",
    "PAGE_ETAG_HEADER",
    "IfMatch",
    "etag_of",
    "set_etag",
    "shown",
]

M = TypeVar("M", bound=BaseModel)

IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        max_length=1000,
        description="Apply the change only if the resource's current ETag is one of these "
        "(as returned in `ETag`); otherwise 412. `*` matches any version.",
    ),
]


def set_etag(response: Response, version: int) -> None:
    response.headers["ETag"] = etag_of(version)


def shown(response: Response, row: Any, read: type[M]) -> M:
    """A versioned row as the API shows it (``read``), with its ETag."""
    set_etag(response, row.version)
    return read.model_validate(row)


ETAG_HEADER = {
    "ETag": {
        "description": "The resource's version; send it back in `If-Match` to update safely.",
        "schema": {"type": "string"},
    }
}


PAGE_ETAG_HEADER = {
    "ETag": {
        "description": "A weak tag of everything on the page but `as_of`; send it back in "
        "`If-None-Match` to get 304 while the page is unchanged.",
        "schema": {"type": "string"},
    }
}

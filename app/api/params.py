"""What list endpoints share: their query parameters and the page they answer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel

from app.repositories.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, PageResult
from app.schemas.common import Page

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class PageParams:
    limit: int
    cursor: str | None


async def _page_params(
    limit: Annotated[
        int,
        Query(ge=1, le=MAX_PAGE_SIZE, description=f"Items per page (1-{MAX_PAGE_SIZE})."),
    ] = DEFAULT_PAGE_SIZE,
    cursor: Annotated[
        str | None,
        Query(max_length=512, description="`next_cursor` from the previous page."),
    ] = None,
) -> PageParams:
    return PageParams(limit=limit, cursor=cursor)


PageDep = Annotated[PageParams, Depends(_page_params)]

# Filters that several lists take.
CandidateIdFilter = Annotated[
    str | None, Query(max_length=40, description="Only this candidate's.")
]
ApplicationIdFilter = Annotated[
    str | None, Query(max_length=40, description="Only this application's.")
]


def page_of(result: PageResult[Any], read: type[M]) -> Page[M]:
    """A page of rows as the API shows it: each row read into ``read``."""
    return Page(
        data=[read.model_validate(row) for row in result.items], next_cursor=result.next_cursor
    )

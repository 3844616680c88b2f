"""Candidates, the job seekers a tenant tracks: how they are listed (``kinds`` declares
their other routes)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from app.api.deps import ReaderDep, SessionDep
from app.api.params import PageDep, page_of
from app.schemas import resources as schemas
from app.schemas.common import Page
from app.services import records as service


async def list_candidates(
    principal: ReaderDep,
    session: SessionDep,
    page: PageDep,
    email: Annotated[str | None, Query(max_length=320, description="Exact email.")] = None,
    country: Annotated[str | None, Query(max_length=2, description="ISO country code.")] = None,
) -> Page[schemas.CandidateRead]:
    """The tenant's candidates, oldest first."""
    result = await service.list_candidates(
        session,
        principal.tenant_id,
        email=email,
        country=country,
        cursor=page.cursor,
        limit=page.limit,
    )
    return page_of(result, schemas.CandidateRead)

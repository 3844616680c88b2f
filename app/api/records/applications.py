"""Applications, the jobs a candidate applied for: how they are listed (``kinds`` declares
their other routes)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from app.api.deps import CandidateReaderDep, SessionDep
from app.api.params import CandidateIdFilter, PageDep, page_of
from app.domain import ApplicationStatus
from app.schemas import resources as schemas
from app.schemas.common import Page
from app.services import records as service


async def list_applications(
    principal: CandidateReaderDep,
    session: SessionDep,
    page: PageDep,
    candidate_id: CandidateIdFilter = None,
    status_: Annotated[
        ApplicationStatus | None, Query(alias="status", description="Only in this status.")
    ] = None,
) -> Page[schemas.ApplicationRead]:
    """The tenant's applications, oldest first; with a candidate token, its candidate's."""
    result = await service.list_applications(
        session,
        principal.owner,
        candidate_id=candidate_id,
        status=status_.value if status_ else None,
        cursor=page.cursor,
        limit=page.limit,
    )
    return page_of(result, schemas.ApplicationRead)

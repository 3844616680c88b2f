"""Applications: the jobs a candidate applied for."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Response

from app.api.deps import CandidateReaderDep, CandidateWriterDep, SessionDep
from app.api.etags import shown
from app.api.params import PageDep, page_of
from app.api.records.routes import ResourceRouter, located
from app.domain import ApplicationStatus
from app.schemas import resources as schemas
from app.schemas.common import Page
from app.services import records as service

router = ResourceRouter("applications", schemas.ApplicationRead)


@router.creates("/applications", "Record a job application")
async def create_application(
    body: schemas.ApplicationCreate,
    principal: CandidateWriterDep,
    session: SessionDep,
    response: Response,
) -> schemas.ApplicationRead:
    """Record a job the candidate applied for.

    With a candidate token, only for the token's own candidate: any other `candidate_id`
    answers 422 naming `body.candidate_id`, exactly as an unknown one does; nor may a
    candidate token set `external_id`, which belongs to the tenant's integration."""
    application = await service.create_application(session, principal.owner, body)
    located(response, f"/v1/applications/{application.id}")
    return shown(response, application, schemas.ApplicationRead)


@router.lists("/applications", "List applications")
async def list_applications(
    principal: CandidateReaderDep,
    session: SessionDep,
    page: PageDep,
    candidate_id: Annotated[
        str | None, Query(max_length=40, description="Only this candidate's.")
    ] = None,
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

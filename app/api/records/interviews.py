"""Interview rounds of an application, each with its panel."""

from __future__ import annotations

from fastapi import Response

from app.api.deps import CandidateReaderDep, CandidateWriterDep, SessionDep
from app.api.params import PageDep
from app.api.records.routes import ResourceRouter, located, shown_interview
from app.schemas import resources as schemas
from app.schemas.common import Page
from app.services import records as service

router = ResourceRouter("interviews", schemas.InterviewRead)


@router.creates("/applications/{application_id}/interviews", "Record an interview round")
async def create_interview(
    application_id: str,
    body: schemas.InterviewCreate,
    principal: CandidateWriterDep,
    session: SessionDep,
    response: Response,
) -> schemas.InterviewRead:
    """Record an interview round; its panel lists contacts of the same application."""
    interview, panel = await service.create_interview(
        session, principal.owner, application_id, body
    )
    located(response, f"/v1/interviews/{interview.id}")
    return shown_interview(response, interview, panel)


@router.lists("/applications/{application_id}/interviews", "List an application's interview rounds")
async def list_interviews(
    application_id: str, principal: CandidateReaderDep, session: SessionDep, page: PageDep
) -> Page[schemas.InterviewRead]:
    """The application's interview rounds, in the order they were recorded."""
    result, panels = await service.list_interviews(
        session, principal.owner, application_id, cursor=page.cursor, limit=page.limit
    )
    return Page(
        data=[service.interview_read(i, panels[i.id]) for i in result.items],
        next_cursor=result.next_cursor,
    )

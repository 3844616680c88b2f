"""Interview rounds of an application, each with its panel."""

from __future__ import annotations

from typing import Any

from fastapi import Response

from app.api.deps import CandidateReaderDep, CandidateWriterDep, SessionDep
from app.api.etags import IfMatch, set_etag
from app.api.params import PageDep
from app.api.records.routes import ResourceRouter, located
from app.schemas import resources as schemas
from app.schemas.common import Page
from app.services import records as service

router = ResourceRouter("interviews", schemas.InterviewRead)


def shown_interview(response: Response, interview: Any, panel: list[str]) -> schemas.InterviewRead:
    """The round as the API shows it, with its panel and its ETag."""
    set_etag(response, interview.version)
    return service.interview_read(interview, panel)


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


@router.reads("/interviews/{interview_id}", "Get an interview round")
async def get_interview(
    interview_id: str, principal: CandidateReaderDep, session: SessionDep, response: Response
) -> schemas.InterviewRead:
    """One interview round."""
    interview = await service.get_interview(session, principal.owner, interview_id)
    return shown_interview(response, interview, await service.panel_of(session, interview.id))


@router.changes("/interviews/{interview_id}", "Reschedule, cancel or change an interview round")
async def update_interview(
    interview_id: str,
    body: schemas.InterviewUpdate,
    principal: CandidateWriterDep,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> schemas.InterviewRead:
    """Change a round: reschedule it (its actions move, same keys), cancel it (they become
    obsolete), record the next step and reply date, or confirm the panel."""
    interview, panel = await service.update_interview(
        session, principal.owner, interview_id, body, if_match=if_match
    )
    return shown_interview(response, interview, panel)


@router.deletes("/interviews/{interview_id}", "Delete an interview round recorded by mistake")
async def delete_interview(
    interview_id: str, principal: CandidateWriterDep, session: SessionDep, if_match: IfMatch = None
) -> None:
    """Delete a round recorded by mistake (to call one off, set `status: cancelled`)."""
    await service.delete_interview(session, principal.owner, interview_id, if_match=if_match)

"""Interview rounds of an application, each with its panel: how they are listed
(``kinds`` declares their other routes)."""

from __future__ import annotations

from app.api.deps import CandidateReaderDep, SessionDep
from app.api.params import PageDep
from app.schemas import resources as schemas
from app.schemas.common import Page
from app.services import records as service


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

"""Replies, the employer getting back to the candidate: how they are listed (``kinds``
declares their other routes)."""

from __future__ import annotations

from app.api.deps import CandidateReaderDep, SessionDep
from app.api.params import PageDep, page_of
from app.schemas import resources as schemas
from app.schemas.common import Page
from app.services import records as service


async def list_replies(
    application_id: str, principal: CandidateReaderDep, session: SessionDep, page: PageDep
) -> Page[schemas.ReplyRead]:
    """The application's replies, in the order they were recorded."""
    result = await service.list_replies(
        session, principal.owner, application_id, cursor=page.cursor, limit=page.limit
    )
    return page_of(result, schemas.ReplyRead)

"""Replies: the employer got back to the candidate."""

from __future__ import annotations

from fastapi import Response

from app.api.deps import CandidateReaderDep, CandidateWriterDep, SessionDep
from app.api.etags import shown
from app.api.params import PageDep, page_of
from app.api.records.routes import ResourceRouter, located
from app.schemas import resources as schemas
from app.schemas.common import Page
from app.services import records as service

router = ResourceRouter("replies", schemas.ReplyRead)


@router.creates("/applications/{application_id}/replies", "Record that the employer got back")
async def create_reply(
    application_id: str,
    body: schemas.ReplyCreate,
    principal: CandidateWriterDep,
    session: SessionDep,
    response: Response,
) -> schemas.ReplyRead:
    """Record that the employer got back; a pending check-in becomes obsolete, or waits for
    the new date they promised."""
    reply = await service.create_reply(session, principal.owner, application_id, body)
    located(response, f"/v1/replies/{reply.id}")
    return shown(response, reply, schemas.ReplyRead)


@router.lists("/applications/{application_id}/replies", "List an application's replies")
async def list_replies(
    application_id: str, principal: CandidateReaderDep, session: SessionDep, page: PageDep
) -> Page[schemas.ReplyRead]:
    """The application's replies, in the order they were recorded."""
    result = await service.list_replies(
        session, principal.owner, application_id, cursor=page.cursor, limit=page.limit
    )
    return page_of(result, schemas.ReplyRead)

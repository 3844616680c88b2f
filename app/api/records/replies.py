"""Replies: the employer got back to the candidate."""

from __future__ import annotations

from fastapi import Response

from app.api.deps import CandidateReaderDep, CandidateWriterDep, SessionDep
from app.api.etags import IfMatch, shown
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


@router.reads("/replies/{reply_id}", "Get a reply")
async def get_reply(
    reply_id: str, principal: CandidateReaderDep, session: SessionDep, response: Response
) -> schemas.ReplyRead:
    """One reply."""
    reply = await service.get_reply(session, principal.owner, reply_id)
    return shown(response, reply, schemas.ReplyRead)


@router.changes("/replies/{reply_id}", "Change a reply")
async def update_reply(
    reply_id: str,
    body: schemas.ReplyUpdate,
    principal: CandidateWriterDep,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> schemas.ReplyRead:
    """Change a reply."""
    reply = await service.update_reply(session, principal.owner, reply_id, body, if_match=if_match)
    return shown(response, reply, schemas.ReplyRead)


@router.deletes("/replies/{reply_id}", "Delete a reply recorded by mistake")
async def delete_reply(
    reply_id: str, principal: CandidateWriterDep, session: SessionDep, if_match: IfMatch = None
) -> None:
    """Delete a reply recorded by mistake; check-ins are re-planned."""
    await service.delete_reply(session, principal.owner, reply_id, if_match=if_match)

"""Contacts: the people on the employer's side of an application."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Response

from app.api.deps import CandidateReaderDep, CandidateWriterDep, SessionDep
from app.api.etags import shown
from app.api.params import PageDep, page_of
from app.api.records.routes import ResourceRouter, located
from app.domain import ContactRole
from app.schemas import resources as schemas
from app.schemas.common import Page
from app.services import records as service

router = ResourceRouter("contacts", schemas.ContactRead)


@router.creates("/applications/{application_id}/contacts", "Add a person on the employer's side")
async def create_contact(
    application_id: str,
    body: schemas.ContactCreate,
    principal: CandidateWriterDep,
    session: SessionDep,
    response: Response,
) -> schemas.ContactRead:
    """Add a person on the employer's side: interviewer, recruiter, firm representative."""
    contact = await service.create_contact(session, principal.owner, application_id, body)
    located(response, f"/v1/contacts/{contact.id}")
    return shown(response, contact, schemas.ContactRead)


@router.lists("/applications/{application_id}/contacts", "List an application's contacts")
async def list_contacts(
    application_id: str,
    principal: CandidateReaderDep,
    session: SessionDep,
    page: PageDep,
    role: Annotated[ContactRole | None, Query(description="Only this role.")] = None,
) -> Page[schemas.ContactRead]:
    """The application's people, oldest first."""
    result = await service.list_contacts(
        session,
        principal.owner,
        application_id,
        role=role.value if role else None,
        cursor=page.cursor,
        limit=page.limit,
    )
    return page_of(result, schemas.ContactRead)

"""Contacts, the people on the employer's side of an application: how they are listed
(``kinds`` declares their other routes)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from app.api.deps import CandidateReaderDep, SessionDep
from app.api.params import PageDep, page_of
from app.domain import ContactRole
from app.schemas import resources as schemas
from app.schemas.common import Page
from app.services import records as service


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

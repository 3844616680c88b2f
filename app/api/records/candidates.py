"""Candidates: the job seekers a tenant tracks."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Response

from app.api.deps import ReaderDep, SessionDep, WriterDep
from app.api.etags import shown
from app.api.params import PageDep, page_of
from app.api.records.routes import ResourceRouter, located
from app.schemas import resources as schemas
from app.schemas.common import Page
from app.services import records as service

router = ResourceRouter("candidates", schemas.CandidateRead)


@router.creates("/candidates", "Start tracking a candidate")
async def create_candidate(
    body: schemas.CandidateCreate, principal: WriterDep, session: SessionDep, response: Response
) -> schemas.CandidateRead:
    """Start tracking a job seeker. Their time zone and country decide business days."""
    candidate = await service.create_candidate(session, principal.tenant_id, body)
    located(response, f"/v1/candidates/{candidate.id}")
    return shown(response, candidate, schemas.CandidateRead)


@router.lists("/candidates", "List candidates")
async def list_candidates(
    principal: ReaderDep,
    session: SessionDep,
    page: PageDep,
    email: Annotated[str | None, Query(max_length=320, description="Exact email.")] = None,
    country: Annotated[str | None, Query(max_length=2, description="ISO country code.")] = None,
) -> Page[schemas.CandidateRead]:
    """The tenant's candidates, oldest first."""
    result = await service.list_candidates(
        session,
        principal.tenant_id,
        email=email,
        country=country,
        cursor=page.cursor,
        limit=page.limit,
    )
    return page_of(result, schemas.CandidateRead)

"""Candidates: the job seekers a tenant tracks."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Response

from app.api.deps import CandidateReaderDep, ReaderDep, SessionDep, WriterDep
from app.api.etags import IfMatch, shown
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


@router.reads("/candidates/{candidate_id}", "Get a candidate")
async def get_candidate(
    candidate_id: str, principal: CandidateReaderDep, session: SessionDep, response: Response
) -> schemas.CandidateRead:
    """One candidate."""
    candidate = await service.get_candidate(session, principal.owner, candidate_id)
    return shown(response, candidate, schemas.CandidateRead)


@router.changes("/candidates/{candidate_id}", "Change a candidate")
async def update_candidate(
    candidate_id: str,
    body: schemas.CandidateUpdate,
    principal: WriterDep,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> schemas.CandidateRead:
    """Change a candidate; a new time zone or country re-plans all their applications."""
    candidate = await service.update_candidate(
        session, principal.owner, candidate_id, body, if_match=if_match
    )
    return shown(response, candidate, schemas.CandidateRead)


@router.deletes("/candidates/{candidate_id}", "Erase a candidate and everything about them")
async def delete_candidate(
    candidate_id: str, principal: WriterDep, session: SessionDep, if_match: IfMatch = None
) -> None:
    """Erase the candidate and everything about them, as a privacy request requires."""
    await service.delete_candidate(session, principal.owner, candidate_id, if_match=if_match)

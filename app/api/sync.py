"""ATS integration: look up and upsert records by external ID, and sync batches."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response, status

from app.api.deps import ExpensiveWriterDep, ReaderDep, SessionDep, WorkDep, WriterDep
from app.api.errors import problem_responses
from app.api.etags import ETAG_HEADER, IfMatch, set_etag
from app.api.records import interview_read
from app.db import models
from app.schemas import resources as resource_schemas
from app.schemas import sync as schemas
from app.services import records as record_service
from app.services import sync as service

router = APIRouter(prefix="/v1")

ExternalIdPath = Annotated[
    str,
    Path(
        min_length=1,
        max_length=200,
        pattern=r"^[A-Za-z0-9._:~-]+$",
        description="The caller's own ID for the record.",
    ),
]
LOOKUP_RESPONSES = {200: {"headers": ETAG_HEADER}, **problem_responses(401, 403, 404, 422)}
UPSERT_RESPONSES = {
    200: {"description": "Updated (or unchanged).", "headers": ETAG_HEADER},
    201: {"description": "Created.", "headers": ETAG_HEADER},
    **problem_responses(401, 403, 409, 412, 422),
}


@router.post(
    "/sync",
    summary="Upsert many records by external ID in one call",
    response_model=schemas.SyncResponse,
    tags=["sync"],
    responses=problem_responses(401, 403, 409, 422),
)
async def sync_records(
    body: schemas.SyncBatch, principal: ExpensiveWriterDep, session: SessionDep, work: WorkDep
) -> schemas.SyncResponse:
    """Upsert up to 1,000 candidates, applications, contacts and interviews by `external_id`
    in one transaction, re-planning each touched application once.

    The answer maps every external ID to its Follow-Up ID and says whether the record was
    `created`, `updated` or `unchanged`. A batch with one bad record is refused whole (422
    naming the record and field, e.g. `body.interviews.3.end`); nothing is half-written.
    To cancel an interview that disappeared from the ATS, send it with `status: cancelled`.
    """
    return await service.sync(session, principal.tenant_id, body, work)


async def _upsert(
    session: SessionDep,
    tenant_id: str,
    kind: str,
    model: Any,
    external_id: str,
    body: Any,
    response: Response,
    if_match: str | None,
) -> Any:
    row, created = await service.upsert_one(
        session, tenant_id, kind, model, external_id, body, if_match
    )
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    set_etag(response, row.version)
    return row


@router.get(
    "/candidates/by-external-id/{external_id}",
    summary="Get a candidate by your external ID",
    response_model=resource_schemas.CandidateRead,
    tags=["candidates"],
    responses=LOOKUP_RESPONSES,
)
async def get_candidate_by_external_id(
    external_id: ExternalIdPath, principal: ReaderDep, session: SessionDep, response: Response
) -> Any:
    """The candidate with this external ID."""
    row = await service.find_by_external_id(
        session, models.Candidate, principal.tenant_id, external_id, "candidate"
    )
    set_etag(response, row.version)
    return row


@router.put(
    "/candidates/by-external-id/{external_id}",
    summary="Create or replace a candidate by your external ID",
    response_model=resource_schemas.CandidateRead,
    tags=["candidates"],
    responses=UPSERT_RESPONSES,
)
async def upsert_candidate_by_external_id(
    external_id: ExternalIdPath,
    body: schemas.CandidateUpsert,
    principal: WriterDep,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> Any:
    """Create the candidate with this external ID, or replace its fields (201 or 200)."""
    return await _upsert(
        session,
        principal.tenant_id,
        "candidates",
        models.Candidate,
        external_id,
        body,
        response,
        if_match,
    )


@router.get(
    "/applications/by-external-id/{external_id}",
    summary="Get an application by your external ID",
    response_model=resource_schemas.ApplicationRead,
    tags=["applications"],
    responses=LOOKUP_RESPONSES,
)
async def get_application_by_external_id(
    external_id: ExternalIdPath, principal: ReaderDep, session: SessionDep, response: Response
) -> Any:
    """The application with this external ID."""
    row = await service.find_by_external_id(
        session, models.Application, principal.tenant_id, external_id, "application"
    )
    set_etag(response, row.version)
    return row


@router.put(
    "/applications/by-external-id/{external_id}",
    summary="Create or replace an application by your external ID",
    response_model=resource_schemas.ApplicationRead,
    tags=["applications"],
    responses=UPSERT_RESPONSES,
)
async def upsert_application_by_external_id(
    external_id: ExternalIdPath,
    body: schemas.ApplicationUpsert,
    principal: WriterDep,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> Any:
    """Create the application with this external ID, or replace its fields (201 or 200)."""
    return await _upsert(
        session,
        principal.tenant_id,
        "applications",
        models.Application,
        external_id,
        body,
        response,
        if_match,
    )


@router.get(
    "/contacts/by-external-id/{external_id}",
    summary="Get a contact by your external ID",
    response_model=resource_schemas.ContactRead,
    tags=["contacts"],
    responses=LOOKUP_RESPONSES,
)
async def get_contact_by_external_id(
    external_id: ExternalIdPath, principal: ReaderDep, session: SessionDep, response: Response
) -> Any:
    """The contact with this external ID."""
    row = await service.find_by_external_id(
        session, models.Contact, principal.tenant_id, external_id, "contact"
    )
    set_etag(response, row.version)
    return row


@router.put(
    "/contacts/by-external-id/{external_id}",
    summary="Create or replace a contact by your external ID",
    response_model=resource_schemas.ContactRead,
    tags=["contacts"],
    responses=UPSERT_RESPONSES,
)
async def upsert_contact_by_external_id(
    external_id: ExternalIdPath,
    body: schemas.ContactUpsert,
    principal: WriterDep,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> Any:
    """Create the contact with this external ID, or replace its fields (201 or 200)."""
    return await _upsert(
        session,
        principal.tenant_id,
        "contacts",
        models.Contact,
        external_id,
        body,
        response,
        if_match,
    )


@router.get(
    "/interviews/by-external-id/{external_id}",
    summary="Get an interview round by your external ID",
    response_model=resource_schemas.InterviewRead,
    tags=["interviews"],
    responses=LOOKUP_RESPONSES,
)
async def get_interview_by_external_id(
    external_id: ExternalIdPath, principal: ReaderDep, session: SessionDep, response: Response
) -> Any:
    """The interview with this external ID."""
    row = await service.find_by_external_id(
        session, models.Interview, principal.tenant_id, external_id, "interview"
    )
    set_etag(response, row.version)
    return interview_read(row, await record_service.panel_of(session, row.id))


@router.put(
    "/interviews/by-external-id/{external_id}",
    summary="Create or replace an interview round by your external ID",
    response_model=resource_schemas.InterviewRead,
    tags=["interviews"],
    responses=UPSERT_RESPONSES,
)
async def upsert_interview_by_external_id(
    external_id: ExternalIdPath,
    body: schemas.InterviewUpsert,
    principal: WriterDep,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> Any:
    """Create the interview with this external ID, or replace its fields (201 or 200);
    send `status: cancelled` when it disappeared from the ATS."""
    row = await _upsert(
        session,
        principal.tenant_id,
        "interviews",
        models.Interview,
        external_id,
        body,
        response,
        if_match,
    )
    return interview_read(row, await record_service.panel_of(session, row.id))

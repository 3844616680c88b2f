"""ATS integration: look up and upsert records by external ID, and sync batches."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response, status
from pydantic import BaseModel

from app.api.deps import ExpensiveWriterDep, ReaderDep, SessionDep, WorkDep, WriterDep
from app.api.errors import problem_responses
from app.api.etags import ETAG_HEADER, IfMatch, shown
from app.api.records.interviews import shown_interview
from app.api.records.routes import Route
from app.domain.sync import SyncKind
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


def _lookup(resource: str, noun: str, read: type[BaseModel]) -> Route:
    """The route that reads one of ``resource`` by the caller's external ID."""
    return router.get(
        f"/{resource}/by-external-id/{{external_id}}",
        summary=f"Get {noun} by your external ID",
        response_model=read,
        tags=[resource],
        responses=LOOKUP_RESPONSES,
    )


def _upsert_route(resource: str, noun: str, read: type[BaseModel]) -> Route:
    """The route that creates or replaces one of ``resource`` by the caller's external ID."""
    return router.put(
        f"/{resource}/by-external-id/{{external_id}}",
        summary=f"Create or replace {noun} by your external ID",
        response_model=read,
        tags=[resource],
        responses=UPSERT_RESPONSES,
    )


async def _upsert(
    session: SessionDep,
    tenant_id: str,
    kind: SyncKind,
    external_id: str,
    body: Any,
    response: Response,
    if_match: str | None,
) -> Any:
    """Upsert the record; 201 when it was created, 200 otherwise, with its ETag."""
    row, created = await service.upsert_one(session, tenant_id, kind, external_id, body, if_match)
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return row


@_lookup("candidates", "a candidate", resource_schemas.CandidateRead)
async def get_candidate_by_external_id(
    external_id: ExternalIdPath, principal: ReaderDep, session: SessionDep, response: Response
) -> resource_schemas.CandidateRead:
    """The candidate with this external ID."""
    row = await service.find_by_external_id(
        session, principal.tenant_id, SyncKind.CANDIDATE, external_id
    )
    return shown(response, row, resource_schemas.CandidateRead)


@_upsert_route("candidates", "a candidate", resource_schemas.CandidateRead)
async def upsert_candidate_by_external_id(
    external_id: ExternalIdPath,
    body: schemas.CandidateUpsert,
    principal: WriterDep,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> resource_schemas.CandidateRead:
    """Create the candidate with this external ID, or replace its fields (201 or 200)."""
    row = await _upsert(
        session, principal.tenant_id, SyncKind.CANDIDATE, external_id, body, response, if_match
    )
    return shown(response, row, resource_schemas.CandidateRead)


@_lookup("applications", "an application", resource_schemas.ApplicationRead)
async def get_application_by_external_id(
    external_id: ExternalIdPath, principal: ReaderDep, session: SessionDep, response: Response
) -> resource_schemas.ApplicationRead:
    """The application with this external ID."""
    row = await service.find_by_external_id(
        session, principal.tenant_id, SyncKind.APPLICATION, external_id
    )
    return shown(response, row, resource_schemas.ApplicationRead)


@_upsert_route("applications", "an application", resource_schemas.ApplicationRead)
async def upsert_application_by_external_id(
    external_id: ExternalIdPath,
    body: schemas.ApplicationUpsert,
    principal: WriterDep,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> resource_schemas.ApplicationRead:
    """Create the application with this external ID, or replace its fields (201 or 200)."""
    row = await _upsert(
        session, principal.tenant_id, SyncKind.APPLICATION, external_id, body, response, if_match
    )
    return shown(response, row, resource_schemas.ApplicationRead)


@_lookup("contacts", "a contact", resource_schemas.ContactRead)
async def get_contact_by_external_id(
    external_id: ExternalIdPath, principal: ReaderDep, session: SessionDep, response: Response
) -> resource_schemas.ContactRead:
    """The contact with this external ID."""
    row = await service.find_by_external_id(
        session, principal.tenant_id, SyncKind.CONTACT, external_id
    )
    return shown(response, row, resource_schemas.ContactRead)


@_upsert_route("contacts", "a contact", resource_schemas.ContactRead)
async def upsert_contact_by_external_id(
    external_id: ExternalIdPath,
    body: schemas.ContactUpsert,
    principal: WriterDep,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> resource_schemas.ContactRead:
    """Create the contact with this external ID, or replace its fields (201 or 200)."""
    row = await _upsert(
        session, principal.tenant_id, SyncKind.CONTACT, external_id, body, response, if_match
    )
    return shown(response, row, resource_schemas.ContactRead)


@_lookup("interviews", "an interview round", resource_schemas.InterviewRead)
async def get_interview_by_external_id(
    external_id: ExternalIdPath, principal: ReaderDep, session: SessionDep, response: Response
) -> resource_schemas.InterviewRead:
    """The interview with this external ID."""
    row = await service.find_by_external_id(
        session, principal.tenant_id, SyncKind.INTERVIEW, external_id
    )
    return shown_interview(response, row, await record_service.panel_of(session, row.id))


@_upsert_route("interviews", "an interview round", resource_schemas.InterviewRead)
async def upsert_interview_by_external_id(
    external_id: ExternalIdPath,
    body: schemas.InterviewUpsert,
    principal: WriterDep,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> resource_schemas.InterviewRead:
    """Create the interview with this external ID, or replace its fields (201 or 200);
    send `status: cancelled` when it disappeared from the ATS."""
    row = await _upsert(
        session, principal.tenant_id, SyncKind.INTERVIEW, external_id, body, response, if_match
    )
    return shown_interview(response, row, await record_service.panel_of(session, row.id))

"""ATS integration: look up and upsert records by external ID, and sync batches."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Path, Response, status
from pydantic import BaseModel

from app.api.deps import ExpensiveWriterDep, ReaderDep, SessionDep, WorkDep, WriterDep
from app.api.errors import problem_responses
from app.api.etags import ETAG_HEADER, IfMatch
from app.api.records.routes import shown_record
from app.domain.sync import SyncKind
from app.schemas import resources as resource_schemas
from app.schemas import sync as schemas
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


# What differs between the kinds addressed by external ID: the resource's path and tag,
# how its summaries name one, its models, and a note an upsert's description adds.
@dataclass(frozen=True)
class _ExternalIdRoutes:
    kind: SyncKind
    resource: str
    noun: str
    read: type[BaseModel]
    upsert: type[BaseModel]
    upsert_note: str = ""


_KINDS = (
    _ExternalIdRoutes(
        SyncKind.CANDIDATE,
        "candidates",
        "a candidate",
        resource_schemas.CandidateRead,
        schemas.CandidateUpsert,
    ),
    _ExternalIdRoutes(
        SyncKind.APPLICATION,
        "applications",
        "an application",
        resource_schemas.ApplicationRead,
        schemas.ApplicationUpsert,
    ),
    _ExternalIdRoutes(
        SyncKind.CONTACT,
        "contacts",
        "a contact",
        resource_schemas.ContactRead,
        schemas.ContactUpsert,
    ),
    _ExternalIdRoutes(
        SyncKind.INTERVIEW,
        "interviews",
        "an interview round",
        resource_schemas.InterviewRead,
        schemas.InterviewUpsert,
        upsert_note=";\nsend `status: cancelled` when it disappeared from the ATS",
    ),
)


def _declare(routes: _ExternalIdRoutes) -> None:
    """The two routes of one kind addressed by the caller's external ID: a lookup, and an
    upsert whose body is the kind's own."""
    kind = routes.kind.value
    path = f"/{routes.resource}/by-external-id/{{external_id}}"

    async def lookup(
        external_id: ExternalIdPath, principal: ReaderDep, session: SessionDep, response: Response
    ) -> Any:
        row = await service.find_by_external_id(
            session, principal.tenant_id, routes.kind, external_id
        )
        return await shown_record(session, response, routes.read, row)

    async def upsert(
        external_id: ExternalIdPath,
        body: BaseModel,
        principal: WriterDep,
        session: SessionDep,
        response: Response,
        if_match: IfMatch = None,
    ) -> Any:
        row, created = await service.upsert_one(
            session, principal.tenant_id, routes.kind, external_id, body, if_match
        )
        response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return await shown_record(session, response, routes.read, row)

    # FastAPI reads the body's model from the annotation: the kind's own, so it is
    # validated and documented as that kind.
    upsert.__annotations__["body"] = routes.upsert
    router.get(
        path,
        name=f"get_{kind}_by_external_id",
        summary=f"Get {routes.noun} by your external ID",
        description=f"The {kind} with this external ID.",
        response_model=routes.read,
        tags=[routes.resource],
        responses=LOOKUP_RESPONSES,
    )(lookup)
    router.put(
        path,
        name=f"upsert_{kind}_by_external_id",
        summary=f"Create or replace {routes.noun} by your external ID",
        description=f"Create the {kind} with this external ID, or replace its fields "
        f"(201 or 200){routes.upsert_note}.",
        response_model=routes.read,
        tags=[routes.resource],
        responses=UPSERT_RESPONSES,
    )(upsert)


for _routes in _KINDS:
    _declare(_routes)

"""Candidates, applications, contacts, interviews, replies: create, read, list, change, delete."""

from __future__ import annotations

from typing import Annotated, TypeVar

from fastapi import APIRouter, Query, Response, status

from app.api.contract_headers import location_header
from app.api.deps import (
    CandidateReaderDep,
    CandidateWriterDep,
    ReaderDep,
    SessionDep,
    WriterDep,
)
from app.api.errors import problem_responses
from app.api.etags import ETAG_HEADER, IfMatch, set_etag
from app.api.params import PageDep
from app.db import models
from app.domain import ApplicationStatus, ContactRole
from app.schemas import resources as schemas
from app.schemas.common import Page
from app.services import records as service

router = APIRouter(prefix="/v1")

READ_ERRORS = problem_responses(401, 403, 404, 422)
SINGLE_READ = {200: {"headers": ETAG_HEADER}, **READ_ERRORS}
WRITE_ERRORS = problem_responses(401, 403, 404, 409, 412, 422)
SINGLE_WRITE = {200: {"headers": ETAG_HEADER}, **WRITE_ERRORS}
CREATED = {
    201: {"headers": {**ETAG_HEADER, **location_header("the new resource")}},
    **WRITE_ERRORS,
}
LIST_ERRORS = problem_responses(401, 403, 404, 422)

T = TypeVar("T")


def interview_read(interview: models.Interview, panel: list[str]) -> schemas.InterviewRead:
    return schemas.InterviewRead(
        id=interview.id,
        created_at=interview.created_at,
        updated_at=interview.updated_at,
        application_id=interview.application_id,
        kind=interview.kind,
        start=interview.start_at,
        end=interview.end_at,
        status=interview.status,
        panel=panel,
        panel_confirmed=interview.panel_confirmed,
        next_step=interview.next_step,
        expected_reply_date=interview.expected_reply_date,
        external_id=interview.external_id,
    )


# --- candidates -------------------------------------------------------------------------


@router.post(
    "/candidates",
    summary="Start tracking a candidate",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.CandidateRead,
    tags=["candidates"],
    responses=CREATED,
)
async def create_candidate(
    body: schemas.CandidateCreate, principal: WriterDep, session: SessionDep, response: Response
) -> models.Candidate:
    """Start tracking a job seeker. Their time zone and country decide business days."""
    record = await service.create_candidate(session, principal.tenant_id, body)
    set_etag(response, record.version)
    response.headers["Location"] = f"/v1/candidates/{record.id}"
    return record


@router.get(
    "/candidates",
    summary="List candidates",
    response_model=Page[schemas.CandidateRead],
    tags=["candidates"],
    responses=LIST_ERRORS,
)
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
    return Page(
        data=[schemas.CandidateRead.model_validate(c) for c in result.items],
        next_cursor=result.next_cursor,
    )


@router.get(
    "/candidates/{candidate_id}",
    summary="Get a candidate",
    response_model=schemas.CandidateRead,
    tags=["candidates"],
    responses=SINGLE_READ,
)
async def get_candidate(
    candidate_id: str, principal: CandidateReaderDep, session: SessionDep, response: Response
) -> models.Candidate:
    """One candidate."""
    record = await service.get_candidate(session, principal.owner, candidate_id)
    set_etag(response, record.version)
    return record


@router.patch(
    "/candidates/{candidate_id}",
    summary="Change a candidate",
    response_model=schemas.CandidateRead,
    tags=["candidates"],
    responses=SINGLE_WRITE,
)
async def update_candidate(
    candidate_id: str,
    body: schemas.CandidateUpdate,
    principal: WriterDep,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> models.Candidate:
    """Change a candidate; a new time zone or country re-plans all their applications."""
    record = await service.update_candidate(
        session, principal.owner, candidate_id, body, if_match=if_match
    )
    set_etag(response, record.version)
    return record


@router.delete(
    "/candidates/{candidate_id}",
    summary="Erase a candidate and everything about them",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    tags=["candidates"],
    responses=problem_responses(401, 403, 404, 409, 412, 422),
)
async def delete_candidate(
    candidate_id: str, principal: WriterDep, session: SessionDep, if_match: IfMatch = None
) -> None:
    """Erase the candidate and everything about them, as a privacy request requires."""
    await service.delete_candidate(session, principal.owner, candidate_id, if_match=if_match)


# --- applications -----------------------------------------------------------------------


@router.post(
    "/applications",
    summary="Record a job application",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.ApplicationRead,
    tags=["applications"],
    responses=CREATED,
)
async def create_application(
    body: schemas.ApplicationCreate,
    principal: CandidateWriterDep,
    session: SessionDep,
    response: Response,
) -> models.Application:
    """Record a job the candidate applied for.

    With a candidate token, only for the token's own candidate: any other `candidate_id`
    answers 422 naming `body.candidate_id`, exactly as an unknown one does; nor may a
    candidate token set `external_id`, which belongs to the tenant's integration."""
    record = await service.create_application(session, principal.owner, body)
    set_etag(response, record.version)
    response.headers["Location"] = f"/v1/applications/{record.id}"
    return record


@router.get(
    "/applications",
    summary="List applications",
    response_model=Page[schemas.ApplicationRead],
    tags=["applications"],
    responses=LIST_ERRORS,
)
async def list_applications(
    principal: CandidateReaderDep,
    session: SessionDep,
    page: PageDep,
    candidate_id: Annotated[
        str | None, Query(max_length=40, description="Only this candidate's.")
    ] = None,
    status_: Annotated[
        ApplicationStatus | None, Query(alias="status", description="Only in this status.")
    ] = None,
) -> Page[schemas.ApplicationRead]:
    """The tenant's applications, oldest first; with a candidate token, its candidate's."""
    result = await service.list_applications(
        session,
        principal.owner,
        candidate_id=candidate_id,
        status=status_.value if status_ else None,
        cursor=page.cursor,
        limit=page.limit,
    )
    return Page(
        data=[schemas.ApplicationRead.model_validate(a) for a in result.items],
        next_cursor=result.next_cursor,
    )


@router.get(
    "/applications/{application_id}",
    summary="Get an application",
    response_model=schemas.ApplicationRead,
    tags=["applications"],
    responses=SINGLE_READ,
)
async def get_application(
    application_id: str, principal: CandidateReaderDep, session: SessionDep, response: Response
) -> models.Application:
    """One application."""
    record = await service.get_application(session, principal.owner, application_id)
    set_etag(response, record.version)
    return record


@router.patch(
    "/applications/{application_id}",
    summary="Change an application",
    response_model=schemas.ApplicationRead,
    tags=["applications"],
    responses=SINGLE_WRITE,
)
async def update_application(
    application_id: str,
    body: schemas.ApplicationUpdate,
    principal: CandidateWriterDep,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> models.Application:
    """Change an application; a final status (accepted, rejected, withdrawn) ends check-ins
    and opens the `connect_on_network` actions."""
    record = await service.update_application(
        session, principal.owner, application_id, body, if_match=if_match
    )
    set_etag(response, record.version)
    return record


@router.delete(
    "/applications/{application_id}",
    summary="Delete an application and all its records",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    tags=["applications"],
    responses=problem_responses(401, 403, 404, 409, 412, 422),
)
async def delete_application(
    application_id: str,
    principal: CandidateWriterDep,
    session: SessionDep,
    if_match: IfMatch = None,
) -> None:
    """Delete the application with its contacts, interviews, replies and actions.

    A candidate token with the `write` scope may delete its own candidate's applications,
    as it may record them."""
    await service.delete_application(session, principal.owner, application_id, if_match=if_match)


# --- contacts ---------------------------------------------------------------------------


@router.post(
    "/applications/{application_id}/contacts",
    summary="Add a person on the employer's side",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.ContactRead,
    tags=["contacts"],
    responses=CREATED,
)
async def create_contact(
    application_id: str,
    body: schemas.ContactCreate,
    principal: CandidateWriterDep,
    session: SessionDep,
    response: Response,
) -> models.Contact:
    """Add a person on the employer's side: interviewer, recruiter, firm representative."""
    record = await service.create_contact(session, principal.owner, application_id, body)
    set_etag(response, record.version)
    response.headers["Location"] = f"/v1/contacts/{record.id}"
    return record


@router.get(
    "/applications/{application_id}/contacts",
    summary="List an application's contacts",
    response_model=Page[schemas.ContactRead],
    tags=["contacts"],
    responses=LIST_ERRORS,
)
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
    return Page(
        data=[schemas.ContactRead.model_validate(c) for c in result.items],
        next_cursor=result.next_cursor,
    )


@router.get(
    "/contacts/{contact_id}",
    summary="Get a contact",
    response_model=schemas.ContactRead,
    tags=["contacts"],
    responses=SINGLE_READ,
)
async def get_contact(
    contact_id: str, principal: CandidateReaderDep, session: SessionDep, response: Response
) -> models.Contact:
    """One contact."""
    record = await service.get_contact(session, principal.owner, contact_id)
    set_etag(response, record.version)
    return record


@router.patch(
    "/contacts/{contact_id}",
    summary="Change a contact",
    response_model=schemas.ContactRead,
    tags=["contacts"],
    responses=SINGLE_WRITE,
)
async def update_contact(
    contact_id: str,
    body: schemas.ContactUpdate,
    principal: CandidateWriterDep,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> models.Contact:
    """Change a contact; a new email unblocks a thank-you, a title can complete E1."""
    record = await service.update_contact(
        session, principal.owner, contact_id, body, if_match=if_match
    )
    set_etag(response, record.version)
    return record


@router.delete(
    "/contacts/{contact_id}",
    summary="Delete a contact",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    tags=["contacts"],
    responses=problem_responses(401, 403, 404, 409, 412, 422),
)
async def delete_contact(
    contact_id: str, principal: CandidateWriterDep, session: SessionDep, if_match: IfMatch = None
) -> None:
    """Delete a contact; refused (409) while they sit on a panel or gave a reply."""
    await service.delete_contact(session, principal.owner, contact_id, if_match=if_match)


# --- interviews -------------------------------------------------------------------------


@router.post(
    "/applications/{application_id}/interviews",
    summary="Record an interview round",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.InterviewRead,
    tags=["interviews"],
    responses=CREATED,
)
async def create_interview(
    application_id: str,
    body: schemas.InterviewCreate,
    principal: CandidateWriterDep,
    session: SessionDep,
    response: Response,
) -> schemas.InterviewRead:
    """Record an interview round; its panel lists contacts of the same application."""
    interview, panel = await service.create_interview(
        session, principal.owner, application_id, body
    )
    set_etag(response, interview.version)
    response.headers["Location"] = f"/v1/interviews/{interview.id}"
    return interview_read(interview, panel)


@router.get(
    "/applications/{application_id}/interviews",
    summary="List an application's interview rounds",
    response_model=Page[schemas.InterviewRead],
    tags=["interviews"],
    responses=LIST_ERRORS,
)
async def list_interviews(
    application_id: str, principal: CandidateReaderDep, session: SessionDep, page: PageDep
) -> Page[schemas.InterviewRead]:
    """The application's interview rounds, in the order they were recorded."""
    result, panels = await service.list_interviews(
        session, principal.owner, application_id, cursor=page.cursor, limit=page.limit
    )
    return Page(
        data=[interview_read(i, panels[i.id]) for i in result.items],
        next_cursor=result.next_cursor,
    )


@router.get(
    "/interviews/{interview_id}",
    summary="Get an interview round",
    response_model=schemas.InterviewRead,
    tags=["interviews"],
    responses=SINGLE_READ,
)
async def get_interview(
    interview_id: str, principal: CandidateReaderDep, session: SessionDep, response: Response
) -> schemas.InterviewRead:
    """One interview round."""
    interview = await service.get_interview(session, principal.owner, interview_id)
    set_etag(response, interview.version)
    return interview_read(interview, await service.panel_of(session, interview.id))


@router.patch(
    "/interviews/{interview_id}",
    summary="Reschedule, cancel or change an interview round",
    response_model=schemas.InterviewRead,
    tags=["interviews"],
    responses=SINGLE_WRITE,
)
async def update_interview(
    interview_id: str,
    body: schemas.InterviewUpdate,
    principal: CandidateWriterDep,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> schemas.InterviewRead:
    """Change a round: reschedule it (its actions move, same keys), cancel it (they become
    obsolete), record the next step and reply date, or confirm the panel."""
    interview, panel = await service.update_interview(
        session, principal.owner, interview_id, body, if_match=if_match
    )
    set_etag(response, interview.version)
    return interview_read(interview, panel)


@router.delete(
    "/interviews/{interview_id}",
    summary="Delete an interview round recorded by mistake",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    tags=["interviews"],
    responses=problem_responses(401, 403, 404, 409, 412, 422),
)
async def delete_interview(
    interview_id: str, principal: CandidateWriterDep, session: SessionDep, if_match: IfMatch = None
) -> None:
    """Delete a round recorded by mistake (to call one off, set `status: cancelled`)."""
    await service.delete_interview(session, principal.owner, interview_id, if_match=if_match)


# --- replies ----------------------------------------------------------------------------


@router.post(
    "/applications/{application_id}/replies",
    summary="Record that the employer got back",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.ReplyRead,
    tags=["replies"],
    responses=CREATED,
)
async def create_reply(
    application_id: str,
    body: schemas.ReplyCreate,
    principal: CandidateWriterDep,
    session: SessionDep,
    response: Response,
) -> models.Reply:
    """Record that the employer got back; a pending check-in becomes obsolete, or waits for
    the new date they promised."""
    record = await service.create_reply(session, principal.owner, application_id, body)
    set_etag(response, record.version)
    response.headers["Location"] = f"/v1/replies/{record.id}"
    return record


@router.get(
    "/applications/{application_id}/replies",
    summary="List an application's replies",
    response_model=Page[schemas.ReplyRead],
    tags=["replies"],
    responses=LIST_ERRORS,
)
async def list_replies(
    application_id: str, principal: CandidateReaderDep, session: SessionDep, page: PageDep
) -> Page[schemas.ReplyRead]:
    """The application's replies, in the order they were recorded."""
    result = await service.list_replies(
        session, principal.owner, application_id, cursor=page.cursor, limit=page.limit
    )
    return Page(
        data=[schemas.ReplyRead.model_validate(r) for r in result.items],
        next_cursor=result.next_cursor,
    )


@router.get(
    "/replies/{reply_id}",
    summary="Get a reply",
    response_model=schemas.ReplyRead,
    tags=["replies"],
    responses=SINGLE_READ,
)
async def get_reply(
    reply_id: str, principal: CandidateReaderDep, session: SessionDep, response: Response
) -> models.Reply:
    """One reply."""
    record = await service.get_reply(session, principal.owner, reply_id)
    set_etag(response, record.version)
    return record


@router.patch(
    "/replies/{reply_id}",
    summary="Change a reply",
    response_model=schemas.ReplyRead,
    tags=["replies"],
    responses=SINGLE_WRITE,
)
async def update_reply(
    reply_id: str,
    body: schemas.ReplyUpdate,
    principal: CandidateWriterDep,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> models.Reply:
    """Change a reply."""
    record = await service.update_reply(session, principal.owner, reply_id, body, if_match=if_match)
    set_etag(response, record.version)
    return record


@router.delete(
    "/replies/{reply_id}",
    summary="Delete a reply recorded by mistake",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    tags=["replies"],
    responses=problem_responses(401, 403, 404, 409, 412, 422),
)
async def delete_reply(
    reply_id: str, principal: CandidateWriterDep, session: SessionDep, if_match: IfMatch = None
) -> None:
    """Delete a reply recorded by mistake; check-ins are re-planned."""
    await service.delete_reply(session, principal.owner, reply_id, if_match=if_match)

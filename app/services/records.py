"""Use cases on the tenant's records; every write re-plans the application it touches."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.db import models
from app.db.base import new_id
from app.domain import ApplicationSource
from app.errors import Conflict, FieldError, InvalidInput, found
from app.repositories import idempotency as idempotency_repo
from app.repositories import records as repo
from app.repositories.owners import Owner
from app.repositories.pagination import PageResult
from app.schemas import resources as schemas
from app.services import candidate_tokens, events, limits
from app.services.planning import replan
from app.services.preconditions import check_if_match
from app.services.writing import (
    assign,
    calendar_moved,
    check_panel,
    write_application,
    write_interview,
)
from app.services.writing import interview_read as interview_read  # for routers


async def _owned(
    session: AsyncSession,
    model: type[repo.Owned],
    owner: Owner,
    row_id: str,
    noun: str,
    if_match: str | None,
) -> repo.Owned:
    """The owner's row, which a write's ``If-Match`` (when given) must name."""
    row = found(await repo.get_owned(session, model, owner, row_id), f"No {noun} {row_id}.")
    check_if_match(if_match, row.version)
    return row


async def _changed(session: AsyncSession, row: Any) -> None:
    """A row of an application was changed: its actions are re-planned."""
    await session.flush()
    await replan(session, row.application_id)


async def _removed(session: AsyncSession, row: Any) -> None:
    """A row of an application is deleted: its actions are re-planned."""
    application_id = row.application_id
    await repo.remove(session, row)
    await replan(session, application_id)


async def _check_external_id(
    session: AsyncSession,
    model: type[repo.Owned],
    owner: Owner,
    fields: dict[str, Any],
    row_id: str | None = None,
) -> None:
    """Refuse an external ID another record of the tenant holds, and any external ID from a
    candidate token.

    External IDs are the keys of the tenant's integration (its ATS), unique across the
    tenant: a candidate token may not set or clear one, which would also tell it whether
    another candidate's record holds it.
    """
    if "external_id" not in fields:
        return
    if owner.candidate_id is not None:
        raise InvalidInput.on_field(
            "body.external_id",
            "external IDs are set by the tenant's integration, not with a candidate token",
            "not_allowed",
        )
    external_id = fields["external_id"]
    if external_id is None:
        return
    existing = await repo.get_by_external_id(session, model, owner.tenant_id, external_id)
    if existing is not None and existing.id != row_id:
        raise Conflict(
            f"external_id {external_id!r} already belongs to {existing.id}.",
            errors=[FieldError("body.external_id", "already used by another record", "duplicate")],
        )


def _created(body: Any) -> dict[str, Any]:
    """The external ID a create sets, as :func:`_check_external_id` reads it (a null one
    sets nothing)."""
    external_id = getattr(body, "external_id", None)
    return {} if external_id is None else {"external_id": external_id}


def _changes(body: Any, *, required: tuple[str, ...]) -> dict[str, Any]:
    """The fields a PATCH sets; a column that cannot be empty may not be set to null."""
    changes: dict[str, Any] = body.model_dump(exclude_unset=True)
    for name in required:
        if name in changes and changes[name] is None:
            raise InvalidInput.on_field(f"body.{name}", "may not be null", "null")
    return changes


# --- candidates -------------------------------------------------------------------------


async def get_candidate(
    session: AsyncSession, owner: Owner, candidate_id: str, *, if_match: str | None = None
) -> models.Candidate:
    return await _owned(session, models.Candidate, owner, candidate_id, "candidate", if_match)


async def create_candidate(
    session: AsyncSession, owner: Owner, body: schemas.CandidateCreate
) -> models.Candidate:
    await _check_external_id(session, models.Candidate, owner, _created(body))
    candidate = models.Candidate(id=new_id("cand"), tenant_id=owner.tenant_id, **body.model_dump())
    await repo.add(session, candidate)
    return candidate


async def update_candidate(
    session: AsyncSession,
    owner: Owner,
    candidate_id: str,
    body: schemas.CandidateUpdate,
    *,
    if_match: str | None = None,
) -> models.Candidate:
    candidate = await get_candidate(session, owner, candidate_id, if_match=if_match)
    changes = _changes(body, required=("name", "time_zone", "country", "language"))
    await _check_external_id(session, models.Candidate, owner, changes, candidate.id)
    calendar_changed = calendar_moved(candidate, changes)
    assign(candidate, changes)
    await session.flush()
    if calendar_changed:  # business days moved: every application's windows may move
        for application_id in await repo.application_ids_of_candidates(session, [candidate.id]):
            await replan(session, application_id)
    return candidate


async def delete_candidate(
    session: AsyncSession, owner: Owner, candidate_id: str, *, if_match: str | None = None
) -> None:
    """Erase the candidate and everything about them (applications, people, rounds, actions)."""
    candidate = await get_candidate(session, owner, candidate_id, if_match=if_match)
    application_ids = await repo.application_ids_of_candidates(session, [candidate.id])
    await candidate_tokens.forget_candidate(session, candidate.id)
    await repo.remove_with_dependents(session, candidate)
    await events.erase_candidate(session, candidate_id)
    # A retried POST must not replay what was erased.
    await idempotency_repo.forget_responses_mentioning(
        session, owner.tenant_id, [candidate_id, *application_ids]
    )


# --- applications -----------------------------------------------------------------------


async def get_application(
    session: AsyncSession, owner: Owner, application_id: str, *, if_match: str | None = None
) -> models.Application:
    return await _owned(session, models.Application, owner, application_id, "application", if_match)


async def create_application(
    session: AsyncSession, owner: Owner, body: schemas.ApplicationCreate
) -> models.Application:
    if await repo.get_owned(session, models.Candidate, owner, body.candidate_id) is None:
        raise InvalidInput.on_field(
            "body.candidate_id", f"no candidate {body.candidate_id}", "not_found"
        )
    await _check_external_id(session, models.Application, owner, _created(body))
    application = models.Application(id=new_id("app"), tenant_id=owner.tenant_id)
    await write_application(session, application, body.model_dump(), created=True)
    await repo.add(session, application)
    limits.check_applications_per_candidate(
        await repo.application_counts(session, [application.candidate_id])
    )
    await replan(session, application.id)
    return application


async def update_application(
    session: AsyncSession,
    owner: Owner,
    application_id: str,
    body: schemas.ApplicationUpdate,
    *,
    if_match: str | None = None,
) -> models.Application:
    application = await get_application(session, owner, application_id, if_match=if_match)
    changes = _changes(body, required=("company", "role", "source", "status"))
    await _check_external_id(session, models.Application, owner, changes, application.id)
    source = changes.get("source", application.source)
    firm = changes.get("recruiting_firm", application.recruiting_firm)
    if firm and source != ApplicationSource.RECRUITING_FIRM:
        raise InvalidInput.on_field(
            "body.recruiting_firm", "only allowed with source 'recruiting_firm'", "invalid"
        )
    await write_application(session, application, changes, created=False)
    await session.flush()
    await replan(session, application.id)
    return application


async def delete_application(
    session: AsyncSession, owner: Owner, application_id: str, *, if_match: str | None = None
) -> None:
    """Delete the application with its people, rounds, replies and actions."""
    application = await get_application(session, owner, application_id, if_match=if_match)
    await repo.remove_with_dependents(session, application)


# --- contacts ---------------------------------------------------------------------------


async def get_contact(
    session: AsyncSession, owner: Owner, contact_id: str, *, if_match: str | None = None
) -> models.Contact:
    return await _owned(session, models.Contact, owner, contact_id, "contact", if_match)


async def create_contact(
    session: AsyncSession, owner: Owner, application_id: str, body: schemas.ContactCreate
) -> models.Contact:
    application = await get_application(session, owner, application_id)
    await _check_external_id(session, models.Contact, owner, _created(body))
    contact = models.Contact(
        id=new_id("con"),
        tenant_id=owner.tenant_id,
        application_id=application.id,
        **body.model_dump(),
    )
    await repo.add(session, contact)
    await replan(session, application.id)
    return contact


async def update_contact(
    session: AsyncSession,
    owner: Owner,
    contact_id: str,
    body: schemas.ContactUpdate,
    *,
    if_match: str | None = None,
) -> models.Contact:
    contact = await get_contact(session, owner, contact_id, if_match=if_match)
    changes = _changes(body, required=("role", "made_first_contact"))
    await _check_external_id(session, models.Contact, owner, changes, contact.id)
    assign(contact, changes)
    await _changed(session, contact)
    return contact


async def delete_contact(
    session: AsyncSession, owner: Owner, contact_id: str, *, if_match: str | None = None
) -> None:
    contact = await get_contact(session, owner, contact_id, if_match=if_match)
    on_panels = await repo.interviews_with_contact(session, contact.id)
    replied = await repo.replies_from_contact(session, contact.id)
    if on_panels or replied:
        where = ", ".join(
            [*(f"interview {i}" for i in on_panels), *(f"reply {r}" for r in replied)]
        )
        raise Conflict(
            f"Contact {contact.id} is still referenced by {where}; remove it there first."
        )
    await _removed(session, contact)


# --- interviews -------------------------------------------------------------------------


async def _check_panel(session: AsyncSession, application_id: str, panel: Sequence[str]) -> None:
    check_panel(panel, await repo.existing_contact_ids(session, application_id, panel))


async def get_interview(
    session: AsyncSession, owner: Owner, interview_id: str, *, if_match: str | None = None
) -> models.Interview:
    return await _owned(session, models.Interview, owner, interview_id, "interview", if_match)


async def create_interview(
    session: AsyncSession, owner: Owner, application_id: str, body: schemas.InterviewCreate
) -> models.Interview:
    application = await get_application(session, owner, application_id)
    await _check_panel(session, application.id, body.panel)
    await _check_external_id(session, models.Interview, owner, _created(body))
    interview = models.Interview(
        id=new_id("int"), tenant_id=owner.tenant_id, application_id=application.id
    )
    values = body.model_dump(exclude={"panel"})
    await write_interview(session, interview, values, created=True, new_panel=True)
    await repo.add(session, interview)
    await repo.set_panel(session, interview.id, body.panel)
    await replan(session, application.id)
    return interview


async def update_interview(
    session: AsyncSession,
    owner: Owner,
    interview_id: str,
    body: schemas.InterviewUpdate,
    *,
    if_match: str | None = None,
) -> models.Interview:
    interview = await get_interview(session, owner, interview_id, if_match=if_match)
    changes = _changes(
        body, required=("kind", "start", "end", "status", "panel", "panel_confirmed")
    )
    start = changes.get("start", interview.start_at)
    end = changes.get("end", interview.end_at)
    if end <= start:
        raise InvalidInput.on_field("body.end", "must be after start", "end_before_start")
    await _check_external_id(session, models.Interview, owner, changes, interview.id)
    panel = changes.pop("panel", None)
    if panel is not None:
        await _check_panel(session, interview.application_id, panel)
        await repo.set_panel(session, interview.id, panel)
    await write_interview(session, interview, changes, created=False, new_panel=panel is not None)
    await _changed(session, interview)
    return interview


async def delete_interview(
    session: AsyncSession, owner: Owner, interview_id: str, *, if_match: str | None = None
) -> None:
    """Delete a round recorded by mistake; its actions stay as obsolete history."""
    interview = await get_interview(session, owner, interview_id, if_match=if_match)
    await _removed(session, interview)


# --- replies ----------------------------------------------------------------------------


async def _check_reply_contact(
    session: AsyncSession, application_id: str, contact_id: str | None
) -> None:
    if contact_id and not await repo.existing_contact_ids(session, application_id, [contact_id]):
        raise InvalidInput.on_field(
            "body.contact_id", f"no contact {contact_id} in this application", "not_found"
        )


async def get_reply(
    session: AsyncSession, owner: Owner, reply_id: str, *, if_match: str | None = None
) -> models.Reply:
    return await _owned(session, models.Reply, owner, reply_id, "reply", if_match)


async def create_reply(
    session: AsyncSession, owner: Owner, application_id: str, body: schemas.ReplyCreate
) -> models.Reply:
    application = await get_application(session, owner, application_id)
    await _check_reply_contact(session, application.id, body.contact_id)
    reply = models.Reply(
        id=new_id("rep"),
        tenant_id=owner.tenant_id,
        application_id=application.id,
        **body.model_dump(),
    )
    await repo.add(session, reply)
    await replan(session, application.id)
    return reply


async def update_reply(
    session: AsyncSession,
    owner: Owner,
    reply_id: str,
    body: schemas.ReplyUpdate,
    *,
    if_match: str | None = None,
) -> models.Reply:
    reply = await get_reply(session, owner, reply_id, if_match=if_match)
    changes = _changes(body, required=("received_at",))
    if "contact_id" in changes:
        await _check_reply_contact(session, reply.application_id, changes["contact_id"])
    assign(reply, changes)
    await _changed(session, reply)
    return reply


async def delete_reply(
    session: AsyncSession, owner: Owner, reply_id: str, *, if_match: str | None = None
) -> None:
    reply = await get_reply(session, owner, reply_id, if_match=if_match)
    await _removed(session, reply)


# --- lists --------------------------------------------------------------------------------


async def list_candidates(
    session: AsyncSession,
    tenant_id: str,
    *,
    email: str | None,
    country: str | None,
    cursor: str | None,
    limit: int,
) -> PageResult[models.Candidate]:
    wanted = {"email": email, "country": country.upper() if country else None}
    return await repo.page_of(
        session, models.Candidate, Owner(tenant_id), wanted, cursor=cursor, limit=limit
    )


async def list_applications(
    session: AsyncSession,
    owner: Owner,
    *,
    candidate_id: str | None,
    status: str | None,
    cursor: str | None,
    limit: int,
) -> PageResult[models.Application]:
    wanted = {"candidate_id": candidate_id, "status": status}
    return await repo.page_of(
        session, models.Application, owner, wanted, cursor=cursor, limit=limit
    )


async def list_contacts(
    session: AsyncSession,
    owner: Owner,
    application_id: str,
    *,
    role: str | None,
    cursor: str | None,
    limit: int,
) -> PageResult[models.Contact]:
    await get_application(session, owner, application_id)
    wanted = {"application_id": application_id, "role": role}
    return await repo.page_of(session, models.Contact, owner, wanted, cursor=cursor, limit=limit)


async def list_interviews(
    session: AsyncSession, owner: Owner, application_id: str, *, cursor: str | None, limit: int
) -> tuple[PageResult[models.Interview], dict[str, list[str]]]:
    """A page of the application's interviews, with each one's panel."""
    await get_application(session, owner, application_id)
    wanted = {"application_id": application_id}
    page = await repo.page_of(session, models.Interview, owner, wanted, cursor=cursor, limit=limit)
    return page, await repo.panels_of(session, [i.id for i in page.items])


async def list_replies(
    session: AsyncSession, owner: Owner, application_id: str, *, cursor: str | None, limit: int
) -> PageResult[models.Reply]:
    await get_application(session, owner, application_id)
    wanted = {"application_id": application_id}
    return await repo.page_of(session, models.Reply, owner, wanted, cursor=cursor, limit=limit)


async def panel_of(session: AsyncSession, interview_id: str) -> list[str]:
    return (await repo.panels_of(session, [interview_id]))[interview_id]

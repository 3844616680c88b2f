"""The ATS sync: upsert a batch of records by external ID in one transaction, all or nothing.

Records are matched by the caller's ``external_id`` within the tenant; references between
them (application -> candidate, contact/interview -> application, panel -> contacts) may
use external IDs from the same batch or from earlier syncs, or Follow-Up IDs. Each touched
application is re-planned once, after all its records are written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from app.db import models
from app.db.base import new_id
from app.domain.sync import SyncKind, SyncOutcome
from app.errors import InvalidInput, PreconditionFailed, found
from app.repositories import records as record_repo
from app.repositories import sync as repo
from app.schemas import sync as schemas
from app.services import limits
from app.services.planning import replan_many
from app.services.preconditions import check_if_match
from app.services.work import Work, take_turns
from app.services.writing import (
    assign,
    calendar_moved,
    check_panel,
    write_application,
    write_interview,
)

Stored = TypeVar("Stored", models.Candidate, models.Application, models.Contact, models.Interview)

# The prefix of a new row's ID, for each kind of record.
_ID_PREFIX: dict[type[Any], str] = {
    models.Candidate: "cand",
    models.Application: "app",
    models.Contact: "con",
    models.Interview: "int",
}


@dataclass
class _Batch:
    """What the sync has resolved so far: rows by external ID, and what it touched."""

    session: AsyncSession
    tenant_id: str
    results: list[schemas.SyncResult] = field(default_factory=list)
    touched_applications: set[str] = field(default_factory=set)
    candidates_with_new_calendar: set[str] = field(default_factory=set)
    candidates_with_new_applications: set[str] = field(default_factory=set)
    candidates: dict[str, models.Candidate] = field(default_factory=dict)
    applications: dict[str, models.Application] = field(default_factory=dict)
    contacts: dict[str, models.Contact] = field(default_factory=dict)
    new_panels: dict[str, list[str]] = field(default_factory=dict)

    def report(self, kind: SyncKind, row: Any, *, created: bool, changed: bool) -> None:
        """Say what became of one record; the application a written one is (or belongs
        to) is re-planned."""
        if created or changed:
            if isinstance(row, models.Application):
                self.touched_applications.add(row.id)
            elif not isinstance(row, models.Candidate):
                self.touched_applications.add(row.application_id)
        if created:
            outcome = SyncOutcome.CREATED
        else:
            outcome = SyncOutcome.UPDATED if changed else SyncOutcome.UNCHANGED
        self.results.append(
            schemas.SyncResult(kind=kind, external_id=row.external_id, id=row.id, outcome=outcome)
        )

    def stored_or_new(
        self, model: type[Stored], stored: dict[str, Stored], external_id: str, **parent: str
    ) -> tuple[Stored, bool]:
        """The row with this external ID from ``stored``, or a new one (under ``parent``,
        and then added there); and whether it is new."""
        row = stored.get(external_id)
        if row is not None:
            return row, False
        row = model(
            id=new_id(_ID_PREFIX[model]),
            tenant_id=self.tenant_id,
            external_id=external_id,
            **parent,
        )
        self.session.add(row)
        stored[external_id] = row
        return row, True


async def sync(
    session: AsyncSession, tenant_id: str, batch: schemas.SyncBatch, work: Work | None = None
) -> schemas.SyncResponse:
    await repo.lock_tenant(session, tenant_id)
    state = _Batch(session=session, tenant_id=tenant_id)
    # Flushed kind by kind: with no ORM relationships, the unit of work would not know
    # that a new application's row must follow its new candidate's.
    for step in (_sync_candidates, _sync_applications, _sync_contacts, _sync_interviews):
        await step(session, state, batch)
        await session.flush()
    await repo.replace_panels(session, state.new_panels)
    limits.check_applications_per_candidate(
        await record_repo.application_counts(session, state.candidates_with_new_applications)
    )
    state.touched_applications.update(
        await record_repo.application_ids_of_candidates(session, state.candidates_with_new_calendar)
    )
    await replan_many(session, sorted(state.touched_applications), work=work)
    return schemas.SyncResponse(
        results=state.results, replanned_applications=len(state.touched_applications)
    )


async def _sync_candidates(session: AsyncSession, state: _Batch, batch: schemas.SyncBatch) -> None:
    referenced = {a.candidate_external_id for a in batch.applications if a.candidate_external_id}
    wanted = {c.external_id for c in batch.candidates} | referenced
    state.candidates = await repo.by_external_ids(
        session, models.Candidate, state.tenant_id, wanted
    )
    for index, item in enumerate(batch.candidates):
        await take_turns(index)
        values = item.model_dump(exclude={"external_id"})
        row, created = state.stored_or_new(models.Candidate, state.candidates, item.external_id)
        if not created and calendar_moved(row, values):
            state.candidates_with_new_calendar.add(row.id)
        changed = assign(row, values)
        state.report(SyncKind.CANDIDATE, row, created=created, changed=changed)


async def _sync_applications(
    session: AsyncSession, state: _Batch, batch: schemas.SyncBatch
) -> None:
    referenced = {c.application_external_id for c in batch.contacts} | {
        i.application_external_id for i in batch.interviews
    }
    referenced.discard(None)
    wanted = {a.external_id for a in batch.applications} | {r for r in referenced if r}
    state.applications = await repo.by_external_ids(
        session, models.Application, state.tenant_id, wanted
    )
    by_id = await repo.by_ids(
        session,
        models.Candidate,
        state.tenant_id,
        {a.candidate_id for a in batch.applications if a.candidate_id},
    )
    for index, item in enumerate(batch.applications):
        await take_turns(index)
        where = f"body.applications.{index}"
        candidate = _referenced("candidate", item, state.candidates, by_id, where)
        values = item.model_dump(exclude={"external_id", "candidate_id", "candidate_external_id"})
        row, created = state.stored_or_new(models.Application, state.applications, item.external_id)
        if not created and row.candidate_id != candidate.id:
            # Moving an application would leave its actions and events with the old
            # candidate, and that candidate's erasure would then take them along.
            field = "candidate_external_id" if item.candidate_external_id else "candidate_id"
            raise InvalidInput.on_field(
                f"{where}.{field}", "an application cannot move to another candidate", "immutable"
            )
        values["candidate_id"] = candidate.id
        if created:
            state.candidates_with_new_applications.add(candidate.id)
        changed = await write_application(session, row, values, created=created)
        state.report(SyncKind.APPLICATION, row, created=created, changed=changed)


def _referenced(
    name: str,
    item: Any,
    by_external_id: Mapping[str, Stored],
    by_id: Mapping[str, Stored],
    where: str,
) -> Stored:
    """The record ``item`` belongs to, named by ``<name>_external_id`` (among this batch's
    and the stored records) or by ``<name>_id``."""
    external_id = getattr(item, f"{name}_external_id")
    if external_id is not None:
        row = by_external_id.get(external_id)
        if row is None:
            raise InvalidInput.on_field(
                f"{where}.{name}_external_id",
                f"no {name} with external_id {external_id!r}",
                "not_found",
            )
        return row
    row_id = getattr(item, f"{name}_id")
    row = by_id.get(row_id or "")
    if row is None:
        raise InvalidInput.on_field(f"{where}.{name}_id", f"no {name} {row_id}", "not_found")
    return row


async def _application_for(
    session: AsyncSession, state: _Batch, item: Any, where: str
) -> models.Application:
    by_id = {}
    if item.application_external_id is None:
        by_id = await repo.by_ids(
            session, models.Application, state.tenant_id, {item.application_id}
        )
    return _referenced("application", item, state.applications, by_id, where)


def _moved(
    row: models.Contact | models.Interview, application: models.Application, where: str
) -> None:
    """Refuse to move a contact or an interview to another application."""
    if row.application_id != application.id:
        noun = "a contact" if isinstance(row, models.Contact) else "an interview"
        raise InvalidInput.on_field(
            f"{where}.application_external_id",
            f"{noun} cannot move to another application",
            "immutable",
        )


async def _sync_contacts(session: AsyncSession, state: _Batch, batch: schemas.SyncBatch) -> None:
    referenced = {ref for i in batch.interviews for ref in i.panel_external_ids}
    wanted = {c.external_id for c in batch.contacts} | referenced
    state.contacts = await repo.by_external_ids(session, models.Contact, state.tenant_id, wanted)
    for index, item in enumerate(batch.contacts):
        await take_turns(index)
        where = f"body.contacts.{index}"
        application = await _application_for(session, state, item, where)
        values = item.model_dump(
            exclude={"external_id", "application_id", "application_external_id"}
        )
        row, created = state.stored_or_new(
            models.Contact,
            state.contacts,
            item.external_id,
            application_id=application.id,
        )
        _moved(row, application, where)
        changed = assign(row, values)
        state.report(SyncKind.CONTACT, row, created=created, changed=changed)


async def _sync_interviews(session: AsyncSession, state: _Batch, batch: schemas.SyncBatch) -> None:
    existing = await repo.by_external_ids(
        session, models.Interview, state.tenant_id, {i.external_id for i in batch.interviews}
    )
    current_panels = await record_repo.panels_of(session, [row.id for row in existing.values()])
    panel_owner = await repo.contact_application_ids(
        session, {c for i in batch.interviews for c in i.panel}
    )
    panel_owner.update({row.id: row.application_id for row in state.contacts.values()})
    for index, item in enumerate(batch.interviews):
        await take_turns(index)
        where = f"body.interviews.{index}"
        application = await _application_for(session, state, item, where)
        panel = list(item.panel)
        for position, external_id in enumerate(item.panel_external_ids):
            contact = state.contacts.get(external_id)
            if contact is None:
                raise InvalidInput.on_field(
                    f"{where}.panel_external_ids.{position}",
                    f"no contact with external_id {external_id!r}",
                    "not_found",
                )
            panel.append(contact.id)
        known = {c for c in panel if panel_owner.get(c) == application.id}
        check_panel(panel, known, where)
        values = item.model_dump(
            exclude={
                "external_id",
                "application_id",
                "application_external_id",
                "panel",
                "panel_external_ids",
            }
        )
        row, created = state.stored_or_new(
            models.Interview,
            existing,
            item.external_id,
            application_id=application.id,
        )
        _moved(row, application, where)
        new_panel = created or current_panels.get(row.id, []) != panel
        if new_panel:
            state.new_panels[row.id] = panel
        changed = await write_interview(session, row, values, created=created, new_panel=new_panel)
        state.report(SyncKind.INTERVIEW, row, created=created, changed=changed)


# What each kind of record is stored as.
_MODELS: dict[SyncKind, Any] = {
    SyncKind.CANDIDATE: models.Candidate,
    SyncKind.APPLICATION: models.Application,
    SyncKind.CONTACT: models.Contact,
    SyncKind.INTERVIEW: models.Interview,
}


async def find_by_external_id(
    session: AsyncSession, tenant_id: str, kind: SyncKind, external_id: str
) -> Any:
    row = await record_repo.get_by_external_id(session, _MODELS[kind], tenant_id, external_id)
    return found(row, f"No {kind} with external_id {external_id!r}.")


async def upsert_one(
    session: AsyncSession,
    tenant_id: str,
    kind: SyncKind,
    external_id: str,
    body: Any,
    if_match: str | None,
) -> tuple[Any, bool]:
    """Create or replace the record with this external ID: a batch of one.

    Returns the row and whether it was created. ``If-Match`` guards the replacement; with
    nothing stored yet, any If-Match fails (send none to create).
    """
    if body.external_id not in (None, external_id):
        raise InvalidInput.on_field(
            "body.external_id", "must match the external ID in the path", "mismatch"
        )
    model = _MODELS[kind]
    current = await record_repo.get_by_external_id(session, model, tenant_id, external_id)
    if current is not None:
        check_if_match(if_match, current.version)
    elif if_match is not None:
        # RFC 9110: with no current representation, no If-Match (not even "*") holds.
        raise PreconditionFailed(f"Nothing has external_id {external_id!r} yet.")
    item = body.model_copy(update={"external_id": external_id})
    batch = schemas.SyncBatch(**{f"{kind}s": [item]})
    result = (await sync(session, tenant_id, batch)).results[0]
    row = (await repo.by_ids(session, model, tenant_id, {result.id}))[result.id]
    return row, result.outcome == SyncOutcome.CREATED

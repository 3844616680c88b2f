"""The event outbox: what happened, written in the same transaction as the change itself.

Because the event row commits (or rolls back) with the change, a consumer polling
`GET /v1/events`, or the webhook worker, never sees an event for a change that did not
happen, and never misses one that did.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic_core import to_jsonable_python
from sqlalchemy.ext.asyncio import AsyncSession

from app.clock import utcnow
from app.db import models
from app.db.base import new_id
from app.domain import ApplicationStatus, InterviewStatus
from app.domain.events import EventType
from app.repositories import events as repo
from app.repositories.events import EventFilter
from app.repositories.owners import Owner
from app.repositories.pagination import PageResult
from app.schemas.events import OutcomeApplication
from app.services.action_views import action_json


def append(
    session: AsyncSession,
    event_type: EventType,
    *,
    tenant_id: str,
    data: dict[str, Any],
    candidate_id: str | None = None,
    application_id: str | None = None,
    action_id: str | None = None,
    at: datetime | None = None,
) -> models.Event:
    """Add an event to the session; it is written with the rest of the transaction."""
    event = models.Event(
        id=new_id("evt"),
        tenant_id=tenant_id,
        type=event_type.value,
        occurred_at=at or utcnow(),
        candidate_id=candidate_id,
        application_id=application_id,
        action_id=action_id,
        data=data,
    )
    session.add(event)
    return event


def action_data(action: models.Action, at: datetime) -> dict[str, Any]:
    """The action as events carry it: `ActionRead`'s shape, with its status at ``at``."""
    return {"action": to_jsonable_python(action_json(action, at))}


def append_action_event(
    session: AsyncSession,
    event_type: EventType,
    action: models.Action,
    *,
    as_of: datetime | None = None,
) -> models.Event:
    """Append an event about an action; its status is the one at ``as_of`` (default: now)."""
    at = utcnow()
    # The row's timestamps are set at flush; the event is written now, so both take the
    # event's time here and agree (a new row has none yet, a changed one gets this change's).
    if action.created_at is None:
        action.created_at = at
    if action.updated_at is None or session.is_modified(action):
        action.updated_at = at
    return append(
        session,
        event_type,
        tenant_id=action.tenant_id,
        data=action_data(action, as_of or at),
        candidate_id=action.candidate_id,
        application_id=action.application_id,
        action_id=action.id,
        at=at,
    )


async def erase_candidate(session: AsyncSession, candidate_id: str) -> int:
    """Scrub the personal data from a candidate's events (the privacy erasure)."""
    return await repo.scrub_candidate(session, candidate_id, utcnow())


async def append_outcome_if_reached(
    session: AsyncSession, application: models.Application, previous_status: str | None
) -> None:
    """Emit application.outcome when the application has just reached a final status."""
    status = ApplicationStatus(application.status)
    if not status.is_final or previous_status == application.status:
        return
    # The payload is the documented one, field for field.
    outcome = OutcomeApplication.model_validate(application).model_dump(mode="json")
    append(
        session,
        EventType.APPLICATION_OUTCOME,
        tenant_id=application.tenant_id,
        data={"application": outcome},
        candidate_id=application.candidate_id,
        application_id=application.id,
    )


InterviewState = tuple[str, datetime, datetime]


def interview_state(interview: models.Interview) -> InterviewState:
    return (interview.status, interview.start_at, interview.end_at)


async def append_interview_change(
    session: AsyncSession, interview: models.Interview, previous: InterviewState | None
) -> None:
    """Emit interview.scheduled when booked or moved, interview.cancelled when called off."""
    current = interview_state(interview)
    if previous == current:
        return
    if interview.status == InterviewStatus.CANCELLED:
        if previous is not None and previous[0] == InterviewStatus.CANCELLED:
            return
        event_type = EventType.INTERVIEW_CANCELLED
    elif interview.status == InterviewStatus.SCHEDULED:
        event_type = EventType.INTERVIEW_SCHEDULED
    else:
        return  # completed: the feed's thank-yous and check-ins say what follows
    application = await session.get(models.Application, interview.application_id)
    append(
        session,
        event_type,
        tenant_id=interview.tenant_id,
        data={
            "interview": {
                "id": interview.id,
                "application_id": interview.application_id,
                "kind": interview.kind,
                "start": to_jsonable_python(interview.start_at),
                "end": to_jsonable_python(interview.end_at),
                "status": interview.status,
            }
        },
        candidate_id=application.candidate_id if application else None,
        application_id=interview.application_id,
    )


async def list_events(
    session: AsyncSession, owner: Owner, wanted: EventFilter, *, cursor: str | None, limit: int
) -> PageResult[models.Event]:
    return await repo.page(session, owner, wanted, cursor=cursor, limit=limit)

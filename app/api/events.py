"""The event log: an audit trail, and a feed for clients that prefer polling to webhooks."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.api.deps import CandidateReaderDep, SessionDep
from app.api.errors import problem_responses
from app.api.params import ApplicationIdFilter, PageDep, page_of
from app.domain.events import EventType
from app.repositories.events import EventFilter
from app.schemas.common import Page, Timestamp
from app.schemas.events import EventRead
from app.services import events as service

router = APIRouter(prefix="/v1", tags=["events"])


@router.get(
    "/events",
    summary="Poll the tenant's events",
    response_model=Page[EventRead],
    responses=problem_responses(401, 403, 422),
)
async def list_events(
    principal: CandidateReaderDep,
    session: SessionDep,
    page: PageDep,
    type_: Annotated[
        list[EventType] | None, Query(alias="type", description="Only these types (repeatable).")
    ] = None,
    application_id: ApplicationIdFilter = None,
    occurred_after: Annotated[Timestamp | None, Query(description="At or after.")] = None,
    occurred_before: Annotated[Timestamp | None, Query(description="Strictly before.")] = None,
) -> Page[EventRead]:
    """The tenant's events, oldest first. Poll with the last page's `next_cursor` to get
    what happened since; each event's `id` is stable, so duplicates are easy to drop.

    With a candidate token, the events about its candidate alone (tenant-wide events, such
    as a webhook endpoint being disabled, are not among them)."""
    wanted = EventFilter(
        types=[t.value for t in type_ or ()],
        occurred_after=occurred_after,
        occurred_before=occurred_before,
        application_id=application_id,
    )
    result = await service.list_events(
        session, principal.owner, wanted, cursor=page.cursor, limit=page.limit
    )
    return page_of(result, EventRead)

"""How a record's values are written: the rules the REST services and the sync both follow.

The REST services (app/services/records.py) and the ATS sync (app/services/sync.py) take
values in the API's names; here they are checked and copied onto the rows, so a rule
(a panel lists contacts of the application once each, a moved start is a reschedule, a
new panel is a new version, a final status has an outcome time) is written once.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.clock import utcnow
from app.db import models
from app.domain import ApplicationStatus
from app.errors import InvalidInput
from app.schemas.resources import InterviewRead
from app.services import events

# The API's names of an interview's times and the columns that hold them: the one place
# that knows them apart.
INTERVIEW_COLUMNS = {"start": "start_at", "end": "end_at"}


def assign(row: Any, values: Mapping[str, Any], renames: Mapping[str, str] = {}) -> bool:
    """Copy values onto a row (an enum as its value); True when any differs from what is
    stored."""
    changed = False
    for name, value in values.items():
        column = renames.get(name, name)
        stored = value.value if hasattr(value, "value") else value
        if getattr(row, column) != stored:
            setattr(row, column, stored)
            changed = True
    return changed


def calendar_moved(candidate: models.Candidate, values: Mapping[str, Any]) -> bool:
    """Whether the values give the candidate another time zone or country (business days
    move, and with them every window of their applications) or language (their actions'
    stored texts are written in it)."""
    return any(
        name in values and values[name] != getattr(candidate, name)
        for name in ("time_zone", "country", "language")
    )


def outcome_time(status: str, outcome_at: datetime | None) -> datetime | None:
    if ApplicationStatus(status).is_final:
        return outcome_at or utcnow()
    return None


async def write_application(
    session: AsyncSession, row: models.Application, values: Mapping[str, Any], *, created: bool
) -> bool:
    """Write an application's values; a final status keeps (or gets) its outcome time, and
    reaching one is announced. True when the application changed."""
    values = dict(values)
    status = values.get("status", row.status)
    if created or "status" in values or "outcome_at" in values:
        keep = row.outcome_at if not created and status == row.status else None
        values["outcome_at"] = outcome_time(status, values.get("outcome_at") or keep)
    previous_status = None if created else row.status
    changed = assign(row, values)
    await events.append_outcome_if_reached(session, row, previous_status)
    return changed


def check_panel(panel: Sequence[str], known: Collection[str], where: str = "body") -> None:
    """A panel lists contacts of the interview's application (``known``), each once."""
    if len(set(panel)) != len(panel):
        raise InvalidInput.on_field(f"{where}.panel", "lists a contact twice", "duplicate")
    for index, contact_id in enumerate(panel):
        if contact_id not in known:
            raise InvalidInput.on_field(
                f"{where}.panel.{index}",
                f"no contact {contact_id} in this application",
                "not_found",
            )


async def write_interview(
    session: AsyncSession,
    row: models.Interview,
    values: Mapping[str, Any],
    *,
    created: bool,
    new_panel: bool,
) -> bool:
    """Write an interview's values (in the API's names) and announce what changed; True
    when the interview changed. The caller stores the panel; ``new_panel`` says it set
    one."""
    previous = None if created else events.interview_state(row)
    if not created and values.get("start", row.start_at) != row.start_at:
        row.rescheduled_at = utcnow()  # a reschedule is a new booking for E1's notice
    changed = assign(row, values, INTERVIEW_COLUMNS)
    if new_panel and not created:
        row.updated_at = utcnow()  # the panel is part of the interview: new version
        changed = True
    await events.append_interview_change(session, row, previous)
    return changed


def interview_read(row: models.Interview, panel: list[str]) -> InterviewRead:
    """The interview as the API shows it, with its panel."""
    fields = {
        name: getattr(row, INTERVIEW_COLUMNS.get(name, name))
        for name in InterviewRead.model_fields
        if name != "panel"
    }
    return InterviewRead(**fields, panel=panel)

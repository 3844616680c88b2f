"""Whose records a query may reach: a tenant's, or one candidate's within a tenant.

Every query that loads a caller's records by ID or lists them takes an :class:`Owner` and
adds :func:`owned_by`'s conditions, so that a record outside the owner's reach is simply
not found (404), exactly as one that does not exist, and is never listed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, select

from app.db.models import (
    Action,
    Application,
    CalendarFeed,
    Candidate,
    Contact,
    Event,
    Interview,
    Reply,
)


@dataclass(frozen=True, slots=True)
class Owner:
    """A tenant, narrowed to one of its candidates for a candidate token."""

    tenant_id: str
    candidate_id: str | None = None


# Records that carry the candidate they belong to in a column of their own.
_CANDIDATE_COLUMN: dict[type[Any], Any] = {
    Candidate: Candidate.id,
    Application: Application.candidate_id,
    Action: Action.candidate_id,
    Event: Event.candidate_id,
    CalendarFeed: CalendarFeed.candidate_id,
}
# Records that belong to a candidate through their application.
_THROUGH_APPLICATION = (Contact, Interview, Reply)


def owned_by(model: type[Any], owner: Owner) -> list[ColumnElement[bool]]:
    """The conditions that keep a query on ``model`` within ``owner``'s records.

    A model with no way to a candidate (a webhook endpoint, a template) cannot be narrowed
    to one: asking for it with a candidate is a programming error, refused here rather than
    answered with the whole tenant's records.
    """
    conditions: list[ColumnElement[bool]] = [model.tenant_id == owner.tenant_id]
    if owner.candidate_id is None:
        return conditions
    if model in _CANDIDATE_COLUMN:
        conditions.append(_CANDIDATE_COLUMN[model] == owner.candidate_id)
    elif model in _THROUGH_APPLICATION:
        applications = select(Application.id).where(
            Application.tenant_id == owner.tenant_id,
            Application.candidate_id == owner.candidate_id,
        )
        conditions.append(model.application_id.in_(applications))
    else:
        raise TypeError(f"{model.__name__} records cannot be narrowed to one candidate")
    return conditions

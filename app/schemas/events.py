"""Bodies of the event log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from app.schemas.common import ReadModel
from app.services.events import EVENT_DESCRIPTIONS, EventType

EVENT_TYPES_DOC = "; ".join(f"`{t.value}`: {d}" for t, d in EVENT_DESCRIPTIONS.items())


class EventRead(ReadModel):
    """Something that happened in the tenant, in the order it happened."""

    id: str = Field(description="Unique event ID; use it to drop duplicate deliveries.")
    type: EventType = Field(description=f"What happened. {EVENT_TYPES_DOC}")
    occurred_at: datetime = Field(description="When it happened.")
    candidate_id: str | None = Field(description="The candidate concerned, if any.")
    application_id: str | None = Field(description="The application concerned, if any.")
    action_id: str | None = Field(description="The action concerned, if any.")
    data: dict[str, Any] = Field(
        description="The resource as it was (`action`, `application` or `interview`); "
        '`{"erased": true}` once the candidate was erased.'
    )
    erased_at: datetime | None = Field(description="When the personal data was erased.")

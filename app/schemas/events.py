"""Bodies of the event log and of webhook deliveries: one named schema per event type.

`GET /v1/events` lists `EventRead`s and every webhook delivery's body is one: a union
discriminated by `type`, whose members (`ActionDueEvent`, `PingEvent`, …) say what
`data` holds for that type.
"""

from __future__ import annotations

import operator
import re
from datetime import datetime
from functools import reduce
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field, RootModel, create_model

from app.domain import ApplicationStatus, InterviewKind, InterviewStatus
from app.domain.events import EVENT_DESCRIPTIONS, DisabledReason, EventType
from app.schemas.actions import ActionRead
from app.schemas.common import ApplicationRef, CandidateRef, OwnId, ReadModel

EVENT_TYPES_DOC = "; ".join(f"`{t.value}`: {d}" for t, d in EVENT_DESCRIPTIONS.items())


# --- what `data` holds --------------------------------------------------------------------


class ErasedEventData(ReadModel):
    """What is left of an event's data once its candidate was erased."""

    erased: Literal[True] = Field(description="Always `true`: the personal data was removed.")


class ActionEventData(ReadModel):
    """The action, exactly as `GET /v1/actions/{id}` shows it, with its status at the event."""

    action: ActionRead = Field(
        description="The action; `status` is evaluated at the event (`as_of`)."
    )


class OutcomeApplication(ReadModel):
    """The application as it reached its final status."""

    id: OwnId
    candidate_id: CandidateRef
    company: str = Field(description="The company applied to.")
    role: str = Field(description="The role applied for.")
    status: ApplicationStatus = Field(description="The final status reached.")
    outcome_at: datetime | None = Field(description="When the outcome came, if known.")


class ApplicationOutcomeData(ReadModel):
    application: OutcomeApplication = Field(description="The application.")


class EventInterview(ReadModel):
    """The interview as it stands after the change."""

    id: OwnId
    application_id: ApplicationRef
    kind: InterviewKind = Field(description="What kind of interview it is.")
    start: datetime = Field(description="When it starts.")
    end: datetime = Field(description="When it ends.")
    status: InterviewStatus = Field(description="`scheduled` or `cancelled`.")


class InterviewEventData(ReadModel):
    interview: EventInterview = Field(description="The interview.")


class DisabledEndpoint(ReadModel):
    """The endpoint the worker disabled."""

    id: OwnId
    url: str = Field(description="Where it pointed.")
    consecutive_failures: int = Field(description="Failed deliveries in a row when disabled.")
    reason: DisabledReason = Field(description="Why it was disabled.")


class WebhookEndpointDisabledData(ReadModel):
    webhook_endpoint: DisabledEndpoint = Field(description="The endpoint.")


class PingData(ReadModel):
    webhook_endpoint_id: str = Field(description="The endpoint this test was sent to.")


# --- the events -----------------------------------------------------------------------------


TYPE_DOC = "What happened; it says what `data` holds."


class _EventFields(ReadModel):
    id: str = Field(description="Unique event ID; use it to drop duplicate deliveries.")
    occurred_at: datetime = Field(description="When it happened.")
    candidate_id: str | None = Field(description="The candidate concerned, if any.")
    application_id: str | None = Field(description="The application concerned, if any.")
    action_id: str | None = Field(description="The action concerned, if any.")
    erased_at: datetime | None = Field(description="When the personal data was erased.")
    # Each event type's model narrows `type` to its one value (and keeps it in this place).
    type: EventType = Field(description=TYPE_DOC)


def _or_erased(data: Any, what: str) -> tuple[Any, str]:
    return data | ErasedEventData, f'{what}; `{{"erased": true}}` once the candidate was erased.'


_ACTION_DATA = _or_erased(ActionEventData, "The action")
_INTERVIEW_DATA = _or_erased(InterviewEventData, "The interview")
# What `data` holds for each event type, and how it is described.
EVENT_DATA: dict[EventType, tuple[Any, str]] = {
    EventType.ACTION_CREATED: _ACTION_DATA,
    EventType.ACTION_DUE: _ACTION_DATA,
    EventType.ACTION_OVERDUE: _ACTION_DATA,
    EventType.ACTION_COMPLETED: _ACTION_DATA,
    EventType.ACTION_DISMISSED: _ACTION_DATA,
    EventType.ACTION_OBSOLETE: _ACTION_DATA,
    EventType.APPLICATION_OUTCOME: _or_erased(ApplicationOutcomeData, "The application"),
    EventType.INTERVIEW_SCHEDULED: _INTERVIEW_DATA,
    EventType.INTERVIEW_CANCELLED: _INTERVIEW_DATA,
    EventType.WEBHOOK_ENDPOINT_DISABLED: (WebhookEndpointDisabledData, "The endpoint."),
    EventType.PING: (PingData, "The endpoint pinged."),
}


def _event_model(event_type: EventType) -> type[_EventFields]:
    """The named schema of one event type: `action.due` is `ActionDueEvent`."""
    data, data_doc = EVENT_DATA[event_type]
    words = re.split(r"[._]", event_type.value)
    one_type: Any = Literal[event_type]
    return create_model(
        "".join(word.capitalize() for word in words) + "Event",
        __base__=_EventFields,
        __doc__=f"`{event_type.value}`: {EVENT_DESCRIPTIONS[event_type]}",
        __module__=__name__,
        type=(one_type, Field(description=TYPE_DOC)),
        data=(data, Field(description=data_doc)),
    )


# Each event type's named schema: the webhook entries and the union are built from it.
EVENT_MODELS = {event_type: _event_model(event_type) for event_type in EventType}

if TYPE_CHECKING:
    AnyEvent = _EventFields
else:
    AnyEvent = Annotated[reduce(operator.or_, EVENT_MODELS.values()), Field(discriminator="type")]


class EventRead(RootModel[AnyEvent]):
    """Something that happened in the tenant, in the order it happened: an item of
    `GET /v1/events` and the body of every webhook delivery. `type` says which member
    it is, and so what `data` holds."""

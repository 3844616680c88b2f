"""Bodies of the event log and of webhook deliveries: one named schema per event type.

`GET /v1/events` lists `EventRead`s and every webhook delivery's body is one: a union
discriminated by `type`, whose members (`ActionDueEvent`, `PingEvent`, …) say what
`data` holds for that type.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, RootModel

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


ActionData = Annotated[
    ActionEventData | ErasedEventData,
    Field(description='The action; `{"erased": true}` once the candidate was erased.'),
]


class ActionCreatedEvent(_EventFields):
    """`action.created`: a rule called for a new action (or again for an obsolete one)."""

    type: Literal[EventType.ACTION_CREATED] = Field(description=TYPE_DOC)
    data: ActionData


class ActionDueEvent(_EventFields):
    """`action.due`: an action's window opened (sent once, by the worker)."""

    type: Literal[EventType.ACTION_DUE] = Field(description=TYPE_DOC)
    data: ActionData


class ActionOverdueEvent(_EventFields):
    """`action.overdue`: an action's window closed while it was open (sent once)."""

    type: Literal[EventType.ACTION_OVERDUE] = Field(description=TYPE_DOC)
    data: ActionData


class ActionCompletedEvent(_EventFields):
    """`action.completed`: the user marked an action done."""

    type: Literal[EventType.ACTION_COMPLETED] = Field(description=TYPE_DOC)
    data: ActionData


class ActionDismissedEvent(_EventFields):
    """`action.dismissed`: the user dismissed an action."""

    type: Literal[EventType.ACTION_DISMISSED] = Field(description=TYPE_DOC)
    data: ActionData


class ActionObsoleteEvent(_EventFields):
    """`action.obsolete`: no rule calls for an action any more."""

    type: Literal[EventType.ACTION_OBSOLETE] = Field(description=TYPE_DOC)
    data: ActionData


class ApplicationOutcomeEvent(_EventFields):
    """`application.outcome`: an application reached a final status."""

    type: Literal[EventType.APPLICATION_OUTCOME] = Field(description=TYPE_DOC)
    data: ApplicationOutcomeData | ErasedEventData = Field(
        description='The application; `{"erased": true}` once the candidate was erased.'
    )


class InterviewScheduledEvent(_EventFields):
    """`interview.scheduled`: an interview was booked or moved."""

    type: Literal[EventType.INTERVIEW_SCHEDULED] = Field(description=TYPE_DOC)
    data: InterviewEventData | ErasedEventData = Field(
        description='The interview; `{"erased": true}` once the candidate was erased.'
    )


class InterviewCancelledEvent(_EventFields):
    """`interview.cancelled`: an interview was cancelled."""

    type: Literal[EventType.INTERVIEW_CANCELLED] = Field(description=TYPE_DOC)
    data: InterviewEventData | ErasedEventData = Field(
        description='The interview; `{"erased": true}` once the candidate was erased.'
    )


class WebhookEndpointDisabledEvent(_EventFields):
    """`webhook_endpoint.disabled`: the worker disabled an endpoint that kept failing."""

    type: Literal[EventType.WEBHOOK_ENDPOINT_DISABLED] = Field(description=TYPE_DOC)
    data: WebhookEndpointDisabledData = Field(description="The endpoint.")


class PingEvent(_EventFields):
    """`ping`: a test delivery to one endpoint; its `id` is the delivery's."""

    type: Literal[EventType.PING] = Field(description=TYPE_DOC)
    data: PingData = Field(description="The endpoint pinged.")


# Each event type's named schema: the webhook entries and the union are built from it.
EVENT_MODELS: dict[EventType, type[_EventFields]] = {
    EventType.ACTION_CREATED: ActionCreatedEvent,
    EventType.ACTION_DUE: ActionDueEvent,
    EventType.ACTION_OVERDUE: ActionOverdueEvent,
    EventType.ACTION_COMPLETED: ActionCompletedEvent,
    EventType.ACTION_DISMISSED: ActionDismissedEvent,
    EventType.ACTION_OBSOLETE: ActionObsoleteEvent,
    EventType.APPLICATION_OUTCOME: ApplicationOutcomeEvent,
    EventType.INTERVIEW_SCHEDULED: InterviewScheduledEvent,
    EventType.INTERVIEW_CANCELLED: InterviewCancelledEvent,
    EventType.WEBHOOK_ENDPOINT_DISABLED: WebhookEndpointDisabledEvent,
    EventType.PING: PingEvent,
}

AnyEvent = Annotated[
    ActionCreatedEvent
    | ActionDueEvent
    | ActionOverdueEvent
    | ActionCompletedEvent
    | ActionDismissedEvent
    | ActionObsoleteEvent
    | ApplicationOutcomeEvent
    | InterviewScheduledEvent
    | InterviewCancelledEvent
    | WebhookEndpointDisabledEvent
    | PingEvent,
    Field(discriminator="type"),
]


class EventRead(RootModel[AnyEvent]):
    """Something that happened in the tenant, in the order it happened: an item of
    `GET /v1/events` and the body of every webhook delivery. `type` says which member
    it is, and so what `data` holds."""

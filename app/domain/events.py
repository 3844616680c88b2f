"""What Follow-Up tells its callers happened: the event types, each with what it means."""

from __future__ import annotations

from enum import StrEnum


class EventType(StrEnum):
    """Every event Follow-Up emits."""

    ACTION_CREATED = "action.created"
    ACTION_DUE = "action.due"
    ACTION_OVERDUE = "action.overdue"
    ACTION_COMPLETED = "action.completed"
    ACTION_DISMISSED = "action.dismissed"
    ACTION_OBSOLETE = "action.obsolete"
    APPLICATION_OUTCOME = "application.outcome"
    INTERVIEW_SCHEDULED = "interview.scheduled"
    INTERVIEW_CANCELLED = "interview.cancelled"
    WEBHOOK_ENDPOINT_DISABLED = "webhook_endpoint.disabled"
    PING = "ping"


EVENT_DESCRIPTIONS = {
    EventType.ACTION_CREATED: "A rule called for a new action (or again for an obsolete one).",
    EventType.ACTION_DUE: "An action's window opened (sent once, by the worker).",
    EventType.ACTION_OVERDUE: "An action's window closed while it was open (sent once).",
    EventType.ACTION_COMPLETED: "The user marked an action done.",
    EventType.ACTION_DISMISSED: "The user dismissed an action.",
    EventType.ACTION_OBSOLETE: "No rule calls for an action any more.",
    EventType.APPLICATION_OUTCOME: "An application reached a final status.",
    EventType.INTERVIEW_SCHEDULED: "An interview was booked or moved.",
    EventType.INTERVIEW_CANCELLED: "An interview was cancelled.",
    EventType.WEBHOOK_ENDPOINT_DISABLED: "The worker disabled a webhook endpoint that kept "
    "failing.",
    EventType.PING: "A test delivery asked for with `POST /v1/webhook-endpoints/{id}/ping`; "
    "sent to that endpoint only, never kept in the event log; its `id` is the delivery's.",
}


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"
    CANCELLED = "cancelled"


class DisabledReason(StrEnum):
    MANUAL = "manual"
    FAILING = "failing"

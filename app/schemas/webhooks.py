"""Bodies of webhook endpoints and their deliveries."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from app.domain.events import DeliveryStatus, DisabledReason, EventType
from app.schemas.common import (
    CreatedAt,
    ReadModel,
    ResourceMeta,
    SingleLine,
    Url,
    WriteModel,
    example,
)
from app.schemas.events import EVENT_TYPES_DOC

EventTypes = Annotated[
    list[EventType],
    Field(
        min_length=1,
        max_length=len(EventType),
        description=f"The event types to send here. {EVENT_TYPES_DOC}",
    ),
]
# A one-line label for people, shown in lists.
Description = Annotated[str, StringConstraints(max_length=500), SingleLine]
WEBHOOK_URL_DOC = (
    "Where to POST events: an https URL on the public internet (internal, loopback and "
    "link-local addresses are refused, when saved and again on every connection)."
)


class WebhookEndpointCreate(WriteModel):
    """A URL to receive the tenant's events."""

    model_config = example(
        url="https://ats.example.com/hooks/followup",
        event_types=["action.due", "action.overdue"],
        description="Our ATS",
    )

    url: Url = Field(description=WEBHOOK_URL_DOC)
    event_types: EventTypes
    enabled: bool = Field(default=True, description="Whether events are sent to it.")
    description: Description | None = Field(default=None, description="A note for people.")


class WebhookEndpointUpdate(WriteModel):
    """The fields to change; omitted ones stay as they are."""

    model_config = example(enabled=False)

    url: Url | None = Field(default=None, description=WEBHOOK_URL_DOC)
    event_types: EventTypes | None = None
    enabled: bool | None = Field(
        default=None,
        description="`false` stops sending and cancels what waits; `true` resumes with new "
        "events and clears the failure count.",
    )
    description: Description | None = Field(default=None, description="A note for people.")


class SecretRotation(WriteModel):
    """How long the old secret keeps signing beside the new one."""

    model_config = example(keep_previous_hours=24)

    keep_previous_hours: int = Field(
        default=24,
        ge=0,
        le=168,
        description="Hours during which each delivery carries a second `v1` signature made "
        "with the old secret, so receivers can switch without losing events; 0 ends it now.",
    )


class WebhookEndpointRead(ResourceMeta):
    """A webhook endpoint; its secret is shown only when created or rotated."""

    url: str = Field(description="Where events are POSTed.")
    event_types: list[EventType] = Field(description="The event types sent here.")
    enabled: bool = Field(description="Whether events are sent to it.")
    disabled_reason: DisabledReason | None = Field(
        description="`manual` (turned off through the API) or `failing` (the worker turned "
        "it off after a long run of failed attempts); null while enabled."
    )
    disabled_at: datetime | None = Field(description="When it was disabled.")
    description: str | None = Field(description="A note for people.")
    consecutive_failures: int = Field(
        description="Failed attempts since the last success; at the configured limit the "
        "endpoint is disabled and a `webhook_endpoint.disabled` event is recorded."
    )
    last_success_at: datetime | None = Field(description="The last successful attempt.")
    last_failure_at: datetime | None = Field(description="The last failed attempt.")
    previous_secret_expires_at: datetime | None = Field(
        description="Until when the secret before the last rotation still signs, if it does."
    )


class WebhookEndpointWithSecret(WebhookEndpointRead):
    """The endpoint with its signing secret, shown this once."""

    secret: str = Field(
        description="The signing secret (`whsec_…`), shown only now: store it. Verify "
        "`Followup-Signature` with HMAC-SHA256 keyed with this whole string."
    )


class DeliveryAttempt(ReadModel):
    """One try at sending a delivery."""

    attempt: int = Field(description="1 for the first try.")
    at: datetime = Field(description="When it started.")
    duration_ms: int = Field(description="How long it took.")
    status_code: int | None = Field(description="The receiver's HTTP status, if it answered.")
    error: str | None = Field(description="What went wrong; null on success.")


class WebhookDeliveryRead(ReadModel):
    """One event (or ping) on its way to one endpoint, with every attempt."""

    id: str = Field(description="The delivery's ID (also sent as `Followup-Delivery-Id`).")
    endpoint_id: str = Field(description="The endpoint it goes to.")
    event_id: str | None = Field(
        description="The event sent (as `Followup-Event-Id`); null for a ping, whose "
        "`Followup-Event-Id` is the delivery's ID."
    )
    event_type: str = Field(description="The event type, or `ping`.")
    created_at: CreatedAt
    status: DeliveryStatus = Field(
        description="`pending` (waiting or being retried), `delivered` (a 2xx answer), "
        "`failed` (retries ran out after about three days; a ping gets one try) or "
        "`cancelled` (the endpoint was disabled)."
    )
    next_attempt_at: datetime | None = Field(
        description="When the next attempt is due while pending (during an attempt, the "
        "end of the sending worker's lease)."
    )
    attempt_count: int = Field(description="Attempts made so far.")
    attempts: list[DeliveryAttempt] = Field(description="The latest attempts, oldest first.")
    last_status_code: int | None = Field(description="The last attempt's HTTP status.")
    last_error: str | None = Field(description="The last attempt's error, if it failed.")
    delivered_at: datetime | None = Field(description="When it was delivered.")

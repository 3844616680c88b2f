"""What Follow-Up POSTs to a webhook endpoint: one OpenAPI `webhooks` entry per event type.

Nothing here serves a request. The routes exist so FastAPI writes each delivery into the
document (body schema, headers, expected answer) for client generators and readers; the
worker (app/services/webhooks/delivery.py) builds the same bodies and headers.
"""

# No `from __future__ import annotations`: each receiver's body annotation must be the
# event model object itself, which FastAPI reads from the signature.

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Header, Response

from app.domain.events import EVENT_DESCRIPTIONS, EventType
from app.schemas.events import EVENT_MODELS
from app.services.webhooks.delivery import (
    DELIVERY_ID_HEADER,
    EVENT_ID_HEADER,
    EVENT_TYPE_HEADER,
)
from app.services.webhooks.signing import SIGNATURE_HEADER

router = APIRouter(tags=["webhooks"])

DELIVERY_DOC = (
    "Follow-Up POSTs this JSON body (`Content-Type: application/json`) to every enabled "
    "endpoint subscribed to the type. Check `Followup-Signature` against the raw body before "
    "parsing it, and drop an event whose `Followup-Event-Id` you already handled: delivery "
    "is at least once, and order is not guaranteed."
)
ACKNOWLEDGED = (
    "Any 2xx status acknowledges the delivery. Anything else, a redirect, or no answer within "
    "the delivery timeout counts as a failed attempt and is retried (a `ping` is tried once)."
)

Signature = Annotated[
    str,
    Header(
        alias=SIGNATURE_HEADER,
        description="`t=<unix seconds>,v1=<hex>`: each `v1` is the hex HMAC-SHA256 of "
        "`<t>.<raw body>` keyed with a signing secret in force (two `v1` while a rotated "
        "secret overlaps). Refuse a `t` more than 5 minutes from your clock.",
    ),
]
EventId = Annotated[
    str,
    Header(
        alias=EVENT_ID_HEADER,
        description="The event's `id` (the delivery's ID for a `ping`); the same on every "
        "retry, so use it to drop duplicates.",
    ),
]
EventTypeHeader = Annotated[
    EventType, Header(alias=EVENT_TYPE_HEADER, description="The event's `type`.")
]
DeliveryId = Annotated[
    str,
    Header(
        alias=DELIVERY_ID_HEADER,
        description="This delivery (one event to one endpoint); its attempts are listed by "
        "`GET /v1/webhook-endpoints/{id}/deliveries`.",
    ),
]


def _receiver(model: Any) -> Callable[..., Awaitable[None]]:
    async def receive(
        event: model,
        signature: Signature,
        event_id: EventId,
        event_type: EventTypeHeader,
        delivery_id: DeliveryId,
    ) -> None:
        """Documentation only: never called."""

    return receive


for _event_type, _model in EVENT_MODELS.items():
    router.add_api_route(
        _event_type.value,
        _receiver(_model),
        methods=["POST"],
        operation_id=f"webhook_{_event_type.value.replace('.', '_')}",
        summary=f"The `{_event_type.value}` event",
        description=f"{EVENT_DESCRIPTIONS[_event_type]}\n\n{DELIVERY_DOC}",
        status_code=200,
        response_class=Response,
        response_description=ACKNOWLEDGED,
    )

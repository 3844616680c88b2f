"""Webhook deliveries parsed into the models generated from the contract's `webhooks`.

The document names one payload schema per event type (`webhooks.<type>.post.requestBody`);
the generator makes a model class of each, named after the schema. A receiver picks the
model by the delivery's `Followup-Event-Type` header.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Protocol, cast

import followup_client.models


class WebhookPayload(Protocol):
    additional_properties: dict[str, Any]

    def to_dict(self) -> dict[str, Any]: ...


class PayloadModel(Protocol):
    __name__: str

    def from_dict(self, src_dict: Mapping[str, Any]) -> WebhookPayload: ...


class UndeclaredWebhook(LookupError):
    """The contract declares no payload for this event type."""


def class_name(schema_name: str) -> str:
    """The generator's class name for a schema: its words in PascalCase."""
    words = schema_name.replace("-", "_").replace(".", "_").split("_")
    return "".join(word[:1].upper() + word[1:] for word in words)


def payload_model(document: Mapping[str, Any], event_type: str) -> PayloadModel:
    """The generated model for the payload the contract declares for ``event_type``."""
    try:
        operation = document["webhooks"][event_type]["post"]
        reference: str = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    except KeyError as missing:
        raise UndeclaredWebhook(event_type) from missing
    model = getattr(followup_client.models, class_name(reference.rsplit("/", 1)[1]))
    return cast(PayloadModel, model)


def parse_delivery(
    document: Mapping[str, Any], event_type: str, body: bytes
) -> tuple[PayloadModel, WebhookPayload]:
    model = payload_model(document, event_type)
    return model, model.from_dict(json.loads(body))

"""Webhook payloads against the contract: every delivery the worker sends, received on a
loopback receiver, validates against its named schema in the served OpenAPI document
(and against the `EventRead` union); every event type has a `webhooks` entry; the action
inside an event has `ActionRead`'s shape; stored events of the old shape are migrated."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx
import jsonschema_rs
import pytest
from pydantic import TypeAdapter
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import migrations
from app.db.engine import create_engine
from app.domain.events import EventType
from app.main import create_app
from app.schemas.actions import ActionRead
from app.schemas.events import EVENT_MODELS, ActionEventData, EventRead
from app.services.webhooks.delivery import (
    DELIVERY_ID_HEADER,
    EVENT_ID_HEADER,
    EVENT_TYPE_HEADER,
)
from app.services.webhooks.signing import SIGNATURE_HEADER
from app.services.worker import Worker
from app.settings import Settings
from tests.api.builders import all_pages, interview_round, one
from tests.services.test_worker import (  # noqa: F401 (fixtures)
    ALL_TYPES,
    Clock,
    Receiver,
    drain,
    hooks_client,
    loopback_settings,
    new_endpoint,
    receiver,
)

DELIVERY_HEADERS = {SIGNATURE_HEADER, EVENT_ID_HEADER, EVENT_TYPE_HEADER, DELIVERY_ID_HEADER}


@pytest.fixture(scope="module")
def document(settings: Settings) -> dict[str, Any]:
    return create_app(settings).openapi()


def schema_validator(document: dict[str, Any], name: str) -> Any:
    """A JSON Schema 2020-12 validator for one named component of the served document."""
    schema = {"$ref": f"#/components/schemas/{name}", "components": document["components"]}
    return jsonschema_rs.Draft202012Validator(schema)


def test_every_event_type_has_a_webhook_entry(document: dict[str, Any]) -> None:
    webhooks = document["webhooks"]
    assert set(webhooks) == {t.value for t in EventType}
    for event_type in EventType:
        operation = webhooks[event_type.value]["post"]
        body = operation["requestBody"]["content"]["application/json"]["schema"]
        name = EVENT_MODELS[event_type].__name__
        assert body == {"$ref": f"#/components/schemas/{name}"}
        assert name.endswith("Event")
        declared = {p["name"] for p in operation["parameters"] if p["in"] == "header"}
        assert declared == DELIVERY_HEADERS
        assert set(operation["responses"]) == {"200"}
        # The named schema fixes `type` to this event type.
        type_schema = document["components"]["schemas"][name]["properties"]["type"]
        assert type_schema["const"] == event_type.value


def test_the_union_is_discriminated_by_type(document: dict[str, Any]) -> None:
    union = document["components"]["schemas"]["EventRead"]
    assert union["discriminator"]["propertyName"] == "type"
    assert union["discriminator"]["mapping"] == {
        t.value: f"#/components/schemas/{EVENT_MODELS[t].__name__}" for t in EventType
    }
    assert len(union["oneOf"]) == len(EventType)
    listed = document["paths"]["/v1/events"]["get"]["responses"]["200"]["content"]
    page = listed["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    items = document["components"]["schemas"][page]["properties"]["data"]["items"]
    assert items == {"$ref": "#/components/schemas/EventRead"}


def test_a_payload_of_another_type_fails_the_named_schema(document: dict[str, Any]) -> None:
    ping = {
        "id": "whd_1",
        "type": "ping",
        "occurred_at": "2026-12-01T09:00:00Z",
        "candidate_id": None,
        "application_id": None,
        "action_id": None,
        "data": {"webhook_endpoint_id": "whe_1"},
        "erased_at": None,
    }
    assert schema_validator(document, "PingEvent").is_valid(ping)
    assert not schema_validator(document, "ActionDueEvent").is_valid(ping)
    assert not schema_validator(document, "PingEvent").is_valid({**ping, "data": {}})
    assert not schema_validator(document, "EventRead").is_valid({**ping, "type": "nope"})


async def test_every_delivery_validates_against_its_named_schema(
    hooks_client: httpx.AsyncClient,  # noqa: F811 (the fixture imported above)
    sessionmaker: async_sessionmaker[AsyncSession],
    loopback_settings: Settings,  # noqa: F811
    receiver: Receiver,  # noqa: F811
    document: dict[str, Any],
) -> None:
    endpoint = await new_endpoint(hooks_client, receiver.url, [*ALL_TYPES, "ping"])
    application, interviewer, interview = await interview_round(hooks_client)
    actions = await all_pages(hooks_client, f"/v1/applications/{application['id']}/actions")
    thank_you = one(actions, "send_thank_you", interviewer["id"])
    closing = one(actions, "ask_closing_questions")
    assert (await hooks_client.post(f"/v1/actions/{thank_you['id']}/complete", json={})).is_success
    dismissed = await hooks_client.post(
        f"/v1/actions/{closing['id']}/dismiss", json={"reason": "Asked already"}
    )
    assert dismissed.is_success
    clock = Clock()
    async with Worker(sessionmaker, loopback_settings, clock=clock) as worker:
        await drain(worker)
        clock.advance(days=60)  # every open window has closed: action.overdue
        await drain(worker)
    cancelled = await hooks_client.patch(
        f"/v1/interviews/{interview['id']}", json={"status": "cancelled"}
    )
    assert cancelled.is_success
    withdrawn = await hooks_client.patch(
        f"/v1/applications/{application['id']}", json={"status": "withdrawn"}
    )
    assert withdrawn.is_success
    pinged = await hooks_client.post(f"/v1/webhook-endpoints/{endpoint['id']}/ping")
    assert pinged.is_success
    async with Worker(sessionmaker, loopback_settings) as worker:
        await drain(worker)

    union = TypeAdapter(EventRead)
    validators = {t: schema_validator(document, EVENT_MODELS[t].__name__) for t in EventType}
    whole = schema_validator(document, "EventRead")
    seen: set[str] = set()
    for request in receiver.requests:
        event_type = EventType(request.headers[EVENT_TYPE_HEADER])
        payload = request.document
        errors = [e.message for e in validators[event_type].iter_errors(payload)]
        assert errors == [], (event_type, errors)
        assert whole.is_valid(payload)
        parsed = union.validate_json(request.body).root
        assert isinstance(parsed, EVENT_MODELS[event_type])
        assert parsed.type == event_type == payload["type"]
        seen.add(event_type.value)
    assert seen >= {
        "action.created",
        "action.due",
        "action.overdue",
        "action.completed",
        "action.dismissed",
        "action.obsolete",
        "application.outcome",
        "interview.scheduled",
        "interview.cancelled",
        "ping",
    }
    # The event log shows the same documents, parsed by the same union.
    for event in await all_pages(hooks_client, "/v1/events"):
        assert whole.is_valid(event)
        assert isinstance(union.validate_python(event).root, EVENT_MODELS[EventType(event["type"])])


async def test_the_action_in_an_event_is_the_action_read(
    hooks_client: httpx.AsyncClient,  # noqa: F811
) -> None:
    application, interviewer, _ = await interview_round(hooks_client)
    actions = await all_pages(hooks_client, f"/v1/applications/{application['id']}/actions")
    thank_you = one(actions, "send_thank_you", interviewer["id"])
    done = await hooks_client.post(f"/v1/actions/{thank_you['id']}/complete", json={})
    assert done.status_code == 200
    events = await all_pages(hooks_client, "/v1/events", {"application_id": application["id"]})
    for event in events:
        if not event["type"].startswith("action."):
            continue
        action = event["data"]["action"]
        assert set(action) == set(ActionRead.model_fields)
        assert ActionEventData.model_validate(event["data"]).action.id == event["action_id"]
    [completed] = [e for e in events if e["type"] == "action.completed"]
    in_event = completed["data"]["action"]
    shown = await hooks_client.get(
        f"/v1/actions/{thank_you['id']}", params={"as_of": in_event["as_of"]}
    )
    assert in_event == shown.json()  # same keys, same values, same serialisation
    assert in_event["status"] == "done"
    assert in_event["mark"]["kind"] == "done"


OLD_SHAPE_ACTION = {
    "id": "act_gone",
    "key": "E3:int_1:con_1",
    "rule": "E3",
    "type": "send_thank_you",
    "application_id": "app_1",
    "candidate_id": "can_1",
    "interview_id": "int_1",
    "contact_id": "con_1",
    "available_from": "2026-12-01T17:00:00+00:00",
    "due_by": "2026-12-02T17:00:00+00:00",
    "channel": "email",
    "blocked_reason": None,
    "title": "Thank Ada for the interview",
    "mark": "done",
}


async def test_stored_events_of_the_old_shape_are_migrated(scratch_database_url: str) -> None:
    engine = create_engine(Settings(database_url=scratch_database_url))
    try:
        await migrations.upgrade(engine, "8d41c7e2a9b3")
        async with engine.begin() as connection:
            await connection.execute(
                text("INSERT INTO tenants (id, name, created_at) VALUES ('ten_1', 'T', :at)"),
                {"at": datetime(2026, 12, 1, tzinfo=UTC)},
            )
            await connection.execute(
                text(
                    "INSERT INTO events (id, tenant_id, type, occurred_at, candidate_id, "
                    "application_id, action_id, data) VALUES ('evt_1', 'ten_1', "
                    "'action.completed', :at, 'can_1', 'app_1', 'act_gone', :data)"
                ),
                {
                    "at": datetime(2026, 12, 1, 18, tzinfo=UTC),
                    "data": json.dumps({"action": OLD_SHAPE_ACTION}),
                },
            )
        await migrations.upgrade(engine)
        async with engine.connect() as connection:
            stored = (await connection.execute(text("SELECT data FROM events"))).scalar_one()
        data = stored if isinstance(stored, dict) else json.loads(stored)
        action = ActionEventData.model_validate(data).action
        assert set(data["action"]) == set(ActionRead.model_fields)
        assert action.subject.interview_id == "int_1" and action.subject.contact_id == "con_1"
        assert action.status == "done" and action.mark is not None and action.mark.kind == "done"
        assert action.as_of == datetime(2026, 12, 1, 18, tzinfo=UTC)

        await migrations.downgrade(engine, "8d41c7e2a9b3")
        async with engine.connect() as connection:
            stored = (await connection.execute(text("SELECT data FROM events"))).scalar_one()
        data = stored if isinstance(stored, dict) else json.loads(stored)
        # Back to the old keys and values (timestamps in the API's RFC 3339 form).
        moments = ("available_from", "due_by")
        restored = data["action"]
        assert {k: v for k, v in restored.items() if k not in moments} == {
            k: v for k, v in OLD_SHAPE_ACTION.items() if k not in moments
        }
        for name in moments:
            parsed = datetime.fromisoformat(restored[name])
            assert parsed == datetime.fromisoformat(str(OLD_SHAPE_ACTION[name]))
    finally:
        await engine.dispose()

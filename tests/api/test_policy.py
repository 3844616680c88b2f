"""The tenant's timing policy: read, replace, re-plan open actions, refuse bad values."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.settings import Settings
from tests.api.builders import (
    Json,
    actions_of,
    assert_invalid,
    assert_problem,
    at,
    interview_round,
    one,
)
from tests.conftest import client_for, make_tenant

DEFAULTS = {
    "confirm_lead_hours": 24,
    "thank_you_hours": 24,
    "default_reply_wait_business_days": 5,
    "check_in_window_business_days": 2,
    "check_in_repeat_business_days": 5,
    "max_check_ins": 2,
    "connect_within_days": 7,
}


async def test_a_new_tenant_has_the_default_policy(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/policy")
    assert response.status_code == 200
    assert response.json() == DEFAULTS


async def test_put_replaces_the_policy_and_omitted_values_return_to_defaults(
    client: httpx.AsyncClient,
) -> None:
    response = await client.put("/v1/policy", json={"thank_you_hours": 48, "max_check_ins": 1})
    assert response.status_code == 200
    assert response.json() == {**DEFAULTS, "thank_you_hours": 48, "max_check_ins": 1}
    assert (await client.get("/v1/policy")).json() == response.json()

    response = await client.put("/v1/policy", json={"connect_within_days": 14})
    assert response.json() == {**DEFAULTS, "connect_within_days": 14}
    assert (await client.get("/v1/policy")).json() == {**DEFAULTS, "connect_within_days": 14}


async def test_a_longer_thank_you_window_moves_the_open_thank_you(
    client: httpx.AsyncClient,
) -> None:
    application, _, _ = await interview_round(client)
    before = one(await actions_of(client, application["id"]), "send_thank_you")
    assert at(before["due_by"]) == at("2027-01-14T10:00:00Z")  # end + 24 h

    await client.put("/v1/policy", json={"thank_you_hours": 48})
    after = one(await actions_of(client, application["id"]), "send_thank_you")
    assert after["id"] == before["id"]
    assert after["key"] == before["key"]
    assert at(after["due_by"]) == at("2027-01-15T10:00:00Z")  # end + 48 h
    assert "48" in after["explanation"]

    await client.put("/v1/policy", json={})
    restored = one(await actions_of(client, application["id"]), "send_thank_you")
    assert at(restored["due_by"]) == at("2027-01-14T10:00:00Z")


async def test_policy_moves_confirmations_and_check_ins(client: httpx.AsyncClient) -> None:
    application, _, interview = await interview_round(client)
    await client.put(
        "/v1/policy",
        json={"confirm_lead_hours": 48, "default_reply_wait_business_days": 3, "max_check_ins": 0},
    )
    actions = await actions_of(client, application["id"], "2027-01-13T12:00:00Z")
    confirm = one(actions, "confirm_interviewers")
    assert at(confirm["due_by"]) == at("2027-01-11T09:00:00Z")  # 48 h before the start
    # No check-ins wanted: the pending one is no longer called for.
    assert one(actions, "check_in")["status"] == "obsolete"

    await client.put("/v1/policy", json={"default_reply_wait_business_days": 3})
    check_in = one(await actions_of(client, application["id"], "2027-01-13T12:00:00Z"), "check_in")
    assert check_in["key"] == f"E4:{interview['id']}:1"
    assert check_in["status"] == "upcoming"
    # Wednesday 13th + 3 business days = Monday 18th; opens Tuesday 19th 09:00 Berlin.
    assert at(check_in["available_from"]) == at("2027-01-19T08:00:00Z")


async def test_out_of_range_values_are_refused_and_change_nothing(
    client: httpx.AsyncClient,
) -> None:
    application, _, _ = await interview_round(client)
    before = await actions_of(client, application["id"], "2027-01-01T00:00:00Z")
    cases: list[tuple[Json, str]] = [
        ({"thank_you_hours": 0}, "body.thank_you_hours"),
        ({"thank_you_hours": 337}, "body.thank_you_hours"),
        ({"confirm_lead_hours": -1}, "body.confirm_lead_hours"),
        ({"max_check_ins": 6}, "body.max_check_ins"),
        ({"check_in_window_business_days": 0}, "body.check_in_window_business_days"),
        ({"connect_within_days": 91}, "body.connect_within_days"),
        ({"thank_you_hours": "a day"}, "body.thank_you_hours"),
        ({"thank_you_hours": 24.5}, "body.thank_you_hours"),
        ({"thank_you_minutes": 30}, "body.thank_you_minutes"),
    ]
    for body, field in cases:
        assert_invalid(await client.put("/v1/policy", json=body), field)
    assert (await client.get("/v1/policy")).json() == DEFAULTS
    assert await actions_of(client, application["id"], "2027-01-01T00:00:00Z") == before


async def test_a_policy_belongs_to_one_tenant(
    client: httpx.AsyncClient,
    app: object,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    other = await make_tenant(sessionmaker, settings, name="Other firm")
    async with client_for(app, other.key) as other_client:
        their_application, _, _ = await interview_round(other_client)
        theirs = one(await actions_of(other_client, their_application["id"]), "send_thank_you")

    await client.put("/v1/policy", json={"thank_you_hours": 72})

    async with client_for(app, other.key) as other_client:
        assert (await other_client.get("/v1/policy")).json() == DEFAULTS
        unchanged = (await other_client.get(f"/v1/actions/{theirs['id']}")).json()
    assert unchanged["due_by"] == theirs["due_by"]


async def test_a_read_only_key_reads_the_policy_but_cannot_change_it(
    app: object, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    reader = await make_tenant(sessionmaker, settings, name="Auditor", scopes=["read"])
    async with client_for(app, reader.key) as read_only:
        assert (await read_only.get("/v1/policy")).json() == DEFAULTS
        assert_problem(await read_only.put("/v1/policy", json={"thank_you_hours": 48}), 403)
        assert (await read_only.get("/v1/policy")).json() == DEFAULTS


async def test_allowing_check_ins_again_brings_them_back_where_nothing_else_is_open(
    client: httpx.AsyncClient,
) -> None:
    application, _, interview = await interview_round(
        client,
        panel_confirmed=True,
        next_step="Onsite",
        expected_reply_date="2027-01-20",
    )
    await client.put("/v1/policy", json={"max_check_ins": 0})
    thank_you = one(await actions_of(client, application["id"]), "send_thank_you")
    await client.post(f"/v1/actions/{thank_you['id']}/complete", json={})
    closed = await actions_of(client, application["id"], "2027-01-21T12:00:00Z")
    assert {(a["type"], a["status"]) for a in closed} == {
        ("confirm_interviewers", "done"),
        ("ask_closing_questions", "done"),
        ("send_thank_you", "done"),
        ("check_in", "obsolete"),
    }

    # Nothing of this application is open, yet the new policy calls for a check-in again.
    await client.put("/v1/policy", json={})
    check_in = one(await actions_of(client, application["id"], "2027-01-21T12:00:00Z"), "check_in")
    assert check_in["key"] == f"E4:{interview['id']}:1"
    assert check_in["status"] == "due"

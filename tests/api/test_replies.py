"""Replies: CRUD, and how a reply ends the wait for news or moves the check-in to a new date."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.settings import Settings
from tests.api.builders import (
    Json,
    actions_of,
    all_pages,
    assert_invalid,
    assert_problem,
    at,
    interview_round,
    new_application,
    new_contact,
    new_reply,
)
from tests.conftest import client_for, make_tenant

AS_OF = "2027-01-21T12:00:00Z"  # the first check-in is open then


def check_ins(actions: list[Json]) -> dict[str, Json]:
    return {a["key"]: a for a in actions if a["type"] == "check_in"}


async def test_create_read_list_update_delete(client: httpx.AsyncClient) -> None:
    application, interviewer, _ = await interview_round(client)
    created = await new_reply(
        client,
        application["id"],
        received_at="2027-01-20T15:00:00+01:00",
        contact_id=interviewer["id"],
        note="Still interviewing; decision by Friday.",
        new_expected_date="2027-01-29",
    )
    assert created["id"].startswith("rep_")
    assert at(created["received_at"]) == at("2027-01-20T14:00:00Z")
    assert created["new_expected_date"] == "2027-01-29"
    assert (await client.get(f"/v1/replies/{created['id']}")).json() == created

    later = await new_reply(client, application["id"], received_at="2027-01-22T09:00:00Z")
    path = f"/v1/applications/{application['id']}/replies"
    for limit in (1, 50):
        assert [r["id"] for r in await all_pages(client, path, limit=limit)] == [
            created["id"],
            later["id"],
        ]

    changed = await client.patch(f"/v1/replies/{created['id']}", json={"note": "By Monday."})
    assert changed.status_code == 200
    assert changed.json()["note"] == "By Monday."
    assert changed.json()["new_expected_date"] == "2027-01-29"

    assert (await client.delete(f"/v1/replies/{later['id']}")).status_code == 204
    assert_problem(await client.get(f"/v1/replies/{later['id']}"), 404)
    assert [r["id"] for r in await all_pages(client, path)] == [created["id"]]


async def test_a_reply_ends_the_wait_for_news(client: httpx.AsyncClient) -> None:
    application, _, interview = await interview_round(client)
    pending = check_ins(await actions_of(client, application["id"], AS_OF))
    assert {k: a["status"] for k, a in pending.items()} == {f"E4:{interview['id']}:1": "due"}

    reply = await new_reply(client, application["id"], received_at="2027-01-20T15:00:00+01:00")
    after = check_ins(await actions_of(client, application["id"], AS_OF))
    assert {k: a["status"] for k, a in after.items()} == {f"E4:{interview['id']}:1": "obsolete"}

    # Recorded by mistake: deleting it brings the same check-in back.
    await client.delete(f"/v1/replies/{reply['id']}")
    revived = check_ins(await actions_of(client, application["id"], AS_OF))
    assert {k: a["status"] for k, a in revived.items()} == {f"E4:{interview['id']}:1": "due"}
    assert revived.keys() == pending.keys()
    assert [a["id"] for a in revived.values()] == [a["id"] for a in pending.values()]


async def test_a_reply_before_the_interview_ended_does_not_count(
    client: httpx.AsyncClient,
) -> None:
    application, _, interview = await interview_round(client)
    await new_reply(client, application["id"], received_at="2027-01-13T10:30:00+01:00")
    after = check_ins(await actions_of(client, application["id"], AS_OF))
    assert {k: a["status"] for k, a in after.items()} == {f"E4:{interview['id']}:1": "due"}


async def test_a_new_date_moves_the_check_in_to_wait_for_it(client: httpx.AsyncClient) -> None:
    application, interviewer, interview = await interview_round(client)
    recruiter = await new_contact(
        client, application["id"], role="recruiter", name="Rita", email="rita@globex.example"
    )
    reply = await new_reply(
        client,
        application["id"],
        received_at="2027-01-20T15:00:00+01:00",
        contact_id=recruiter["id"],
        new_expected_date="2027-01-29",
    )
    old_key = f"E4:{interview['id']}:1"
    new_key = f"E4:{interview['id']}:reply:{reply['id']}:1"
    actions = check_ins(await actions_of(client, application["id"], AS_OF))
    assert {k: a["status"] for k, a in actions.items()} == {
        old_key: "obsolete",
        new_key: "upcoming",
    }
    waiting = actions[new_key]
    # Friday 29th passes; the check-in opens Monday 1 February 09:00 Berlin, for two
    # business days, and goes to the person who gave the date.
    assert at(waiting["available_from"]) == at("2027-02-01T08:00:00Z")
    assert at(waiting["due_by"]) == at("2027-02-03T08:00:00Z")
    assert waiting["subject"]["contact_id"] == recruiter["id"]
    assert interviewer["id"] != recruiter["id"]

    # They move their date again: the same check-in waits longer.
    await client.patch(f"/v1/replies/{reply['id']}", json={"new_expected_date": "2027-02-05"})
    moved = check_ins(await actions_of(client, application["id"], AS_OF))[new_key]
    assert moved["id"] == waiting["id"]
    assert at(moved["available_from"]) == at("2027-02-08T08:00:00Z")
    assert at(moved["due_by"]) == at("2027-02-10T08:00:00Z")


async def test_strict_input_names_the_failing_field(client: httpx.AsyncClient) -> None:
    application, _, _ = await interview_round(client)
    stranger = await new_contact(client, (await new_application(client))["id"])
    path = f"/v1/applications/{application['id']}/replies"
    valid: Json = {"received_at": "2027-01-20T15:00:00+01:00"}
    cases: list[tuple[Json, str]] = [
        ({"received_at": "2027-01-20T15:00:00"}, "body.received_at"),
        ({"contact_id": stranger["id"]}, "body.contact_id"),
        ({"contact_id": "con_missing"}, "body.contact_id"),
        ({"note": "x" * 2001}, "body.note"),
        ({"new_expected_date": "next Friday"}, "body.new_expected_date"),
        ({"sentiment": "positive"}, "body.sentiment"),
    ]
    for change, field in cases:
        assert_invalid(await client.post(path, json={**valid, **change}), field)
    assert_invalid(await client.post(path, json={}), "body.received_at")
    assert await all_pages(client, path) == []

    reply = await new_reply(client, application["id"])
    assert_invalid(
        await client.patch(f"/v1/replies/{reply['id']}", json={"received_at": None}),
        "body.received_at",
    )
    assert_invalid(
        await client.patch(f"/v1/replies/{reply['id']}", json={"contact_id": stranger["id"]}),
        "body.contact_id",
    )


async def test_another_tenants_reply_is_not_found(
    client: httpx.AsyncClient,
    app: object,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    other = await make_tenant(sessionmaker, settings, name="Other firm")
    async with client_for(app, other.key) as other_client:
        their_application = await new_application(other_client)
        theirs = await new_reply(other_client, their_application["id"])
    assert_problem(await client.get(f"/v1/replies/{theirs['id']}"), 404)
    assert_problem(await client.patch(f"/v1/replies/{theirs['id']}", json={"note": "x"}), 404)
    assert_problem(await client.delete(f"/v1/replies/{theirs['id']}"), 404)
    replies_path = f"/v1/applications/{their_application['id']}/replies"
    assert_problem(await client.get(replies_path), 404)
    assert_problem(
        await client.post(replies_path, json={"received_at": "2027-01-20T15:00:00Z"}), 404
    )
    async with client_for(app, other.key) as other_client:
        assert (await other_client.get(f"/v1/replies/{theirs['id']}")).json() == theirs

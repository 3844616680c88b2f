"""Interviews: CRUD, panels, and how every change re-plans the application's actions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import models
from app.settings import Settings
from tests.api.builders import (
    Json,
    actions_of,
    all_pages,
    assert_invalid,
    assert_problem,
    at,
    by_key,
    interview_round,
    new_application,
    new_contact,
    new_interview,
    one,
)
from tests.conftest import client_for, make_tenant

BEFORE_ANYTHING = "2027-01-01T00:00:00Z"


async def test_create_then_read_an_interview(client: httpx.AsyncClient) -> None:
    application = await new_application(client)
    lead = await new_contact(client, application["id"], name="Ivan")
    second = await new_contact(client, application["id"], name="Olga")
    created = await new_interview(
        client,
        application["id"],
        kind="onsite",
        start="2027-01-13T10:00:00+01:00",
        end="2027-01-13T12:30:00+01:00",
        panel=[second["id"], lead["id"]],
        panel_confirmed=True,
        next_step="Meet the team",
        expected_reply_date="2027-01-20",
        external_id="ats-int-1",
    )
    assert created["id"].startswith("int_")
    assert created["panel"] == [second["id"], lead["id"]]  # the caller's order, lead first
    assert created["status"] == "scheduled"
    assert at(created["start"]) == at("2027-01-13T09:00:00Z")
    assert at(created["end"]) == at("2027-01-13T11:30:00Z")
    assert created["expected_reply_date"] == "2027-01-20"
    response = await client.get(f"/v1/interviews/{created['id']}")
    assert response.status_code == 200
    assert response.json() == created


async def test_list_the_rounds_of_an_application(client: httpx.AsyncClient) -> None:
    application = await new_application(client)
    rounds = [
        await new_interview(
            client,
            application["id"],
            start=f"2027-01-{day}T10:00:00+01:00",
            end=f"2027-01-{day}T11:00:00+01:00",
        )
        for day in (20, 13, 27)
    ]
    await new_interview(client, (await new_application(client))["id"])
    path = f"/v1/applications/{application['id']}/interviews"
    for limit in (1, 2, 50):
        assert [i["id"] for i in await all_pages(client, path, limit=limit)] == [
            r["id"] for r in rounds
        ]
    assert_problem(await client.get("/v1/applications/app_missing/interviews"), 404)


async def test_a_new_interview_is_planned_in_the_same_request(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    application, interviewer, interview = await interview_round(client)
    async with sessionmaker() as session:
        stored = await session.scalar(
            select(func.count()).where(models.Action.interview_id == interview["id"])
        )
    assert stored == 4  # E1, E2, E3 (one interviewer), E4

    actions = by_key(await actions_of(client, application["id"], BEFORE_ANYTHING))
    e1 = actions[f"E1:{interview['id']}"]
    assert at(e1["available_from"]) == at(interview["created_at"])  # opens when recorded
    assert at(e1["due_by"]) == at("2027-01-12T09:00:00Z")  # 24 h before the start
    e2 = actions[f"E2:{interview['id']}"]
    assert (at(e2["available_from"]), at(e2["due_by"])) == (
        at("2027-01-12T09:00:00Z"),
        at("2027-01-13T10:00:00Z"),
    )
    e3 = actions[f"E3:{interview['id']}:{interviewer['id']}"]
    assert (at(e3["available_from"]), at(e3["due_by"])) == (
        at("2027-01-13T10:00:00Z"),
        at("2027-01-14T10:00:00Z"),
    )
    # Wednesday 13th + 5 business days = Wednesday 20th; opens Thursday 09:00 Berlin.
    e4 = actions[f"E4:{interview['id']}:1"]
    assert (at(e4["available_from"]), at(e4["due_by"])) == (
        at("2027-01-21T08:00:00Z"),
        at("2027-01-25T08:00:00Z"),
    )


async def test_booked_at_short_notice_the_panel_is_confirmed_by_the_start(
    client: httpx.AsyncClient,
) -> None:
    # E1 reads when the interview was recorded, so this test uses the real clock.
    start = (datetime.now(UTC) + timedelta(hours=3)).replace(microsecond=0)
    application, _, interview = await interview_round(
        client, start=start.isoformat(), end=(start + timedelta(hours=1)).isoformat()
    )
    e1 = one(await actions_of(client, application["id"]), "confirm_interviewers")
    assert at(e1["due_by"]) == start
    assert at(e1["available_from"]) == at(interview["created_at"])
    assert e1["status"] == "due"


async def test_reschedule_moves_the_same_actions(client: httpx.AsyncClient) -> None:
    application, interviewer, interview = await interview_round(client)
    before = by_key(await actions_of(client, application["id"], BEFORE_ANYTHING))

    response = await client.patch(
        f"/v1/interviews/{interview['id']}",
        json={"start": "2027-01-20T10:00:00+01:00", "end": "2027-01-20T11:00:00+01:00"},
    )
    assert response.status_code == 200
    assert at(response.json()["start"]) == at("2027-01-20T09:00:00Z")
    after = by_key(await actions_of(client, application["id"], BEFORE_ANYTHING))

    assert after.keys() == before.keys()
    assert {k: a["id"] for k, a in after.items()} == {k: a["id"] for k, a in before.items()}
    assert all(a["obsolete_at"] is None for a in after.values())
    expected_due = {
        f"E1:{interview['id']}": "2027-01-19T09:00:00Z",
        f"E2:{interview['id']}": "2027-01-20T10:00:00Z",
        f"E3:{interview['id']}:{interviewer['id']}": "2027-01-21T10:00:00Z",
        f"E4:{interview['id']}:1": "2027-02-01T08:00:00Z",
    }
    assert {k: at(a["due_by"]) for k, a in after.items()} == {
        k: at(v) for k, v in expected_due.items()
    }


async def test_cancel_makes_open_actions_obsolete_and_keeps_marks(
    client: httpx.AsyncClient,
) -> None:
    application, _, interview = await interview_round(client)
    thank_you = one(await actions_of(client, application["id"]), "send_thank_you")
    done = await client.post(
        f"/v1/actions/{thank_you['id']}/complete", json={"at": "2027-01-13T15:00:00+01:00"}
    )
    assert done.status_code == 200

    response = await client.patch(f"/v1/interviews/{interview['id']}", json={"status": "cancelled"})
    assert response.status_code == 200
    actions = await actions_of(client, application["id"], "2027-01-13T12:00:00Z")
    statuses = {(a["type"], a["status"]) for a in actions}
    assert statuses == {
        ("confirm_interviewers", "obsolete"),
        ("ask_closing_questions", "obsolete"),
        ("check_in", "obsolete"),
        ("send_thank_you", "done"),  # what the user did stays true
    }
    assert all(a["obsolete_at"] is not None for a in actions)
    assert one(actions, "send_thank_you")["mark"]["kind"] == "done"
    due_now = await all_pages(
        client,
        "/v1/actions",
        {"application_id": application["id"], "status": ["due", "upcoming", "overdue"]},
    )
    assert due_now == []

    # Back on the calendar: the same actions return, the mark intact.
    await client.patch(f"/v1/interviews/{interview['id']}", json={"status": "scheduled"})
    revived = by_key(await actions_of(client, application["id"], BEFORE_ANYTHING))
    assert {a["id"] for a in revived.values()} == {a["id"] for a in actions}
    assert all(a["obsolete_at"] is None for a in revived.values())
    assert revived[thank_you["key"]]["mark"]["kind"] == "done"
    assert at(revived[thank_you["key"]]["mark"]["at"]) == at("2027-01-13T14:00:00Z")


async def test_confirming_the_panel_and_recording_answers_completes_e1_and_e2(
    client: httpx.AsyncClient,
) -> None:
    application = await new_application(client)
    interviewer = await new_contact(client, application["id"], title=None)
    interview = await new_interview(client, application["id"], panel=[interviewer["id"]])
    actions = await actions_of(client, application["id"], "2027-01-13T09:30:00Z")
    assert one(actions, "confirm_interviewers")["status"] == "overdue"
    assert one(actions, "ask_closing_questions")["status"] == "due"

    await client.patch(f"/v1/contacts/{interviewer['id']}", json={"title": "CTO"})
    await client.patch(
        f"/v1/interviews/{interview['id']}",
        json={
            "panel_confirmed": True,
            "status": "completed",
            "next_step": "Onsite",
            "expected_reply_date": "2027-01-22",
        },
    )
    actions = await actions_of(client, application["id"], "2027-01-13T09:30:00Z")
    assert one(actions, "confirm_interviewers")["status"] == "done"
    assert one(actions, "ask_closing_questions")["status"] == "done"
    # The check-in now waits for the date the interviewer gave (Friday 22nd).
    check_in = one(actions, "check_in")
    assert at(check_in["available_from"]) == at("2027-01-25T08:00:00Z")


async def test_delete_keeps_the_interviews_actions_as_obsolete_history(
    client: httpx.AsyncClient,
) -> None:
    application, _, interview = await interview_round(client)
    response = await client.delete(f"/v1/interviews/{interview['id']}")
    assert response.status_code == 204
    assert_problem(await client.get(f"/v1/interviews/{interview['id']}"), 404)
    actions = await actions_of(client, application["id"], BEFORE_ANYTHING)
    assert len(actions) == 4
    assert {a["status"] for a in actions} == {"obsolete"}


async def test_strict_input_names_the_failing_field(client: httpx.AsyncClient) -> None:
    application = await new_application(client)
    mine = await new_contact(client, application["id"])
    elsewhere = await new_contact(client, (await new_application(client))["id"])
    path = f"/v1/applications/{application['id']}/interviews"
    valid: Json = {
        "kind": "video",
        "start": "2027-01-13T10:00:00+01:00",
        "end": "2027-01-13T11:00:00+01:00",
    }
    cases: list[tuple[Json, str]] = [
        ({"start": "2027-01-13T10:00:00"}, "body.start"),
        ({"end": "2027-01-13T11:00:00"}, "body.end"),
        ({"start": "13/01/2027 10:00"}, "body.start"),
        ({"end": "2027-01-13T09:00:00+01:00"}, "body.end"),
        ({"end": "2027-01-13T10:00:00+01:00"}, "body.end"),
        ({"end": "2027-01-13T09:00:00Z"}, "body.end"),  # the same instant as the start
        ({"status": "postponed"}, "body.status"),
        ({"panel": [elsewhere["id"]]}, "body.panel.0"),
        ({"panel": [mine["id"], "con_missing"]}, "body.panel.1"),
        ({"panel": [mine["id"], mine["id"]]}, "body.panel"),
        ({"next_step": "x" * 2001}, "body.next_step"),
        ({"expected_reply_date": "2027-02-30"}, "body.expected_reply_date"),
        ({"room": "B2"}, "body.room"),
    ]
    for change, field in cases:
        assert_invalid(await client.post(path, json={**valid, **change}), field)
    error = assert_invalid(await client.post(path, json={**valid, "kind": "lunch"}), "body.kind")
    for allowed in ("prescreen", "phone", "video", "onsite"):
        assert allowed in error["message"]
    assert await all_pages(client, path) == []

    interview = await new_interview(client, application["id"], panel=[mine["id"]])
    change_path = f"/v1/interviews/{interview['id']}"
    assert_invalid(
        await client.patch(change_path, json={"end": "2027-01-13T09:00:00+01:00"}), "body.end"
    )
    assert_invalid(
        await client.patch(change_path, json={"panel": [elsewhere["id"]]}), "body.panel.0"
    )
    assert_invalid(await client.patch(change_path, json={"start": None}), "body.start")
    unchanged = (await client.get(change_path)).json()
    assert unchanged == interview


async def test_another_tenants_interview_is_not_found(
    client: httpx.AsyncClient,
    app: object,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    other = await make_tenant(sessionmaker, settings, name="Other firm")
    async with client_for(app, other.key) as other_client:
        their_application, their_contact, theirs = await interview_round(other_client)
    assert_problem(await client.get(f"/v1/interviews/{theirs['id']}"), 404)
    assert_problem(
        await client.patch(f"/v1/interviews/{theirs['id']}", json={"status": "cancelled"}), 404
    )
    assert_problem(await client.delete(f"/v1/interviews/{theirs['id']}"), 404)
    # Their contact cannot sit on our panel.
    mine = await new_application(client)
    response = await client.post(
        f"/v1/applications/{mine['id']}/interviews",
        json={
            "kind": "video",
            "start": "2027-01-13T10:00:00+01:00",
            "end": "2027-01-13T11:00:00+01:00",
            "panel": [their_contact["id"]],
        },
    )
    assert_invalid(response, "body.panel.0")
    async with client_for(app, other.key) as other_client:
        still = (await other_client.get(f"/v1/interviews/{theirs['id']}")).json()
    assert still["status"] == "scheduled"
    assert their_application["id"] == still["application_id"]


async def test_a_reschedule_at_short_notice_gives_e1_until_the_new_start(
    client: httpx.AsyncClient,
) -> None:
    from datetime import UTC, datetime, timedelta

    application, _, interview = await interview_round(client)  # booked weeks ahead
    soon = (datetime.now(UTC) + timedelta(hours=3)).replace(microsecond=0)
    moved = await client.patch(
        f"/v1/interviews/{interview['id']}",
        json={"start": soon.isoformat(), "end": (soon + timedelta(hours=1)).isoformat()},
    )
    assert moved.status_code == 200
    actions = await all_pages(client, f"/v1/applications/{application['id']}/actions")
    confirm = one(actions, "confirm_interviewers")
    # Booked (again) with less than a day's notice: confirm before it starts, not "overdue".
    assert at(confirm["due_by"]) == soon
    assert confirm["status"] == "due"

"""The actions feed with each filter, one action, and the marks a user puts on actions.

The default round (see builders) is a video interview on Wednesday 13 January 2027,
10:00-11:00 Berlin (09:00-10:00 UTC), with one interviewer, so its actions are due:
E1 12 Jan 09:00Z, E2 13 Jan 10:00Z, E3 14 Jan 10:00Z, E4 25 Jan 08:00Z.
"""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.settings import Settings
from tests.api.builders import (
    actions_of,
    all_pages,
    assert_invalid,
    assert_problem,
    at,
    by_key,
    interview_round,
    new_application,
    new_candidate,
    one,
)
from tests.conftest import client_for, make_tenant

AFTER_THE_INTERVIEW = "2027-01-13T12:00:00Z"


def types_of(actions: list[dict[str, object]]) -> list[object]:
    return [a["type"] for a in actions]


async def test_feed_lists_actions_soonest_due_first_with_status_as_of(
    client: httpx.AsyncClient,
) -> None:
    application, interviewer, interview = await interview_round(client)
    feed = await all_pages(client, "/v1/actions", {"as_of": AFTER_THE_INTERVIEW})
    assert [(a["type"], a["status"]) for a in feed] == [
        ("confirm_interviewers", "overdue"),
        ("ask_closing_questions", "overdue"),
        ("send_thank_you", "due"),
        ("check_in", "upcoming"),
    ]
    assert all(at(a["as_of"]) == at(AFTER_THE_INTERVIEW) for a in feed)
    thank_you = feed[2]
    assert thank_you["key"] == f"E3:{interview['id']}:{interviewer['id']}"
    assert thank_you["rule"] == "E3"
    assert thank_you["subject"] == {
        "interview_id": interview["id"],
        "contact_id": interviewer["id"],
    }
    assert thank_you["application_id"] == application["id"]
    assert thank_you["candidate_id"] == application["candidate_id"]
    assert thank_you["channel"] == "email"
    assert thank_you["mark"] is None
    assert "E3" in thank_you["explanation"]
    assert thank_you["title"] and thank_you["guidance"]

    earlier = await all_pages(client, "/v1/actions", {"as_of": "2027-01-01T00:00:00+01:00"})
    assert [a["status"] for a in earlier] == ["due", "upcoming", "upcoming", "upcoming"]
    much_later = await all_pages(client, "/v1/actions", {"as_of": "2027-03-01T00:00:00Z"})
    assert {a["status"] for a in much_later} == {"overdue"}


async def test_feed_filters_by_status_type_and_due_window(client: httpx.AsyncClient) -> None:
    await interview_round(client)

    async def feed(**params: object) -> list[object]:
        return types_of(
            await all_pages(client, "/v1/actions", {"as_of": AFTER_THE_INTERVIEW, **params})
        )

    assert await feed(status="due") == ["send_thank_you"]
    assert await feed(status=["due", "overdue"]) == [
        "confirm_interviewers",
        "ask_closing_questions",
        "send_thank_you",
    ]
    assert await feed(status="upcoming") == ["check_in"]
    assert await feed(status=["done", "dismissed", "snoozed", "obsolete"]) == []
    assert await feed(type="check_in") == ["check_in"]
    assert await feed(type=["send_thank_you", "confirm_interviewers"]) == [
        "confirm_interviewers",
        "send_thank_you",
    ]
    assert await feed(type="connect_on_network") == []
    assert await feed(status="overdue", type="send_thank_you") == []
    # due_before is strict, due_after inclusive; offsets are honoured.
    assert await feed(due_before="2027-01-14T11:00:00+01:00") == [
        "confirm_interviewers",
        "ask_closing_questions",
    ]
    assert await feed(due_after="2027-01-14T10:00:00Z") == ["send_thank_you", "check_in"]
    assert await feed(due_after="2027-01-13T00:00:00Z", due_before="2027-01-20T00:00:00Z") == [
        "ask_closing_questions",
        "send_thank_you",
    ]


async def test_feed_filters_by_candidate_and_application(client: httpx.AsyncClient) -> None:
    ada_first, _, _ = await interview_round(client)
    ada_second, _, _ = await interview_round(
        client, (await new_application(client, ada_first["candidate_id"]))["id"]
    )
    bob_application, _, _ = await interview_round(client)
    assert bob_application["candidate_id"] != ada_first["candidate_id"]

    adas = await all_pages(client, "/v1/actions", {"candidate_id": ada_first["candidate_id"]})
    assert len(adas) == 8
    assert {a["application_id"] for a in adas} == {ada_first["id"], ada_second["id"]}
    bobs = await all_pages(client, "/v1/actions", {"application_id": bob_application["id"]})
    assert len(bobs) == 4
    assert {a["candidate_id"] for a in bobs} == {bob_application["candidate_id"]}
    both = await all_pages(
        client,
        "/v1/actions",
        {"candidate_id": ada_first["candidate_id"], "application_id": ada_second["id"]},
    )
    assert {a["application_id"] for a in both} == {ada_second["id"]}
    lonely = await new_candidate(client)
    assert await all_pages(client, "/v1/actions", {"candidate_id": lonely["id"]}) == []

    # The application's own list says the same, and honours status.
    own = await all_pages(
        client, f"/v1/applications/{ada_second['id']}/actions", {"as_of": AFTER_THE_INTERVIEW}
    )
    assert [a["id"] for a in own] == [a["id"] for a in both]
    own_due = await all_pages(
        client,
        f"/v1/applications/{ada_second['id']}/actions",
        {"as_of": AFTER_THE_INTERVIEW, "status": "due"},
    )
    assert types_of(own_due) == ["send_thank_you"]


async def test_feed_pages_return_every_action_once_in_due_order(
    client: httpx.AsyncClient,
) -> None:
    for day in (13, 14, 15):
        await interview_round(
            client, start=f"2027-01-{day}T10:00:00+01:00", end=f"2027-01-{day}T11:00:00+01:00"
        )
    everything = await all_pages(client, "/v1/actions")
    assert len(everything) == 12
    order = [(at(a["due_by"]), a["id"]) for a in everything]
    assert order == sorted(order)
    for limit in (1, 5, 12):
        walked = await all_pages(client, "/v1/actions", limit=limit)
        assert [a["id"] for a in walked] == [a["id"] for a in everything]
    filtered = await all_pages(
        client, "/v1/actions", {"as_of": AFTER_THE_INTERVIEW, "status": "upcoming"}, limit=2
    )
    assert [a["id"] for a in filtered] == [
        a["id"]
        for a in await all_pages(
            client, "/v1/actions", {"as_of": AFTER_THE_INTERVIEW, "status": "upcoming"}
        )
    ]
    assert_invalid(await client.get("/v1/actions", params={"cursor": "bogus"}), "query.cursor")
    assert_invalid(await client.get("/v1/actions", params={"limit": 201}), "query.limit")


async def test_feed_refuses_bad_queries(client: httpx.AsyncClient) -> None:
    application = await new_application(client)
    for path in ("/v1/actions", f"/v1/applications/{application['id']}/actions"):
        assert_invalid(
            await client.get(path, params={"as_of": "2027-01-13T12:00:00"}), "query.as_of"
        )
        assert_invalid(await client.get(path, params={"as_of": "tomorrow"}), "query.as_of")
        error = assert_invalid(await client.get(path, params={"status": "late"}), "query.status.0")
        for allowed in ("upcoming", "due", "overdue", "snoozed", "done", "dismissed", "obsolete"):
            assert allowed in error["message"]
    assert_invalid(
        await client.get("/v1/actions", params={"due_before": "2027-01-13T12:00:00"}),
        "query.due_before",
    )
    assert_invalid(
        await client.get("/v1/actions", params={"due_after": "2027-01-13"}), "query.due_after"
    )
    assert_invalid(await client.get("/v1/actions", params={"type": "call_mom"}), "query.type.0")
    assert_problem(await client.get("/v1/applications/app_missing/actions"), 404)


async def test_one_action_with_its_status_as_of(client: httpx.AsyncClient) -> None:
    application, _, _ = await interview_round(client)
    thank_you = one(await actions_of(client, application["id"]), "send_thank_you")
    path = f"/v1/actions/{thank_you['id']}"
    before = await client.get(path, params={"as_of": "2027-01-13T09:59:59Z"})
    assert before.status_code == 200
    assert before.json()["status"] == "upcoming"
    assert (await client.get(path, params={"as_of": "2027-01-13T10:00:00Z"})).json()[
        "status"
    ] == "due"
    assert (await client.get(path, params={"as_of": "2027-01-14T10:00:00Z"})).json()[
        "status"
    ] == "overdue"
    assert_invalid(await client.get(path, params={"as_of": "2027-01-13T10:00:00"}), "query.as_of")
    assert_problem(await client.get("/v1/actions/act_missing"), 404)


async def test_complete_with_a_time_then_undo(client: httpx.AsyncClient) -> None:
    application, _, _ = await interview_round(client)
    thank_you = one(await actions_of(client, application["id"]), "send_thank_you")
    path = f"/v1/actions/{thank_you['id']}"

    response = await client.post(f"{path}/complete", json={"at": "2027-01-13T18:05:00+01:00"})
    assert response.status_code == 200
    done = response.json()
    assert done["status"] == "done"
    assert done["mark"]["kind"] == "done"
    assert at(done["mark"]["at"]) == at("2027-01-13T17:05:00Z")
    seen = (await client.get(path, params={"as_of": AFTER_THE_INTERVIEW})).json()
    assert seen["status"] == "done"
    assert (
        await all_pages(client, "/v1/actions", {"as_of": AFTER_THE_INTERVIEW, "status": "due"})
        == []
    )
    done_list = await all_pages(
        client, "/v1/actions", {"as_of": AFTER_THE_INTERVIEW, "status": "done"}
    )
    assert [a["id"] for a in done_list] == [thank_you["id"]]

    undone = await client.delete(f"{path}/mark")
    assert undone.status_code == 200
    assert undone.json()["mark"] is None
    again = (await client.get(path, params={"as_of": AFTER_THE_INTERVIEW})).json()
    assert again["status"] == "due"
    assert again["id"] == thank_you["id"]

    assert_invalid(
        await client.post(f"{path}/complete", json={"at": "2027-01-13T18:05:00"}), "body.at"
    )
    assert_invalid(await client.post(f"{path}/complete", json={"when": "now"}), "body.when")


async def test_complete_without_a_time_means_now(client: httpx.AsyncClient) -> None:
    application, _, _ = await interview_round(client)
    confirm = one(await actions_of(client, application["id"]), "confirm_interviewers")
    response = await client.post(f"/v1/actions/{confirm['id']}/complete", json={})
    assert response.status_code == 200
    # The mark is stamped by the server's clock, so compare with the action's own stamps.
    assert at(response.json()["mark"]["at"]) >= at(confirm["created_at"])
    assert response.json()["status"] == "done"


async def test_dismiss_needs_a_reason(client: httpx.AsyncClient) -> None:
    application, _, _ = await interview_round(client)
    thank_you = one(await actions_of(client, application["id"]), "send_thank_you")
    path = f"/v1/actions/{thank_you['id']}/dismiss"
    assert_invalid(await client.post(path, json={}), "body.reason")
    assert_invalid(await client.post(path, json={"reason": ""}), "body.reason")
    assert_invalid(await client.post(path, json={"reason": "x" * 501}), "body.reason")

    response = await client.post(
        path, json={"reason": "Thanked in person.", "at": "2027-01-13T11:00:00+01:00"}
    )
    assert response.status_code == 200
    assert response.json()["status"] == "dismissed"
    assert response.json()["mark"]["reason"] == "Thanked in person."
    feed = await all_pages(
        client, "/v1/actions", {"as_of": AFTER_THE_INTERVIEW, "status": "dismissed"}
    )
    assert [a["id"] for a in feed] == [thank_you["id"]]


async def test_snooze_hides_an_action_until_then(client: httpx.AsyncClient) -> None:
    application, _, _ = await interview_round(client)
    thank_you = one(await actions_of(client, application["id"]), "send_thank_you")
    path = f"/v1/actions/{thank_you['id']}"
    response = await client.post(
        f"{path}/snooze",
        json={"at": "2027-01-13T11:30:00+01:00", "until": "2027-01-14T09:00:00+01:00"},
    )
    assert response.status_code == 200
    assert response.json()["mark"]["kind"] == "snoozed"
    assert at(response.json()["mark"]["snoozed_until"]) == at("2027-01-14T08:00:00Z")

    def status_at(moment: str) -> dict[str, str]:
        return {"as_of": moment}

    hidden = (await client.get(path, params=status_at(AFTER_THE_INTERVIEW))).json()
    assert hidden["status"] == "snoozed"
    snoozed = await all_pages(
        client, "/v1/actions", {"as_of": AFTER_THE_INTERVIEW, "status": "snoozed"}
    )
    assert [a["id"] for a in snoozed] == [thank_you["id"]]
    assert (
        await all_pages(client, "/v1/actions", {"as_of": AFTER_THE_INTERVIEW, "status": "due"})
        == []
    )
    # Awake again at 09:00 Berlin, with the status its window gives.
    awake = (await client.get(path, params=status_at("2027-01-14T08:00:00Z"))).json()
    assert awake["status"] == "due"
    due = await all_pages(client, "/v1/actions", {"as_of": "2027-01-14T08:00:00Z", "status": "due"})
    assert [a["id"] for a in due] == [thank_you["id"]]

    assert_invalid(
        await client.post(
            f"{path}/snooze",
            json={"at": "2027-01-13T12:00:00+01:00", "until": "2027-01-13T12:00:00+01:00"},
        ),
        "body.until",
    )
    assert_invalid(
        await client.post(f"{path}/snooze", json={"until": "2020-01-01T00:00:00Z"}), "body.until"
    )
    assert_invalid(await client.post(f"{path}/snooze", json={}), "body.until")
    assert_invalid(
        await client.post(f"{path}/snooze", json={"until": "2027-01-14T09:00:00"}), "body.until"
    )


async def test_a_check_in_done_schedules_the_next_from_when_it_was_done(
    client: httpx.AsyncClient,
) -> None:
    application, _, interview = await interview_round(client)
    first = by_key(await actions_of(client, application["id"]))[f"E4:{interview['id']}:1"]
    # Done on Thursday 21 January: the next opens 5 business days later, Thursday 28th.
    await client.post(
        f"/v1/actions/{first['id']}/complete", json={"at": "2027-01-21T10:00:00+01:00"}
    )
    actions = by_key(await actions_of(client, application["id"], "2027-01-28T12:00:00Z"))
    second = actions[f"E4:{interview['id']}:2"]
    assert at(second["available_from"]) == at("2027-01-28T08:00:00Z")
    assert at(second["due_by"]) == at("2027-02-01T08:00:00Z")
    assert second["status"] == "due"
    assert actions[first["key"]]["status"] == "done"

    # The user misdated it: a later time moves the next check-in along.
    await client.post(
        f"/v1/actions/{first['id']}/complete", json={"at": "2027-01-22T10:00:00+01:00"}
    )
    moved = by_key(await actions_of(client, application["id"]))[f"E4:{interview['id']}:2"]
    assert moved["id"] == second["id"]
    assert at(moved["available_from"]) == at("2027-01-29T08:00:00Z")

    # Two check-ins in all: the second one done asks for no third.
    await client.post(
        f"/v1/actions/{second['id']}/complete", json={"at": "2027-01-29T10:00:00+01:00"}
    )
    keys = {a["key"] for a in await actions_of(client, application["id"])}
    assert f"E4:{interview['id']}:3" not in keys

    # Undoing the first withdraws the second (kept as obsolete history, mark and all).
    await client.delete(f"/v1/actions/{first['id']}/mark")
    after_undo = by_key(await actions_of(client, application["id"], "2027-01-28T12:00:00Z"))
    assert after_undo[first["key"]]["status"] == "overdue"
    assert after_undo[second["key"]]["obsolete_at"] is not None
    assert after_undo[second["key"]]["mark"]["kind"] == "done"


async def test_marks_survive_replanning(client: httpx.AsyncClient) -> None:
    application, interviewer, interview = await interview_round(client)
    thank_you = one(await actions_of(client, application["id"]), "send_thank_you")
    await client.post(
        f"/v1/actions/{thank_you['id']}/dismiss", json={"reason": "Thanked in person."}
    )
    # Several writes that each re-plan the application.
    await client.patch(f"/v1/contacts/{interviewer['id']}", json={"title": "CTO"})
    await client.patch(
        f"/v1/interviews/{interview['id']}",
        json={"start": "2027-01-13T14:00:00+01:00", "end": "2027-01-13T15:00:00+01:00"},
    )
    await client.put("/v1/policy", json={"thank_you_hours": 48})
    after = (await client.get(f"/v1/actions/{thank_you['id']}")).json()
    assert after["status"] == "dismissed"
    assert after["mark"]["reason"] == "Thanked in person."
    assert at(after["due_by"]) == at("2027-01-15T14:00:00Z")  # moved twice, mark kept


async def test_another_tenants_action_is_not_found(
    client: httpx.AsyncClient,
    app: object,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    other = await make_tenant(sessionmaker, settings, name="Other firm")
    async with client_for(app, other.key) as other_client:
        their_application, _, _ = await interview_round(other_client)
        theirs = one(await actions_of(other_client, their_application["id"]), "send_thank_you")
    path = f"/v1/actions/{theirs['id']}"
    missing = "/v1/actions/act_" + "0" * 24
    for suffix, method, body in (
        ("", "GET", None),
        ("/complete", "POST", {}),
        ("/dismiss", "POST", {"reason": "no"}),
        ("/snooze", "POST", {"until": "2030-01-01T00:00:00Z"}),
        ("/mark", "DELETE", None),
    ):
        foreign = assert_problem(await client.request(method, path + suffix, json=body), 404)
        absent = assert_problem(await client.request(method, missing + suffix, json=body), 404)
        assert (foreign["title"], foreign["type"]) == (absent["title"], absent["type"])
    assert await all_pages(client, "/v1/actions") == []
    assert await all_pages(client, "/v1/actions", {"application_id": their_application["id"]}) == []
    async with client_for(app, other.key) as other_client:
        assert (await other_client.get(path)).json()["mark"] is None


async def test_an_actions_etag_follows_its_status_so_a_304_is_never_stale(
    client: httpx.AsyncClient,
) -> None:
    application, interviewer, _ = await interview_round(client)
    thank_you = one(
        await actions_of(client, application["id"]), "send_thank_you", interviewer["id"]
    )
    path = f"/v1/actions/{thank_you['id']}"
    before = await client.get(path, params={"as_of": "2027-01-12T08:00:00Z"})  # upcoming
    after = await client.get(path, params={"as_of": thank_you["due_by"]})  # due now... or past
    assert before.json()["status"] != after.json()["status"]
    assert before.headers["ETag"] != after.headers["ETag"]
    # The clock alone changed the status: the old ETag no longer earns a 304.
    stale = await client.get(
        path,
        params={"as_of": thank_you["due_by"]},
        headers={"If-None-Match": before.headers["ETag"]},
    )
    assert stale.status_code == 200
    fresh = await client.get(
        path,
        params={"as_of": thank_you["due_by"]},
        headers={"If-None-Match": after.headers["ETag"]},
    )
    assert fresh.status_code == 304

    done = await client.post(f"{path}/complete", json={})
    assert_problem(
        await client.delete(f"{path}/mark", headers={"If-Match": before.headers["ETag"]}), 412
    )
    reopened = await client.delete(f"{path}/mark", headers={"If-Match": done.headers["ETag"]})
    assert reopened.status_code == 200, reopened.text

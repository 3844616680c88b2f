"""Applications: create, read, list with filters, change, delete; outcomes re-plan actions."""

from __future__ import annotations

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
    new_candidate,
    new_reply,
    one,
)
from tests.conftest import client_for, make_tenant


async def test_create_then_read_an_application(client: httpx.AsyncClient) -> None:
    candidate = await new_candidate(client)
    created = await new_application(
        client,
        candidate["id"],
        company="Globex",
        role="Staff Engineer",
        job_url="https://globex.example/jobs/42",
        source="recruiting_firm",
        recruiting_firm="Hooli Talent",
        external_id="req-42",
    )
    assert created["id"].startswith("app_")
    assert created["status"] == "active"
    assert created["outcome_at"] is None
    assert created["recruiting_firm"] == "Hooli Talent"
    response = await client.get(f"/v1/applications/{created['id']}")
    assert response.status_code == 200
    assert response.json() == created
    # No interview yet: nothing to follow up on.
    assert await actions_of(client, created["id"]) == []


async def test_list_filters_by_candidate_and_status(client: httpx.AsyncClient) -> None:
    ada = await new_candidate(client)
    bob = await new_candidate(client, name="Bob")
    first = await new_application(client, ada["id"])
    second = await new_application(client, ada["id"], status="rejected")
    third = await new_application(client, bob["id"])

    def ids(items: list[dict[str, object]]) -> list[object]:
        return [item["id"] for item in items]

    everything = await all_pages(client, "/v1/applications")
    assert ids(everything) == [first["id"], second["id"], third["id"]]
    adas = await all_pages(client, "/v1/applications", {"candidate_id": ada["id"]})
    assert ids(adas) == [first["id"], second["id"]]
    active = await all_pages(client, "/v1/applications", {"status": "active"})
    assert ids(active) == [first["id"], third["id"]]
    adas_rejected = await all_pages(
        client, "/v1/applications", {"candidate_id": ada["id"], "status": "rejected"}
    )
    assert ids(adas_rejected) == [second["id"]]
    walked = await all_pages(client, "/v1/applications", limit=1)
    assert ids(walked) == ids(everything)
    error = assert_invalid(
        await client.get("/v1/applications", params={"status": "pending"}), "query.status"
    )
    assert "withdrawn" in error["message"]


async def test_a_final_status_records_when_it_happened(client: httpx.AsyncClient) -> None:
    application = await new_application(client)
    response = await client.patch(
        f"/v1/applications/{application['id']}",
        json={"status": "rejected", "outcome_at": "2027-02-01T16:30:00+01:00"},
    )
    assert response.status_code == 200
    assert at(response.json()["outcome_at"]) == at("2027-02-01T15:30:00Z")
    # Back to active: no outcome any more.
    reopened = await client.patch(
        f"/v1/applications/{application['id']}", json={"status": "active"}
    )
    assert reopened.json()["outcome_at"] is None
    # A final status without a time defaults to now.
    withdrawn = await client.patch(
        f"/v1/applications/{application['id']}", json={"status": "withdrawn"}
    )
    assert at(withdrawn.json()["outcome_at"]) >= at(withdrawn.json()["created_at"])


async def test_an_outcome_ends_check_ins_and_opens_connections(client: httpx.AsyncClient) -> None:
    application, interviewer, interview = await interview_round(client)
    check_in = one(await actions_of(client, application["id"]), "check_in")

    await client.patch(
        f"/v1/applications/{application['id']}",
        json={"status": "withdrawn", "outcome_at": "2027-01-15T12:00:00+01:00"},
    )
    actions = by_key(await actions_of(client, application["id"], as_of="2027-01-15T12:00:00Z"))
    assert actions[check_in["key"]]["status"] == "obsolete"
    assert actions[check_in["key"]]["id"] == check_in["id"]
    connect = actions[f"E5:{interviewer['id']}"]
    assert connect["type"] == "connect_on_network"
    assert connect["status"] == "due"
    assert at(connect["available_from"]) == at("2027-01-15T11:00:00Z")
    assert at(connect["due_by"]) == at("2027-01-22T11:00:00Z")

    # Re-opened: the connection is no longer called for, and the check-in is back.
    await client.patch(f"/v1/applications/{application['id']}", json={"status": "active"})
    actions = by_key(await actions_of(client, application["id"], as_of="2027-01-15T12:00:00Z"))
    assert actions[f"E5:{interviewer['id']}"]["status"] == "obsolete"
    assert actions[check_in["key"]]["status"] == "upcoming"
    assert actions[check_in["key"]]["obsolete_at"] is None
    assert interview["id"] == actions[check_in["key"]]["subject"]["interview_id"]


async def test_delete_removes_the_application_and_its_actions(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    application, interviewer, interview = await interview_round(client)
    await new_reply(client, application["id"], contact_id=interviewer["id"])
    kept, _, _ = await interview_round(client)
    actions = await actions_of(client, application["id"])
    assert actions

    response = await client.delete(f"/v1/applications/{application['id']}")
    assert response.status_code == 204

    assert_problem(await client.get(f"/v1/applications/{application['id']}"), 404)
    assert_problem(await client.get(f"/v1/interviews/{interview['id']}"), 404)
    assert_problem(await client.get(f"/v1/contacts/{interviewer['id']}"), 404)
    assert_problem(await client.get(f"/v1/actions/{actions[0]['id']}"), 404)
    assert await all_pages(client, "/v1/actions", {"application_id": application["id"]}) == []
    async with sessionmaker() as session:
        left = await session.scalar(
            select(func.count()).where(models.Action.application_id == application["id"])
        )
    assert left == 0
    # The candidate and their other applications stay.
    assert (await client.get(f"/v1/candidates/{application['candidate_id']}")).status_code == 200
    assert await actions_of(client, kept["id"])


async def test_strict_input_names_the_failing_field(client: httpx.AsyncClient) -> None:
    candidate = await new_candidate(client)
    valid: Json = {"candidate_id": candidate["id"], "company": "Globex", "role": "Engineer"}
    cases: list[tuple[Json, str]] = [
        ({"candidate_id": "cand_missing"}, "body.candidate_id"),
        ({"company": "x" * 201}, "body.company"),
        ({"job_url": "ftp://globex.example/jobs"}, "body.job_url"),
        ({"source": "referral"}, "body.source"),
        ({"recruiting_firm": "Hooli Talent"}, "body.recruiting_firm"),
        ({"outcome_at": "2027-02-01T16:30:00"}, "body.outcome_at"),
        ({"salary": 100}, "body.salary"),
    ]
    for change, field in cases:
        assert_invalid(await client.post("/v1/applications", json={**valid, **change}), field)
    error = assert_invalid(
        await client.post("/v1/applications", json={**valid, "status": "hired"}), "body.status"
    )
    for allowed in ("active", "offer", "accepted", "rejected", "withdrawn"):
        assert allowed in error["message"]
    assert await all_pages(client, "/v1/applications") == []

    application = await new_application(client, candidate["id"])
    path = f"/v1/applications/{application['id']}"
    assert_invalid(await client.patch(path, json={"status": None}), "body.status")
    assert_invalid(
        await client.patch(path, json={"recruiting_firm": "Hooli"}), "body.recruiting_firm"
    )
    assert_invalid(
        await client.patch(path, json={"candidate_id": candidate["id"]}), "body.candidate_id"
    )


async def test_another_tenants_records_are_not_found(
    client: httpx.AsyncClient,
    app: object,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    other = await make_tenant(sessionmaker, settings, name="Other firm")
    async with client_for(app, other.key) as other_client:
        their_candidate = await new_candidate(other_client)
        theirs = await new_application(other_client, their_candidate["id"])

    assert_problem(await client.get(f"/v1/applications/{theirs['id']}"), 404)
    assert_problem(await client.patch(f"/v1/applications/{theirs['id']}", json={}), 404)
    assert_problem(await client.delete(f"/v1/applications/{theirs['id']}"), 404)
    assert_problem(await client.get(f"/v1/applications/{theirs['id']}/actions"), 404)
    # Their candidate cannot be used for an application of ours, and is not even named.
    mine = await client.post(
        "/v1/applications",
        json={"candidate_id": their_candidate["id"], "company": "Globex", "role": "Engineer"},
    )
    error = assert_invalid(mine, "body.candidate_id")
    assert error["code"] == "not_found"
    assert (
        await all_pages(client, "/v1/applications", {"candidate_id": their_candidate["id"]}) == []
    )

"""Candidates: create, read, list with filters, change, erase; pagination; strict input."""

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
    interview_round,
    new_application,
    new_candidate,
    new_contact,
    new_reply,
    one,
)
from tests.conftest import client_for, make_tenant


async def test_create_then_read_a_candidate(client: httpx.AsyncClient) -> None:
    created = await new_candidate(
        client, name="Ada Lovelace", email="ada@example.com", country="de", external_id="ats-1"
    )
    assert created["id"].startswith("cand_")
    assert created["country"] == "DE"  # normalised
    assert at(created["created_at"]).utcoffset() is not None

    response = await client.get(f"/v1/candidates/{created['id']}")
    assert response.status_code == 200
    assert response.json() == created
    assert {k: created[k] for k in ("name", "email", "time_zone", "external_id")} == {
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "time_zone": "Europe/Berlin",
        "external_id": "ats-1",
    }


async def test_list_filters_by_email_and_country(client: httpx.AsyncClient) -> None:
    ada = await new_candidate(client, email="ada@example.com", country="GB")
    bob = await new_candidate(client, name="Bob", email="bob@example.com", country="DE")
    carl = await new_candidate(client, name="Carl", country="DE")

    everyone = await all_pages(client, "/v1/candidates")
    assert [c["id"] for c in everyone] == [ada["id"], bob["id"], carl["id"]]
    by_email = await all_pages(client, "/v1/candidates", {"email": "bob@example.com"})
    assert [c["id"] for c in by_email] == [bob["id"]]
    by_country = await all_pages(client, "/v1/candidates", {"country": "de"})
    assert [c["id"] for c in by_country] == [bob["id"], carl["id"]]
    assert await all_pages(client, "/v1/candidates", {"country": "FR"}) == []


async def test_update_changes_only_the_given_fields(client: httpx.AsyncClient) -> None:
    candidate = await new_candidate(client, email="ada@example.com")
    response = await client.patch(f"/v1/candidates/{candidate['id']}", json={"name": "Ada King"})
    assert response.status_code == 200
    changed = response.json()
    assert changed["name"] == "Ada King"
    assert changed["email"] == "ada@example.com"
    assert (await client.get(f"/v1/candidates/{candidate['id']}")).json()["name"] == "Ada King"

    assert_invalid(
        await client.patch(f"/v1/candidates/{candidate['id']}", json={"time_zone": None}),
        "body.time_zone",
    )


async def test_a_new_time_zone_replans_the_candidates_check_ins(
    client: httpx.AsyncClient,
) -> None:
    application, _, interview = await interview_round(client)
    before = one(await actions_of(client, application["id"]), "check_in")
    # Check-ins open at 09:00 candidate-local: 08:00 UTC in Berlin winter time.
    assert at(before["available_from"]).hour == 8

    response = await client.patch(
        f"/v1/candidates/{application['candidate_id']}",
        json={"time_zone": "America/New_York", "country": "US"},
    )
    assert response.status_code == 200
    after = one(await actions_of(client, application["id"]), "check_in")
    assert after["id"] == before["id"]
    assert after["subject"]["interview_id"] == interview["id"]
    assert at(after["available_from"]).hour == 14  # 09:00 in New York winter time (UTC-5)


async def test_delete_erases_everything_about_the_candidate(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    application, interviewer, interview = await interview_round(client)
    candidate_id = application["candidate_id"]
    second = await new_application(client, candidate_id, company="Initech")
    await new_contact(client, second["id"], role="recruiter", made_first_contact=True)
    reply = await new_reply(client, application["id"], contact_id=interviewer["id"])
    actions = await actions_of(client, application["id"])
    # Someone else's records must survive the erasure.
    bystander, _, _ = await interview_round(client)

    async def rows_about_candidate() -> dict[str, int]:
        apps = select(models.Application.id).where(models.Application.candidate_id == candidate_id)
        interviews = select(models.Interview.id).where(models.Interview.application_id.in_(apps))
        counts = {
            "candidates": select(func.count()).where(models.Candidate.id == candidate_id),
            "applications": select(func.count()).where(models.Application.id.in_(apps)),
            "contacts": select(func.count()).where(models.Contact.application_id.in_(apps)),
            "interviews": select(func.count()).where(models.Interview.id.in_(interviews)),
            "panelists": select(func.count()).where(models.Panelist.interview_id.in_(interviews)),
            "replies": select(func.count()).where(models.Reply.application_id.in_(apps)),
            "actions": select(func.count()).where(models.Action.candidate_id == candidate_id),
        }
        async with sessionmaker() as session:
            return {name: int(await session.scalar(query) or 0) for name, query in counts.items()}

    before = await rows_about_candidate()
    assert all(count > 0 for count in before.values()), before

    response = await client.delete(f"/v1/candidates/{candidate_id}")
    assert response.status_code == 204
    assert response.content == b""

    assert await rows_about_candidate() == dict.fromkeys(before, 0)
    for path in (
        f"/v1/candidates/{candidate_id}",
        f"/v1/applications/{application['id']}",
        f"/v1/applications/{second['id']}",
        f"/v1/contacts/{interviewer['id']}",
        f"/v1/interviews/{interview['id']}",
        f"/v1/replies/{reply['id']}",
        f"/v1/actions/{actions[0]['id']}",
    ):
        assert_problem(await client.get(path), 404)
    assert await all_pages(client, "/v1/actions", {"candidate_id": candidate_id}) == []
    assert await all_pages(client, "/v1/applications", {"candidate_id": candidate_id}) == []
    assert len(await actions_of(client, bystander["id"])) > 0
    assert_problem(await client.delete(f"/v1/candidates/{candidate_id}"), 404)


async def test_pages_return_every_candidate_once_in_a_stable_order(
    client: httpx.AsyncClient,
) -> None:
    created = [(await new_candidate(client, name=f"Candidate {n}"))["id"] for n in range(7)]
    for limit in (1, 3, 7):
        walked = await all_pages(client, "/v1/candidates", limit=limit)
        assert [c["id"] for c in walked] == created
    first = (await client.get("/v1/candidates", params={"limit": 3})).json()
    assert len(first["data"]) == 3 and first["next_cursor"]
    last = (await client.get("/v1/candidates", params={"limit": 7})).json()
    assert last["next_cursor"] is None


async def test_bad_page_parameters_are_refused(client: httpx.AsyncClient) -> None:
    for cursor in ("bogus", "W10", "WyJ4IiwgMV0", "%%%"):
        error = assert_invalid(
            await client.get("/v1/candidates", params={"cursor": cursor}), "query.cursor"
        )
        assert error["code"] == "invalid_cursor"
    assert_invalid(await client.get("/v1/candidates", params={"limit": 201}), "query.limit")
    assert_invalid(await client.get("/v1/candidates", params={"limit": 0}), "query.limit")
    assert (await client.get("/v1/candidates", params={"limit": 200})).status_code == 200


async def test_strict_input_names_the_failing_field(client: httpx.AsyncClient) -> None:
    valid: Json = {"name": "Ada", "time_zone": "Europe/Berlin", "country": "DE"}
    cases: list[tuple[Json, str]] = [
        ({"time_zone": "Europe/Atlantis"}, "body.time_zone"),
        ({"time_zone": "CET+1"}, "body.time_zone"),
        ({"country": "XX"}, "body.country"),
        ({"country": "DEU"}, "body.country"),
        ({"name": "x" * 201}, "body.name"),
        ({"name": ""}, "body.name"),
        ({"email": "not-an-email"}, "body.email"),
        ({"external_id": "has spaces"}, "body.external_id"),
        ({"nickname": "Countess"}, "body.nickname"),
    ]
    for change, field in cases:
        assert_invalid(await client.post("/v1/candidates", json={**valid, **change}), field)
    missing = {k: v for k, v in valid.items() if k != "country"}
    assert_invalid(await client.post("/v1/candidates", json=missing), "body.country")
    assert await all_pages(client, "/v1/candidates") == []


async def test_duplicate_external_id_is_a_conflict(client: httpx.AsyncClient) -> None:
    await new_candidate(client, external_id="ats-7")
    problem = assert_problem(
        await client.post(
            "/v1/candidates",
            json={"name": "B", "time_zone": "UTC", "country": "GB", "external_id": "ats-7"},
        ),
        409,
    )
    assert problem["errors"][0]["field"] == "body.external_id"


async def test_another_tenants_candidate_is_not_found_like_a_missing_one(
    client: httpx.AsyncClient,
    app: object,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    other = await make_tenant(sessionmaker, settings, name="Other firm")
    async with client_for(app, other.key) as other_client:
        theirs = await new_candidate(other_client)
    missing_id = "cand_" + "0" * 24

    def same_shape(response: httpx.Response, record_id: str) -> dict[str, object]:
        body = assert_problem(response, 404)
        body.pop("request_id", None)
        return {k: str(v).replace(record_id, "<id>") for k, v in body.items()}

    path = "/v1/candidates/{}"
    for method, body in (("GET", None), ("PATCH", {"name": "X"}), ("DELETE", None)):
        foreign = await client.request(method, path.format(theirs["id"]), json=body)
        missing = await client.request(method, path.format(missing_id), json=body)
        assert same_shape(foreign, theirs["id"]) == same_shape(missing, missing_id)
    assert await all_pages(client, "/v1/candidates") == []
    async with client_for(app, other.key) as other_client:
        assert (await other_client.get(path.format(theirs["id"]))).json()["name"] == theirs["name"]


async def test_read_only_key_reads_but_cannot_write(
    client: httpx.AsyncClient,
    app: object,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    reader = await make_tenant(sessionmaker, settings, name="Auditor", scopes=["read"])
    async with client_for(app, reader.key) as read_only:
        assert (await read_only.get("/v1/candidates")).status_code == 200
        assert (await read_only.get("/v1/actions")).status_code == 200
        assert (await read_only.get("/v1/policy")).status_code == 200
        body = {"name": "Ada", "time_zone": "UTC", "country": "GB"}
        assert_problem(await read_only.post("/v1/candidates", json=body), 403)
        assert_problem(await read_only.patch("/v1/candidates/cand_x", json={"name": "B"}), 403)
        assert_problem(await read_only.delete("/v1/candidates/cand_x"), 403)
        assert_problem(await read_only.put("/v1/policy", json={}), 403)
        assert_problem(await read_only.post("/v1/actions/act_x/complete", json={}), 403)
        assert (await read_only.get("/v1/candidates")).json()["data"] == []


async def test_forged_cursors_are_refused(client: httpx.AsyncClient) -> None:
    from app.repositories.pagination import encode_cursor

    for values in (
        ["0001-01-01T00:00:00+01:00", "cand_x"],
        ["9999-12-31T23:00:00-05:00", "cand_x"],
        ["2027-01-01T00:00:00+00:00", "cand\x00x"],
        ["2027-01-01T00:00:00+02:00", "cand_x"],
    ):
        response = await client.get("/v1/candidates", params={"cursor": encode_cursor(values)})
        assert response.status_code == 422, (values, response.text)
        assert response.json()["errors"][0]["field"] == "query.cursor"

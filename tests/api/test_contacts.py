"""Contacts: create, read, list by role, change, delete; a contact still in use is kept."""

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
    interview_round,
    new_application,
    new_contact,
    new_reply,
    one,
)
from tests.conftest import client_for, make_tenant


async def test_create_then_read_a_contact(client: httpx.AsyncClient) -> None:
    application = await new_application(client)
    created = await new_contact(
        client,
        application["id"],
        role="recruiting_firm_representative",
        name="Fiona Firm",
        title="Senior Recruiter",
        organization="Hooli Talent",
        email="fiona@hooli.example",
        phone="+49 30 1234567",
        profile_url="https://www.linkedin.com/in/fiona-example",
        external_id="ats-contact-1",
    )
    assert created["id"].startswith("con_")
    assert created["application_id"] == application["id"]
    assert created["made_first_contact"] is False
    response = await client.get(f"/v1/contacts/{created['id']}")
    assert response.status_code == 200
    assert response.json() == created


async def test_list_filters_by_role(client: httpx.AsyncClient) -> None:
    application = await new_application(client)
    recruiter = await new_contact(
        client, application["id"], role="recruiter", made_first_contact=True
    )
    lead = await new_contact(client, application["id"], name="Ivan")
    second = await new_contact(client, application["id"], name="Olga")
    elsewhere = await new_application(client)
    await new_contact(client, elsewhere["id"])

    path = f"/v1/applications/{application['id']}/contacts"
    everyone = await all_pages(client, path)
    assert [c["id"] for c in everyone] == [recruiter["id"], lead["id"], second["id"]]
    assert [c["id"] for c in await all_pages(client, path, limit=2)] == [c["id"] for c in everyone]
    interviewers = await all_pages(client, path, {"role": "interviewer"})
    assert [c["id"] for c in interviewers] == [lead["id"], second["id"]]
    recruiters = await all_pages(client, path, {"role": "recruiter"})
    assert [c["id"] for c in recruiters] == [recruiter["id"]]
    assert await all_pages(client, path, {"role": "coordinator"}) == []
    assert_invalid(await client.get(path, params={"role": "boss"}), "query.role")
    assert_problem(await client.get("/v1/applications/app_missing/contacts"), 404)


async def test_update_replans_a_blocked_thank_you(client: httpx.AsyncClient) -> None:
    application = await new_application(client)
    interviewer = await new_contact(client, application["id"], email=None)
    await client.post(
        f"/v1/applications/{application['id']}/interviews",
        json={
            "kind": "video",
            "start": "2027-01-13T10:00:00+01:00",
            "end": "2027-01-13T11:00:00+01:00",
            "panel": [interviewer["id"]],
        },
    )
    thank_you = one(await actions_of(client, application["id"]), "send_thank_you")
    assert thank_you["blocked_reason"] == "missing_contact"

    response = await client.patch(
        f"/v1/contacts/{interviewer['id']}", json={"email": "grace@globex.example"}
    )
    assert response.status_code == 200
    assert response.json()["email"] == "grace@globex.example"
    assert response.json()["name"] == interviewer["name"]
    unblocked = one(await actions_of(client, application["id"]), "send_thank_you")
    assert unblocked["id"] == thank_you["id"]
    assert unblocked["blocked_reason"] is None
    assert unblocked["channel"] == "email"


async def test_delete_a_free_contact(client: httpx.AsyncClient) -> None:
    application = await new_application(client)
    contact = await new_contact(client, application["id"])
    response = await client.delete(f"/v1/contacts/{contact['id']}")
    assert response.status_code == 204
    assert_problem(await client.get(f"/v1/contacts/{contact['id']}"), 404)
    assert await all_pages(client, f"/v1/applications/{application['id']}/contacts") == []


async def test_a_contact_on_a_panel_or_with_a_reply_cannot_be_deleted(
    client: httpx.AsyncClient,
) -> None:
    application, interviewer, interview = await interview_round(client)
    as_of = "2027-01-01T00:00:00Z"
    before = await actions_of(client, application["id"], as_of)

    problem = assert_problem(await client.delete(f"/v1/contacts/{interviewer['id']}"), 409)
    assert interview["id"] in problem["detail"]
    assert (await client.get(f"/v1/contacts/{interviewer['id']}")).json() == interviewer
    after = (await client.get(f"/v1/interviews/{interview['id']}")).json()
    assert after["panel"] == [interviewer["id"]]
    assert await actions_of(client, application["id"], as_of) == before

    # Off the panel but the author of a reply: still kept.
    await client.patch(f"/v1/interviews/{interview['id']}", json={"panel": []})
    reply = await new_reply(client, application["id"], contact_id=interviewer["id"])
    problem = assert_problem(await client.delete(f"/v1/contacts/{interviewer['id']}"), 409)
    assert reply["id"] in problem["detail"]
    assert (await client.get(f"/v1/contacts/{interviewer['id']}")).status_code == 200


async def test_strict_input_names_the_failing_field(client: httpx.AsyncClient) -> None:
    application = await new_application(client)
    path = f"/v1/applications/{application['id']}/contacts"
    cases: list[tuple[Json, str]] = [
        ({"email": "grace-at-globex"}, "body.email"),
        ({"phone": "call me"}, "body.phone"),
        ({"profile_url": "linkedin.com/in/grace"}, "body.profile_url"),
        ({"title": "x" * 201}, "body.title"),
        ({"name": "x" * 201}, "body.name"),
        ({"made_first_contact": "perhaps"}, "body.made_first_contact"),
        ({"shoe_size": 42}, "body.shoe_size"),
    ]
    for body, field in cases:
        assert_invalid(await client.post(path, json=body), field)
    error = assert_invalid(await client.post(path, json={"role": "boss"}), "body.role")
    for allowed in ("interviewer", "recruiter", "recruiting_firm_representative", "coordinator"):
        assert allowed in error["message"]
    assert await all_pages(client, path) == []

    contact = await new_contact(client, application["id"])
    assert_invalid(
        await client.patch(f"/v1/contacts/{contact['id']}", json={"role": None}), "body.role"
    )
    assert_invalid(
        await client.patch(f"/v1/contacts/{contact['id']}", json={"application_id": "app_x"}),
        "body.application_id",
    )


async def test_another_tenants_contact_and_application_are_not_found(
    client: httpx.AsyncClient,
    app: object,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    other = await make_tenant(sessionmaker, settings, name="Other firm")
    async with client_for(app, other.key) as other_client:
        their_application = await new_application(other_client)
        theirs = await new_contact(other_client, their_application["id"])

    assert_problem(await client.get(f"/v1/contacts/{theirs['id']}"), 404)
    assert_problem(await client.patch(f"/v1/contacts/{theirs['id']}", json={"name": "X"}), 404)
    assert_problem(await client.delete(f"/v1/contacts/{theirs['id']}"), 404)
    contacts_path = f"/v1/applications/{their_application['id']}/contacts"
    assert_problem(await client.get(contacts_path), 404)
    assert_problem(await client.post(contacts_path, json={"name": "Mallory"}), 404)
    async with client_for(app, other.key) as other_client:
        assert [c["id"] for c in await all_pages(other_client, contacts_path)] == [theirs["id"]]

"""ETags on single resources and If-Match against lost updates."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from app.settings import Settings
from tests.api.test_system import assert_problem
from tests.conftest import client_for, make_tenant

CANDIDATE = {"name": "Ada Lovelace", "time_zone": "Europe/London", "country": "GB"}


async def test_single_resources_carry_an_etag_that_changes_with_them(
    client: httpx.AsyncClient,
) -> None:
    created = await client.post("/v1/candidates", json=CANDIDATE)
    assert created.status_code == 201
    url = f"/v1/candidates/{created.json()['id']}"
    assert created.headers["location"] == url
    fetched = await client.get(url)
    assert fetched.headers["etag"] == created.headers["etag"]
    changed = await client.patch(url, json={"name": "Ada King"})
    assert changed.headers["etag"] != fetched.headers["etag"]
    assert (await client.get(url)).headers["etag"] == changed.headers["etag"]
    listed = await client.get("/v1/candidates")
    assert "etag" not in listed.headers


async def test_a_stale_if_match_is_refused_and_changes_nothing(client: httpx.AsyncClient) -> None:
    created = await client.post("/v1/candidates", json=CANDIDATE)
    url = f"/v1/candidates/{created.json()['id']}"
    stale = created.headers["etag"]
    await client.patch(url, json={"name": "Ada King"})

    problem = assert_problem(
        await client.patch(url, json={"name": "Lost Update"}, headers={"If-Match": stale}), 412
    )
    assert "ETag" in str(problem["detail"])
    assert_problem(await client.delete(url, headers={"If-Match": stale}), 412)
    current = await client.get(url)
    assert current.json()["name"] == "Ada King"

    fresh = current.headers["etag"]
    ok = await client.patch(url, json={"name": "Ada Byron"}, headers={"If-Match": fresh})
    assert ok.status_code == 200
    assert (await client.patch(url, json={"name": "Any"}, headers={"If-Match": "*"})).is_success
    weak = f"W/{ok.headers['etag']}"
    assert_problem(await client.patch(url, json={"name": "X"}, headers={"If-Match": weak}), 412)


async def test_if_match_guards_every_kind_of_resource(client: httpx.AsyncClient) -> None:
    candidate = (await client.post("/v1/candidates", json=CANDIDATE)).json()
    application = await client.post(
        "/v1/applications",
        json={"candidate_id": candidate["id"], "company": "Globex", "role": "Eng"},
    )
    app_url = f"/v1/applications/{application.json()['id']}"
    contact = await client.post(f"{app_url}/contacts", json={"name": "Grace"})
    interview = await client.post(
        f"{app_url}/interviews",
        json={
            "kind": "video",
            "start": "2027-01-12T10:00:00+01:00",
            "end": "2027-01-12T11:00:00+01:00",
            "panel": [contact.json()["id"]],
        },
    )
    reply = await client.post(f"{app_url}/replies", json={"received_at": "2027-01-14T10:00:00Z"})
    for created, url, change in (
        (application, app_url, {"role": "Staff Eng"}),
        (contact, f"/v1/contacts/{contact.json()['id']}", {"title": "CTO"}),
        (interview, f"/v1/interviews/{interview.json()['id']}", {"panel_confirmed": True}),
        (reply, f"/v1/replies/{reply.json()['id']}", {"note": "Soon"}),
    ):
        etag = created.headers["etag"]
        assert (await client.patch(url, json=change, headers={"If-Match": etag})).status_code == 200
        assert_problem(await client.patch(url, json=change, headers={"If-Match": etag}), 412)


async def test_policy_put_honours_if_match(client: httpx.AsyncClient) -> None:
    current = await client.get("/v1/policy")
    etag = current.headers["etag"]
    first = await client.put("/v1/policy", json={"max_check_ins": 1}, headers={"If-Match": etag})
    assert first.status_code == 200
    assert first.headers["etag"] != etag
    assert_problem(
        await client.put("/v1/policy", json={"max_check_ins": 3}, headers={"If-Match": etag}), 412
    )
    assert (await client.get("/v1/policy")).json()["max_check_ins"] == 1


async def test_two_patches_with_one_etag_give_one_winner(
    committed_app: Any, settings: Settings
) -> None:
    tenant = await make_tenant(committed_app.state.write_sessionmaker, settings, name="Racers")
    committed_app.state.created_tenants.append(tenant.id)
    async with client_for(committed_app, tenant.key) as http:
        created = await http.post("/v1/candidates", json=CANDIDATE)
        url = f"/v1/candidates/{created.json()['id']}"
        etag = created.headers["etag"]
        first, second = await asyncio.gather(
            http.patch(url, json={"name": "Winner One"}, headers={"If-Match": etag}),
            http.patch(url, json={"name": "Winner Two"}, headers={"If-Match": etag}),
        )
        statuses = sorted([first.status_code, second.status_code])
        assert statuses == [200, 412], (first.text, second.text)
        winner = first if first.status_code == 200 else second
        stored = await http.get(url)
    assert stored.json() == winner.json()
    assert stored.headers["etag"] == winner.headers["etag"]

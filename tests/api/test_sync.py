"""ATS sync: external-ID lookups and upserts, all-or-nothing batches, concurrency."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import domain
from app.db.models import Action, Application, Candidate, Contact, Interview
from app.repositories.planning import load_for_planning
from app.services.planning import load_policy, to_domain
from app.settings import Settings
from tests.api.test_system import assert_problem
from tests.conftest import client_for, make_tenant


def batch(prefix: str = "", *, start: str = "2027-01-12T10:00:00+01:00") -> dict[str, Any]:
    """One candidate with an application, two interviewers and an interview."""
    return {
        "candidates": [
            {
                "external_id": f"{prefix}c1",
                "name": "Ada Lovelace",
                "time_zone": "Europe/Berlin",
                "country": "DE",
            }
        ],
        "applications": [
            {
                "external_id": f"{prefix}a1",
                "candidate_external_id": f"{prefix}c1",
                "company": "Globex",
                "role": "Staff Engineer",
            }
        ],
        "contacts": [
            {
                "external_id": f"{prefix}p1",
                "application_external_id": f"{prefix}a1",
                "name": "Grace Hopper",
                "title": "VP Engineering",
                "email": "grace@globex.example",
            },
            {
                "external_id": f"{prefix}p2",
                "application_external_id": f"{prefix}a1",
                "name": "Alan Turing",
                "title": "Principal",
                "email": "alan@globex.example",
            },
        ],
        "interviews": [
            {
                "external_id": f"{prefix}i1",
                "application_external_id": f"{prefix}a1",
                "kind": "video",
                "start": start,
                "end": start.replace("T10", "T11"),
                "panel_external_ids": [f"{prefix}p1", f"{prefix}p2"],
                "panel_confirmed": True,
            }
        ],
    }


async def _count(sessions: async_sessionmaker[AsyncSession], model: Any, tenant_id: str) -> int:
    async with sessions() as session:
        query = select(func.count()).select_from(model).where(model.tenant_id == tenant_id)
        return int(await session.scalar(query) or 0)


async def test_a_batch_creates_then_reports_unchanged_then_updated(
    client: httpx.AsyncClient,
) -> None:
    first = await client.post("/v1/sync", json=batch())
    assert first.status_code == 200, first.text
    results = first.json()["results"]
    assert [(r["kind"], r["external_id"], r["outcome"]) for r in results] == [
        ("candidate", "c1", "created"),
        ("application", "a1", "created"),
        ("contact", "p1", "created"),
        ("contact", "p2", "created"),
        ("interview", "i1", "created"),
    ]
    assert first.json()["replanned_applications"] == 1

    again = await client.post("/v1/sync", json=batch())
    assert {r["outcome"] for r in again.json()["results"]} == {"unchanged"}
    assert [r["id"] for r in again.json()["results"]] == [r["id"] for r in results]
    assert again.json()["replanned_applications"] == 0

    moved = await client.post("/v1/sync", json=batch(start="2027-01-13T10:00:00+01:00"))
    outcomes = {r["external_id"]: r["outcome"] for r in moved.json()["results"]}
    assert outcomes == {
        "c1": "unchanged",
        "a1": "unchanged",
        "p1": "unchanged",
        "p2": "unchanged",
        "i1": "updated",
    }
    interview_id = results[4]["id"]
    thank_yous = await client.get(
        "/v1/actions", params={"type": "send_thank_you", "application_id": results[1]["id"]}
    )
    assert {a["due_by"] for a in thank_yous.json()["data"]} == {"2027-01-14T10:00:00Z"}
    fetched = await client.get(f"/v1/interviews/{interview_id}")
    assert fetched.json()["panel"] == [results[2]["id"], results[3]["id"]]


async def test_one_bad_record_refuses_the_whole_batch(
    client: httpx.AsyncClient, tenant: Any, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    bad = batch()
    bad["interviews"][0]["panel_external_ids"] = ["p1", "nobody"]
    problem = assert_problem(await client.post("/v1/sync", json=bad), 422)
    assert problem["errors"][0]["field"] == "body.interviews.0.panel_external_ids.1"  # type: ignore[index]

    invalid = batch()
    invalid["contacts"][1]["email"] = "not-an-email"
    problem = assert_problem(await client.post("/v1/sync", json=invalid), 422)
    assert problem["errors"][0]["field"].startswith("body.contacts.1.email")  # type: ignore[index]

    for model in (Candidate, Application, Contact, Interview, Action):
        assert await _count(sessionmaker, model, tenant.id) == 0


async def test_a_batch_is_bounded(client: httpx.AsyncClient) -> None:
    too_many = {
        "candidates": [
            {"external_id": f"c{i}", "name": "N", "time_zone": "UTC", "country": "GB"}
            for i in range(1001)
        ]
    }
    assert_problem(await client.post("/v1/sync", json=too_many), 422)
    twice = batch()
    twice["contacts"][1]["external_id"] = "p1"
    assert_problem(await client.post("/v1/sync", json=twice), 422)


async def test_references_reach_records_of_earlier_syncs(client: httpx.AsyncClient) -> None:
    await client.post("/v1/sync", json=batch())
    later = {
        "contacts": [
            {
                "external_id": "p3",
                "application_external_id": "a1",
                "name": "Katherine Johnson",
                "title": "Director",
                "email": "kj@globex.example",
            }
        ],
        "interviews": [
            {
                "external_id": "i2",
                "application_external_id": "a1",
                "kind": "onsite",
                "start": "2027-01-20T10:00:00+01:00",
                "end": "2027-01-20T13:00:00+01:00",
                "panel_external_ids": ["p3", "p1"],
                "panel_confirmed": True,
            }
        ],
    }
    response = await client.post("/v1/sync", json=later)
    assert response.status_code == 200, response.text
    assert [r["outcome"] for r in response.json()["results"]] == ["created", "created"]


async def test_cancelling_through_sync_makes_the_actions_obsolete(
    client: httpx.AsyncClient,
) -> None:
    created = (await client.post("/v1/sync", json=batch())).json()["results"]
    cancelled = batch()
    cancelled["interviews"][0]["status"] = "cancelled"
    await client.post("/v1/sync", json=cancelled)
    actions = await client.get(
        "/v1/actions",
        params={"application_id": created[1]["id"], "as_of": "2027-01-12T12:00:00+01:00"},
    )
    assert actions.json()["data"]
    assert {a["status"] for a in actions.json()["data"]} == {"obsolete"}


async def test_lookup_and_upsert_by_external_id(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get("/v1/candidates/by-external-id/ats-1"), 404)
    body = {"name": "Ada Lovelace", "time_zone": "Europe/London", "country": "GB"}
    created = await client.put("/v1/candidates/by-external-id/ats-1", json=body)
    assert created.status_code == 201
    assert created.json()["external_id"] == "ats-1"
    same = await client.put("/v1/candidates/by-external-id/ats-1", json=body)
    assert same.status_code == 200
    assert same.json()["id"] == created.json()["id"]
    stale = created.headers["etag"]
    changed = await client.put(
        "/v1/candidates/by-external-id/ats-1",
        json={**body, "name": "Ada King"},
        headers={"If-Match": stale},
    )
    assert changed.status_code == 200
    assert_problem(
        await client.put(
            "/v1/candidates/by-external-id/ats-1",
            json={**body, "name": "Lost"},
            headers={"If-Match": stale},
        ),
        412,
    )
    fetched = await client.get("/v1/candidates/by-external-id/ats-1")
    assert fetched.json()["name"] == "Ada King"
    assert fetched.headers["etag"] == changed.headers["etag"]

    application = await client.put(
        "/v1/applications/by-external-id/ats-a",
        json={"candidate_external_id": "ats-1", "company": "Globex", "role": "Eng"},
    )
    assert application.status_code == 201
    contact = await client.put(
        "/v1/contacts/by-external-id/ats-p",
        json={"application_external_id": "ats-a", "name": "Grace", "title": "VP"},
    )
    assert contact.status_code == 201
    interview = await client.put(
        "/v1/interviews/by-external-id/ats-i",
        json={
            "application_external_id": "ats-a",
            "kind": "phone",
            "start": "2027-01-12T10:00:00Z",
            "end": "2027-01-12T10:30:00Z",
            "panel_external_ids": ["ats-p"],
        },
    )
    assert interview.status_code == 201
    assert interview.json()["panel"] == [contact.json()["id"]]
    assert (await client.get("/v1/interviews/by-external-id/ats-i")).json()["id"] == (
        interview.json()["id"]
    )
    mismatch = await client.put(
        "/v1/candidates/by-external-id/ats-1", json={**body, "external_id": "other"}
    )
    assert_problem(mismatch, 422)


async def _assert_actions_match_a_fresh_plan(
    sessions: async_sessionmaker[AsyncSession], tenant_id: str
) -> int:
    async with sessions() as session, session.begin():
        application_ids = list(
            await session.scalars(select(Application.id).where(Application.tenant_id == tenant_id))
        )
        policy = await load_policy(session, tenant_id)
        for inputs in await load_for_planning(session, application_ids):
            planned = domain.plan(
                to_domain(
                    inputs.application,
                    inputs.candidate,
                    inputs.contacts,
                    inputs.interviews,
                    inputs.panels,
                    inputs.replies,
                    inputs.actions,
                ),
                policy,
            )
            stored = {
                a.key: (a.available_from, a.due_by, a.contact_id)
                for a in inputs.actions
                if a.obsolete_at is None
            }
            fresh = {p.key: (p.available_from, p.due_by, p.contact_id) for p in planned}
            assert stored == fresh, inputs.application.external_id
    return len(application_ids)


async def test_concurrent_overlapping_syncs_leave_actions_equal_to_a_fresh_plan(
    committed_app: Any, settings: Settings
) -> None:
    tenant = await make_tenant(committed_app.state.write_sessionmaker, settings, name="Sync")
    committed_app.state.created_tenants.append(tenant.id)

    def overlapping(n: int) -> dict[str, Any]:
        # Batches n and n+1 share a candidate's records; starts differ so plans move.
        merged: dict[str, list[Any]] = {
            "candidates": [],
            "applications": [],
            "contacts": [],
            "interviews": [],
        }
        for prefix in (f"s{n % 4}-", f"s{(n + 1) % 4}-"):
            part = batch(prefix, start=f"2027-01-{12 + n:02d}T10:00:00+01:00")
            for kind, records in part.items():
                merged[kind].extend(records)
        return merged

    async with client_for(committed_app, tenant.key) as http:
        responses = await asyncio.gather(
            *(http.post("/v1/sync", json=overlapping(n)) for n in range(10))
        )
    assert [r.status_code for r in responses] == [200] * 10, [r.text for r in responses]
    checked = await _assert_actions_match_a_fresh_plan(committed_app.state.sessionmaker, tenant.id)
    assert checked == 4


async def test_an_application_cannot_move_to_another_candidate(client: httpx.AsyncClient) -> None:
    await client.post("/v1/sync", json=batch())
    moved = {
        "candidates": [
            {"external_id": "c2", "name": "Grace", "time_zone": "Europe/Berlin", "country": "DE"}
        ],
        "applications": [
            {
                "external_id": "a1",
                "candidate_external_id": "c2",
                "company": "Globex",
                "role": "Staff Engineer",
            }
        ],
    }
    problem = assert_problem(await client.post("/v1/sync", json=moved), 422)
    assert problem["errors"][0]["field"] == "body.applications.0.candidate_external_id"  # type: ignore[index]
    assert_problem(await client.get("/v1/candidates/by-external-id/c2"), 404)


async def test_if_match_on_an_upsert_of_nothing_fails(client: httpx.AsyncClient) -> None:
    body = {"name": "Ada Lovelace", "time_zone": "Europe/London", "country": "GB"}
    for tag in ("*", '"1"'):
        response = await client.put(
            "/v1/candidates/by-external-id/ghost", json=body, headers={"If-Match": tag}
        )
        assert_problem(response, 412)
    assert_problem(await client.get("/v1/candidates/by-external-id/ghost"), 404)

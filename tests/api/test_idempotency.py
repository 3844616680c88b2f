"""Idempotency-Key on POST: replay, refusal of a changed body, in-flight conflicts, expiry,
and exactly one record under concurrency."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.clock import utcnow
from app.db.models import Candidate, IdempotencyRecord
from app.settings import Settings
from tests.api.test_system import assert_problem
from tests.conftest import Tenant, client_for, make_tenant

CANDIDATE = {"name": "Ada Lovelace", "time_zone": "Europe/London", "country": "GB"}


async def _count_candidates(sessions: async_sessionmaker[AsyncSession], tenant_id: str) -> int:
    async with sessions() as session:
        query = select(func.count()).select_from(Candidate).where(Candidate.tenant_id == tenant_id)
        return int(await session.scalar(query) or 0)


async def test_same_key_and_body_replays_the_first_response(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    headers = {"Idempotency-Key": "create-ada-1"}
    first = await client.post("/v1/candidates", json=CANDIDATE, headers=headers)
    second = await client.post("/v1/candidates", json=CANDIDATE, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert await _count_candidates(sessionmaker, tenant.id) == 1


async def test_errors_are_replayed_too(client: httpx.AsyncClient) -> None:
    headers = {"Idempotency-Key": "bad-zone"}
    body = {**CANDIDATE, "time_zone": "Mars/Olympus"}
    first = await client.post("/v1/candidates", json=body, headers=headers)
    second = await client.post("/v1/candidates", json=body, headers=headers)
    assert first.status_code == second.status_code == 422
    assert second.json()["errors"] == first.json()["errors"]


async def test_same_key_with_another_body_is_refused(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    headers = {"Idempotency-Key": "k-42"}
    assert (await client.post("/v1/candidates", json=CANDIDATE, headers=headers)).status_code == 201
    changed = {**CANDIDATE, "name": "Grace Hopper"}
    problem = assert_problem(
        await client.post("/v1/candidates", json=changed, headers=headers), 422
    )
    assert problem["errors"][0]["field"] == "header.Idempotency-Key"  # type: ignore[index]
    assert await _count_candidates(sessionmaker, tenant.id) == 1


async def test_keys_belong_to_their_tenant(
    app: Any,
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    other = await make_tenant(sessionmaker, settings, name="Other")
    headers = {"Idempotency-Key": "shared-key"}
    mine = await client.post("/v1/candidates", json=CANDIDATE, headers=headers)
    async with client_for(app, other.key) as theirs:
        response = await theirs.post("/v1/candidates", json=CANDIDATE, headers=headers)
    assert response.status_code == 201
    assert response.json()["id"] != mine.json()["id"]
    assert "idempotent-replayed" not in response.headers


async def test_a_request_still_running_answers_409(
    app: Any, tenant: Tenant, settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    from app.api.idempotency import _fingerprint
    from app.main import create_app

    body = json.dumps(CANDIDATE).encode()
    scope = {"method": "POST", "path": "/v1/candidates", "query_string": b""}
    # The first request under this key was claimed a moment ago and has not finished.
    async with sessionmaker() as session, session.begin():
        session.add(
            IdempotencyRecord(
                tenant_id=tenant.id,
                credential_scope="",  # the tenant's API keys
                key="in-flight",
                fingerprint=_fingerprint(scope, body),
                state="running",
                locked_at=utcnow(),
                expires_at=utcnow() + timedelta(hours=1),
            )
        )
    impatient = create_app(settings.model_copy(update={"idempotency_wait_seconds": 0.2}))
    impatient.state.engine = app.state.engine
    impatient.state.sessionmaker = impatient.state.write_sessionmaker = sessionmaker
    impatient.state.read_sessionmaker = sessionmaker
    async with client_for(impatient, tenant.key) as http:
        response = await http.post(
            "/v1/candidates",
            content=body,
            headers={"Idempotency-Key": "in-flight", "Content-Type": "application/json"},
        )
    assert_problem(response, 409)
    assert await _count_candidates(sessionmaker, tenant.id) == 0


async def test_expired_keys_are_forgotten(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    headers = {"Idempotency-Key": "old-key"}
    first = await client.post("/v1/candidates", json=CANDIDATE, headers=headers)
    async with sessionmaker() as session, session.begin():
        record = await session.get(IdempotencyRecord, (tenant.id, "", "old-key"))
        assert record is not None and record.state == "done"
        record.expires_at = utcnow() - timedelta(seconds=1)
    second = await client.post("/v1/candidates", json=CANDIDATE, headers=headers)
    assert second.status_code == 201
    assert second.json()["id"] != first.json()["id"]


async def test_malformed_key_is_a_422_problem_naming_the_header(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/v1/candidates", json=CANDIDATE, headers={"Idempotency-Key": "x" * 300}
    )
    problem: Any = assert_problem(response, 422)
    assert problem["errors"][0]["field"] == "header.Idempotency-Key"


async def test_twenty_concurrent_posts_give_one_record_and_identical_answers(
    committed_app: Any, settings: Settings
) -> None:
    tenant = await make_tenant(committed_app.state.write_sessionmaker, settings, name="Racer")
    committed_app.state.created_tenants.append(tenant.id)
    async with client_for(committed_app, tenant.key) as http:
        responses = await asyncio.gather(
            *(
                http.post("/v1/candidates", json=CANDIDATE, headers={"Idempotency-Key": "race"})
                for _ in range(20)
            )
        )
    assert {r.status_code for r in responses} == {201}
    assert len({r.text for r in responses}) == 1
    assert await _count_candidates(committed_app.state.sessionmaker, tenant.id) == 1


async def test_a_conflict_is_not_remembered_so_a_retry_can_succeed(
    client: httpx.AsyncClient,
) -> None:
    first = await client.post("/v1/candidates", json={**CANDIDATE, "external_id": "ats-1"})
    headers = {"Idempotency-Key": "after-conflict"}
    clash = await client.post(
        "/v1/candidates", json={**CANDIDATE, "external_id": "ats-1"}, headers=headers
    )
    assert_problem(clash, 409)
    await client.patch(f"/v1/candidates/{first.json()['id']}", json={"external_id": "ats-0"})
    retry = await client.post(
        "/v1/candidates", json={**CANDIDATE, "external_id": "ats-1"}, headers=headers
    )
    assert retry.status_code == 201
    assert "idempotent-replayed" not in retry.headers


async def test_erasing_a_candidate_forgets_the_stored_responses_about_them(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    headers = {"Idempotency-Key": "create-then-erase"}
    created = await client.post("/v1/candidates", json=CANDIDATE, headers=headers)
    other = await client.post("/v1/candidates", json=CANDIDATE, headers={"Idempotency-Key": "k2"})
    assert (await client.delete(f"/v1/candidates/{created.json()['id']}")).status_code == 204
    async with sessionmaker() as session:
        keys = set(
            await session.scalars(
                select(IdempotencyRecord.key).where(IdempotencyRecord.tenant_id == tenant.id)
            )
        )
    assert keys == {"k2"}
    assert other.status_code == 201

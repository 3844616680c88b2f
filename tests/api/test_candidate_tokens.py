"""Candidate tokens: minted by a back end with its API key, limited to one candidate.

What a token may do with its own candidate's records, what it may not do at all, and when
it stops working: expiry, revocation (at once, even with a cached verification), its
candidate's erasure, its issuing key's revocation. The walk over every operation with
another candidate's IDs is in test_candidate_isolation.py; the feed's page cache in
test_feed_pages.py.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.db.models import CandidateAccessToken
from app.services import api_keys, candidate_tokens, credentials
from app.settings import Settings
from tests.api.builders import (
    Json,
    all_pages,
    assert_invalid,
    assert_problem,
    interview_round,
    new_application,
    new_candidate,
    one,
)
from tests.conftest import Tenant, app_in_transaction, client_for, make_tenant

TOKEN_FORMAT = re.compile(r"fu_cand_[0-9a-f]{12}_[0-9a-f]{48}")
# A moment when the default interview round's thank-yous are due.
AS_OF = "2027-01-13T12:00:00+01:00"


async def mint(client: httpx.AsyncClient, candidate_id: str, **body: Any) -> Json:
    response = await client.post(f"/v1/candidates/{candidate_id}/access-tokens", json=body)
    assert response.status_code == 201, response.text
    minted: Json = response.json()
    return minted


@dataclass(frozen=True)
class Candidates:
    """Two candidates of one tenant, each with an interview round; A holds a token."""

    a: Json
    b: Json
    a_application: Json
    b_application: Json
    a_token: Json


async def two_candidates(client: httpx.AsyncClient, **token: Any) -> Candidates:
    a_application, _, _ = await interview_round(client)
    b_application, _, _ = await interview_round(client)
    a = (await client.get(f"/v1/candidates/{a_application['candidate_id']}")).json()
    b = (await client.get(f"/v1/candidates/{b_application['candidate_id']}")).json()
    return Candidates(a, b, a_application, b_application, await mint(client, a["id"], **token))


def cached_app(settings: Settings, engine: AsyncEngine, sessionmaker: Any) -> FastAPI:
    """An app that trusts a verified credential for a minute, as production does for a
    few seconds: revocation must still take effect at once."""
    cached = settings.model_copy(update={"auth_cache_seconds": 60.0})
    return app_in_transaction(cached, engine, sessionmaker)  # type: ignore[no-any-return]


@pytest.fixture
async def pair(client: httpx.AsyncClient) -> Candidates:
    return await two_candidates(client)


@pytest.fixture
async def as_a(app: FastAPI, pair: Candidates) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app, pair.a_token["token"]) as http:
        yield http


# --- minting ------------------------------------------------------------------------------


async def test_a_token_is_shown_once_and_stored_only_as_a_keyed_hash(
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    candidate = await new_candidate(client)
    path = f"/v1/candidates/{candidate['id']}/access-tokens"
    response = await client.post(path, json={})
    assert response.status_code == 201, response.text
    minted = response.json()
    assert TOKEN_FORMAT.fullmatch(minted["token"])
    assert minted["candidate_id"] == candidate["id"]
    assert minted["scopes"] == ["read", "write"]
    assert minted["revoked_at"] is None
    assert minted["issued_by_key_id"] == tenant.key_id
    lifetime = datetime.fromisoformat(minted["expires_at"]) - datetime.fromisoformat(
        minted["created_at"]
    )
    assert lifetime == timedelta(hours=1)
    # The answer holds the secret: never cached, and never kept for an idempotent replay.
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["location"] == f"{path}/{minted['id']}"

    shown = await client.get(response.headers["location"])
    listed = await client.get(path)
    assert shown.status_code == listed.status_code == 200
    expected = {k: v for k, v in minted.items() if k != "token"}
    assert shown.json() == expected
    assert listed.json() == {"data": [expected], "next_cursor": None}
    assert minted["token"] not in shown.text + listed.text

    async with sessionmaker() as session:
        row = await session.get(CandidateAccessToken, minted["id"])
    assert row is not None
    assert row.secret_hash == credentials.hash_secret(
        minted["token"], settings.resolved_secret_key()
    )
    assert minted["token"] not in repr(
        [getattr(row, c.key) for c in CandidateAccessToken.__table__.columns]
    )


@pytest.mark.parametrize("seconds", [59, 86_401, 0, -1])
async def test_a_lifetime_outside_a_minute_to_a_day_is_refused(
    client: httpx.AsyncClient, seconds: int
) -> None:
    candidate = await new_candidate(client)
    response = await client.post(
        f"/v1/candidates/{candidate['id']}/access-tokens", json={"lifetime_seconds": seconds}
    )
    assert_invalid(response, "body.lifetime_seconds")


async def test_lifetimes_and_scopes_within_bounds_are_kept(client: httpx.AsyncClient) -> None:
    candidate = await new_candidate(client)
    shortest = await mint(client, candidate["id"], lifetime_seconds=60, scopes=["read"])
    longest = await mint(client, candidate["id"], lifetime_seconds=86_400, scopes=["write"])
    both = await mint(client, candidate["id"], scopes=["write", "read"])
    twice = await mint(client, candidate["id"], scopes=["read", "read"])
    for token, seconds in ((shortest, 60), (longest, 86_400)):
        created = datetime.fromisoformat(token["created_at"])
        assert datetime.fromisoformat(token["expires_at"]) - created == timedelta(seconds=seconds)
    assert (shortest["scopes"], longest["scopes"], both["scopes"], twice["scopes"]) == (
        ["read"],
        ["write"],
        ["read", "write"],
        ["read"],
    )


@pytest.mark.parametrize(
    ("scopes", "field"),
    [([], "body.scopes"), (["admin"], "body.scopes.0"), ("read", "body.scopes")],
)
async def test_scopes_must_be_read_or_write(
    client: httpx.AsyncClient, scopes: Any, field: str
) -> None:
    candidate = await new_candidate(client)
    response = await client.post(
        f"/v1/candidates/{candidate['id']}/access-tokens", json={"scopes": scopes}
    )
    assert_invalid(response, field)


async def test_a_token_never_gets_a_scope_its_issuing_key_lacks(
    app: FastAPI,
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    candidate = await new_candidate(client)
    async with sessionmaker() as session, session.begin():
        write_only = await api_keys.issue_key(
            session, tenant.id, settings.resolved_secret_key(), scopes=["write"]
        )
    path = f"/v1/candidates/{candidate['id']}/access-tokens"
    async with client_for(app, write_only.plaintext) as http:
        error = assert_invalid(
            await http.post(path, json={"scopes": ["write", "read"]}), "body.scopes.1"
        )
        assert error["code"] == "not_allowed"
        assert (await http.post(path, json={"scopes": ["write"]})).status_code == 201
    read_only = await make_tenant(sessionmaker, settings, "Readers", scopes=["read"])
    async with client_for(app, read_only.key) as http:
        assert_problem(await http.post(path, json={}), 403)


async def test_minting_for_a_candidate_the_tenant_does_not_have_is_404(
    app: FastAPI,
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    candidate = await new_candidate(client)
    assert_problem(await client.post("/v1/candidates/cand_missing/access-tokens", json={}), 404)
    stranger = await make_tenant(sessionmaker, settings, "Strangers")
    async with client_for(app, stranger.key) as http:
        path = f"/v1/candidates/{candidate['id']}/access-tokens"
        assert_problem(await http.post(path, json={}), 404)
        assert_problem(await http.get(path), 404)


async def test_a_candidate_holds_a_bounded_number_of_live_tokens_and_old_ones_are_pruned(
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(candidate_tokens, "MAX_LIVE_TOKENS_PER_CANDIDATE", 2)
    candidate = await new_candidate(client)
    first = await mint(client, candidate["id"])
    second = await mint(client, candidate["id"])
    path = f"/v1/candidates/{candidate['id']}/access-tokens"
    assert_problem(await client.post(path, json={}), 409)
    # A revoked token no longer counts, and is still listed for a week.
    assert (await client.delete(f"{path}/{first['id']}")).status_code == 204
    third = await mint(client, candidate["id"])
    listed = [t["id"] for t in await all_pages(client, path)]
    assert listed == [first["id"], second["id"], third["id"]]
    # A token that ended more than a week ago is deleted when the next one is minted.
    async with sessionmaker() as session, session.begin():
        await session.execute(
            update(CandidateAccessToken)
            .where(CandidateAccessToken.id == first["id"])
            .values(revoked_at=datetime.now(UTC) - timedelta(days=8))
        )
    assert (await client.delete(f"{path}/{second['id']}")).status_code == 204
    fourth = await mint(client, candidate["id"])
    listed = [t["id"] for t in await all_pages(client, path)]
    assert listed == [second["id"], third["id"], fourth["id"]]


# --- what a token may do ------------------------------------------------------------------


async def test_me_tells_an_api_key_from_a_candidate_token(
    client: httpx.AsyncClient, as_a: httpx.AsyncClient, pair: Candidates, tenant: Tenant
) -> None:
    key = (await client.get("/v1/me")).json()
    token = (await as_a.get("/v1/me")).json()
    assert key == {
        "credential_type": "api_key",
        "tenant_id": tenant.id,
        "tenant_name": "Acme Careers",
        "key_id": tenant.key_id,
        "scopes": ["read", "write"],
        "candidate_id": None,
        "expires_at": None,
    }
    assert token == {
        "credential_type": "candidate_token",
        "tenant_id": tenant.id,
        "tenant_name": "Acme Careers",
        "key_id": pair.a_token["id"],
        "scopes": ["read", "write"],
        "candidate_id": pair.a["id"],
        "expires_at": pair.a_token["expires_at"],
    }


async def test_a_token_reads_its_candidates_records_and_lists_hold_nothing_else(
    client: httpx.AsyncClient, as_a: httpx.AsyncClient, pair: Candidates
) -> None:
    a_id, b_id = pair.a["id"], pair.b["id"]
    own_application = pair.a_application["id"]
    assert (await as_a.get(f"/v1/candidates/{a_id}")).json() == pair.a
    applications = await all_pages(as_a, "/v1/applications")
    assert [item["id"] for item in applications] == [own_application]
    assert await all_pages(as_a, "/v1/applications", {"candidate_id": b_id}) == []
    # The tenant's key sees both candidates' actions; the token its own alone.
    everything = await all_pages(client, "/v1/actions", {"as_of": AS_OF})
    assert {item["candidate_id"] for item in everything} == {a_id, b_id}
    feed = await all_pages(as_a, "/v1/actions", {"as_of": AS_OF})
    assert feed == [item for item in everything if item["candidate_id"] == a_id]
    assert await all_pages(as_a, "/v1/actions", {"candidate_id": b_id, "as_of": AS_OF}) == []
    assert (
        await all_pages(
            as_a, "/v1/actions", {"application_id": pair.b_application["id"], "as_of": AS_OF}
        )
        == []
    )
    per_application = await all_pages(
        as_a, f"/v1/applications/{own_application}/actions", {"as_of": AS_OF}
    )
    assert {item["id"] for item in per_application} == {item["id"] for item in feed}
    for kind in ("contacts", "interviews", "replies"):
        own = await all_pages(as_a, f"/v1/applications/{own_application}/{kind}")
        assert own == await all_pages(client, f"/v1/applications/{own_application}/{kind}")
    # Events: the candidate's, and not the tenant-wide ones.
    every_event = await all_pages(client, "/v1/events")
    assert {event["candidate_id"] for event in every_event} == {a_id, b_id}
    events = await all_pages(as_a, "/v1/events")
    assert events == [event for event in every_event if event["candidate_id"] == a_id]
    foreign = {"application_id": pair.b_application["id"]}
    assert await all_pages(as_a, "/v1/events", foreign) == []


async def test_a_token_with_write_records_what_its_candidate_did(
    client: httpx.AsyncClient, as_a: httpx.AsyncClient, pair: Candidates
) -> None:
    a_id = pair.a["id"]
    created = await as_a.post(
        "/v1/applications", json={"candidate_id": a_id, "company": "Initech", "role": "Dev"}
    )
    assert created.status_code == 201, created.text
    application_id = created.json()["id"]
    application, interviewer, interview = await interview_round(as_a, application_id)
    reply = await as_a.post(
        f"/v1/applications/{application_id}/replies",
        json={"received_at": "2027-01-14T09:00:00+01:00", "contact_id": interviewer["id"]},
    )
    assert reply.status_code == 201, reply.text
    changed = await as_a.patch(
        f"/v1/interviews/{interview['id']}", json={"next_step": "A call with the CTO"}
    )
    assert changed.status_code == 200, changed.text
    thank_you = one(
        await all_pages(as_a, f"/v1/applications/{application_id}/actions", {"as_of": AS_OF}),
        "send_thank_you",
    )
    draft = await as_a.get(f"/v1/actions/{thank_you['id']}/draft")
    assert draft.status_code == 200 and draft.json()["action_id"] == thank_you["id"]
    check = await as_a.post(
        "/v1/drafts/check",
        json={"action_id": thank_you["id"], "subject": "Thanks", "body": draft.json()["body"]},
    )
    assert check.status_code == 200, check.text
    done = await as_a.post(f"/v1/actions/{thank_you['id']}/complete", json={})
    assert done.status_code == 200 and done.json()["status"] == "done"
    # The tenant's back end sees what the front end recorded.
    seen = (await client.get(f"/v1/actions/{thank_you['id']}")).json()
    assert seen["status"] == "done" and seen["mark"]["kind"] == "done"
    undone = await as_a.delete(f"/v1/actions/{thank_you['id']}/mark")
    assert undone.status_code == 200 and undone.json()["mark"] is None
    # Its own calendar feed, too.
    feed = await as_a.post(f"/v1/candidates/{a_id}/calendar-feed")
    assert feed.status_code == 201, feed.text
    assert (await as_a.get(f"/v1/candidates/{a_id}/calendar-feed")).status_code == 200
    assert (await as_a.delete(f"/v1/candidates/{a_id}/calendar-feed")).status_code == 204
    # And it may delete an application it recorded by mistake.
    assert (await as_a.delete(f"/v1/applications/{application['id']}")).status_code == 204
    assert_problem(await client.get(f"/v1/applications/{application['id']}"), 404)


async def test_a_token_creates_applications_for_its_own_candidate_only(
    client: httpx.AsyncClient, as_a: httpx.AsyncClient, pair: Candidates
) -> None:
    body = {"company": "Initech", "role": "Dev"}
    foreign = await as_a.post("/v1/applications", json={**body, "candidate_id": pair.b["id"]})
    unknown = await as_a.post("/v1/applications", json={**body, "candidate_id": "cand_missing"})
    foreign_error = assert_invalid(foreign, "body.candidate_id")
    unknown_error = assert_invalid(unknown, "body.candidate_id")
    # Told apart from an unknown ID by nothing but the ID itself.
    assert foreign_error["code"] == unknown_error["code"] == "not_found"
    assert foreign_error["message"].replace(pair.b["id"], "?") == unknown_error["message"].replace(
        "cand_missing", "?"
    )
    assert [
        a["id"] for a in await all_pages(client, "/v1/applications", {"candidate_id": pair.b["id"]})
    ] == [pair.b_application["id"]]


async def test_external_ids_belong_to_the_tenants_integration(
    client: httpx.AsyncClient, as_a: httpx.AsyncClient, pair: Candidates
) -> None:
    # The ATS uses this external ID for B's application: a token may neither learn that
    # (a 409 would say so) nor take it, nor clear its own application's.
    taken = await client.patch(
        f"/v1/applications/{pair.b_application['id']}", json={"external_id": "ats-1"}
    )
    assert taken.status_code == 200, taken.text
    body = {"candidate_id": pair.a["id"], "company": "Initech", "role": "Dev"}
    for external_id in ("ats-1", "ats-2"):
        response = await as_a.post("/v1/applications", json={**body, "external_id": external_id})
        assert assert_invalid(response, "body.external_id")["code"] == "not_allowed"
    own = f"/v1/applications/{pair.a_application['id']}"
    assert_invalid(await as_a.patch(own, json={"external_id": None}), "body.external_id")
    # A null external ID on create sets nothing, as from a generated client.
    assert (
        await as_a.post("/v1/applications", json={**body, "external_id": None})
    ).status_code == 201


async def test_tenant_wide_operations_answer_403(as_a: httpx.AsyncClient, pair: Candidates) -> None:
    a_id = pair.a["id"]
    refused = [
        await as_a.get("/v1/candidates"),
        await as_a.post("/v1/candidates", json={"name": "X", "time_zone": "UTC", "country": "DE"}),
        await as_a.patch(f"/v1/candidates/{a_id}", json={"name": "Ada King"}),
        await as_a.delete(f"/v1/candidates/{a_id}"),
        await as_a.get(f"/v1/candidates/{a_id}/access-tokens"),
        await as_a.post(f"/v1/candidates/{a_id}/access-tokens", json={}),
        await as_a.get("/v1/policy"),
        await as_a.get("/v1/templates"),
        await as_a.get("/v1/webhook-endpoints"),
        await as_a.post("/v1/sync", json={"candidates": []}),
        await as_a.get("/v1/candidates/by-external-id/ats-1"),
    ]
    for response in refused:
        problem = assert_problem(response, 403)
        assert "candidate token" in str(problem["detail"])


async def test_a_read_only_token_is_refused_every_write(
    app: FastAPI, client: httpx.AsyncClient, pair: Candidates
) -> None:
    reader = await mint(client, pair.a["id"], scopes=["read"])
    thank_you = one(
        await all_pages(
            client, f"/v1/applications/{pair.a_application['id']}/actions", {"as_of": AS_OF}
        ),
        "send_thank_you",
    )
    async with client_for(app, reader["token"]) as http:
        assert (await http.get(f"/v1/actions/{thank_you['id']}")).status_code == 200
        writes = [
            await http.post(
                "/v1/applications",
                json={"candidate_id": pair.a["id"], "company": "Initech", "role": "Dev"},
            ),
            await http.post(f"/v1/actions/{thank_you['id']}/complete", json={}),
            await http.patch(f"/v1/applications/{pair.a_application['id']}", json={"role": "X"}),
            await http.delete(f"/v1/applications/{pair.a_application['id']}"),
        ]
    for response in writes:
        problem = assert_problem(response, 403)
        assert problem["detail"] == "This candidate token lacks the `write` scope."
    assert (await client.get(f"/v1/actions/{thank_you['id']}")).json()["mark"] is None


# --- when a token stops working -----------------------------------------------------------


async def test_an_expired_token_is_refused(
    app: FastAPI,
    client: httpx.AsyncClient,
    pair: Candidates,
    sessionmaker: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    short = await mint(client, pair.a["id"], lifetime_seconds=60)
    expires_at = datetime.fromisoformat(short["expires_at"])
    async with client_for(app, short["token"]) as http:
        assert (await http.get("/v1/me")).status_code == 200
        # The clock moved to the token's expiry.
        monkeypatch.setattr(credentials, "utcnow", lambda: expires_at)
        problem = assert_problem(await http.get("/v1/me"), 401)
        assert "expired" in str(problem["detail"])
        monkeypatch.undo()
        assert (await http.get("/v1/me")).status_code == 200
        # The expiry moved to the past.
        async with sessionmaker() as session, session.begin():
            await session.execute(
                update(CandidateAccessToken)
                .where(CandidateAccessToken.id == short["id"])
                .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
            )
        assert_problem(await http.get("/v1/me"), 401)


async def test_a_cached_verification_is_never_served_past_the_tokens_expiry(
    settings: Settings,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    tenant: Tenant,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = cached_app(settings, engine, sessionmaker)
    async with client_for(app, tenant.key) as client:
        pair = await two_candidates(client, lifetime_seconds=60)
    expires_at = datetime.fromisoformat(pair.a_token["expires_at"])
    async with client_for(app, pair.a_token["token"]) as http:
        assert (await http.get("/v1/me")).status_code == 200
        assert len(app.state.principal_cache) == 2  # the key's and the token's
        monkeypatch.setattr(credentials, "utcnow", lambda: expires_at - timedelta(microseconds=1))
        assert (await http.get("/v1/me")).status_code == 200
        monkeypatch.setattr(credentials, "utcnow", lambda: expires_at)
        assert_problem(await http.get("/v1/me"), 401)


async def test_revoking_a_token_takes_effect_at_once_though_its_verification_was_cached(
    settings: Settings,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    tenant: Tenant,
) -> None:
    app = cached_app(settings, engine, sessionmaker)
    async with client_for(app, tenant.key) as client:
        pair = await two_candidates(client)
        token = pair.a_token
        path = f"/v1/candidates/{pair.a['id']}/access-tokens/{token['id']}"
        async with client_for(app, token["token"]) as http:
            assert (await http.get("/v1/me")).status_code == 200
            # Revoked behind the API's back: the cached verification still holds (this is
            # what the cache is for, and why a revocation must drop it).
            async with sessionmaker() as session, session.begin():
                await session.execute(
                    update(CandidateAccessToken)
                    .where(CandidateAccessToken.id == token["id"])
                    .values(revoked_at=datetime.now(UTC))
                )
            assert (await http.get("/v1/me")).status_code == 200
            async with sessionmaker() as session, session.begin():
                await session.execute(
                    update(CandidateAccessToken)
                    .where(CandidateAccessToken.id == token["id"])
                    .values(revoked_at=None)
                )
            etag = (await client.get(path)).headers["etag"]
            assert_problem(await client.delete(path, headers={"If-Match": '"stale"'}), 412)
            assert (await client.delete(path, headers={"If-Match": etag})).status_code == 204
            problem = assert_problem(await http.get("/v1/me"), 401)
            assert "revoked" in str(problem["detail"])
        revoked = (await client.get(path)).json()
        assert revoked["revoked_at"] is not None
        assert (await client.delete(path)).status_code == 204  # again: nothing changes
        assert (await client.get(path)).json() == revoked
        # Other tokens, and the key, are untouched.
        other = await mint(client, pair.a["id"])
        async with client_for(app, other["token"]) as http:
            assert (await http.get("/v1/me")).status_code == 200


async def test_erasing_a_candidate_revokes_their_tokens_at_once(
    settings: Settings,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    tenant: Tenant,
) -> None:
    app = cached_app(settings, engine, sessionmaker)
    async with client_for(app, tenant.key) as client:
        pair = await two_candidates(client)
        b_token = await mint(client, pair.b["id"])
        async with (
            client_for(app, pair.a_token["token"]) as a,
            client_for(app, b_token["token"]) as b,
        ):
            assert (await a.get("/v1/me")).status_code == (await b.get("/v1/me")).status_code == 200
            assert (await client.delete(f"/v1/candidates/{pair.a['id']}")).status_code == 204
            assert_problem(await a.get("/v1/me"), 401)
            assert (await b.get("/v1/me")).status_code == 200
    async with sessionmaker() as session:
        left = await session.scalars(
            select(CandidateAccessToken.candidate_id).where(
                CandidateAccessToken.tenant_id == tenant.id
            )
        )
        assert list(left) == [pair.b["id"]]


async def test_revoking_the_issuing_key_stops_its_tokens(
    app: FastAPI,
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    candidate = await new_candidate(client)
    async with sessionmaker() as session, session.begin():
        second_key = await api_keys.issue_key(session, tenant.id, settings.resolved_secret_key())
    async with client_for(app, second_key.plaintext) as other:
        from_second = await mint(other, candidate["id"])
    from_first = await mint(client, candidate["id"])
    async with sessionmaker() as session, session.begin():
        await api_keys.revoke(session, second_key.record.id)
    async with client_for(app, from_second["token"]) as http:
        assert_problem(await http.get("/v1/me"), 401)
    async with client_for(app, from_first["token"]) as http:
        assert (await http.get("/v1/me")).status_code == 200


async def test_a_token_of_the_wrong_shape_or_secret_is_401(app: FastAPI, pair: Candidates) -> None:
    lookup = pair.a_token["token"].split("_")[2]
    for bad in (f"fu_cand_{lookup}_{'0' * 48}", "fu_cand_zz", f"fu_live_{lookup}_{'0' * 48}"):
        async with client_for(app, bad) as http:
            assert_problem(await http.get("/v1/me"), 401)


# --- Idempotency-Key ----------------------------------------------------------------------


async def test_an_idempotency_key_never_replays_another_credentials_answer(
    app: FastAPI,
    client: httpx.AsyncClient,
    pair: Candidates,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    key = {"Idempotency-Key": "new-application-1"}
    body = {"candidate_id": pair.a["id"], "company": "Initech", "role": "Dev"}
    by_key = await client.post("/v1/applications", json=body, headers=key)
    assert by_key.status_code == 201
    second_token = await mint(client, pair.a["id"])
    async with (
        client_for(app, pair.a_token["token"]) as first,
        client_for(app, second_token["token"]) as second,
    ):
        # The same request under the same key, by a token: run as its own, not replayed.
        mine = await first.post("/v1/applications", json=body, headers=key)
        assert mine.status_code == 201 and "idempotent-replayed" not in mine.headers
        assert mine.json()["id"] != by_key.json()["id"]
        again = await first.post("/v1/applications", json=body, headers=key)
        assert again.headers["idempotent-replayed"] == "true"
        assert again.json()["id"] == mine.json()["id"]
        # Another token of the same candidate does not replay the first token's answer.
        theirs = await second.post("/v1/applications", json=body, headers=key)
        assert theirs.status_code == 201 and "idempotent-replayed" not in theirs.headers
        assert theirs.json()["id"] not in {mine.json()["id"], by_key.json()["id"]}
    # The tenant's API keys still share their keys, as before.
    async with sessionmaker() as session, session.begin():
        other_key = await api_keys.issue_key(session, tenant.id, settings.resolved_secret_key())
    async with client_for(app, other_key.plaintext) as other:
        replay = await other.post("/v1/applications", json=body, headers=key)
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json()["id"] == by_key.json()["id"]


async def test_a_tokens_idempotent_replay_of_a_minted_secret_is_refused(
    client: httpx.AsyncClient,
) -> None:
    candidate = await new_application(client)
    key = {"Idempotency-Key": "mint-1"}
    path = f"/v1/candidates/{candidate['candidate_id']}/access-tokens"
    first = await client.post(path, json={}, headers=key)
    retried = await client.post(path, json={}, headers=key)
    assert first.status_code == 201
    problem = assert_problem(retried, 409)
    assert problem["type"].endswith("/idempotent-secret-not-kept")
    assert retried.headers["location"] == first.headers["location"]
    assert first.json()["token"] not in retried.text

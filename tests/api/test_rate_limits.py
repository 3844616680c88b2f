"""Rate limits per API key and per tenant, on both stores: in-process memory and Redis.

The Redis tests use ``FOLLOWUP_TEST_REDIS_URL`` (default ``redis://127.0.0.1:6379/15``)
under a key prefix of their own, removed afterwards. When that variable is set (as CI
sets it) an unreachable Redis fails the tests; when it is not, they are skipped with the
reason. Limits count per day so that no test straddles a window's edge, where a sliding
window starts to forget the previous window's requests.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import secrets
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import redis
import redis.asyncio
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.api import rate_limits
from app.api.errors import PROBLEM_JSON
from app.api.rate_limits import MAX_LEASE_SIZE, REDIS_RETRY_SECONDS, Cost
from app.main import create_app
from app.services import api_keys
from app.settings import Settings
from tests.api.builders import interview_round
from tests.conftest import Tenant, app_in_transaction, client_for, committing_app, make_tenant

REDIS_URL_VARIABLE = "FOLLOWUP_TEST_REDIS_URL"
DEFAULT_TEST_REDIS_URL = "redis://127.0.0.1:6379/15"

PER_KEY, PER_TENANT, EXPENSIVE_PER_KEY, EXPENSIVE_PER_TENANT = 5, 8, 2, 3
DAY = 86_400
ORDINARY_POLICIES = f'"key";q={PER_KEY};w={DAY}, "tenant";q={PER_TENANT};w={DAY}'
EXPENSIVE_POLICIES = (
    f'"key-expensive";q={EXPENSIVE_PER_KEY};w={DAY}, "key";q={PER_KEY};w={DAY}, '
    f'"tenant-expensive";q={EXPENSIVE_PER_TENANT};w={DAY}, "tenant";q={PER_TENANT};w={DAY}'
)
# One member of the RateLimit field: "name";r=<remaining>;t=<seconds>.
STATE_MEMBER = re.compile(r'^"(?P<name>[a-z-]+)";r=(?P<r>\d+);t=(?P<t>\d+)$')

CHECK = {
    "action_type": "send_thank_you",
    "subject": "Thank you",
    "body": "Dear Grace,\n\nThank you for your time today. I enjoyed our talk about the "
    "platform team. I look forward to hearing from you.\n\nBest regards,\nAda",
}


def remaining(response: httpx.Response) -> dict[str, int]:
    """The RateLimit field as {policy: requests left}, checking each member's form."""
    members = {}
    for member in response.headers["RateLimit"].split(", "):
        match = STATE_MEMBER.match(member)
        assert match, member
        members[match["name"]] = int(match["r"])
    return members


def assert_rate_limited(response: httpx.Response, policy: str) -> dict[str, Any]:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    problem: dict[str, Any] = response.json()
    assert problem["type"].endswith("/rate-limited")
    assert problem["status"] == 429
    assert f"(`{policy}`)" in problem["detail"]
    retry_after = int(response.headers["Retry-After"])
    assert 1 <= retry_after <= DAY
    assert f"retry after {retry_after} s" in problem["detail"]
    assert remaining(response)[policy] == 0
    return problem


# --- the two stores -----------------------------------------------------------------------


def _redis_answers(url: str) -> bool:
    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        return client.ping() is True
    except redis.RedisError:
        return False
    finally:
        client.close()


@pytest.fixture(scope="session")
def redis_url() -> str:
    url = os.environ.get(REDIS_URL_VARIABLE, "")
    if url:
        if not _redis_answers(url):
            pytest.fail(f"{REDIS_URL_VARIABLE}={url} is set but Redis does not answer there")
        return url
    if not _redis_answers(DEFAULT_TEST_REDIS_URL):
        pytest.skip(
            f"no Redis at {DEFAULT_TEST_REDIS_URL}; set {REDIS_URL_VARIABLE} to make its "
            "absence a failure"
        )
    return DEFAULT_TEST_REDIS_URL


@pytest.fixture
async def redis_prefix(redis_url: str) -> AsyncIterator[str]:
    """A key prefix for one test; its keys are deleted afterwards."""
    prefix = f"followup-test-{secrets.token_hex(6)}"
    yield prefix
    client = redis.asyncio.Redis.from_url(redis_url)
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


@pytest.fixture(params=["memory", "redis"])
def limited(request: pytest.FixtureRequest, settings: Settings) -> Settings:
    """The run's settings with small limits, kept in memory or in Redis."""
    update: dict[str, Any] = {
        "rate_limit_per_key": f"{PER_KEY}/day",
        "rate_limit_per_tenant": f"{PER_TENANT}/day",
        "rate_limit_expensive_per_key": f"{EXPENSIVE_PER_KEY}/day",
        "rate_limit_expensive_per_tenant": f"{EXPENSIVE_PER_TENANT} per day",
    }
    if request.param == "redis":
        update["redis_url"] = request.getfixturevalue("redis_url")
        update["redis_key_prefix"] = request.getfixturevalue("redis_prefix")
    return settings.model_copy(update=update)


@asynccontextmanager
async def limited_app(
    settings: Settings, engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession]
) -> AsyncIterator[Any]:
    application = app_in_transaction(settings, engine, sessionmaker)
    try:
        yield application
    finally:
        # The test client runs no lifespan, which would close the Redis connections.
        if application.state.rate_limiter is not None:
            await application.state.rate_limiter.close()


@pytest.fixture
async def app(
    limited: Settings, engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession]
) -> AsyncIterator[Any]:
    async with limited_app(limited, engine, sessionmaker) as application:
        yield application


async def another_key(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, tenant: Tenant
) -> str:
    """One more API key of the tenant."""
    async with sessionmaker() as session, session.begin():
        issued = await api_keys.issue_key(session, tenant.id, settings.resolved_secret_key())
    return issued.plaintext


# --- what a client sees -------------------------------------------------------------------


async def test_every_counted_response_carries_the_policies_and_what_is_left(
    app: Any, tenant: Tenant
) -> None:
    async with client_for(app, tenant.key) as client, client_for(app) as anonymous:
        answers = [
            await client.get("/v1/me"),
            await client.get("/v1/candidates"),
            await client.get("/v1/candidates/cand_missing"),  # a 404 is counted too
        ]
        unauthenticated = await anonymous.get("/v1/me")
        health = await client.get("/healthz")
    assert [a.status_code for a in answers] == [200, 200, 404]
    for answer in answers:
        assert answer.headers["RateLimit-Policy"] == ORDINARY_POLICIES
    assert [remaining(a) for a in answers] == [
        {"key": 4, "tenant": 7},
        {"key": 3, "tenant": 6},
        {"key": 2, "tenant": 5},
    ]
    # Seconds until the count drops: within the window, and 0 only with nothing counted.
    assert all(0 < int(m["t"]) <= DAY for a in answers for m in _members(a))
    # Requests no key authenticates are not counted and carry no RateLimit fields.
    assert unauthenticated.status_code == 401 and "RateLimit" not in unauthenticated.headers
    assert "RateLimit-Policy" not in health.headers


def _members(response: httpx.Response) -> list[re.Match[str]]:
    return [m for m in map(STATE_MEMBER.match, response.headers["RateLimit"].split(", ")) if m]


async def test_past_the_key_limit_the_answer_is_429_with_retry_after(
    app: Any, tenant: Tenant
) -> None:
    async with client_for(app, tenant.key) as client:
        allowed = [await client.get("/v1/me") for _ in range(PER_KEY)]
        refused = await client.get("/v1/me")
        refused_write = await client.post("/v1/candidates", json={"name": "Ada"})
    assert [a.status_code for a in allowed] == [200] * PER_KEY
    problem = assert_rate_limited(refused, "key")
    assert (
        "API key's limit" in problem["detail"]
        and f"of {PER_KEY} requests per day" in (problem["detail"])
    )
    assert refused.headers["RateLimit-Policy"] == ORDINARY_POLICIES
    assert_rate_limited(refused_write, "key")
    metrics = (await httpx_get_metrics(app)).text
    assert 'followup_rate_limited_total{policy="key"} 2.0' in metrics


async def test_replays_of_a_stored_answer_are_counted_like_any_request(
    app: Any, tenant: Tenant
) -> None:
    headers = {"Idempotency-Key": "replay-me"}
    body = {"name": "Ada Lovelace", "time_zone": "Europe/Berlin", "country": "DE"}
    async with client_for(app, tenant.key) as client:
        answers = [
            await client.post("/v1/candidates", json=body, headers=headers)
            for _ in range(PER_KEY + 1)
        ]
    assert [a.status_code for a in answers] == [201] * PER_KEY + [429]
    assert all(a.headers["Idempotent-Replayed"] == "true" for a in answers[1:PER_KEY])
    assert [remaining(a)["key"] for a in answers[:PER_KEY]] == list(range(PER_KEY - 1, -1, -1))
    assert_rate_limited(answers[-1], "key")


async def httpx_get_metrics(app: Any) -> httpx.Response:
    async with client_for(app) as anonymous:
        return await anonymous.get("/metrics")


async def test_a_tenant_limit_counts_all_its_keys_and_no_other_tenant(
    app: Any,
    tenant: Tenant,
    limited: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    other_key = await another_key(sessionmaker, limited, tenant)
    stranger = await make_tenant(sessionmaker, limited, name="Globex Talent")
    async with (
        client_for(app, tenant.key) as first,
        client_for(app, other_key) as second,
        client_for(app, stranger.key) as other_tenant,
    ):
        # The first key uses up its own limit; what it sends past that costs its tenant nothing.
        assert [(await first.get("/v1/me")).status_code for _ in range(PER_KEY)] == [200] * 5
        assert_rate_limited(await first.get("/v1/me"), "key")
        assert_rate_limited(await first.get("/v1/me"), "key")
        left = PER_TENANT - PER_KEY
        answers = [await second.get("/v1/me") for _ in range(left)]
        assert [a.status_code for a in answers] == [200] * left
        assert [remaining(a) for a in answers][-1] == {"key": PER_KEY - left, "tenant": 0}
        # The second key still has its own requests left, but the tenant has none.
        problem = assert_rate_limited(await second.get("/v1/me"), "tenant")
        assert "tenant's limit" in problem["detail"]
        stranger_answer = await other_tenant.get("/v1/me")
    assert stranger_answer.status_code == 200
    assert remaining(stranger_answer) == {"key": PER_KEY - 1, "tenant": PER_TENANT - 1}


async def test_a_candidate_token_is_counted_as_a_key_of_its_own_and_by_its_tenant(
    app: Any, tenant: Tenant
) -> None:
    async with client_for(app, tenant.key) as key:
        candidate = await key.post(
            "/v1/candidates", json={"name": "Ada", "time_zone": "UTC", "country": "GB"}
        )
        minted = await key.post(f"/v1/candidates/{candidate.json()['id']}/access-tokens", json={})
        assert minted.status_code == 201, minted.text
        async with client_for(app, minted.json()["token"]) as token:
            # The key's two requests are not the token's: it starts afresh, the tenant not.
            answers = [await token.get("/v1/me") for _ in range(PER_KEY)]
            assert [a.status_code for a in answers] == [200] * PER_KEY
            assert remaining(answers[0]) == {"key": PER_KEY - 1, "tenant": PER_TENANT - 3}
            problem = assert_rate_limited(await token.get("/v1/me"), "key")
            assert "candidate token's limit" in problem["detail"]
            # Refused by its own limit, it cost the tenant nothing: one request is left,
            # which the key makes, and then the tenant is out for both.
            used = 2 + PER_KEY
            assert [(await key.get("/v1/me")).status_code for _ in range(PER_TENANT - used)] == [
                200
            ] * (PER_TENANT - used)
            assert_rate_limited(await key.get("/v1/me"), "tenant")


async def test_expensive_requests_have_their_own_lower_limits(
    app: Any,
    tenant: Tenant,
    limited: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    other_key = await another_key(sessionmaker, limited, tenant)
    third_key = await another_key(sessionmaker, limited, tenant)
    async with (
        client_for(app, tenant.key) as first,
        client_for(app, other_key) as second,
        client_for(app, third_key) as third,
    ):
        checks = [await first.post("/v1/drafts/check", json=CHECK) for _ in range(2)]
        refused_check = await first.post("/v1/drafts/check", json=CHECK)
        # Refused for the key's expensive limit, not counted against its ordinary one.
        ordinary = await first.get("/v1/me")
        # Every expensive route shares the limits: sync, template writes, draft renders.
        sync = await second.post("/v1/sync", json={"candidates": []})
        template_refused = await second.delete("/v1/templates/thank_you")
        draft_refused = await third.get("/v1/actions/act_missing/draft")
    assert [c.status_code for c in checks] == [200, 200], checks[0].text
    assert checks[0].headers["RateLimit-Policy"] == EXPENSIVE_POLICIES
    assert [remaining(c) for c in checks] == [
        {"key-expensive": 1, "key": 4, "tenant-expensive": 2, "tenant": 7},
        {"key-expensive": 0, "key": 3, "tenant-expensive": 1, "tenant": 6},
    ]
    problem = assert_rate_limited(refused_check, "key-expensive")
    assert f"of {EXPENSIVE_PER_KEY} expensive requests" in problem["detail"]
    assert ordinary.status_code == 200 and remaining(ordinary) == {"key": 2, "tenant": 5}
    assert sync.status_code == 200, sync.text
    assert remaining(sync)["tenant-expensive"] == 0
    assert_rate_limited(template_refused, "tenant-expensive")
    assert_rate_limited(draft_refused, "tenant-expensive")


async def test_feed_pages_answered_from_the_page_cache_are_counted(
    limited: Settings, engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    # Pages are served only to keys verified lately; and turned on by hand, as on SQLite
    # no process would otherwise (tests/api/test_feed_pages.py).
    cached = limited.model_copy(
        update={
            "auth_cache_seconds": 60.0,
            "rate_limit_per_key": "30/day",
            "rate_limit_per_tenant": "30/day",
        }
    )
    tenant = await make_tenant(sessionmaker, cached)
    async with limited_app(cached, engine, sessionmaker) as application:
        application.state.feed_pages.listening_started()
        async with client_for(application, tenant.key) as client:
            await interview_round(client)
            answers = [await client.get("/v1/actions") for _ in range(4)]
            left = remaining(answers[-1])["key"]
            rest = [await client.get("/v1/actions") for _ in range(left)]
            refused = await client.get("/v1/actions")
        metrics = (await httpx_get_metrics(application)).text
    assert [a.status_code for a in answers + rest] == [200] * (4 + left)
    # The first read the page, every later one was answered from it, and each was counted.
    assert f"followup_feed_pages_served_total {3.0 + left}" in metrics
    counts = [remaining(a)["key"] for a in answers + rest]
    assert counts == list(range(counts[0], -1, -1)) and counts[0] < 30
    assert_rate_limited(refused, "key")


# --- across processes, and when Redis fails -----------------------------------------------


@pytest.mark.parametrize("limited", ["memory", "redis"], indirect=True)
async def test_two_app_instances_share_counts_only_through_redis(
    limited: Settings,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    tenant: Tenant,
) -> None:
    async with (
        limited_app(limited, engine, sessionmaker) as one,
        limited_app(limited, engine, sessionmaker) as two,
        client_for(one, tenant.key) as via_one,
        client_for(two, tenant.key) as via_two,
    ):
        answers = []
        for _ in range(3):
            answers += [await via_one.get("/v1/me"), await via_two.get("/v1/me")]
    codes = [a.status_code for a in answers]
    if limited.redis_url:
        # One count for both: the sixth request, whichever instance answers, is one too many.
        assert codes == [200] * PER_KEY + [429]
        assert [remaining(a)["key"] for a in answers] == [4, 3, 2, 1, 0, 0]
    else:
        # Each process counts alone.
        assert codes == [200] * 6
        assert [remaining(a)["key"] for a in answers] == [4, 4, 3, 3, 2, 2]


# --- leases: busy callers counted a lease at a time ----------------------------------------


@pytest.mark.parametrize("limited", ["memory", "redis"], indirect=True)
async def test_a_busy_caller_is_counted_by_leases_and_its_headers_stay_exact(
    limited: Settings,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    tenant: Tenant,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Leases that outlast the test, however slow the machine: none expires half used.
    monkeypatch.setattr(rate_limits, "LEASE_SECONDS", 600.0)
    per_key = 10_000  # leases of up to 64 requests (a hundredth, capped)
    settings = limited.model_copy(
        update={"rate_limit_per_key": f"{per_key}/day", "rate_limit_per_tenant": "20000/day"}
    )
    async with (
        limited_app(settings, engine, sessionmaker) as application,
        client_for(application, tenant.key) as client,
    ):
        answers = [await client.get("/v1/me") for _ in range(200)]
        limiter = application.state.rate_limiter
        key_policy = limiter.policies[Cost.DEFAULT][0]
        store = limiter._redis if settings.redis_url else limiter._memory
        stored = await store.get_window_stats(key_policy.item, "key", tenant.key_id)
    assert {a.status_code for a in answers} == {200}
    # Every answer tells the caller exactly what it has left...
    assert [remaining(a)["key"] for a in answers] == [per_key - n for n in range(1, 201)]
    # ...while the store counted at most one lease ahead of the requests, never behind.
    counted = per_key - stored.remaining
    assert 200 <= counted <= 200 + largest_lease(per_key)
    assert counted > 200 or largest_lease(per_key) == 1


@pytest.mark.parametrize("limited", ["memory", "redis"], indirect=True)
async def test_concurrent_requests_share_one_reservation_at_a_time(
    limited: Settings, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rate_limits, "LEASE_SECONDS", 600.0)
    per_key = 10_000
    settings = limited.model_copy(
        update={"rate_limit_per_key": f"{per_key}/day", "rate_limit_per_tenant": "20000/day"}
    )
    # Requests really in parallel: each on a connection of its own, so a committing app.
    async with committing_app(settings, engine) as application:
        tenant = await make_tenant(application.state.write_sessionmaker, settings, "Busy")
        application.state.created_tenants.append(tenant.id)
        limiter = application.state.rate_limiter
        try:
            async with client_for(application, tenant.key) as client:
                for _ in range(3):  # a busy caller: its leases grow
                    await asyncio.gather(*(client.get("/v1/me") for _ in range(40)))
                answers = await asyncio.gather(*(client.get("/v1/me") for _ in range(40)))
            store = limiter._redis if settings.redis_url else limiter._memory
            key_policy = limiter.policies[Cost.DEFAULT][0]
            stored = await store.get_window_stats(key_policy.item, "key", tenant.key_id)
        finally:
            await limiter.close()
    assert {a.status_code for a in answers} == {200}
    # Each request was handed out once: no two were told the same count.
    left = sorted(remaining(a)["key"] for a in answers)
    assert len(set(left)) == len(left)
    # Reserved one at a time, the store never ran more than one lease ahead of 160.
    assert 160 <= per_key - stored.remaining <= 160 + largest_lease(per_key)


def test_a_lease_doubles_when_used_up_in_time_and_halves_when_mostly_unused() -> None:
    lease = rate_limits.Lease(granted=8, remaining=100, reset_at=0.0, size=8)
    assert rate_limits.Lease.next_size(None, 64) == 1  # a caller starts counted one by one
    while lease.take():
        pass
    assert lease.used == 8
    assert rate_limits.Lease.next_size(lease, 64) == 16  # used up within its second
    assert rate_limits.Lease.next_size(lease, 10) == 10  # never past the largest
    # Expired (its second is over) with 7 of 8 unused.
    quiet = rate_limits.Lease(granted=8, remaining=100, reset_at=0.0, size=8, expires=0.0)
    assert not quiet.take()
    assert rate_limits.Lease.next_size(quiet, 64) == 4
    assert rate_limits.Lease.next_size(lease, 1) == 1  # limits under 200: always exact


async def test_the_lease_table_stays_bounded_and_counting_goes_on_past_it(
    app: Any, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rate_limits, "MAX_LEASES", 1)  # each request holds two
    limiter = app.state.rate_limiter
    async with client_for(app, tenant.key) as client:
        answers = []
        for _ in range(3):
            answers.append(await client.get("/v1/me"))
            assert sum(len(table) for table in limiter._leases.values()) <= 2
    assert [remaining(a) for a in answers] == [
        {"key": PER_KEY - n, "tenant": PER_TENANT - n} for n in (1, 2, 3)
    ]


async def test_near_its_limit_a_caller_is_counted_request_by_request(
    settings: Settings,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    tenant: Tenant,
) -> None:
    # 300 a day: leases of up to 3 requests, which must not refuse the last ones early.
    limited = settings.model_copy(
        update={"rate_limit_per_key": "300/day", "rate_limit_per_tenant": "1000/day"}
    )
    async with (
        limited_app(limited, engine, sessionmaker) as application,
        client_for(application, tenant.key) as client,
    ):
        answers = [await client.get("/v1/me") for _ in range(301)]
    assert [a.status_code for a in answers] == [200] * 300 + [429]
    assert remaining(answers[299])["key"] == 0


def largest_lease(limit: int) -> int:
    return max(1, min(limit // 100, MAX_LEASE_SIZE))


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_when_redis_fails_requests_are_counted_in_memory_and_never_fail(
    settings: Settings,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    tenant: Tenant,
    caplog: pytest.LogCaptureFixture,
) -> None:
    unreachable = settings.model_copy(
        update={
            "rate_limit_per_key": f"{PER_KEY}/day",
            "redis_url": f"redis://127.0.0.1:{closed_port()}/0",
        }
    )
    caplog.set_level(logging.WARNING, logger="app.api.rate_limits")
    async with (
        limited_app(unreachable, engine, sessionmaker) as application,
        client_for(application, tenant.key) as client,
    ):
        answers = [await client.get("/v1/me") for _ in range(PER_KEY)]
        refused = await client.get("/v1/me")
        limiter = application.state.rate_limiter
        assert not limiter.shared
        # Once the pause is over, Redis is tried again (and, still down, paused again).
        limiter._redis_down_until -= REDIS_RETRY_SECONDS
        assert limiter.shared
        still_refused = await client.get("/v1/me")
        assert not limiter.shared
    assert [a.status_code for a in answers] == [200] * PER_KEY
    assert [remaining(a)["key"] for a in answers] == [4, 3, 2, 1, 0]
    assert_rate_limited(refused, "key")
    assert_rate_limited(still_refused, "key")
    warnings = [r for r in caplog.records if "Redis failed" in r.getMessage()]
    assert len(warnings) == 2  # once per attempt, not once per request


async def test_with_rate_limits_off_nothing_is_counted(
    settings: Settings,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    tenant: Tenant,
) -> None:
    off = settings.model_copy(update={"rate_limit_enabled": False, "rate_limit_per_key": "1/day"})
    async with (
        limited_app(off, engine, sessionmaker) as application,
        client_for(application, tenant.key) as client,
    ):
        answers = [await client.get("/v1/me") for _ in range(3)]
    assert [a.status_code for a in answers] == [200] * 3
    assert all("RateLimit" not in a.headers for a in answers)


# --- configuration and the API description ------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("rate_limit_per_key", "lots"),
        ("rate_limit_per_key", "0/minute"),
        ("rate_limit_per_tenant", "10/second;600/minute"),
        ("rate_limit_expensive_per_key", "100/month"),
        ("rate_limit_expensive_per_tenant", ""),
        ("redis_url", "http://127.0.0.1:6379"),
        ("redis_key_prefix", "has space"),
    ],
)
def test_settings_refuse_limits_they_cannot_enforce(field: str, value: str) -> None:
    with pytest.raises(ValidationError) as refused:
        Settings.model_validate({field: value})
    assert refused.value.errors()[0]["loc"] == (field,)


def test_settings_accept_the_limits_notation() -> None:
    settings = Settings(rate_limit_per_key="10 per 2 seconds", rate_limit_per_tenant="1/day")
    assert settings.rate_limit_per_key == "10 per 2 seconds"


def test_every_operation_a_key_authenticates_declares_429() -> None:
    document = create_app(
        Settings(secret_key="openapi-only", database_url="sqlite+aiosqlite:///:memory:")
    ).openapi()
    operations = [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]
    authenticated = [(p, m, o) for p, m, o in operations if o.get("security")]
    assert len(authenticated) > 30
    for path, method, operation in operations:
        declares = "429" in operation["responses"]
        assert declares == bool(operation.get("security")), (method, path)
    assert "429" not in document["paths"]["/v1/calendar/{token}.ics"]["get"]["responses"]

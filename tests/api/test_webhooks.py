"""Webhook endpoints through the API: secrets shown once, rotation, the SSRF check on save,
enable/disable, pings and the deliveries list. Sending is in tests/services/test_worker.py."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import models
from app.services.webhooks import signing
from app.settings import Settings
from tests.api.builders import all_pages
from tests.api.test_system import assert_problem
from tests.conftest import Tenant, client_for, make_tenant
from tests.services.test_ssrf import PUBLIC_V4, fake_dns

URL = "https://hooks.example.com/followup"


@pytest.fixture(autouse=True)
def dns(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_dns(
        monkeypatch,
        {
            "hooks.example.com": [PUBLIC_V4],
            "other.example.com": [PUBLIC_V4],
            "intranet.example.com": ["10.0.0.7"],
        },
    )


def first_error(response: httpx.Response) -> dict[str, Any]:
    """The first field error of a 422 problem."""
    errors = assert_problem(response, 422)["errors"]
    assert isinstance(errors, list) and errors
    first: dict[str, Any] = errors[0]
    return first


async def new_endpoint(client: httpx.AsyncClient, **overrides: object) -> dict[str, object]:
    body = {"url": URL, "event_types": ["action.due", "action.overdue"], **overrides}
    response = await client.post("/v1/webhook-endpoints", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, object] = response.json()
    return created


async def test_create_shows_the_secret_once(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/webhook-endpoints",
        json={"url": URL, "event_types": ["action.due"], "description": "ATS"},
    )
    assert response.status_code == 201
    created = response.json()
    assert created["secret"].startswith("whsec_") and len(created["secret"]) > 40
    assert created["enabled"] is True and created["consecutive_failures"] == 0
    assert response.headers["Location"] == f"/v1/webhook-endpoints/{created['id']}"
    assert response.headers["ETag"] == '"1"'

    fetched = await client.get(f"/v1/webhook-endpoints/{created['id']}")
    assert fetched.status_code == 200 and "secret" not in fetched.json()
    assert fetched.json()["event_types"] == ["action.due"]
    listed = await all_pages(client, "/v1/webhook-endpoints")
    assert [e["id"] for e in listed] == [created["id"]]
    assert all("secret" not in e for e in listed)


async def test_update_and_delete(client: httpx.AsyncClient) -> None:
    endpoint = await new_endpoint(client)
    path = f"/v1/webhook-endpoints/{endpoint['id']}"
    changed = await client.patch(
        path,
        json={"url": "https://other.example.com/x", "event_types": ["action.created"]},
        headers={"If-Match": '"1"'},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["url"] == "https://other.example.com/x"
    assert changed.json()["event_types"] == ["action.created"]
    stale = await client.delete(path, headers={"If-Match": '"1"'})
    assert_problem(stale, 412)
    assert (await client.delete(path)).status_code == 204
    assert_problem(await client.get(path), 404)


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("http://hooks.example.com/followup", "scheme"),
        ("https://127.0.0.1/hook", "forbidden_address"),
        ("https://169.254.169.254/latest", "forbidden_address"),
        ("https://[2002:7f00:1::1]/", "forbidden_address"),
        ("https://[2002:a9fe:a9fe::1]/", "forbidden_address"),
        ("https://192.0.0.192/", "forbidden_address"),
        ("https://[64:ff9b::a9fe:a9fe]/", "forbidden_address"),
        ("https://intranet.example.com/hook", "forbidden_address"),
        ("https://unknown.example.com/hook", "unresolvable"),
    ],
)
async def test_urls_that_would_reach_inside_are_refused(
    client: httpx.AsyncClient, url: str, code: str
) -> None:
    response = await client.post(
        "/v1/webhook-endpoints", json={"url": url, "event_types": ["action.due"]}
    )
    error = first_error(response)
    assert error["field"] == "body.url" and error["code"] == code


async def test_changing_the_url_is_checked_too(client: httpx.AsyncClient) -> None:
    endpoint = await new_endpoint(client)
    response = await client.patch(
        f"/v1/webhook-endpoints/{endpoint['id']}", json={"url": "https://10.1.1.1/"}
    )
    assert first_error(response)["field"] == "body.url"
    response = await client.patch(
        f"/v1/webhook-endpoints/{endpoint['id']}", json={"url": "https://[2002:a00:1::1]/"}
    )
    assert first_error(response)["code"] == "forbidden_address"


@pytest.mark.parametrize(
    ("event_types", "field"),
    [([], "body.event_types"), (["action.exploded"], "body.event_types.0")],
)
async def test_event_types_are_validated(
    client: httpx.AsyncClient, event_types: list[str], field: str
) -> None:
    response = await client.post(
        "/v1/webhook-endpoints", json={"url": URL, "event_types": event_types}
    )
    assert first_error(response)["field"] == field


async def test_rotation_issues_a_new_secret_and_keeps_the_old_one_signing_a_while(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    endpoint = await new_endpoint(client)
    path = f"/v1/webhook-endpoints/{endpoint['id']}/rotate-secret"
    rotated = await client.post(path, json={"keep_previous_hours": 2})
    assert rotated.status_code == 200, rotated.text
    new_secret = rotated.json()["secret"]
    assert new_secret != endpoint["secret"] and rotated.json()["previous_secret_expires_at"]

    async with sessionmaker() as session:
        row = await session.get(models.WebhookEndpoint, str(endpoint["id"]))
        assert row is not None
        now = datetime.now(UTC)
        key = settings.resolved_secret_key()
        assert signing.signing_secrets(row, key, now) == [new_secret, endpoint["secret"]]

    again = await client.post(path)  # no body: the default overlap of 24 hours
    assert again.status_code == 200
    third = await client.post(path, json={"keep_previous_hours": 0})
    assert third.json()["previous_secret_expires_at"] is None
    async with sessionmaker() as session:
        row = await session.get(models.WebhookEndpoint, str(endpoint["id"]))
        assert row is not None
        await session.refresh(row)
        assert signing.signing_secrets(row, key, datetime.now(UTC)) == [third.json()["secret"]]


async def test_ping_queues_a_delivery_and_disabling_cancels_it(client: httpx.AsyncClient) -> None:
    endpoint = await new_endpoint(client)
    base = f"/v1/webhook-endpoints/{endpoint['id']}"
    ping = await client.post(f"{base}/ping")
    assert ping.status_code == 202, ping.text
    delivery = ping.json()
    assert delivery["event_type"] == "ping" and delivery["status"] == "pending"
    assert delivery["event_id"] is None and delivery["attempts"] == []
    pending = await all_pages(client, f"{base}/deliveries", {"status": "pending"})
    assert [d["id"] for d in pending] == [delivery["id"]]

    disabled = await client.patch(base, json={"enabled": False})
    assert disabled.json()["enabled"] is False
    assert disabled.json()["disabled_reason"] == "manual"
    (cancelled,) = await all_pages(client, f"{base}/deliveries")
    assert cancelled["status"] == "cancelled" and cancelled["next_attempt_at"] is None
    assert await all_pages(client, f"{base}/deliveries", {"status": "pending"}) == []

    enabled = await client.patch(base, json={"enabled": True})
    assert enabled.json()["enabled"] is True and enabled.json()["disabled_reason"] is None


async def test_deliveries_page_with_a_cursor(client: httpx.AsyncClient) -> None:
    endpoint = await new_endpoint(client)
    base = f"/v1/webhook-endpoints/{endpoint['id']}"
    ids = [(await client.post(f"{base}/ping")).json()["id"] for _ in range(5)]
    paged = await all_pages(client, f"{base}/deliveries", limit=2)
    assert [d["id"] for d in paged] == ids
    bad = await client.get(f"{base}/deliveries", params={"cursor": "nonsense"})
    assert first_error(bad)["field"] == "query.cursor"


async def test_another_tenants_endpoint_is_not_found(
    client: httpx.AsyncClient,
    app: object,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    endpoint = await new_endpoint(client)
    base = f"/v1/webhook-endpoints/{endpoint['id']}"
    other: Tenant = await make_tenant(sessionmaker, settings, "Other")
    async with client_for(app, other.key) as stranger:
        assert_problem(await stranger.get(base), 404)
        assert_problem(await stranger.patch(base, json={"enabled": False}), 404)
        assert_problem(await stranger.delete(base), 404)
        assert_problem(await stranger.post(f"{base}/ping"), 404)
        assert_problem(await stranger.post(f"{base}/rotate-secret"), 404)
        assert_problem(await stranger.get(f"{base}/deliveries"), 404)
        assert await all_pages(stranger, "/v1/webhook-endpoints") == []
    assert (await client.get(base)).json()["enabled"] is True


async def test_a_read_only_key_cannot_manage_endpoints(
    app: object, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    reader = await make_tenant(sessionmaker, settings, "Reader", scopes=["read"])
    async with client_for(app, reader.key) as client:
        response = await client.post(
            "/v1/webhook-endpoints", json={"url": URL, "event_types": ["action.due"]}
        )
        assert_problem(response, 403)
        assert (await client.get("/v1/webhook-endpoints")).status_code == 200


async def test_an_idempotent_retry_never_replays_the_secret(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    from sqlalchemy import select

    body = {"url": URL, "event_types": ["action.due"]}
    headers = {"Idempotency-Key": "create-hook-1"}
    first = await client.post("/v1/webhook-endpoints", json=body, headers=headers)
    assert first.status_code == 201
    secret = first.json()["secret"]
    assert first.headers["cache-control"] == "no-store"

    retry = await client.post("/v1/webhook-endpoints", json=body, headers=headers)
    problem = assert_problem(retry, 409)
    assert retry.headers["location"] == first.headers["location"]
    assert secret not in retry.text and "Location" in str(problem["detail"])
    listed = await all_pages(client, "/v1/webhook-endpoints")
    assert len(listed) == 1  # the retry created nothing
    async with sessionmaker() as session:
        stored = list(
            await session.scalars(
                select(models.IdempotencyRecord.response_body).where(
                    models.IdempotencyRecord.tenant_id == tenant.id
                )
            )
        )
    assert stored and all(secret.encode() not in (b or b"") for b in stored)

"""HTTP's conventions on every route: compression, HEAD, OPTIONS and Allow, 304s."""

from __future__ import annotations

import gzip
import json
import re
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.settings import Settings
from tests.api.builders import interview_round
from tests.api.test_feed_pages import FEED, counting_statements, polling_one_round
from tests.conftest import Tenant, app_in_transaction, client_for

GZIP = {"Accept-Encoding": "gzip"}
IDENTITY = {"Accept-Encoding": "identity"}
HTTP_METHODS = ("get", "put", "post", "patch", "delete")


def varies_by_encoding(response: httpx.Response) -> bool:
    return "accept-encoding" in response.headers.get("vary", "").lower()


async def raw_get(client: httpx.AsyncClient, path: str, **headers: str) -> httpx.Response:
    """A GET whose body is kept as sent (httpx would otherwise decode gzip silently)."""
    request = client.build_request("GET", path, headers=headers)
    response = await client.send(request, stream=True)
    response._content = b"".join([chunk async for chunk in response.aiter_raw()])
    await response.aclose()
    return response


def gunzipped(response: httpx.Response) -> bytes:
    assert response.headers["content-encoding"] == "gzip"
    assert int(response.headers["content-length"]) == len(response.content)
    return gzip.decompress(response.content)


# --- compression ------------------------------------------------------------------------


async def test_large_responses_are_gzipped_only_for_clients_that_accept_it(
    anonymous: httpx.AsyncClient,
) -> None:
    plain = await raw_get(anonymous, "/openapi.json", **IDENTITY)
    assert plain.status_code == 200 and "content-encoding" not in plain.headers
    assert varies_by_encoding(plain)  # a cache must not hand it to a gzip client either
    zipped = await raw_get(anonymous, "/openapi.json", **GZIP)
    assert json.loads(gunzipped(zipped)) == plain.json()
    assert len(zipped.content) < len(plain.content) / 3
    assert varies_by_encoding(zipped)
    assert zipped.headers["vary"].lower().count("accept-encoding") == 1


async def test_responses_under_a_kib_are_not_compressed(anonymous: httpx.AsyncClient) -> None:
    small = await raw_get(anonymous, "/healthz", **GZIP)
    assert small.status_code == 200 and len(small.content) < 1024
    assert "content-encoding" not in small.headers and varies_by_encoding(small)


async def test_the_threshold_is_a_setting_and_problems_are_compressed_too(
    settings: Settings, engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    # A problem+json document is small; a threshold under its size shows it compressed.
    low = settings.model_copy(update={"gzip_minimum_bytes": 64})
    async with client_for(app_in_transaction(low, engine, sessionmaker)) as anonymous:
        problem = await raw_get(anonymous, "/v1/candidates", **GZIP)
        plain = await raw_get(anonymous, "/v1/candidates", **IDENTITY)
    assert problem.status_code == 401
    assert problem.headers["content-type"] == "application/problem+json"
    unzipped = json.loads(gunzipped(problem))
    assert unzipped.pop("request_id") != plain.json().pop("request_id")
    assert unzipped == {k: v for k, v in plain.json().items() if k != "request_id"}
    assert len(plain.content) < 1024  # so the default threshold would have left it alone


async def test_the_calendar_and_the_docs_assets_are_compressed(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    application, _, _ = await interview_round(client)
    feed = (await client.post(f"/v1/candidates/{application['candidate_id']}/calendar-feed")).json()
    calendar = await raw_get(anonymous, feed["url"], **GZIP)
    assert calendar.headers["content-type"].startswith("text/calendar")
    assert gunzipped(calendar).startswith(b"BEGIN:VCALENDAR")

    script = await raw_get(anonymous, "/docs-assets/redoc.standalone.js", **GZIP)
    assert script.status_code == 200 and script.headers["content-encoding"] == "gzip"
    assert varies_by_encoding(script)


async def test_a_cached_feed_page_is_compressed_and_answered_304(
    settings: Settings, engine: AsyncEngine
) -> None:
    async with polling_one_round(settings, engine) as (_, client):
        first = await raw_get(client, FEED, **GZIP)
        with counting_statements(engine) as statements:
            cached = await raw_get(client, FEED, **GZIP)
        with counting_statements(engine) as revalidation:
            not_modified = await raw_get(client, FEED, **{"If-None-Match": cached.headers["etag"]})
    assert not statements, "the second page was not served from the cache"
    assert json.loads(gunzipped(cached))["data"] and varies_by_encoding(cached)
    assert (
        json.loads(gunzipped(first))["next_cursor"] == json.loads(gunzipped(cached))["next_cursor"]
    )
    # The same page at a later as_of: the same (weak) ETag.
    assert cached.headers["etag"] == first.headers["etag"]
    assert cached.headers["etag"].startswith('W/"')
    assert not revalidation and not_modified.status_code == 304
    assert not_modified.content == b"" and not_modified.headers["etag"] == cached.headers["etag"]


async def test_an_idempotent_replay_is_compressed_for_whoever_asks_this_time(
    settings: Settings,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    tenant: Tenant,
) -> None:
    low = settings.model_copy(update={"gzip_minimum_bytes": 64})
    body = {"name": "Ada Lovelace", "time_zone": "Europe/Berlin", "country": "DE"}
    async with client_for(app_in_transaction(low, engine, sessionmaker), tenant.key) as client:
        zipped = await client.post(
            "/v1/candidates", json=body, headers={**GZIP, "Idempotency-Key": "gz-1"}
        )
        replayed = await client.post(
            "/v1/candidates", json=body, headers={**IDENTITY, "Idempotency-Key": "gz-1"}
        )
    assert zipped.status_code == replayed.status_code == 201
    assert zipped.headers["content-encoding"] == "gzip"
    assert "content-encoding" not in replayed.headers
    assert replayed.headers.get("idempotent-replayed") == "true"
    assert replayed.json() == zipped.json()  # plain JSON, not a stored gzip stream


# --- methods ----------------------------------------------------------------------------


def _documented_methods(app: Any) -> dict[str, set[str]]:
    document = app.openapi()
    return {
        path: {method.upper() for method in item if method in HTTP_METHODS}
        for path, item in document["paths"].items()
    }


def _concrete(path: str) -> str:
    # Made-up IDs: a GET answers 404 for them, which HEAD must mirror.
    return re.sub(r"\{[^}]+\}", "nope_0", path)


def _expected_allow(methods: set[str]) -> set[str]:
    return methods | {"OPTIONS"} | ({"HEAD"} if "GET" in methods else set())


def _allow(response: httpx.Response) -> set[str]:
    return {method.strip() for method in response.headers["allow"].split(",")}


async def test_head_mirrors_every_get_without_a_body(app: Any, client: httpx.AsyncClient) -> None:
    application, _, _ = await interview_round(client)
    real = {
        "/v1/actions",
        f"/v1/applications/{application['id']}",
        f"/v1/candidates/{application['candidate_id']}",
    }
    documented = [
        _concrete(path) for path, methods in _documented_methods(app).items() if "GET" in methods
    ]
    for path in [*sorted(real), *documented, "/docs", "/docs-assets/favicon.png"]:
        get = await client.get(path, headers=IDENTITY)
        head = await client.head(path, headers=IDENTITY)
        assert head.status_code == get.status_code, path
        assert head.content == b"", path
        assert head.headers.get("content-type") == get.headers.get("content-type"), path
        assert head.headers.get("content-length") == get.headers.get("content-length"), path
    assert (await client.head("/v1/actions")).status_code == 200
    # A compressed GET's HEAD says so, with the compressed length.
    zipped_get = await raw_get(client, "/openapi.json", **GZIP)
    zipped_head = await client.head("/openapi.json", headers=GZIP)
    assert zipped_head.headers["content-encoding"] == "gzip" and zipped_head.content == b""
    assert zipped_head.headers["content-length"] == str(len(zipped_get.content))


async def test_options_and_405_name_every_method_of_each_path(
    app: Any, client: httpx.AsyncClient
) -> None:
    for path, methods in _documented_methods(app).items():
        url = _concrete(path)
        options = await client.options(url)
        assert options.status_code == 204 and options.content == b"", path
        assert _allow(options) == _expected_allow(methods), path
        missing = next(m for m in ("PATCH", "PUT", "DELETE", "POST") if m not in methods)
        refused = await client.request(missing, url)
        assert refused.status_code == 405, path
        assert refused.headers["content-type"] == "application/problem+json"
        assert _allow(refused) == _expected_allow(methods), path
    assert _allow(await client.options("/v1/candidates/nope_0/calendar-feed")) == {
        "GET",
        "HEAD",
        "POST",
        "DELETE",
        "OPTIONS",
    }
    assert (await client.options("/v1/no-such-thing")).status_code == 404


async def test_cors_preflights_are_still_answered_by_cors(
    settings: Settings, engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    allowed = settings.model_copy(update={"cors_origins": ["https://ats.example.com"]})
    async with client_for(app_in_transaction(allowed, engine, sessionmaker)) as browser:
        preflight = await browser.options(
            "/v1/candidates",
            headers={
                "Origin": "https://ats.example.com",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization, idempotency-key",
            },
        )
        plain = await browser.options("/v1/candidates")
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "https://ats.example.com"
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert plain.status_code == 204 and _allow(plain) == {"GET", "HEAD", "POST", "OPTIONS"}


# --- conditional GET --------------------------------------------------------------------


async def test_a_single_resource_answers_304_to_its_current_etag(
    client: httpx.AsyncClient,
) -> None:
    application, _, _ = await interview_round(client)
    path = f"/v1/applications/{application['id']}"
    first = await client.get(path)
    etag = first.headers["etag"]
    for header in (etag, f"W/{etag}", f'"0", {etag}', "*"):
        again = await client.get(path, headers={"If-None-Match": header})
        assert again.status_code == 304 and again.content == b"", header
        assert again.headers["etag"] == etag and "x-request-id" in again.headers
    head = await client.head(path, headers={"If-None-Match": etag})
    assert head.status_code == 304
    assert (await client.get(path, headers={"If-None-Match": '"0"'})).json() == first.json()

    changed = await client.patch(path, json={"role": "Staff Engineer"})
    assert changed.status_code == 200, changed.text
    after = await client.get(path, headers={"If-None-Match": etag})
    assert after.status_code == 200 and after.headers["etag"] != etag
    # A 404 is never turned into a 304.
    missing = await client.get("/v1/applications/nope_0", headers={"If-None-Match": "*"})
    assert missing.status_code == 404


async def test_the_feed_answers_304_until_a_page_changes(client: httpx.AsyncClient) -> None:
    await interview_round(client)
    first = await client.get(FEED)
    etag = first.headers["etag"]
    assert etag.startswith('W/"')
    unchanged = await client.get(FEED, headers={"If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.content == b""
    other_page = await client.get(FEED, params={"limit": 1}, headers={"If-None-Match": etag})
    assert other_page.status_code == 200 and other_page.headers["etag"] != etag

    done = await client.post(f"/v1/actions/{first.json()['data'][0]['id']}/complete", json={})
    assert done.status_code == 200
    after = await client.get(FEED, headers={"If-None-Match": etag})
    assert after.status_code == 200 and after.headers["etag"] != etag


async def test_the_contract_declares_if_none_match_and_304(app: Any) -> None:
    paths = app.openapi()["paths"]
    for path in (
        "/v1/actions",
        "/v1/applications/{application_id}",
        "/v1/calendar/{token}.ics",
        "/v1/policy",
    ):
        operation = paths[path]["get"]
        names = {p["name"] for p in operation["parameters"] if p["in"] == "header"}
        assert "If-None-Match" in names, path
        assert "ETag" in operation["responses"]["304"]["headers"], path
    calendar = paths["/v1/calendar/{token}.ics"]["get"]
    assert "If-Modified-Since" in {p["name"] for p in calendar["parameters"]}
    # A GET without an ETag promises no 304.
    assert "304" not in paths["/v1/candidates"]["get"]["responses"]

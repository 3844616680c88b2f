"""Headers in the contract: the document declares the header parameters and response
headers a generated client needs, and the answers send exactly what is declared."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.api.idempotency import HONOURED_METHODS, MAX_KEY_LENGTH
from app.db.engine import create_engine
from app.main import create_app
from app.settings import Settings
from tests.api.builders import actions_of, assert_problem, interview_round, new_candidate, one
from tests.conftest import Tenant, app_in_transaction, client_for, make_tenant

Json = dict[str, Any]

# The response headers the contract speaks of, lower-cased as httpx reports them.
CONTRACT_HEADERS = frozenset(
    {
        "etag",
        "content-language",
        "location",
        "x-request-id",
        "ratelimit",
        "ratelimit-policy",
        "retry-after",
        "idempotent-replayed",
    }
)
WRITE_METHODS = {"put", "patch", "delete"}
UPSERTS = [
    f"/v1/{kind}/by-external-id/{{external_id}}"
    for kind in ("candidates", "applications", "contacts", "interviews")
]
# Single resources without an ETag, and why: not resources (the process, the caller), a
# draft computed afresh from an action and the templates, and templates, whose built-in
# versions have no row and so no version.
UNVERSIONED = {
    "/healthz",
    "/readyz",
    "/v1/me",
    "/v1/actions/{action_id}/draft",
    "/v1/templates/{kind}",
}
CANDIDATE = {"name": "Ada Lovelace", "time_zone": "Europe/London", "country": "GB"}


@pytest.fixture
async def document(client: httpx.AsyncClient) -> Json:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    body: Json = response.json()
    return body


def _operations(document: Json) -> list[tuple[str, str, Json]]:
    return [
        (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]


def _header_parameters(operation: Json) -> dict[str, Json]:
    return {p["name"]: p for p in operation.get("parameters", []) if p["in"] == "header"}


def _success_schema(response: Json) -> str:
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    return str(schema.get("$ref", ""))


def _declares_etag(operation: Json) -> bool:
    return any(
        "ETag" in response.get("headers", {})
        for status, response in operation.get("responses", {}).items()
        if status.startswith("2")
    )


def _declared(document: Json, method: str, template: str, status: int) -> set[str]:
    responses = document["paths"][template][method.lower()]["responses"]
    assert str(status) in responses, f"{method} {template} does not declare {status}"
    return {name.lower() for name in responses[str(status)].get("headers", {})}


def assert_sends_what_it_declares(
    document: Json, method: str, template: str, response: httpx.Response
) -> None:
    """The contract's headers sent are the ones declared for that status, and each one
    declared is sent, but `Idempotent-Replayed`, which only a replay carries (and which
    carries no rate-limit counts)."""
    declared = _declared(document, method, template, response.status_code)
    sent = {name.lower() for name in response.headers} & CONTRACT_HEADERS
    where = f"{method} {template} {response.status_code}"
    assert sent <= declared, f"{where} sends undeclared {sorted(sent - declared)}"
    expected = declared - {"idempotent-replayed"}
    if response.headers.get("idempotent-replayed") == "true":
        # A replay does not run the route, where requests are counted: nothing to report.
        expected -= {"ratelimit", "ratelimit-policy"}
    assert expected <= sent, f"{where} declares but does not send {sorted(expected - sent)}"
    assert ("idempotent-replayed" in sent) == (
        response.headers.get("idempotent-replayed") == "true"
    )


# --- the document ---------------------------------------------------------------------------


async def test_idempotency_key_is_declared_exactly_where_it_is_honoured(document: Json) -> None:
    declaring = set()
    for method, path, operation in _operations(document):
        parameter = _header_parameters(operation).get("Idempotency-Key")
        honoured = method.upper() in HONOURED_METHODS and bool(operation.get("security"))
        assert (parameter is not None) == honoured, f"{method.upper()} {path}"
        if parameter is not None:
            declaring.add((method, path))
            assert parameter["required"] is False
            assert parameter["schema"]["maxLength"] == MAX_KEY_LENGTH
            for words in ("Idempotent-Replayed", "422", "409", "idempotency_ttl_hours"):
                assert words in parameter["description"]
    assert {("put", path) for path in UPSERTS} <= declaring
    assert ("post", "/v1/candidates") in declaring
    assert ("post", "/v1/actions/{action_id}/complete") in declaring


async def test_every_change_to_a_versioned_resource_declares_if_match(document: Json) -> None:
    paths = document["paths"]
    checked = []
    for method, path, operation in _operations(document):
        versioned = _declares_etag(operation) or _declares_etag(paths[path].get("get", {}))
        if method in WRITE_METHODS and versioned:
            checked.append(f"{method.upper()} {path}")
            assert "If-Match" in _header_parameters(operation), f"{method.upper()} {path}"
    assert len(checked) >= 18  # the records, their upserts, endpoints, policy, marks


async def test_every_single_resource_answer_declares_its_etag(document: Json) -> None:
    for method, path, operation in _operations(document):
        if method not in {"get", "put", "patch"} or path in UNVERSIONED:
            continue
        for status, response in operation["responses"].items():
            schema = _success_schema(response)
            if status.startswith("2") and schema and "/Page_" not in schema:
                assert "ETag" in response.get("headers", {}), f"{method} {path} {status}"


async def test_every_answer_declares_its_request_id_and_rate_limits(document: Json) -> None:
    for method, path, operation in _operations(document):
        authenticated = bool(operation.get("security"))
        for status, response in operation["responses"].items():
            headers = response.get("headers", {})
            where = f"{method.upper()} {path} {status}"
            assert headers.get("X-Request-ID") == {"$ref": "#/components/headers/X-Request-ID"}
            # Answered before the key is looked at: never counted.
            counted = authenticated and status not in {"401", "413", "415"}
            assert ("RateLimit" in headers) == counted, where
            assert ("RateLimit-Policy" in headers) == counted, where
            assert ("Retry-After" in headers) == (status in {"429", "503"}), where
    components = document["components"]["headers"]
    assert {"X-Request-ID", "RateLimit", "RateLimit-Policy", "Retry-After"} <= set(components)
    assert components["Retry-After"]["schema"]["type"] == "integer"


async def test_every_creation_declares_its_location(document: Json) -> None:
    created = [
        (method, path)
        for method, path, operation in _operations(document)
        if "201" in operation["responses"] and method == "post"
    ]
    assert len(created) == 8
    for method, path in created:
        assert "location" in _declared(document, method, path, 201), path


# --- what is sent ------------------------------------------------------------------------


async def test_answers_send_exactly_the_headers_declared(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient, document: Json
) -> None:
    def check(method: str, template: str, response: httpx.Response) -> httpx.Response:
        assert_sends_what_it_declares(document, method, template, response)
        return response

    check("GET", "/healthz", await anonymous.get("/healthz"))
    check("GET", "/v1/me", await anonymous.get("/v1/me"))
    check(
        "POST",
        "/v1/candidates",
        await client.post("/v1/candidates", content=b"{}", headers={"content-type": "text/plain"}),
    )
    check("POST", "/v1/candidates", await client.post("/v1/candidates", json={"name": ""}))

    key = {"Idempotency-Key": "create ada 1"}
    created = check(
        "POST", "/v1/candidates", await client.post("/v1/candidates", json=CANDIDATE, headers=key)
    )
    replayed = check(
        "POST", "/v1/candidates", await client.post("/v1/candidates", json=CANDIDATE, headers=key)
    )
    assert created.status_code == replayed.status_code == 201
    assert replayed.headers["idempotent-replayed"] == "true"
    assert replayed.headers["etag"] == created.headers["etag"]
    assert replayed.headers["location"] == created.headers["location"]
    assert replayed.headers["x-request-id"] != created.headers["x-request-id"]

    item = "/v1/candidates/{candidate_id}"
    path = created.headers["location"]
    read = check("GET", item, await client.get(path))
    assert read.headers["etag"] == created.headers["etag"]
    check("GET", item, await client.get("/v1/candidates/cand_missing"))
    check("GET", "/v1/candidates", await client.get("/v1/candidates"))
    stale = {"If-Match": '"999"'}
    check("PATCH", item, await client.patch(path, json={"name": "Ada King"}, headers=stale))
    fresh = {"If-Match": read.headers["etag"]}
    check("PATCH", item, await client.patch(path, json={"name": "Ada King"}, headers=fresh))

    feed = "/v1/candidates/{candidate_id}/calendar-feed"
    feed_key = {"Idempotency-Key": "feed-1"}
    issued = check("POST", feed, await client.post(f"{path}/calendar-feed", headers=feed_key))
    assert issued.status_code == 201
    assert issued.headers["location"] == f"{path}/calendar-feed"
    # Its answer held the feed's secret URL, which is not kept: the retry is pointed at it.
    retried = check("POST", feed, await client.post(f"{path}/calendar-feed", headers=feed_key))
    assert_problem(retried, 409)
    assert retried.headers["location"] == issued.headers["location"]
    check("DELETE", feed, await client.delete(f"{path}/calendar-feed"))

    upsert = "/v1/candidates/by-external-id/{external_id}"
    upsert_key = {"Idempotency-Key": "ats-7-first-sync"}
    first = check(
        "PUT",
        upsert,
        await client.put(
            upsert.replace("{external_id}", "ats-7"), json=CANDIDATE, headers=upsert_key
        ),
    )
    again = check(
        "PUT",
        upsert,
        await client.put(
            upsert.replace("{external_id}", "ats-7"), json=CANDIDATE, headers=upsert_key
        ),
    )
    plain = check(
        "PUT", upsert, await client.put(upsert.replace("{external_id}", "ats-7"), json=CANDIDATE)
    )
    assert (first.status_code, again.status_code, plain.status_code) == (201, 201, 200)
    assert again.headers["idempotent-replayed"] == "true"

    other = await new_candidate(client)
    other_path = f"/v1/candidates/{other['id']}"
    etag = (await client.get(other_path)).headers["etag"]
    check("DELETE", item, await client.delete(other_path, headers={"If-Match": etag}))


async def test_marking_an_action_answers_its_new_etag(
    client: httpx.AsyncClient, document: Json
) -> None:
    application, _, _ = await interview_round(client)
    action = one(await actions_of(client, application["id"]), "send_thank_you")
    path = f"/v1/actions/{action['id']}"
    done = await client.post(f"{path}/complete", json={}, headers={"Idempotency-Key": "done-1"})
    assert done.status_code == 200
    assert_sends_what_it_declares(document, "POST", "/v1/actions/{action_id}/complete", done)
    assert done.headers["etag"] == (await client.get(path)).headers["etag"]
    undone = await client.delete(f"{path}/mark", headers={"If-Match": done.headers["etag"]})
    assert undone.status_code == 200
    assert undone.headers["etag"] != done.headers["etag"]


async def test_a_rate_limited_answer_sends_retry_after_and_is_not_kept(
    settings: Settings,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    tenant: Tenant,
    document: Json,
) -> None:
    tight = settings.model_copy(update={"rate_limit_per_key": "1/day"})
    key = {"Idempotency-Key": "retry-me"}
    async with client_for(app_in_transaction(tight, engine, sessionmaker), tenant.key) as http:
        assert (await http.get("/v1/me")).status_code == 200
        refused = await http.post("/v1/candidates", json=CANDIDATE, headers=key)
    assert_problem(refused, 429)
    assert_sends_what_it_declares(document, "POST", "/v1/candidates", refused)
    assert int(refused.headers["retry-after"]) >= 1
    # Once the limit allows it again (a fresh count here), the retry under the same key
    # runs: the 429 was not kept to be replayed.
    async with client_for(app_in_transaction(settings, engine, sessionmaker), tenant.key) as http:
        retried = await http.post("/v1/candidates", json=CANDIDATE, headers=key)
    assert retried.status_code == 201
    assert "idempotent-replayed" not in retried.headers


async def test_a_503_sends_retry_after(settings: Settings, tmp_path: Path, document: Json) -> None:
    app = create_app(settings)
    # A database file in a directory that does not exist: every connection fails.
    app.state.engine = create_engine(
        Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'x.db'}")
    )
    try:
        async with client_for(app) as http:
            response = await http.get("/readyz")
    finally:
        await app.state.engine.dispose()
    assert_problem(response, 503)
    assert_sends_what_it_declares(document, "GET", "/readyz", response)


async def test_a_retried_upsert_is_replayed_instead_of_failing_its_precondition(
    client: httpx.AsyncClient,
) -> None:
    path = "/v1/candidates/by-external-id/ats-9"
    created = await client.put(path, json=CANDIDATE)
    assert created.status_code == 201
    change = {**CANDIDATE, "name": "Ada King"}
    headers = {"If-Match": created.headers["etag"], "Idempotency-Key": "rename-ats-9"}
    first = await client.put(path, json=change, headers=headers)
    retry = await client.put(path, json=change, headers=headers)
    assert first.status_code == retry.status_code == 200
    assert retry.headers["idempotent-replayed"] == "true"
    assert retry.json() == first.json()
    # Without the key the same retry names a version that is gone.
    assert_problem(
        await client.put(path, json=change, headers={"If-Match": headers["If-Match"]}), 412
    )


@pytest.mark.parametrize(
    ("key", "status"),
    [
        (b"a" * MAX_KEY_LENGTH, 201),
        (b"order 42 retry", 201),
        (b"a" * (MAX_KEY_LENGTH + 1), 422),
        ("caf\u00e9".encode("latin-1"), 422),
        (b"tab\there", 422),
    ],
)
async def test_keys_are_checked_as_the_document_declares(
    client: httpx.AsyncClient, key: bytes, status: int
) -> None:
    headers = [(b"Idempotency-Key", key)]
    response = await client.post("/v1/candidates", json=CANDIDATE, headers=headers)
    assert response.status_code == status, response.text
    if status == 422:
        assert assert_problem(response, 422)["errors"][0]["field"] == "header.Idempotency-Key"


@pytest.fixture
async def browser_app(
    settings: Settings, engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession]
) -> AsyncIterator[Any]:
    allowed = settings.model_copy(update={"cors_origins": ["https://ats.example.com"]})
    yield app_in_transaction(allowed, engine, sessionmaker)


async def test_a_browser_may_read_the_contract_headers(
    browser_app: Any, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    tenant = await make_tenant(sessionmaker, settings, name="Browser Careers")
    origin = {"Origin": "https://ats.example.com", "Idempotency-Key": "from-a-browser"}
    async with client_for(browser_app, tenant.key) as http:
        response = await http.post("/v1/candidates", json=CANDIDATE, headers=origin)
    assert response.status_code == 201
    assert response.headers["access-control-allow-origin"] == "https://ats.example.com"
    exposed = {
        h.strip().lower() for h in response.headers["access-control-expose-headers"].split(",")
    }
    # Content-Language is a CORS-safelisted response header: browsers read it anyway.
    assert exposed >= CONTRACT_HEADERS - {"content-language"}

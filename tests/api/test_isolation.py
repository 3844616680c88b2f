"""Tenant isolation: another tenant's IDs answer exactly like IDs that do not exist.

The walk is driven by the OpenAPI document, not by a hand-written list of routes: every
templated path and method is called with a second tenant's key and the first tenant's
IDs. A new path whose parameters or body the walk cannot fill fails the test, so the walk
keeps covering the whole API as it grows.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.api.errors import PROBLEM_JSON
from app.services import api_keys
from app.settings import Settings
from tests.conftest import Tenant, client_for, make_tenant
from tests.services.test_ssrf import PUBLIC_V4, fake_dns

HTTP_METHODS = ("get", "post", "put", "patch", "delete")
# Path parameters that address one record by Follow-Up's ID: another tenant's gets 404.
RECORD_ID_PARAMETERS = (
    "candidate_id",
    "application_id",
    "contact_id",
    "interview_id",
    "reply_id",
    "action_id",
    "endpoint_id",
    "token_id",
)
# Path parameters that are keys of per-tenant settings rather than IDs: every tenant has
# one of each, and must only ever see and change its own.
TENANT_SETTING_KEYS = ("kind",)
# Path parameters that are themselves the credential (a calendar feed's secret token): they
# work for whoever holds them, by design, so the walk only checks that an unknown one is 404.
CAPABILITY_PARAMETERS = ("token",)
UNKNOWN_TOKEN = "0" * 43
VICTIM_EXTERNAL_ID = "ats_victim-0001"
VICTIM_WEBHOOK_HOST = "hooks.victim.example"
VICTIM_TEMPLATE_KIND = "thank_you"
# A name only the victim uses: it must never appear in an answer to the intruder.
VICTIM_MARKER = "Veronika Victimova"
WRITE_METHODS = frozenset({"post", "put", "patch", "delete"})
# Evaluating statuses at a fixed moment makes two reads of the same action comparable.
FIXED_AS_OF = "2026-12-05T12:00:00+00:00"
# Headers that legitimately differ between two otherwise identical responses.
VOLATILE_HEADERS = frozenset({"x-request-id"})


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    definition: dict[str, Any]

    @property
    def label(self) -> str:
        return f"{self.method.upper()} {self.path}"

    @property
    def path_parameters(self) -> list[str]:
        return re.findall(r"{([^}]+)}", self.path)


def templated_operations(document: dict[str, Any]) -> Iterator[Operation]:
    for path, item in document["paths"].items():
        if "{" not in path:
            continue
        for method in HTTP_METHODS:
            if method in item:
                yield Operation(method, path, item[method])


def fill(path: str, ids: dict[str, str]) -> str:
    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        assert name in ids, f"the isolation walk cannot fill path parameter {{{name}}} in {path}"
        return ids[name]

    return re.sub(r"{([^}]+)}", substitute, path)


def nonexistent_like(name: str, value: str) -> str:
    """A value of the same kind and length that names nothing (same prefix, zeroed body).

    A template `kind` is not an ID but one of a fixed set; each tenant has its own template
    of every kind, so the "missing" counterpart is the same kind.
    """
    if name in TENANT_SETTING_KEYS or name in CAPABILITY_PARAMETERS:
        return value
    prefix, _, body = value.partition("_")
    return f"{prefix}_{'0' * len(body)}"


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        schema = document["components"]["schemas"][name]
    return schema


def request_body(
    document: dict[str, Any], operation: Operation, ids: dict[str, str]
) -> dict[str, Any] | None:
    """The documented example body, with every ID in it pointing at the first tenant's records.

    The example is a valid body, so a 404 cannot be a validation error in disguise; the IDs
    are swapped for the victim's so the request is as hostile as a valid one can be.
    """
    declared = operation.definition.get("requestBody")
    if declared is None:
        return None
    schema = _resolve(document, declared["content"]["application/json"]["schema"])
    examples = schema.get("examples")
    if not examples and not declared.get("required", False):
        return None  # an optional body left out is a valid request too
    assert examples, f"{operation.label}: its request body has no example to walk with"
    body: dict[str, Any] = copy.deepcopy(examples[0])
    for field, value in body.items():
        if field in RECORD_ID_PARAMETERS and isinstance(value, str):
            body[field] = ids[field]
        elif field.endswith("external_id") and isinstance(value, str):
            body[field] = ids["external_id"]
        elif field == "panel" and isinstance(value, list):
            body[field] = [ids["contact_id"]]
    return body


async def send(
    http: httpx.AsyncClient, operation: Operation, path: str, body: dict[str, Any] | None
) -> httpx.Response:
    return await http.request(operation.method.upper(), path, json=body)


def comparable(response: httpx.Response, sent: dict[str, str]) -> tuple[object, ...]:
    """What a caller can observe of a response, with the values it sent masked out.

    Error bodies are compared whole; a success (an upsert creating the intruder's own
    record) is compared by its fields, since IDs and timestamps are new each time.
    """
    headers = frozenset(response.headers.keys()) - VOLATILE_HEADERS
    body = response.json() if response.content else None
    if isinstance(body, dict) and not response.is_success:
        body.pop("request_id", None)
        masked = {}
        for key, value in body.items():
            text = str(value)
            for name, sent_value in sent.items():
                text = text.replace(sent_value, f"<{name}>")
            masked[key] = text
        body = masked
    elif isinstance(body, dict):
        body = sorted(body)
    return response.status_code, response.headers.get("content-type"), body, headers


def assert_problem(response: httpx.Response, status: int, label: str) -> None:
    assert response.status_code == status, f"{label}: {response.status_code} {response.text}"
    assert response.headers["content-type"] == PROBLEM_JSON, label
    assert response.json()["status"] == status, label


@dataclass(frozen=True)
class Victim:
    """The first tenant's records, by the name of the path parameter that addresses each."""

    ids: dict[str, str]


async def build_victim(http: httpx.AsyncClient) -> Victim:
    """A candidate with one application, an interviewer, a round, a reply, the actions they
    call for, external IDs on all of them, a webhook endpoint and a template of its own."""
    candidate = await http.post(
        "/v1/candidates",
        json={
            "name": VICTIM_MARKER,
            "time_zone": "Europe/London",
            "country": "GB",
            "external_id": VICTIM_EXTERNAL_ID,
        },
    )
    assert candidate.status_code == 201, candidate.text
    candidate_id = candidate.json()["id"]
    application = await http.post(
        "/v1/applications",
        json={
            "candidate_id": candidate_id,
            "company": "Globex",
            "role": "Staff Engineer",
            "external_id": VICTIM_EXTERNAL_ID,
        },
    )
    assert application.status_code == 201, application.text
    application_id = application.json()["id"]
    contact = await http.post(
        f"/v1/applications/{application_id}/contacts",
        json={
            "name": "Grace Hopper",
            "title": "VP Engineering",
            "email": "grace@globex.example",
            "external_id": VICTIM_EXTERNAL_ID,
        },
    )
    assert contact.status_code == 201, contact.text
    contact_id = contact.json()["id"]
    interview = await http.post(
        f"/v1/applications/{application_id}/interviews",
        json={
            "kind": "video",
            "start": "2026-12-03T10:00:00+00:00",
            "end": "2026-12-03T11:00:00+00:00",
            "panel": [contact_id],
            "external_id": VICTIM_EXTERNAL_ID,
        },
    )
    assert interview.status_code == 201, interview.text
    reply = await http.post(
        f"/v1/applications/{application_id}/replies",
        json={"received_at": "2026-12-04T15:00:00+00:00", "contact_id": contact_id},
    )
    assert reply.status_code == 201, reply.text
    feed = await http.get("/v1/actions", params={"as_of": FIXED_AS_OF})
    assert feed.status_code == 200, feed.text
    actions = feed.json()["data"]
    assert actions, "the victim's interview should call for actions"
    calendar = await http.post(f"/v1/candidates/{candidate_id}/calendar-feed")
    assert calendar.status_code == 201, calendar.text
    token = await http.post(f"/v1/candidates/{candidate_id}/access-tokens", json={})
    assert token.status_code == 201, token.text
    endpoint = await http.post(
        "/v1/webhook-endpoints",
        json={"url": f"https://{VICTIM_WEBHOOK_HOST}/followup", "event_types": ["action.due"]},
    )
    assert endpoint.status_code == 201, endpoint.text
    # The built-in template passes the checks, so saving it makes a valid template of its own.
    built_in = (await http.get(f"/v1/templates/{VICTIM_TEMPLATE_KIND}")).json()
    template = await http.put(
        f"/v1/templates/{VICTIM_TEMPLATE_KIND}",
        json={"subject": built_in["subject"], "body": built_in["body"]},
    )
    assert template.status_code == 200, template.text
    assert template.json()["source"] == "tenant"
    return Victim(
        ids={
            "candidate_id": candidate_id,
            "application_id": application_id,
            "contact_id": contact_id,
            "interview_id": interview.json()["id"],
            "reply_id": reply.json()["id"],
            "action_id": actions[0]["id"],
            "endpoint_id": endpoint.json()["id"],
            "token_id": token.json()["id"],
            "external_id": VICTIM_EXTERNAL_ID,
            "kind": VICTIM_TEMPLATE_KIND,
            "token": UNKNOWN_TOKEN,
        }
    )


async def snapshot(
    http: httpx.AsyncClient, document: dict[str, Any], ids: dict[str, str]
) -> dict[str, object]:
    """Every GET in the document, as the first tenant sees it."""
    seen: dict[str, object] = {}
    for path, item in document["paths"].items():
        capability = any(f"{{{name}}}" in path for name in CAPABILITY_PARAMETERS)
        if "get" not in item or not path.startswith("/v1/") or capability:
            continue
        parameters = {p["name"] for p in item["get"].get("parameters", [])}
        params = {"as_of": FIXED_AS_OF} if "as_of" in parameters else {}
        response = await http.get(fill(path, ids), params=params)
        assert response.status_code == 200, f"GET {path}: {response.text}"
        seen[path] = response.json()
    return seen


async def issue_read_only_key(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, tenant: Tenant
) -> str:
    async with sessionmaker() as session, session.begin():
        issued = await api_keys.issue_key(
            session, tenant.id, settings.resolved_secret_key(), scopes=["read"]
        )
    return issued.plaintext


@pytest.fixture(autouse=True)
def dns(monkeypatch: pytest.MonkeyPatch) -> None:
    # Saving a webhook URL resolves its host (the SSRF guard); tests answer for it offline.
    fake_dns(monkeypatch, {VICTIM_WEBHOOK_HOST: [PUBLIC_V4]})


@pytest.fixture
def document(app: FastAPI) -> dict[str, Any]:
    return app.openapi()


def placeholder_fills() -> dict[str, str]:
    names = (*RECORD_ID_PARAMETERS, "external_id", *TENANT_SETTING_KEYS, *CAPABILITY_PARAMETERS)
    return dict.fromkeys(names, "x_0")


async def test_the_walk_knows_every_templated_path(document: dict[str, Any]) -> None:
    operations = list(templated_operations(document))
    # The walk below is only as good as its coverage: it must reach well past a handful.
    assert len(operations) >= 30
    for operation in operations:
        fill(operation.path, placeholder_fills())
        request_body(document, operation, placeholder_fills())


async def walk(
    http: httpx.AsyncClient, document: dict[str, Any], victim: Victim, *, may_write: bool
) -> set[str]:
    """Call every templated operation with the victim's values and with missing ones.

    Returns the labels of the operations walked. Each pair of answers must be the same
    but for the values sent: the intruder learns nothing from the victim's IDs. An
    operation on a record ID must answer 404 (403 for a write without the scope).
    """
    missing = {name: nonexistent_like(name, value) for name, value in victim.ids.items()}
    exercised: set[str] = set()
    for operation in templated_operations(document):
        label = operation.label
        foreign_body = request_body(document, operation, victim.ids)
        absent_body = request_body(document, operation, missing)
        foreign = await send(http, operation, fill(operation.path, victim.ids), foreign_body)
        assert VICTIM_MARKER not in foreign.text, f"{label} leaks the victim's data"
        exercised.add(label)
        if not may_write and operation.method in WRITE_METHODS:
            # Scope is checked before the record is looked up: 403 whether or not it exists.
            assert_problem(foreign, 403, label)
        elif set(operation.path_parameters) & {*RECORD_ID_PARAMETERS, *CAPABILITY_PARAMETERS}:
            assert_problem(foreign, 404, label)
        if set(operation.path_parameters) & set(TENANT_SETTING_KEYS):
            # No "missing" counterpart: the intruder has its own setting of every kind, and
            # the snapshot taken after the walk shows the victim's stayed as it was.
            continue
        absent = await send(http, operation, fill(operation.path, missing), absent_body)
        assert comparable(foreign, victim.ids) == comparable(absent, missing), (
            f"{label}: the victim's values are told apart from missing ones:\n"
            f"{foreign.status_code} {foreign.text}\n{absent.status_code} {absent.text}"
        )
    return exercised


async def test_another_tenants_ids_answer_like_missing_ones(
    app: FastAPI,
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    document: dict[str, Any],
) -> None:
    victim = await build_victim(client)
    before = await snapshot(client, document, victim.ids)
    intruder = await make_tenant(sessionmaker, settings, name="Intruder Inc")
    async with client_for(app, intruder.key) as http:
        exercised = await walk(http, document, victim, may_write=True)
    assert exercised == {operation.label for operation in templated_operations(document)}
    assert await snapshot(client, document, victim.ids) == before


async def test_a_read_only_key_of_another_tenant_gets_403_on_writes_404_on_reads(
    app: FastAPI,
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    document: dict[str, Any],
) -> None:
    victim = await build_victim(client)
    before = await snapshot(client, document, victim.ids)
    intruder = await make_tenant(sessionmaker, settings, name="Intruder Inc")
    read_only_key = await issue_read_only_key(sessionmaker, settings, intruder)
    async with client_for(app, read_only_key) as http:
        assert (await http.get("/v1/me")).json()["scopes"] == ["read"]
        exercised = await walk(http, document, victim, may_write=False)
    assert exercised == {operation.label for operation in templated_operations(document)}
    assert await snapshot(client, document, victim.ids) == before


async def test_lists_never_show_another_tenants_records(
    app: FastAPI,
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    victim = await build_victim(client)
    intruder = await make_tenant(sessionmaker, settings, name="Intruder Inc")
    victim_ids = {victim.ids[name] for name in RECORD_ID_PARAMETERS}
    lists = [
        ("/v1/candidates", {}),
        ("/v1/applications", {}),
        ("/v1/applications", {"candidate_id": victim.ids["candidate_id"]}),
        ("/v1/actions", {"as_of": FIXED_AS_OF}),
        ("/v1/actions", {"candidate_id": victim.ids["candidate_id"]}),
        ("/v1/actions", {"application_id": victim.ids["application_id"]}),
    ]
    async with client_for(app, intruder.key) as http:
        # The intruder has records of its own, so an empty page is not the only possible answer.
        own = await http.post(
            "/v1/candidates",
            json={"name": "Mallory", "time_zone": "Europe/Berlin", "country": "DE"},
        )
        assert own.status_code == 201, own.text
        for path, params in lists:
            response = await http.get(path, params=params)
            assert response.status_code == 200, f"{path} {params}: {response.text}"
            shown = {
                value
                for item in response.json()["data"]
                for value in (item["id"], item.get("candidate_id"), item.get("application_id"))
            }
            assert not shown & victim_ids, f"{path} {params} shows {shown & victim_ids}"
            assert VICTIM_MARKER not in response.text
        candidates = (await http.get("/v1/candidates")).json()["data"]
        assert [c["id"] for c in candidates] == [own.json()["id"]]
        # The victim's own template is the victim's: the intruder still gets the built-in one.
        templates = (await http.get("/v1/templates")).json()["data"]
        assert {t["source"] for t in templates} == {"built_in"}
    # The victim still sees its own records through the same lists.
    mine = await client.get("/v1/applications", params={"candidate_id": victim.ids["candidate_id"]})
    assert [a["id"] for a in mine.json()["data"]] == [victim.ids["application_id"]]
    own_template = await client.get(f"/v1/templates/{VICTIM_TEMPLATE_KIND}")
    assert own_template.json()["source"] == "tenant"

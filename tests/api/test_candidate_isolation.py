"""Candidate isolation: a candidate token reaches its own candidate's records and nothing else.

The walk is driven by the OpenAPI document, as the tenant walk of test_isolation.py is:
every operation is called with candidate A's token and candidate B's IDs (B being another
candidate of the same tenant), and again with IDs that name nothing. Each operation is
classified below, by hand, as one a candidate token may call or a tenant-wide one; an
operation the table does not classify fails the test, so a new route must be placed on
one side or the other (and the document's `x-credentials` must agree with the table).

- A candidate operation answers B's IDs exactly as it answers IDs that do not exist: 404
  on a path ID, the same 422 for an ID in a body, the same empty list for a filter.
- A tenant-wide operation answers 403 whatever the IDs.
- A token with the read scope alone gets 403 on every write.
Afterwards, everything B's tenant key can read of B is as it was.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.api.builders import interview_round
from tests.api.test_isolation import (
    FIXED_AS_OF,
    HTTP_METHODS,
    RECORD_ID_PARAMETERS,
    VICTIM_MARKER,
    VICTIM_WEBHOOK_HOST,
    WRITE_METHODS,
    Operation,
    Victim,
    assert_problem,
    build_victim,
    comparable,
    fill,
    nonexistent_like,
    request_body,
    snapshot,
)
from tests.conftest import client_for
from tests.services.test_ssrf import PUBLIC_V4, fake_dns

API_KEY_ONLY = ["api_key"]
EITHER = ["api_key", "candidate_token"]

# What a candidate token may call: its candidate's records, actions, drafts, events,
# calendar feed, and the check of who it is.
CANDIDATE_OPERATIONS = frozenset(
    {
        "GET /v1/me",
        "GET /v1/candidates/{candidate_id}",
        "POST /v1/candidates/{candidate_id}/calendar-feed",
        "GET /v1/candidates/{candidate_id}/calendar-feed",
        "DELETE /v1/candidates/{candidate_id}/calendar-feed",
        "POST /v1/applications",
        "GET /v1/applications",
        "GET /v1/applications/{application_id}",
        "PATCH /v1/applications/{application_id}",
        "DELETE /v1/applications/{application_id}",
        "POST /v1/applications/{application_id}/contacts",
        "GET /v1/applications/{application_id}/contacts",
        "GET /v1/contacts/{contact_id}",
        "PATCH /v1/contacts/{contact_id}",
        "DELETE /v1/contacts/{contact_id}",
        "POST /v1/applications/{application_id}/interviews",
        "GET /v1/applications/{application_id}/interviews",
        "GET /v1/interviews/{interview_id}",
        "PATCH /v1/interviews/{interview_id}",
        "DELETE /v1/interviews/{interview_id}",
        "POST /v1/applications/{application_id}/replies",
        "GET /v1/applications/{application_id}/replies",
        "GET /v1/replies/{reply_id}",
        "PATCH /v1/replies/{reply_id}",
        "DELETE /v1/replies/{reply_id}",
        "GET /v1/actions",
        "GET /v1/applications/{application_id}/actions",
        "GET /v1/actions/{action_id}",
        "POST /v1/actions/{action_id}/complete",
        "POST /v1/actions/{action_id}/dismiss",
        "POST /v1/actions/{action_id}/snooze",
        "DELETE /v1/actions/{action_id}/mark",
        "GET /v1/actions/{action_id}/draft",
        "POST /v1/drafts/check",
        "GET /v1/events",
    }
)
# Tenant-wide: the list of candidates and their creation, changing or erasing a candidate,
# access tokens themselves, policy, templates, webhooks, sync and external-ID upserts.
TENANT_OPERATIONS = frozenset(
    {
        "GET /v1/candidates",
        "POST /v1/candidates",
        "PATCH /v1/candidates/{candidate_id}",
        "DELETE /v1/candidates/{candidate_id}",
        "POST /v1/candidates/{candidate_id}/access-tokens",
        "GET /v1/candidates/{candidate_id}/access-tokens",
        "GET /v1/candidates/{candidate_id}/access-tokens/{token_id}",
        "DELETE /v1/candidates/{candidate_id}/access-tokens/{token_id}",
        "GET /v1/policy",
        "PUT /v1/policy",
        "GET /v1/templates",
        "GET /v1/templates/{kind}",
        "PUT /v1/templates/{kind}",
        "DELETE /v1/templates/{kind}",
        "POST /v1/webhook-endpoints",
        "GET /v1/webhook-endpoints",
        "GET /v1/webhook-endpoints/{endpoint_id}",
        "PATCH /v1/webhook-endpoints/{endpoint_id}",
        "DELETE /v1/webhook-endpoints/{endpoint_id}",
        "POST /v1/webhook-endpoints/{endpoint_id}/rotate-secret",
        "POST /v1/webhook-endpoints/{endpoint_id}/ping",
        "GET /v1/webhook-endpoints/{endpoint_id}/deliveries",
        "POST /v1/sync",
        *(
            f"{method} /v1/{kind}/by-external-id/{{external_id}}"
            for kind in ("candidates", "applications", "contacts", "interviews")
            for method in ("GET", "PUT")
        ),
    }
)
# No credential at all: probes, and the calendar feed whose secret URL is its credential.
PUBLIC_OPERATIONS = frozenset({"GET /healthz", "GET /readyz", "GET /v1/calendar/{token}.ics"})
# Operations sent with a write method that only read: a token with the read scope may call
# them.
READING_WRITES = frozenset({"POST /v1/drafts/check"})
# Query parameters that filter a list by a record's ID: another candidate's must list
# nothing, exactly as an ID that does not exist.
ID_FILTERS = ("candidate_id", "application_id")


def operations(document: dict[str, Any]) -> list[Operation]:
    return [
        Operation(method, path, item[method])
        for path, item in document["paths"].items()
        for method in HTTP_METHODS
        if method in item
    ]


@pytest.fixture(autouse=True)
def dns(monkeypatch: pytest.MonkeyPatch) -> None:
    # The victim's webhook URL is resolved when saved (the SSRF guard): answered offline.
    fake_dns(monkeypatch, {VICTIM_WEBHOOK_HOST: [PUBLIC_V4]})


@pytest.fixture
def document(app: FastAPI) -> dict[str, Any]:
    return app.openapi()


def test_every_operation_is_classified_and_the_document_agrees(document: dict[str, Any]) -> None:
    labels = {operation.label for operation in operations(document)}
    sides = (CANDIDATE_OPERATIONS, TENANT_OPERATIONS, PUBLIC_OPERATIONS)
    assert not (CANDIDATE_OPERATIONS & TENANT_OPERATIONS), "an operation on both sides"
    unclassified = labels - CANDIDATE_OPERATIONS - TENANT_OPERATIONS - PUBLIC_OPERATIONS
    assert not unclassified, f"classify these for candidate tokens: {sorted(unclassified)}"
    assert set().union(*sides) == labels, "the table names operations the API no longer has"
    for operation in operations(document):
        declared = operation.definition.get("x-credentials")
        if operation.label in PUBLIC_OPERATIONS:
            assert declared is None, operation.label
        else:
            expected = EITHER if operation.label in CANDIDATE_OPERATIONS else API_KEY_ONLY
            assert declared == expected, operation.label
            assert "**Credentials:**" in operation.definition["description"], operation.label


def query_for(operation: Operation, ids: dict[str, str]) -> dict[str, str]:
    """The operation's ID filters set to these IDs, and a fixed moment where it takes one."""
    names = {parameter["name"] for parameter in operation.definition.get("parameters", [])}
    query = {name: ids[name] for name in ID_FILTERS if name in names}
    if "as_of" in names:
        query["as_of"] = FIXED_AS_OF
    return query


async def call(
    http: httpx.AsyncClient, document: dict[str, Any], operation: Operation, ids: dict[str, str]
) -> httpx.Response:
    return await http.request(
        operation.method.upper(),
        fill(operation.path, ids),
        params=query_for(operation, ids),
        json=request_body(document, operation, ids),
    )


async def walk(
    http: httpx.AsyncClient, document: dict[str, Any], victim: Victim, *, may_write: bool
) -> set[str]:
    """Call every authenticated operation with the victim's IDs and with missing ones."""
    missing = {name: nonexistent_like(name, value) for name, value in victim.ids.items()}
    walked: set[str] = set()
    for operation in operations(document):
        label = operation.label
        if label in PUBLIC_OPERATIONS:
            continue
        foreign = await call(http, document, operation, victim.ids)
        assert VICTIM_MARKER not in foreign.text, f"{label} leaks the other candidate's data"
        walked.add(label)
        path_ids = {name for name in RECORD_ID_PARAMETERS if f"{{{name}}}" in operation.path}
        writes = operation.method in WRITE_METHODS and label not in READING_WRITES
        if label in TENANT_OPERATIONS or (writes and not may_write):
            assert_problem(foreign, 403, label)
        elif path_ids:
            assert_problem(foreign, 404, label)
        if "{kind}" in operation.path:
            continue  # a template kind names no record: nothing "missing" to compare with
        absent = await call(http, document, operation, missing)
        assert comparable(foreign, victim.ids) == comparable(absent, missing), (
            f"{label}: the other candidate's IDs are told apart from missing ones:\n"
            f"{foreign.status_code} {foreign.text}\n{absent.status_code} {absent.text}"
        )
    return walked


async def own_candidate_token(client: httpx.AsyncClient, scopes: list[str]) -> str:
    """A token for a candidate of the victim's tenant with records of its own, so that an
    empty answer is not the only one it could get."""
    application, _, _ = await interview_round(client)
    minted = await client.post(
        f"/v1/candidates/{application['candidate_id']}/access-tokens", json={"scopes": scopes}
    )
    assert minted.status_code == 201, minted.text
    token: str = minted.json()["token"]
    return token


@pytest.mark.parametrize("scopes", [["read", "write"], ["read"]])
async def test_another_candidates_ids_answer_like_missing_ones_and_tenant_operations_403(
    app: FastAPI, client: httpx.AsyncClient, document: dict[str, Any], scopes: list[str]
) -> None:
    victim = await build_victim(client)
    token = await own_candidate_token(client, scopes)
    before = await snapshot(client, document, victim.ids)
    async with client_for(app, token) as http:
        me = (await http.get("/v1/me")).json()
        assert me["credential_type"] == "candidate_token" and me["scopes"] == scopes
        walked = await walk(http, document, victim, may_write="write" in scopes)
    assert walked == CANDIDATE_OPERATIONS | TENANT_OPERATIONS
    # Everything of the victim's the tenant's key reads (its access token included, which
    # the walk tried to revoke) is as it was.
    assert await snapshot(client, document, victim.ids) == before

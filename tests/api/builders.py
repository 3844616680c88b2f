"""Builders that create records through the API with sensible defaults, and small readers.

Each builder takes the client and any field to override, posts it, checks the 201 and
returns the created resource as JSON. Times default to early 2027, well after the day
these tests were written, so nothing depends on the real clock unless a test says so.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import httpx

from app.api.errors import PROBLEM_JSON

Json = dict[str, Any]

BERLIN = "Europe/Berlin"
# A Wednesday in Berlin winter time (UTC+1): far from weekends, holidays and DST changes.
DEFAULT_START = "2027-01-13T10:00:00+01:00"
DEFAULT_END = "2027-01-13T11:00:00+01:00"


async def _created(response: httpx.Response) -> Json:
    assert response.status_code == 201, response.text
    body: Json = response.json()
    return body


async def new_candidate(client: httpx.AsyncClient, **overrides: Any) -> Json:
    body = {"name": "Ada Lovelace", "time_zone": BERLIN, "country": "DE", **overrides}
    return await _created(await client.post("/v1/candidates", json=body))


async def new_application(
    client: httpx.AsyncClient, candidate_id: str | None = None, **overrides: Any
) -> Json:
    """An application; a fresh candidate is created for it unless one is named."""
    if candidate_id is None:
        candidate_id = (await new_candidate(client))["id"]
    body = {"candidate_id": candidate_id, "company": "Globex", "role": "Engineer", **overrides}
    return await _created(await client.post("/v1/applications", json=body))


async def new_contact(client: httpx.AsyncClient, application_id: str, **overrides: Any) -> Json:
    """An interviewer with a name, a title and an email, unless told otherwise."""
    body = {
        "role": "interviewer",
        "name": "Grace Hopper",
        "title": "VP Engineering",
        "email": "grace@globex.example",
        **overrides,
    }
    return await _created(
        await client.post(f"/v1/applications/{application_id}/contacts", json=body)
    )


async def new_interview(client: httpx.AsyncClient, application_id: str, **overrides: Any) -> Json:
    body = {"kind": "video", "start": DEFAULT_START, "end": DEFAULT_END, **overrides}
    return await _created(
        await client.post(f"/v1/applications/{application_id}/interviews", json=body)
    )


async def new_reply(client: httpx.AsyncClient, application_id: str, **overrides: Any) -> Json:
    body = {"received_at": "2027-01-20T15:00:00+01:00", **overrides}
    return await _created(
        await client.post(f"/v1/applications/{application_id}/replies", json=body)
    )


async def interview_round(
    client: httpx.AsyncClient, application_id: str | None = None, **overrides: Any
) -> tuple[Json, Json, Json]:
    """An application (made if not given) with one interviewer on one interview's panel."""
    if application_id is None:
        application = await new_application(client)
    else:
        application = (await client.get(f"/v1/applications/{application_id}")).json()
    interviewer = await new_contact(client, application["id"])
    interview = await new_interview(
        client, application["id"], panel=[interviewer["id"]], **overrides
    )
    return application, interviewer, interview


# --- reading ------------------------------------------------------------------------------


async def all_pages(
    client: httpx.AsyncClient, path: str, params: dict[str, Any] | None = None, limit: int = 200
) -> list[Json]:
    """Every item of a list endpoint, following `next_cursor` to the end."""
    items: list[Json] = []
    query: dict[str, Any] = {**(params or {}), "limit": limit}
    while True:
        response = await client.get(path, params=query)
        assert response.status_code == 200, response.text
        page = response.json()
        items.extend(page["data"])
        if page["next_cursor"] is None:
            return items
        query["cursor"] = page["next_cursor"]


async def actions_of(
    client: httpx.AsyncClient, application_id: str, as_of: str | None = None
) -> list[Json]:
    params = {"as_of": as_of} if as_of else {}
    return await all_pages(client, f"/v1/applications/{application_id}/actions", params)


def by_key(actions: Iterable[Json]) -> dict[str, Json]:
    return {action["key"]: action for action in actions}


def one(actions: Iterable[Json], type_: str, contact_id: str | None = None) -> Json:
    """The single action of that type (and person, when given)."""
    found = [
        a
        for a in actions
        if a["type"] == type_ and (contact_id is None or a["subject"]["contact_id"] == contact_id)
    ]
    assert len(found) == 1, found
    return found[0]


def at(value: str) -> datetime:
    """An RFC 3339 timestamp as an aware datetime, so instants compare whatever the offset."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    assert parsed.tzinfo is not None, value
    return parsed


def hours_later(value: str, hours: float) -> datetime:
    return at(value) + timedelta(hours=hours)


# --- problems -----------------------------------------------------------------------------


def assert_problem(response: httpx.Response, status: int) -> Json:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body: Json = response.json()
    assert body["status"] == status
    assert body["type"].startswith("https://")
    assert body["title"]
    return body


def assert_invalid(response: httpx.Response, field: str) -> Json:
    """A 422 problem whose `errors` name ``field``; returns that field's error."""
    body = assert_problem(response, 422)
    named: list[Json] = [error for error in body.get("errors", []) if error["field"] == field]
    assert named, f"expected an error on {field}, got {body.get('errors')}"
    return named[0]

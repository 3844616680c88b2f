"""Text that reaches other formats is safe: single-line fields refuse line breaks and
control characters with a 422 naming the field, multi-line fields refuse the rest, and
URLs the API hands out never come from the request's Host header."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import models
from tests.api.builders import (
    all_pages,
    assert_problem,
    interview_round,
    new_application,
    new_candidate,
    one,
)

# What a single-line field refuses, each inside a name (leading and trailing whitespace is
# trimmed, not refused).
LINE_BREAKS = ["\n", "\r", "\r\n", "\u2028"]
OTHER_CONTROLS = ["\t", "\u2029", "\x85", "\x00", "\x7f", "\x1b", "\x9b"]


def _name(character: str) -> str:
    return f"Ada{character}Lovelace"


def _refused(response: httpx.Response, field: str) -> None:
    body = assert_problem(response, 422)
    errors = {error["field"]: error for error in body["errors"]}
    assert field in errors, body
    assert errors[field]["code"] == "control_character"


@pytest.mark.parametrize("character", LINE_BREAKS + OTHER_CONTROLS)
async def test_a_candidate_name_with_a_line_break_or_control_character_is_refused_everywhere(
    client: httpx.AsyncClient, character: str
) -> None:
    name = _name(character)
    base = {"time_zone": "Europe/Berlin", "country": "DE"}
    _refused(await client.post("/v1/candidates", json={**base, "name": name}), "body.name")

    candidate = await new_candidate(client)
    patched = await client.patch(f"/v1/candidates/{candidate['id']}", json={"name": name})
    _refused(patched, "body.name")

    upsert = await client.put("/v1/candidates/by-external-id/ats-1", json={**base, "name": name})
    _refused(upsert, "body.name")

    batch = {"candidates": [{**base, "external_id": "ats-2", "name": name}]}
    _refused(await client.post("/v1/sync", json=batch), "body.candidates.0.name")

    stored = (await client.get(f"/v1/candidates/{candidate['id']}")).json()
    assert stored["name"] == "Ada Lovelace"
    assert (await client.get("/v1/candidates/by-external-id/ats-1")).status_code == 404


SINGLE_LINE_FIELDS: list[tuple[str, str]] = [
    ("application", "company"),
    ("application", "role"),
    ("contact", "name"),
    ("contact", "title"),
    ("contact", "organization"),
    ("interview", "next_step"),
    ("webhook", "description"),
    ("draft", "subject"),
    ("draft", "recipient"),
    ("template", "subject"),
]


async def _post(client: httpx.AsyncClient, what: str, field: str, value: str) -> httpx.Response:
    if what == "application":
        candidate = await new_candidate(client)
        body: dict[str, Any] = {"candidate_id": candidate["id"], "company": "G", "role": "R"}
        return await client.post("/v1/applications", json={**body, field: value})
    if what == "contact":
        application = await new_application(client)
        path = f"/v1/applications/{application['id']}/contacts"
        return await client.post(path, json={field: value})
    if what == "interview":
        application = await new_application(client)
        body = {"kind": "video", "start": "2027-01-13T10:00:00+01:00"}
        body |= {"end": "2027-01-13T11:00:00+01:00", field: value}
        return await client.post(f"/v1/applications/{application['id']}/interviews", json=body)
    if what == "webhook":
        body = {"url": "https://hooks.example.com/x", "event_types": ["action.due"]}
        return await client.post("/v1/webhook-endpoints", json={**body, field: value})
    if what == "draft":
        body = {"kind": "thank_you", "body": "Dear Grace,\n\nThank you.\n\nBest,\nAda"}
        return await client.post("/v1/drafts/check", json={**body, field: value})
    assert what == "template"
    body = {"body": "Hello,\n\nThank you.\n\nBest,\n{{ candidate.name }}"}
    return await client.put("/v1/templates/thank_you", json={**body, field: value})


@pytest.mark.parametrize(("what", "field"), SINGLE_LINE_FIELDS)
@pytest.mark.parametrize("character", ["\n", "\r", "\u2028", "\t"])
async def test_single_line_fields_refuse_line_breaks(
    client: httpx.AsyncClient, what: str, field: str, character: str
) -> None:
    _refused(await _post(client, what, field, f"one{character}two"), f"body.{field}")


async def test_sync_refuses_a_line_break_in_a_nested_record(client: httpx.AsyncClient) -> None:
    batch = {
        "candidates": [
            {"external_id": "c", "name": "Ada", "time_zone": "Europe/Berlin", "country": "DE"}
        ],
        "applications": [
            {"external_id": "a", "candidate_external_id": "c", "company": "G", "role": "R\r"}
        ],
        "contacts": [{"external_id": "p", "application_external_id": "a", "title": "V\nP"}],
    }
    body = assert_problem(await client.post("/v1/sync", json=batch), 422)
    # "R\r" loses its trailing CR to whitespace trimming; the contact's title is refused.
    assert [e["field"] for e in body["errors"]] == ["body.contacts.0.title"]


async def test_multi_line_fields_keep_line_breaks_and_refuse_other_controls(
    client: httpx.AsyncClient,
) -> None:
    application = await new_application(client)
    path = f"/v1/applications/{application['id']}/replies"
    reply = {"received_at": "2027-01-20T10:00:00+01:00"}
    kept = await client.post(path, json={**reply, "note": "Line one\r\nline two\n\tthree"})
    assert kept.status_code == 201, kept.text
    assert kept.json()["note"] == "Line one\r\nline two\n\tthree"
    for character in ["\x00", "\x08", "\x7f", "\x85", "\x9f"]:
        refused = await client.post(path, json={**reply, "note": f"a{character}b"})
        _refused(refused, "body.note")
        draft = {"kind": "thank_you", "body": f"Dear Grace,\n\nThanks{character}.\n"}
        _refused(await client.post("/v1/drafts/check", json=draft), "body.body")


async def test_path_values_refuse_line_breaks(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/candidates/by-external-id/a%0Ab")
    assert assert_problem(response, 422)["errors"][0]["field"] == "path.external_id"


async def test_a_forged_host_never_comes_back(client: httpx.AsyncClient) -> None:
    forged = {"Host": "evil.example:666", "X-Forwarded-Host": "evil.example:666"}
    created = await client.post(
        "/v1/candidates",
        json={"name": "Ada", "time_zone": "Europe/Berlin", "country": "DE"},
        headers=forged,
    )
    feed = await client.post(f"/v1/candidates/{created.json()['id']}/calendar-feed", headers=forged)
    webhook = await client.post(
        "/v1/webhook-endpoints",
        json={"url": "https://93.184.216.34/hook", "event_types": ["action.due"]},
        headers=forged,
    )
    for response in (created, feed, webhook):
        assert response.status_code == 201, response.text
        assert "evil.example" not in response.text
        assert all("evil.example" not in value for value in response.headers.values())
        assert response.headers["location"].startswith("/v1/")
    assert feed.json()["url"].startswith("https://followup.example.com/v1/calendar/cal_")


async def test_a_draft_subject_is_one_line_even_from_text_stored_before_it_was_checked(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    application, interviewer, _ = await interview_round(client)
    async with sessionmaker() as session, session.begin():
        await session.execute(
            update(models.Application)
            .where(models.Application.id == application["id"])
            .values(role="Engineer\r\nBcc: victim@example.com\x1b")
        )
    actions = await all_pages(client, f"/v1/applications/{application['id']}/actions")
    thank_you = one(actions, "send_thank_you", interviewer["id"])
    response = await client.get(f"/v1/actions/{thank_you['id']}/draft")
    assert response.status_code == 200, response.text
    draft = response.json()
    assert draft["subject"] == "Thank you – Engineer Bcc: victim@example.com interview"
    assert "\x1b" not in draft["body"]

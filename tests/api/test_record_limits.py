"""Ceilings on what one parent holds, so no write re-plans or renders an unbounded set."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from icalendar import Calendar
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import models
from app.services import calendar_feeds, limits
from tests.api.builders import (
    assert_problem,
    new_application,
    new_candidate,
    new_contact,
    new_interview,
    new_reply,
)
from tests.api.test_sync import batch


def assert_limit_reached(response: httpx.Response, words: str) -> None:
    problem = assert_problem(response, 409)
    assert problem["type"].endswith("/limit-reached")
    assert words in problem["detail"]


async def count(session: AsyncSession, model: Any) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_an_application_holds_at_most_its_ceiling_of_contacts_interviews_and_replies(
    client: httpx.AsyncClient, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "MAX_CONTACTS_PER_APPLICATION", 2)
    monkeypatch.setattr(limits, "MAX_INTERVIEWS_PER_APPLICATION", 1)
    monkeypatch.setattr(limits, "MAX_REPLIES_PER_APPLICATION", 1)
    application = await new_application(client)
    path = f"/v1/applications/{application['id']}"
    for _ in range(2):
        await new_contact(client, application["id"])
    await new_interview(client, application["id"])
    await new_reply(client, application["id"])

    extra_contact = {"role": "interviewer", "name": "Alan Turing", "email": "alan@x.example"}
    assert_limit_reached(await client.post(f"{path}/contacts", json=extra_contact), "3 contacts")
    extra_interview = {
        "kind": "phone",
        "start": "2027-02-01T10:00:00+01:00",
        "end": "2027-02-01T10:30:00+01:00",
    }
    assert_limit_reached(
        await client.post(f"{path}/interviews", json=extra_interview), "2 interviews"
    )
    extra_reply = {"received_at": "2027-01-21T15:00:00+01:00"}
    assert_limit_reached(await client.post(f"{path}/replies", json=extra_reply), "2 replies")
    # Refused whole: nothing past the ceiling was kept.
    assert await count(session, models.Contact) == 2
    assert await count(session, models.Interview) == 1
    assert await count(session, models.Reply) == 1


async def test_a_sync_batch_past_a_ceiling_is_refused_whole(
    client: httpx.AsyncClient, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "MAX_CONTACTS_PER_APPLICATION", 1)  # the batch sends two
    assert_limit_reached(await client.post("/v1/sync", json=batch()), "2 contacts")
    assert await count(session, models.Candidate) == 0
    assert await count(session, models.Contact) == 0


async def test_a_candidate_holds_at_most_its_ceiling_of_applications_by_rest_and_sync(
    client: httpx.AsyncClient, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "MAX_APPLICATIONS_PER_CANDIDATE", 1)
    candidate = await new_candidate(client, external_id="c-limit")
    await new_application(client, candidate["id"])
    more = {"candidate_id": candidate["id"], "company": "Initech", "role": "Engineer"}
    assert_limit_reached(await client.post("/v1/applications", json=more), "2 applications")
    synced = {
        "applications": [
            {"external_id": "a-sync", "candidate_external_id": None, **more},
        ]
    }
    synced["applications"][0].pop("candidate_external_id")
    assert_limit_reached(await client.post("/v1/sync", json=synced), "2 applications")
    assert await count(session, models.Application) == 1


async def test_the_calendar_feed_holds_the_soonest_due_open_actions_up_to_its_ceiling(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    application = await new_application(client)
    panel = [
        (await new_contact(client, application["id"], name=name))["id"]
        for name in ("Grace Hopper", "Alan Turing", "Barbara Liskov")
    ]
    await new_interview(client, application["id"], panel=panel)
    feed = (await client.post(f"/v1/candidates/{application['candidate_id']}/calendar-feed")).json()
    everything = Calendar.from_ical((await anonymous.get(feed["url"])).content).walk("VEVENT")
    assert len(everything) > 2

    monkeypatch.setattr(calendar_feeds, "MAX_FEED_EVENTS", 2)
    bounded = Calendar.from_ical((await anonymous.get(feed["url"])).content).walk("VEVENT")
    soonest = sorted(everything, key=lambda event: (event.decoded("DTEND"), str(event["UID"])))
    assert [str(e["UID"]) for e in bounded] == [str(e["UID"]) for e in soonest[:2]]

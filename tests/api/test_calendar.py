"""Calendar feeds: a secret URL per candidate, valid iCalendar, stable UIDs, revocable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

import httpx
import pytest
from icalendar import Calendar
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import models
from app.settings import Settings
from tests.api.builders import all_pages, interview_round, one
from tests.api.test_system import assert_problem
from tests.conftest import client_for, make_tenant


async def _feed(client: httpx.AsyncClient, candidate_id: str) -> dict[str, Any]:
    response = await client.post(f"/v1/candidates/{candidate_id}/calendar-feed")
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def _calendar(anonymous: httpx.AsyncClient, url: str) -> Calendar:
    response = await anonymous.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert b"\r\n" in response.content  # RFC 5545 lines end in CRLF
    assert all(len(line) <= 75 for line in response.content.split(b"\r\n"))  # folded
    return Calendar.from_ical(response.content)


def _events(calendar: Calendar) -> dict[str, Any]:
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


async def test_the_feed_lists_open_actions_with_reminders(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    application, interviewer, _ = await interview_round(client)
    actions = await all_pages(client, f"/v1/applications/{application['id']}/actions")
    feed = await _feed(client, application["candidate_id"])
    assert feed["url"] == f"https://followup.example.com/v1/calendar/{feed['token']}.ics"

    calendar = await _calendar(anonymous, feed["url"])  # no Authorization header
    assert calendar["VERSION"] == "2.0" and "Follow-Up" in str(calendar["PRODID"])
    events = _events(calendar)
    open_actions = [a for a in actions if a["status"] not in {"done", "dismissed", "obsolete"}]
    assert set(events) == {f"{a['id']}@followup" for a in open_actions}

    thank_you = one(actions, "send_thank_you", interviewer["id"])
    event = events[f"{thank_you['id']}@followup"]
    due_by = datetime.fromisoformat(thank_you["due_by"])
    assert event.decoded("DTEND") == due_by
    assert event.decoded("DTSTART") == due_by - timedelta(minutes=30)
    assert str(event["SUMMARY"]) == thank_you["title"]
    assert "E3" in str(event["DESCRIPTION"])
    assert event["TRANSP"] == "TRANSPARENT"
    (alarm,) = event.walk("VALARM")
    assert alarm["ACTION"] == "DISPLAY"
    assert alarm.decoded("TRIGGER") == timedelta(hours=-1)
    assert int(event["SEQUENCE"]) == 0
    assert event.decoded("DTSTAMP").tzinfo is not None


async def test_the_feed_follows_the_actions(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    application, interviewer, interview = await interview_round(client)
    actions = await all_pages(client, f"/v1/applications/{application['id']}/actions")
    thank_you = one(actions, "send_thank_you", interviewer["id"])
    closing = one(actions, "ask_closing_questions")
    feed = await _feed(client, application["candidate_id"])
    before = _events(await _calendar(anonymous, feed["url"]))

    await client.post(f"/v1/actions/{closing['id']}/complete", json={})
    moved = await client.patch(
        f"/v1/interviews/{interview['id']}",
        json={"start": "2027-01-20T10:00:00+01:00", "end": "2027-01-20T11:00:00+01:00"},
    )
    assert moved.status_code == 200
    after = _events(await _calendar(anonymous, feed["url"]))

    uid = f"{thank_you['id']}@followup"
    assert f"{closing['id']}@followup" in before and f"{closing['id']}@followup" not in after
    assert uid in after  # the same UID: calendars update the event in place
    assert after[uid].decoded("DTEND") > before[uid].decoded("DTEND")
    assert int(after[uid]["SEQUENCE"]) > int(before[uid]["SEQUENCE"])
    assert after[uid].decoded("LAST-MODIFIED") >= before[uid].decoded("LAST-MODIFIED")


async def test_rotating_and_revoking_the_url(
    client: httpx.AsyncClient,
    anonymous: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    application, _, _ = await interview_round(client)
    candidate_id = application["candidate_id"]
    first = await _feed(client, candidate_id)
    second = await _feed(client, candidate_id)
    assert first["token"] != second["token"]
    assert_problem(await anonymous.get(first["url"]), 404)  # replaced
    assert (await anonymous.get(second["url"])).status_code == 200

    async with sessionmaker() as session:
        (row,) = (
            await session.scalars(
                select(models.CalendarFeed).where(models.CalendarFeed.candidate_id == candidate_id)
            )
        ).all()
    assert second["token"] not in row.token_hash and len(row.token_hash) == 64

    assert (await client.delete(f"/v1/candidates/{candidate_id}/calendar-feed")).status_code == 204
    assert_problem(await anonymous.get(second["url"]), 404)
    assert_problem(await client.delete(f"/v1/candidates/{candidate_id}/calendar-feed"), 404)
    assert_problem(await anonymous.get("/v1/calendar/cal_made-up.ics"), 404)


async def test_erasing_the_candidate_ends_the_feed(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    application, _, _ = await interview_round(client)
    feed = await _feed(client, application["candidate_id"])
    assert (await client.delete(f"/v1/candidates/{application['candidate_id']}")).status_code == 204
    assert_problem(await anonymous.get(feed["url"]), 404)


async def test_another_tenants_candidate_is_not_found(
    client: httpx.AsyncClient,
    app: object,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    application, _, _ = await interview_round(client)
    path = f"/v1/candidates/{application['candidate_id']}/calendar-feed"
    other = await make_tenant(sessionmaker, settings, "Other")
    async with client_for(app, other.key) as stranger:
        assert_problem(await stranger.post(path), 404)
        assert_problem(await stranger.delete(path), 404)
    assert_problem(await client.post("/v1/candidates/cand_nope/calendar-feed"), 404)


async def test_a_candidate_without_actions_gets_an_empty_valid_calendar(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    candidate = (
        await client.post(
            "/v1/candidates", json={"name": "Ada", "time_zone": "Europe/Berlin", "country": "DE"}
        )
    ).json()
    feed = await _feed(client, candidate["id"])
    calendar = await _calendar(anonymous, feed["url"])
    assert _events(calendar) == {}
    assert str(calendar["X-WR-TIMEZONE"]) == "Europe/Berlin"


async def test_the_access_log_never_holds_the_feed_token(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient, caplog: Any
) -> None:
    import logging

    application, _, _ = await interview_round(client)
    feed = await _feed(client, application["candidate_id"])
    with caplog.at_level(logging.INFO, logger="followup.access"):
        response = await anonymous.get(feed["url"])
    assert response.status_code == 200
    logged = " ".join(r.getMessage() for r in caplog.records if r.name == "followup.access")
    assert "/v1/calendar/{token}.ics 200" in logged
    assert feed["token"] not in logged


def test_an_action_with_an_empty_window_still_makes_a_valid_event() -> None:
    from zoneinfo import ZoneInfo

    from app.services.calendar_feeds import _event

    due = datetime(2027, 1, 13, 10, 0, tzinfo=UTC)
    action = models.Action(
        id="act_x",
        key="E1:int_x",
        title="Confirm the panel",
        explanation="E1",
        guidance="Ask the recruiter.",
        available_from=due,  # recorded after its start: a window of no length
        due_by=due,
        created_at=due,
        updated_at=due,
        version=1,
    )
    event = _event(action, ZoneInfo("Europe/Berlin"))
    assert event.decoded("dtstart") < event.decoded("dtend") == due


async def test_text_stored_before_it_was_checked_still_makes_a_valid_feed(
    client: httpx.AsyncClient,
    anonymous: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    """Rows written before names were refused for line breaks (straight into the database
    here) still give a 200 feed: one-line properties become one line, descriptions keep
    their line breaks escaped, and nothing raw breaks the document's lines."""
    application, _interviewer, _ = await interview_round(client)
    feed = await _feed(client, application["candidate_id"])
    async with sessionmaker() as session, session.begin():
        await session.execute(
            update(models.Candidate)
            .where(models.Candidate.id == application["candidate_id"])
            .values(name="Ada\r\nLove\rlace\u2028X\nBEGIN:VEVENT\x1b")
        )
        await session.execute(
            update(models.Action)
            .where(models.Action.application_id == application["id"])
            .values(title="Thank\nGrace\r\nEND:VCALENDAR", explanation="Why:\r\nbecause\rE3\x1b.")
        )

    response = await anonymous.get(feed["url"])
    assert response.status_code == 200, response.text
    lines = response.content.split(b"\r\n")
    assert all(b"\r" not in line and b"\n" not in line for line in lines)
    unfolded = response.content.replace(b"\r\n ", b"").split(b"\r\n")
    (calname,) = [line for line in unfolded if line.startswith(b"X-WR-CALNAME")]
    assert calname == b"X-WR-CALNAME:Follow-ups: Ada Love lace X BEGIN:VEVENT"
    assert lines.count(b"BEGIN:VEVENT") == len(_events(Calendar.from_ical(response.content)))

    calendar = await _calendar(anonymous, feed["url"])
    assert str(calendar["X-WR-CALNAME"]) == "Follow-ups: Ada Love lace X BEGIN:VEVENT"
    events = list(calendar.walk("VEVENT"))
    assert events
    for event in events:
        assert str(event["SUMMARY"]) == "Thank Grace END:VCALENDAR"
        assert "Why:\nbecause\nE3." in str(event["DESCRIPTION"])
        (alarm,) = event.walk("VALARM")
        assert str(alarm["DESCRIPTION"]) == "Thank Grace END:VCALENDAR"


def test_descriptions_state_times_in_the_candidates_local_time_and_zone() -> None:
    from zoneinfo import ZoneInfo

    from app.services.calendar_feeds import _event

    def described(available_from: datetime, due_by: datetime) -> str:
        action = models.Action(
            id="act_x",
            key="E3:int_x",
            title="Thank the panel",
            explanation="E3",
            guidance="Write.",
            available_from=available_from,
            due_by=due_by,
            created_at=available_from,
            updated_at=available_from,
            version=1,
        )
        return str(_event(action, ZoneInfo("Europe/Berlin"))["DESCRIPTION"])

    winter = described(
        datetime(2027, 1, 11, 8, 0, tzinfo=UTC), datetime(2027, 1, 12, 9, 0, tzinfo=UTC)
    )
    assert "Due Tue 12 Jan 2027, 10:00 CET (Europe/Berlin)." in winter
    assert "Open from Mon 11 Jan 2027, 09:00 CET." in winter
    assert "UTC" not in winter
    summer = described(
        datetime(2027, 7, 1, 6, 0, tzinfo=UTC), datetime(2027, 7, 2, 16, 30, tzinfo=UTC)
    )
    assert "Due Fri 2 Jul 2027, 18:30 CEST (Europe/Berlin)." in summer


async def test_a_served_feed_states_due_times_in_the_candidates_zone(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    from zoneinfo import ZoneInfo

    application, interviewer, _ = await interview_round(client)
    actions = await all_pages(client, f"/v1/applications/{application['id']}/actions")
    thank_you = one(actions, "send_thank_you", interviewer["id"])
    feed = await _feed(client, application["candidate_id"])
    event = _events(await _calendar(anonymous, feed["url"]))[f"{thank_you['id']}@followup"]
    local_due = datetime.fromisoformat(thank_you["due_by"]).astimezone(ZoneInfo("Europe/Berlin"))
    description = str(event["DESCRIPTION"])
    assert f", {local_due:%H:%M} {local_due.tzname()} (Europe/Berlin)." in description
    assert f"{local_due.day} {local_due:%b} {local_due.year}" in description


async def test_the_feed_has_an_etag_and_last_modified_answered_304(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    application, _, _ = await interview_round(client)
    actions = await all_pages(client, f"/v1/applications/{application['id']}/actions")
    feed = await _feed(client, application["candidate_id"])
    first = await anonymous.get(feed["url"])
    etag, last_modified = first.headers["etag"], first.headers["last-modified"]
    assert etag.startswith('"') and parsedate_to_datetime(last_modified).tzinfo is not None

    again = await anonymous.get(feed["url"], headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag and again.headers["last-modified"] == last_modified
    assert "content-type" not in again.headers
    since = await anonymous.get(feed["url"], headers={"If-Modified-Since": last_modified})
    assert since.status_code == 304 and since.content == b""
    earlier = format_datetime(parsedate_to_datetime(last_modified) - timedelta(seconds=1), True)
    assert (await anonymous.get(feed["url"], headers={"If-Modified-Since": earlier})).content
    # A date that is not one is ignored (RFC 9110 13.1.3).
    assert (await anonymous.get(feed["url"], headers={"If-Modified-Since": "soon"})).content
    # If-None-Match decides when both are sent (RFC 9110 13.2.2).
    both = await anonymous.get(
        feed["url"], headers={"If-None-Match": '"other"', "If-Modified-Since": last_modified}
    )
    assert both.status_code == 200 and both.content == first.content

    done = await client.post(f"/v1/actions/{actions[0]['id']}/complete", json={})
    assert done.status_code == 200
    changed = await anonymous.get(feed["url"], headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert parsedate_to_datetime(changed.headers["last-modified"]) >= parsedate_to_datetime(
        last_modified
    )


async def test_the_feeds_metadata_is_where_the_post_points_and_holds_no_secret(
    client: httpx.AsyncClient,
    app: object,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    application, _, _ = await interview_round(client)
    path = f"/v1/candidates/{application['candidate_id']}/calendar-feed"
    assert_problem(await client.get(path), 404)  # none issued yet

    created = await client.post(path)
    assert created.status_code == 201 and created.headers["location"] == path
    read = await client.get(created.headers["location"])
    assert read.status_code == 200, read.text
    body = read.json()
    assert body["candidate_id"] == application["candidate_id"]
    assert body["id"].startswith("cal") and body["created_at"] == created.json()["created_at"]
    secret = created.json()["token"]
    assert secret not in read.text and "url" not in body and "token" not in body

    other = await make_tenant(sessionmaker, settings, "Other")
    async with client_for(app, other.key) as stranger:
        assert_problem(await stranger.get(path), 404)
    assert (await client.delete(path)).status_code == 204
    assert_problem(await client.get(path), 404)


async def test_revoking_a_feed_honours_if_match_against_its_metadata_etag(
    client: httpx.AsyncClient,
) -> None:
    candidate = (
        await client.post(
            "/v1/candidates", json={"name": "Ada", "time_zone": "UTC", "country": "GB"}
        )
    ).json()
    path = f"/v1/candidates/{candidate['id']}/calendar-feed"
    await _feed(client, candidate["id"])
    first = (await client.get(path)).headers["ETag"]
    await _feed(client, candidate["id"])  # issued again: a new URL, a new ETag
    second = (await client.get(path)).headers["ETag"]
    assert first != second
    assert_problem(await client.delete(path, headers={"If-Match": first}), 412)
    assert (await client.delete(path, headers={"If-Match": second})).status_code == 204
    assert (await client.get(path)).status_code == 404


async def test_the_feed_is_written_in_a_worker_thread_not_on_the_event_loop(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from app.services import calendar_feeds

    application, _, _ = await interview_round(client)
    feed = await _feed(client, application["candidate_id"])
    threads: list[str] = []
    write = calendar_feeds.build_calendar

    def recording(*args: Any) -> bytes:
        threads.append(threading.current_thread().name)
        return write(*args)

    monkeypatch.setattr(calendar_feeds, "build_calendar", recording)
    calendar = await _calendar(anonymous, feed["url"])
    assert calendar.walk("VEVENT")
    assert threads and threading.current_thread().name not in threads

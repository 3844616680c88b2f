"""The full life of one application, step by step, through the API only.

Lena lives in Berlin (Germany), so business days skip German public holidays and 09:00
local is 08:00 UTC in winter time and 07:00 UTC from 28 March 2027 (summer time). Every
date is in spring 2027, after the day these tests were written; only E1 opens "when the
interview is recorded", which is the real moment of the request, and the test reads it
back from the interview's `created_at`.

At each step the feed is asked `as_of` a chosen moment and must hold exactly the expected
(type, interview, person, status) entries; windows are checked against SPEC.md's rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import httpx

from tests.api.builders import Json, all_pages, at, new_application, new_candidate, new_contact

Entry = tuple[str, str, str, str]


class Story:
    """Reads the feed of one candidate and names subjects after the people and rounds."""

    def __init__(self, client: httpx.AsyncClient, candidate_id: str) -> None:
        self.client = client
        self.candidate_id = candidate_id
        self.labels: dict[str | None, str] = {None: "-"}

    def name(self, record: Json, label: str) -> None:
        self.labels[record["id"]] = label

    async def feed(self, as_of: str, **filters: object) -> list[Json]:
        params = {"candidate_id": self.candidate_id, "as_of": as_of, **filters}
        return await all_pages(self.client, "/v1/actions", params)

    async def entries(self, as_of: str) -> list[Entry]:
        return sorted(self.entry(action) for action in await self.feed(as_of))

    def entry(self, action: Json) -> Entry:
        subject = action["subject"]
        return (
            action["type"],
            self.labels[subject["interview_id"]],
            self.labels[subject["contact_id"]],
            action["status"],
        )

    async def find(self, as_of: str, type_: str, interview: str, person: str) -> Json:
        found = [
            action
            for action in await self.feed(as_of)
            if self.entry(action)[:3] == (type_, interview, person)
            and action["obsolete_at"] is None
        ]
        assert len(found) == 1, found
        return found[0]


def window(action: Json) -> tuple[datetime, datetime]:
    return at(action["available_from"]), at(action["due_by"])


def expect(*entries: Entry) -> list[Entry]:
    return sorted(entries)


def utc(*moments: str) -> tuple[datetime, ...]:
    return tuple(at(moment) for moment in moments)


async def patch(client: httpx.AsyncClient, path: str, body: Json) -> Json:
    response = await client.patch(path, json=body)
    assert response.status_code == 200, response.text
    result: Json = response.json()
    return result


async def post(client: httpx.AsyncClient, path: str, body: Json) -> Json:
    response = await client.post(path, json=body)
    assert response.status_code in (200, 201), response.text
    result: Json = response.json()
    return result


def ids(actions: Sequence[Json]) -> set[str]:
    return {action["id"] for action in actions}


async def test_the_life_of_one_application(client: httpx.AsyncClient) -> None:
    lena = await new_candidate(client, name="Lena Schmidt", time_zone="Europe/Berlin", country="DE")
    story = Story(client, lena["id"])
    application = await new_application(
        client,
        lena["id"],
        company="Globex",
        role="Staff Engineer",
        source="recruiting_firm",
        recruiting_firm="Hooli Talent",
    )
    app_path = f"/v1/applications/{application['id']}"

    # 1. First contact: a recruiter reaches out. Nothing is owed before any interview.
    rita = await new_contact(
        client,
        application["id"],
        role="recruiter",
        made_first_contact=True,
        name="Rita Rahn",
        title="Talent Partner",
        email="rita@globex.example",
    )
    story.name(rita, "Rita")
    assert await story.entries("2027-03-01T12:00:00+01:00") == []

    # 2. The first round, a phone prescreen, is booked with Ivan, whose title is unknown,
    #    for Wednesday 10 March 10:00-10:45 Berlin (09:00-09:45 UTC).
    ivan = await new_contact(
        client, application["id"], name="Ivan Petrov", title=None, email="ivan@globex.example"
    )
    story.name(ivan, "Ivan")
    first = await post(
        client,
        f"{app_path}/interviews",
        {
            "kind": "prescreen",
            "start": "2027-03-10T10:00:00+01:00",
            "end": "2027-03-10T10:45:00+01:00",
            "panel": [ivan["id"]],
        },
    )
    story.name(first, "round 1")
    booked = "2027-03-01T12:00:00+01:00"
    assert await story.entries(booked) == expect(
        # Whom to ask about the panel: the recruiter who made first contact.
        ("confirm_interviewers", "round 1", "Rita", "due"),
        ("ask_closing_questions", "round 1", "-", "upcoming"),
        ("send_thank_you", "round 1", "Ivan", "upcoming"),
        ("check_in", "round 1", "Rita", "upcoming"),
    )
    confirm = await story.find(booked, "confirm_interviewers", "round 1", "Rita")
    # Open from the moment it was recorded, due 24 h before the start.
    assert window(confirm) == (at(first["created_at"]), at("2027-03-09T09:00:00Z"))
    closing = await story.find(booked, "ask_closing_questions", "round 1", "-")
    assert window(closing) == utc("2027-03-09T09:00:00Z", "2027-03-10T09:45:00Z")
    # No reply date given yet: Wed 10 March + 5 business days = Wed 17; the check-in
    # opens Thu 18 at 09:00 Berlin and closes two business days later, Mon 22.
    check_in = await story.find(booked, "check_in", "round 1", "Rita")
    assert window(check_in) == utc("2027-03-18T08:00:00Z", "2027-03-22T08:00:00Z")

    # 3. The panel is confirmed: Ivan's title is known and the recruiter confirms it.
    await patch(client, f"/v1/contacts/{ivan['id']}", {"title": "Engineering Manager"})
    assert (await story.find(booked, "confirm_interviewers", "round 1", "Rita"))["status"] == "due"
    await patch(client, f"/v1/interviews/{first['id']}", {"panel_confirmed": True})
    assert await story.entries(booked) == expect(
        ("confirm_interviewers", "round 1", "Rita", "done"),
        ("ask_closing_questions", "round 1", "-", "upcoming"),
        ("send_thank_you", "round 1", "Ivan", "upcoming"),
        ("check_in", "round 1", "Rita", "upcoming"),
    )

    # 4. The interview happens; Lena asked her closing questions: the next step, and news
    #    by Wednesday 24 March. The thank-you is due, exactly 24 h after the end.
    await patch(
        client,
        f"/v1/interviews/{first['id']}",
        {
            "status": "completed",
            "next_step": "Onsite with the team",
            "expected_reply_date": "2027-03-24",
        },
    )
    just_after = "2027-03-10T11:00:00+01:00"
    assert await story.entries(just_after) == expect(
        ("confirm_interviewers", "round 1", "Rita", "done"),
        ("ask_closing_questions", "round 1", "-", "done"),
        ("send_thank_you", "round 1", "Ivan", "due"),
        ("check_in", "round 1", "Rita", "upcoming"),
    )
    thank_ivan = await story.find(just_after, "send_thank_you", "round 1", "Ivan")
    assert window(thank_ivan) == utc("2027-03-10T09:45:00Z", "2027-03-11T09:45:00Z")
    assert thank_ivan["channel"] == "email"
    assert thank_ivan["blocked_reason"] is None
    # The check-in now waits for the 24th: opens Thu 25 March 09:00 CET; Good Friday,
    # the weekend and Easter Monday are skipped, so it closes Wed 31 March 09:00 CEST,
    # after the clocks changed.
    check_in = await story.find(just_after, "check_in", "round 1", "Rita")
    assert window(check_in) == utc("2027-03-25T08:00:00Z", "2027-03-31T07:00:00Z")

    # 5. Lena sent the thank-you that evening and logs it the next day.
    await post(
        client, f"/v1/actions/{thank_ivan['id']}/complete", {"at": "2027-03-10T18:30:00+01:00"}
    )
    next_day = "2027-03-11T12:00:00+01:00"
    assert await story.entries(next_day) == expect(
        ("confirm_interviewers", "round 1", "Rita", "done"),
        ("ask_closing_questions", "round 1", "-", "done"),
        ("send_thank_you", "round 1", "Ivan", "done"),
        ("check_in", "round 1", "Rita", "upcoming"),
    )

    # 6. The expected date passes without news: the check-in opens at 09:00 local on the
    #    next business day, and is overdue from 09:00 local (summer time) on the 31st.
    async def check_in_status(as_of: str) -> str:
        action = await story.find(as_of, "check_in", "round 1", "Rita")
        return str(action["status"])

    assert await check_in_status("2027-03-25T08:59:59+01:00") == "upcoming"
    assert await check_in_status("2027-03-25T09:00:00+01:00") == "due"
    assert await check_in_status("2027-03-31T08:59:59+02:00") == "due"
    assert await check_in_status("2027-03-31T09:00:00+02:00") == "overdue"
    due_now = await story.feed("2027-03-25T10:00:00+01:00", status=["due", "overdue"])
    assert [story.entry(a) for a in due_now] == [("check_in", "round 1", "Rita", "due")]
    first_check_in = due_now[0]

    # 7. Rita replies that afternoon: a decision by Friday 9 April. The pending check-in
    #    is no longer called for; a new one waits for that date (opens Mon 12 April).
    reply = await post(
        client,
        f"{app_path}/replies",
        {
            "received_at": "2027-03-25T15:00:00+01:00",
            "contact_id": rita["id"],
            "note": "Still interviewing; decision by Friday 9 April.",
            "new_expected_date": "2027-04-09",
        },
    )
    after_reply = "2027-03-25T16:00:00+01:00"
    assert await story.entries(after_reply) == expect(
        ("confirm_interviewers", "round 1", "Rita", "done"),
        ("ask_closing_questions", "round 1", "-", "done"),
        ("send_thank_you", "round 1", "Ivan", "done"),
        ("check_in", "round 1", "Rita", "obsolete"),
        ("check_in", "round 1", "Rita", "upcoming"),
    )
    waiting = await story.find(after_reply, "check_in", "round 1", "Rita")
    assert waiting["key"] == f"E4:{first['id']}:reply:{reply['id']}:1"
    assert waiting["id"] != first_check_in["id"]
    assert window(waiting) == utc("2027-04-12T07:00:00Z", "2027-04-14T07:00:00Z")

    # 8. Instead, a second round is booked: onsite on Wednesday 7 April, 09:00-12:00
    #    Berlin, with Olga and Fiona, the recruiting firm's representative, confirmed.
    olga = await new_contact(
        client,
        application["id"],
        name="Olga Berg",
        title="Head of Platform",
        email="olga@globex.example",
        profile_url="https://www.linkedin.com/in/olga-berg-example",
    )
    fiona = await new_contact(
        client,
        application["id"],
        role="recruiting_firm_representative",
        name="Fiona Firth",
        title="Senior Consultant",
        organization="Hooli Talent",
        email="fiona@hooli.example",
    )
    story.name(olga, "Olga")
    story.name(fiona, "Fiona")
    second = await post(
        client,
        f"{app_path}/interviews",
        {
            "kind": "onsite",
            "start": "2027-04-07T09:00:00+02:00",
            "end": "2027-04-07T12:00:00+02:00",
            "panel": [olga["id"], fiona["id"]],
            "panel_confirmed": True,
        },
    )
    story.name(second, "round 2")
    booked_again = "2027-03-30T12:00:00+02:00"
    round_one_history = [
        ("confirm_interviewers", "round 1", "Rita", "done"),
        ("ask_closing_questions", "round 1", "-", "done"),
        ("send_thank_you", "round 1", "Ivan", "done"),
        ("check_in", "round 1", "Rita", "obsolete"),
        ("check_in", "round 1", "Rita", "obsolete"),  # the one waiting for 9 April
    ]
    assert await story.entries(booked_again) == expect(
        *round_one_history,
        ("confirm_interviewers", "round 2", "Rita", "done"),
        ("ask_closing_questions", "round 2", "-", "upcoming"),
        ("send_thank_you", "round 2", "Olga", "upcoming"),
        ("send_thank_you", "round 2", "Fiona", "upcoming"),
        # The representative on the latest panel hears the check-in.
        ("check_in", "round 2", "Fiona", "upcoming"),
    )
    # No date given yet: Wed 7 April + 5 business days = Wed 14; opens Thu 15 09:00 CEST.
    check_in = await story.find(booked_again, "check_in", "round 2", "Fiona")
    assert window(check_in) == utc("2027-04-15T07:00:00Z", "2027-04-19T07:00:00Z")

    # 9. The onsite happens; decision by Friday 16 April. Two thank-yous are due by
    #    12:00 Berlin the next day; Lena sends both.
    await patch(
        client,
        f"/v1/interviews/{second['id']}",
        {
            "status": "completed",
            "next_step": "Hiring committee",
            "expected_reply_date": "2027-04-16",
        },
    )
    onsite_over = "2027-04-07T14:00:00+02:00"
    assert await story.entries(onsite_over) == expect(
        *round_one_history,
        ("confirm_interviewers", "round 2", "Rita", "done"),
        ("ask_closing_questions", "round 2", "-", "done"),
        ("send_thank_you", "round 2", "Olga", "due"),
        ("send_thank_you", "round 2", "Fiona", "due"),
        ("check_in", "round 2", "Fiona", "upcoming"),
    )
    thank_olga = await story.find(onsite_over, "send_thank_you", "round 2", "Olga")
    thank_fiona = await story.find(onsite_over, "send_thank_you", "round 2", "Fiona")
    for thank_you in (thank_olga, thank_fiona):
        assert window(thank_you) == utc("2027-04-07T10:00:00Z", "2027-04-08T10:00:00Z")
    check_in = await story.find(onsite_over, "check_in", "round 2", "Fiona")
    assert window(check_in) == utc("2027-04-19T07:00:00Z", "2027-04-21T07:00:00Z")
    await post(
        client, f"/v1/actions/{thank_olga['id']}/complete", {"at": "2027-04-07T18:00:00+02:00"}
    )
    await post(
        client, f"/v1/actions/{thank_fiona['id']}/complete", {"at": "2027-04-08T09:00:00+02:00"}
    )
    thanked = "2027-04-08T12:00:00+02:00"
    assert await story.entries(thanked) == expect(
        *round_one_history,
        ("confirm_interviewers", "round 2", "Rita", "done"),
        ("ask_closing_questions", "round 2", "-", "done"),
        ("send_thank_you", "round 2", "Olga", "done"),
        ("send_thank_you", "round 2", "Fiona", "done"),
        ("check_in", "round 2", "Fiona", "upcoming"),
    )

    # 10. Rejected on Tuesday 13 April, 16:00 Berlin. No more check-ins; connect with each
    #     distinct person who interviewed Lena, within 7 days; not with Rita, who did not.
    await patch(client, app_path, {"status": "rejected", "outcome_at": "2027-04-13T16:00:00+02:00"})
    rejected = "2027-04-13T17:00:00+02:00"
    assert await story.entries(rejected) == expect(
        *round_one_history,
        ("confirm_interviewers", "round 2", "Rita", "done"),
        ("ask_closing_questions", "round 2", "-", "done"),
        ("send_thank_you", "round 2", "Olga", "done"),
        ("send_thank_you", "round 2", "Fiona", "done"),
        ("check_in", "round 2", "Fiona", "obsolete"),
        ("connect_on_network", "-", "Ivan", "due"),
        ("connect_on_network", "-", "Olga", "due"),
        ("connect_on_network", "-", "Fiona", "due"),
    )
    connections = await story.feed(rejected, type="connect_on_network")
    for connect in connections:
        assert window(connect) == utc("2027-04-13T14:00:00Z", "2027-04-20T14:00:00Z")
        assert connect["channel"] == "professional_network"
    olga_connect = await story.find(rejected, "connect_on_network", "-", "Olga")
    assert "https://www.linkedin.com/in/olga-berg-example" in olga_connect["guidance"]
    # What is left to do is exactly the three connections; the feed agrees a week on.
    open_now = await story.feed(rejected, status=["upcoming", "due", "overdue"])
    assert ids(open_now) == ids(connections)
    week_later = await story.feed("2027-04-20T16:00:00+02:00", status="overdue")
    assert ids(week_later) == ids(connections)

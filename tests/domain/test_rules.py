"""Table tests for the etiquette rules E1-E5 and every row of SPEC.md section 1."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.domain import (
    MAX_KEY_LENGTH,
    ActionType,
    ApplicationStatus,
    BlockedReason,
    Candidate,
    Channel,
    Contact,
    InterviewStatus,
    Mark,
    MarkKind,
    Policy,
    Reply,
    RuleId,
    action_key,
    plan,
)
from tests.domain.builders import (
    BERLIN,
    KOLKATA,
    NEW_YORK,
    TOKYO,
    application,
    candidate,
    done,
    interview,
    local,
    of_rule,
    person,
    planned,
    utc,
)

# The default interview: Monday, September 8, 2025, 10:00-11:00 in Berlin (08:00-09:00 UTC),
# recorded ten days earlier.
START = utc(2025, 9, 8, 8)
END = utc(2025, 9, 8, 9)


# --- E1: before the interview -------------------------------------------------------------


def test_e1_window_runs_from_recording_to_the_lead_time_before_start() -> None:
    (action,) = of_rule(application(interviews=[interview()]), RuleId.E1)
    assert action.key == "E1:i1"
    assert action.type is ActionType.CONFIRM_INTERVIEWERS
    assert action.available_from == START - timedelta(days=10)
    assert action.due_by == START - timedelta(hours=24)
    assert not action.satisfied
    assert "Rule E1" in action.explanation
    assert "not been confirmed" in action.explanation


def test_e1_booked_three_hours_ahead_is_due_at_its_start() -> None:
    booked = interview(recorded_at=START - timedelta(hours=3))
    (action,) = of_rule(application(interviews=[booked]), RuleId.E1)
    assert action.available_from == START - timedelta(hours=3)
    assert action.due_by == START


def test_e1_recorded_after_the_fact_opens_and_closes_at_its_start() -> None:
    logged_late = interview(recorded_at=END + timedelta(days=1))
    (action,) = of_rule(application(interviews=[logged_late]), RuleId.E1)
    assert action.available_from == action.due_by == START


def test_e1_without_a_recording_time_opens_a_week_ahead() -> None:
    unknown = replace(interview(), recorded_at=None)
    (action,) = of_rule(application(interviews=[unknown]), RuleId.E1)
    assert action.available_from == START - timedelta(days=7)


def test_e1_follows_the_policy_lead_time() -> None:
    (action,) = of_rule(
        application(interviews=[interview()]), RuleId.E1, Policy(confirm_lead_hours=48)
    )
    assert action.due_by == START - timedelta(hours=48)


@pytest.mark.parametrize(
    ("panel", "confirmed", "contacts", "satisfied", "reason"),
    [
        (("p1",), True, [person("p1")], True, "panel is confirmed"),
        (("p1",), False, [person("p1")], False, "not been confirmed"),
        ((), True, [], False, "no interviewer has been named"),
        (("p1",), True, [person("p1", title=None)], False, "name or title of: Ann Example"),
        (("p1",), True, [person("p1", name=None)], False, "whose name you do not know"),
        (("ghost",), True, [], False, "whose name you do not know"),  # never recorded
    ],
)
def test_e1_is_done_by_itself_when_the_panel_is_confirmed_and_known(
    panel: tuple[str, ...],
    confirmed: bool,
    contacts: list[Contact],
    satisfied: bool,
    reason: str,
) -> None:
    app = application(
        interviews=[interview(panel=panel, confirmed=confirmed)],
        contacts=contacts,
    )
    (action,) = of_rule(app, RuleId.E1)
    assert action.satisfied is satisfied
    assert reason in action.explanation


def test_e1_a_panel_naming_only_the_first_contact_still_needs_confirming() -> None:
    recruiter = person("rec", name="Rita Recruiter", title="Recruiter", first_contact=True)
    app = application(interviews=[interview(panel=("rec",))], contacts=[recruiter])
    (action,) = of_rule(app, RuleId.E1)
    assert not action.satisfied
    assert "Rita Recruiter, who first reached out" in action.explanation


def test_e1_the_first_contact_is_not_assumed_to_be_an_interviewer() -> None:
    recruiter = person("rec", name="Rita Recruiter", first_contact=True)
    app = application(interviews=[interview(panel=())], contacts=[recruiter])
    by_key = planned(app)
    assert "E3:i1:rec" not in by_key
    assert not by_key["E1:i1"].satisfied
    assert by_key["E1:i1"].contact_id == "rec"  # the one to ask about the panel
    assert by_key["E1:i1"].channel is Channel.EMAIL
    assert "Rita Recruiter" in by_key["E1:i1"].guidance


@pytest.mark.parametrize(
    ("contacts", "contact_id", "channel"),
    [
        ([person("p1")], None, Channel.ANY),  # nobody organised it that we know of
        ([person("p1"), person("r", email=None, phone="1", rep=True)], "r", Channel.PHONE),
        (
            [person("r", rep=True), person("f", email=None, first_contact=True)],
            "r",  # the first contact cannot be reached; the representative can
            Channel.EMAIL,
        ),
    ],
)
def test_e1_asks_the_first_contact_or_a_recruiting_firm_representative(
    contacts: list[Contact], contact_id: str | None, channel: Channel
) -> None:
    app = application(interviews=[interview()], contacts=contacts)
    (action,) = of_rule(app, RuleId.E1)
    assert (action.contact_id, action.channel) == (contact_id, channel)


# --- E2: during the interview -------------------------------------------------------------


def test_e2_window_opens_with_the_lead_time_and_closes_at_the_end() -> None:
    (action,) = of_rule(application(interviews=[interview()]), RuleId.E2)
    assert action.key == "E2:i1"
    assert action.type is ActionType.ASK_CLOSING_QUESTIONS
    assert action.channel is Channel.IN_INTERVIEW
    assert action.available_from == START - timedelta(hours=24)
    assert action.due_by == END
    assert "Rule E2" in action.explanation


@pytest.mark.parametrize(
    ("next_step", "reply_date", "contacts", "satisfied", "missing"),
    [
        ("second round", date(2025, 9, 15), [person("p1")], True, None),
        ("second round", date(2025, 9, 15), [person("p1", email=None, phone="1")], True, None),
        (None, date(2025, 9, 15), [person("p1")], False, "the next step"),
        ("second round", None, [person("p1")], False, "when you can expect to hear back"),
        ("second round", date(2025, 9, 15), [person("p1", email=None)], False, "contact details"),
    ],
)
def test_e2_is_done_by_itself_with_next_step_reply_date_and_channels(
    next_step: str | None,
    reply_date: date | None,
    contacts: list[Contact],
    satisfied: bool,
    missing: str | None,
) -> None:
    app = application(
        interviews=[interview(next_step=next_step, expected_reply_date=reply_date)],
        contacts=contacts,
    )
    (action,) = of_rule(app, RuleId.E2)
    assert action.satisfied is satisfied
    if missing:
        assert missing in action.explanation


def test_e2_with_no_one_on_the_panel_is_not_done() -> None:
    app = application(
        interviews=[interview(panel=(), next_step="offer", expected_reply_date=date(2025, 9, 9))]
    )
    (action,) = of_rule(app, RuleId.E2)
    assert not action.satisfied


def test_e2_reminds_that_representatives_deserve_the_same_questions() -> None:
    app = application(interviews=[interview()], contacts=[person("p1", rep=True)])
    (action,) = of_rule(app, RuleId.E2)
    assert "recruiting firm" in action.explanation


# --- E3: directly after -------------------------------------------------------------------


def test_e3_one_thank_you_per_interviewer_due_a_day_after_the_end() -> None:
    app = application(
        interviews=[interview(panel=("p1", "p2", "p1"))],  # listed twice, thanked once
        contacts=[person("p1"), person("p2", name="Bo Other")],
    )
    actions = of_rule(app, RuleId.E3)
    assert [a.key for a in actions] == ["E3:i1:p1", "E3:i1:p2"]
    for action in actions:
        assert action.type is ActionType.SEND_THANK_YOU
        assert action.channel is Channel.EMAIL
        assert action.available_from == END
        assert action.due_by == END + timedelta(hours=24)
        assert action.blocked_reason is None
        assert "three or four sentences" in action.guidance
    assert actions[1].title == "Send a thank-you email to Bo Other"


def test_e3_follows_the_policy_hours() -> None:
    (action,) = of_rule(
        application(interviews=[interview()]), RuleId.E3, Policy(thank_you_hours=48)
    )
    assert action.due_by == END + timedelta(hours=48)


def test_e3_a_recruiting_firm_representative_gets_a_thank_you() -> None:
    rep = person("rep", name="Sam Agency", rep=True)
    (action,) = of_rule(
        application(interviews=[interview(panel=("rep",))], contacts=[rep]), RuleId.E3
    )
    assert action.contact_id == "rep"
    assert "recruiting firm" in action.explanation


def test_e3_an_interviewer_without_email_is_blocked_not_dropped() -> None:
    app = application(
        interviews=[interview()],
        contacts=[person("p1", email=None, phone="+49 30 1234"), person("f", first_contact=True)],
    )
    (action,) = of_rule(app, RuleId.E3)
    assert action.blocked_reason is BlockedReason.MISSING_CONTACT
    assert action.channel is Channel.EMAIL
    assert "no email address" in action.explanation


def test_e3_a_panel_member_never_recorded_is_still_thanked() -> None:
    (action,) = of_rule(
        application(interviews=[interview(panel=("ghost",))], contacts=[]), RuleId.E3
    )
    assert action.title == "Send a thank-you email to your interviewer"
    assert action.blocked_reason is BlockedReason.MISSING_CONTACT


# --- E4: the second follow-up -------------------------------------------------------------


def test_e4_default_wait_when_no_date_was_given() -> None:
    # Monday Sept 8 + 5 business days = Monday Sept 15; the check-in opens on Tuesday.
    (action,) = of_rule(application(interviews=[interview()]), RuleId.E4)
    assert action.key == "E4:i1:1"
    assert action.type is ActionType.CHECK_IN
    assert action.available_from == local(BERLIN, 2025, 9, 16, 9)
    assert action.due_by == local(BERLIN, 2025, 9, 18, 9)
    assert action.contact_id == "p1"
    assert action.channel is Channel.EMAIL
    assert "next week or so" in action.explanation
    assert "still interested" in action.guidance


def test_e4_default_wait_skips_a_public_holiday() -> None:
    # Monday June 2 + 5 business days skips Whit Monday, June 9.
    whit = interview(start=local(BERLIN, 2025, 6, 2, 10))
    (action,) = of_rule(application(interviews=[whit]), RuleId.E4)
    assert action.available_from == local(BERLIN, 2025, 6, 11, 9)
    assert action.due_by == local(BERLIN, 2025, 6, 13, 9)


def test_e4_follows_the_policy_wait_and_window() -> None:
    policy = Policy(default_reply_wait_business_days=10, check_in_window_business_days=3)
    (action,) = of_rule(application(interviews=[interview()]), RuleId.E4, policy)
    assert action.available_from == local(BERLIN, 2025, 9, 23, 9)
    assert action.due_by == local(BERLIN, 2025, 9, 26, 9)


@pytest.mark.parametrize(
    ("who", "start", "reply_date", "opens", "closes"),
    [
        # Expected reply on Thursday July 3, just before Independence Day (Friday July 4).
        (
            candidate(NEW_YORK, "US"),
            local(NEW_YORK, 2025, 7, 1, 10),
            date(2025, 7, 3),
            local(NEW_YORK, 2025, 7, 7, 9),
            local(NEW_YORK, 2025, 7, 9, 9),
        ),
        # The same date in Germany is an ordinary Thursday.
        (
            candidate(BERLIN, "DE"),
            local(BERLIN, 2025, 7, 1, 10),
            date(2025, 7, 3),
            local(BERLIN, 2025, 7, 4, 9),
            local(BERLIN, 2025, 7, 8, 9),
        ),
        # Expected reply on a Friday, just before the weekend.
        (
            candidate(NEW_YORK, "US"),
            local(NEW_YORK, 2025, 9, 8, 10),
            date(2025, 9, 12),
            local(NEW_YORK, 2025, 9, 15, 9),
            local(NEW_YORK, 2025, 9, 17, 9),
        ),
        # Expected reply just before Golden Week in Japan (May 3-6).
        (
            candidate(TOKYO, "JP"),
            local(TOKYO, 2025, 4, 28, 14),
            date(2025, 5, 2),
            local(TOKYO, 2025, 5, 7, 9),
            local(TOKYO, 2025, 5, 9, 9),
        ),
        # India, half an hour off UTC, before Gandhi Jayanti (Thursday October 2).
        (
            candidate(KOLKATA, "IN"),
            local(KOLKATA, 2025, 9, 29, 11),
            date(2025, 10, 1),
            local(KOLKATA, 2025, 10, 3, 9),
            local(KOLKATA, 2025, 10, 7, 9),
        ),
        # A code the holidays package does not cover: weekends only, Christmas included.
        (
            candidate("UTC", "ZZ"),
            utc(2025, 12, 22, 10),
            date(2025, 12, 24),
            utc(2025, 12, 25, 9),
            utc(2025, 12, 29, 9),
        ),
    ],
)
def test_e4_waits_for_the_expected_date_on_the_candidate_calendar(
    who: Candidate, start: datetime, reply_date: date, opens: datetime, closes: datetime
) -> None:
    app = application(
        interviews=[interview(start=start, expected_reply_date=reply_date)],
        who=who,
    )
    (action,) = of_rule(app, RuleId.E4)
    assert (action.available_from, action.due_by) == (opens, closes)
    assert "told to expect news" in action.explanation


@pytest.mark.parametrize(
    ("who", "start", "reply_date", "opens_utc"),
    [
        # Berlin springs forward on March 30: 09:00 is 08:00 UTC before, 07:00 UTC after.
        (candidate(BERLIN, "DE"), local(BERLIN, 2025, 3, 28, 14), None, utc(2025, 4, 7, 7)),
        # New York falls back on November 2: 09:00 is 13:00 UTC before, 14:00 UTC after.
        (
            candidate(NEW_YORK, "US"),
            local(NEW_YORK, 2025, 10, 30, 10),
            date(2025, 10, 31),
            utc(2025, 11, 3, 14),
        ),
    ],
)
def test_e4_opens_at_nine_local_across_a_daylight_saving_change(
    who: Candidate, start: datetime, reply_date: date | None, opens_utc: datetime
) -> None:
    app = application(
        interviews=[interview(start=start, expected_reply_date=reply_date)],
        who=who,
    )
    (action,) = of_rule(app, RuleId.E4)
    assert action.available_from == opens_utc
    wall_clock = action.available_from.astimezone(ZoneInfo(who.time_zone))
    assert (wall_clock.hour, wall_clock.minute) == (9, 0)
    # The interview and the check-in sit on different sides of the change.
    assert wall_clock.utcoffset() != start.astimezone(wall_clock.tzinfo).utcoffset()


def test_e4_an_expected_date_before_the_interview_counts_from_its_day() -> None:
    early = interview(expected_reply_date=date(2025, 9, 1))
    (action,) = of_rule(application(interviews=[early]), RuleId.E4)
    assert action.available_from == local(BERLIN, 2025, 9, 9, 9)


def test_e4_a_reply_without_a_date_ends_the_wait() -> None:
    reply = Reply(id="r1", received_at=END + timedelta(days=2), contact_id="p1")
    app = application(interviews=[interview()], replies=[reply])
    assert of_rule(app, RuleId.E4) == []


def test_e4_a_reply_with_a_new_date_replaces_the_pending_check_in() -> None:
    before = planned(application(interviews=[interview()]))
    reply = Reply(
        id="r1",
        received_at=END + timedelta(days=3),
        contact_id="hr",
        new_expected_date=date(2025, 9, 26),  # "we will decide by Friday the 26th"
    )
    app = application(
        interviews=[interview()],
        contacts=[person("p1"), person("hr", name="Hana Hr")],
        replies=[reply],
    )
    after = planned(app)
    assert "E4:i1:1" in before
    assert "E4:i1:1" not in after  # obsolete: its key vanished
    action = after["E4:i1:reply:r1:1"]
    assert action.available_from == local(BERLIN, 2025, 9, 29, 9)
    assert action.contact_id == "hr"  # the person who gave the new date
    assert "Hana Hr" in action.title


def test_e4_a_reply_before_the_interview_ended_does_not_count() -> None:
    reply = Reply(id="r1", received_at=START - timedelta(days=1))
    app = application(interviews=[interview()], replies=[reply])
    assert [a.key for a in of_rule(app, RuleId.E4)] == ["E4:i1:1"]


def test_e4_a_later_booking_replaces_the_pending_check_in() -> None:
    second = interview("i2", start=local(BERLIN, 2025, 9, 22, 10), status=InterviewStatus.SCHEDULED)
    app = application(interviews=[interview(), second])
    assert [a.key for a in of_rule(app, RuleId.E4)] == ["E4:i2:1"]
    assert of_rule(app, RuleId.E4)[0].available_from == local(BERLIN, 2025, 9, 30, 9)


@pytest.mark.parametrize(
    "status", [s for s in ApplicationStatus if s is not ApplicationStatus.ACTIVE]
)
def test_e4_an_outcome_ends_the_check_ins(status: ApplicationStatus) -> None:
    app = application(interviews=[interview()], status=status, outcome_at=END + timedelta(days=1))
    assert of_rule(app, RuleId.E4) == []


def test_e4_a_check_in_done_without_reply_schedules_the_next_one() -> None:
    done_at = local(BERLIN, 2025, 9, 17, 15)  # Wednesday
    app = application(interviews=[interview()], marks=[done("E4:i1:1", done_at)])
    first, second = of_rule(app, RuleId.E4)
    assert first.key == "E4:i1:1"
    assert second.key == "E4:i1:2"
    # Five business days after Wednesday Sept 17 is Wednesday Sept 24.
    assert second.available_from == local(BERLIN, 2025, 9, 24, 9)
    assert second.due_by == local(BERLIN, 2025, 9, 26, 9)
    assert "2 of 2" in second.title
    assert "without pressing" in second.explanation


def test_e4_two_check_ins_done_without_reply_and_no_third() -> None:
    marks = [
        done("E4:i1:1", local(BERLIN, 2025, 9, 17, 15)),
        done("E4:i1:2", local(BERLIN, 2025, 9, 24, 15)),
    ]
    app = application(interviews=[interview()], marks=marks)
    assert [a.key for a in of_rule(app, RuleId.E4)] == ["E4:i1:1", "E4:i1:2"]


def test_e4_max_check_ins_bounds_the_chain() -> None:
    marks = [
        done(f"E4:i1:{n}", local(BERLIN, 2025, 9, 17, 15) + timedelta(weeks=n)) for n in (1, 2, 3)
    ]
    app = application(interviews=[interview()], marks=marks)
    assert len(of_rule(app, RuleId.E4, Policy(max_check_ins=3))) == 3
    assert of_rule(app, RuleId.E4, Policy(max_check_ins=0)) == []


@pytest.mark.parametrize("kind", [MarkKind.DISMISSED, MarkKind.SNOOZED])
def test_e4_a_check_in_not_done_schedules_no_next_one(kind: MarkKind) -> None:
    mark = Mark(
        action_key="E4:i1:1",
        kind=kind,
        at=local(BERLIN, 2025, 9, 17, 15),
        snoozed_until=local(BERLIN, 2025, 9, 19, 9) if kind is MarkKind.SNOOZED else None,
    )
    app = application(interviews=[interview()], marks=[mark])
    assert [a.key for a in of_rule(app, RuleId.E4)] == ["E4:i1:1"]


@pytest.mark.parametrize(
    ("contacts", "reply_from", "expected", "channel", "blocked"),
    [
        # the person who gave the reply date comes first
        (
            [person("p1"), person("giver"), person("rep", rep=True)],
            "giver",
            "giver",
            Channel.EMAIL,
            None,
        ),
        # else the recruiting-firm representative
        (
            [person("p1"), person("rep", rep=True), person("f", first_contact=True)],
            None,
            "rep",
            Channel.EMAIL,
            None,
        ),
        # else the person who made first contact, here reachable by phone only
        (
            [person("p1"), person("f", email=None, phone="555", first_contact=True)],
            None,
            "f",
            Channel.PHONE,
            None,
        ),
        # else the first interviewer
        ([person("p1"), person("p2")], None, "p1", Channel.EMAIL, None),
        # someone unreachable is passed over
        (
            [person("p1"), person("rep", email=None, rep=True)],
            None,
            "p1",
            Channel.EMAIL,
            None,
        ),
        # nobody reachable: the first in line, blocked
        (
            [person("p1", email=None), person("rep", email=None, rep=True)],
            None,
            "rep",
            Channel.EMAIL,
            BlockedReason.MISSING_CONTACT,
        ),
    ],
)
def test_e4_recipient_order(
    contacts: list[Contact],
    reply_from: str | None,
    expected: str,
    channel: Channel,
    blocked: BlockedReason | None,
) -> None:
    replies = []
    if reply_from:
        replies.append(
            Reply(
                id="r1",
                received_at=END + timedelta(days=1),
                contact_id=reply_from,
                new_expected_date=date(2025, 9, 19),
            )
        )
    app = application(
        interviews=[interview(panel=("p1", "p2"))],
        contacts=contacts,
        replies=replies,
    )
    (action,) = of_rule(app, RuleId.E4)
    assert (action.contact_id, action.channel, action.blocked_reason) == (
        expected,
        channel,
        blocked,
    )


def test_e4_is_planned_for_an_interview_still_to_come() -> None:
    future = interview(status=InterviewStatus.SCHEDULED)
    assert [a.key for a in of_rule(application(interviews=[future]), RuleId.E4)] == ["E4:i1:1"]


# --- E5: once all is said and done --------------------------------------------------------


@pytest.mark.parametrize(
    "status",
    [ApplicationStatus.ACCEPTED, ApplicationStatus.REJECTED, ApplicationStatus.WITHDRAWN],
)
def test_e5_connect_with_everyone_interviewed_once_final(status: ApplicationStatus) -> None:
    outcome = utc(2025, 9, 20, 12)
    app = application(
        interviews=[interview()],
        contacts=[person("p1", profile_url="https://network.example/ann")],
        status=status,
        outcome_at=outcome,
    )
    (action,) = of_rule(app, RuleId.E5)
    assert action.key == "E5:p1"
    assert action.type is ActionType.CONNECT_ON_NETWORK
    assert action.channel is Channel.PROFESSIONAL_NETWORK
    assert action.interview_id is None
    assert (action.available_from, action.due_by) == (outcome, outcome + timedelta(days=7))
    assert "https://network.example/ann" in action.guidance
    assert "Rule E5" in action.explanation


def test_e5_is_planned_even_when_the_job_was_not_won() -> None:
    app = application(
        interviews=[interview()], status=ApplicationStatus.REJECTED, outcome_at=utc(2025, 9, 20)
    )
    (action,) = of_rule(app, RuleId.E5)
    assert "did not work out" in action.explanation


def test_e5_one_person_on_two_rounds_gets_one_connection() -> None:
    second = interview("i2", start=local(BERLIN, 2025, 9, 15, 10), panel=("p1", "p2"))
    app = application(
        interviews=[interview(), second],
        contacts=[person("p1"), person("p2")],
        status=ApplicationStatus.ACCEPTED,
        outcome_at=utc(2025, 9, 20),
    )
    assert [a.key for a in of_rule(app, RuleId.E5)] == ["E5:p1", "E5:p2"]


@pytest.mark.parametrize("status", [ApplicationStatus.ACTIVE, ApplicationStatus.OFFER])
def test_e5_waits_for_a_final_outcome(status: ApplicationStatus) -> None:
    app = application(interviews=[interview()], status=status, outcome_at=utc(2025, 9, 20))
    assert of_rule(app, RuleId.E5) == []


def test_e5_someone_with_neither_name_nor_profile_is_blocked() -> None:
    app = application(
        interviews=[interview()],
        contacts=[person("p1", name=None)],
        status=ApplicationStatus.REJECTED,
        outcome_at=utc(2025, 9, 20),
    )
    (action,) = of_rule(app, RuleId.E5)
    assert action.blocked_reason is BlockedReason.MISSING_CONTACT


def test_e5_without_an_outcome_time_opens_at_the_last_round() -> None:
    app = application(interviews=[interview()], status=ApplicationStatus.WITHDRAWN)
    (action,) = of_rule(app, RuleId.E5)
    assert action.available_from == END


def test_withdrawing_before_a_round_drops_that_round() -> None:
    later = interview(
        "i2",
        start=local(BERLIN, 2025, 9, 22, 10),
        panel=("p2",),
        status=InterviewStatus.SCHEDULED,
    )
    app = application(
        interviews=[interview(), later],
        contacts=[person("p1"), person("p2")],
        status=ApplicationStatus.WITHDRAWN,
        outcome_at=utc(2025, 9, 15),
    )
    keys = set(planned(app))
    assert not {key for key in keys if ":i2" in key}
    assert "E5:p2" not in keys
    assert "E5:p1" in keys


# --- cancelled and rescheduled interviews -------------------------------------------------


def test_a_cancelled_interview_produces_nothing() -> None:
    cancelled = interview(status=InterviewStatus.CANCELLED)
    assert plan(application(interviews=[cancelled]), Policy()) == []


def test_cancelling_the_latest_round_moves_the_check_in_back() -> None:
    second = interview("i2", start=local(BERLIN, 2025, 9, 22, 10), status=InterviewStatus.CANCELLED)
    app = application(interviews=[interview(), second])
    assert [a.key for a in of_rule(app, RuleId.E4)] == ["E4:i1:1"]
    assert not [key for key in planned(app) if ":i2" in key]


def test_a_rescheduled_interview_keeps_its_keys_with_new_windows() -> None:
    original = planned(application(interviews=[interview()]))
    moved = interview(start=local(BERLIN, 2025, 9, 10, 14))
    rescheduled = planned(application(interviews=[moved]))
    assert rescheduled.keys() == original.keys()
    for key, action in rescheduled.items():
        if action.rule is not RuleId.E1:
            assert action.due_by > original[key].due_by, key


# --- keys and ordering --------------------------------------------------------------------


def test_keys_escape_colons_so_they_stay_unambiguous() -> None:
    assert action_key(RuleId.E3, "a:b", "c") == "E3:a%3Ab:c"
    assert action_key(RuleId.E3, "a", "b:c") == "E3:a:b%3Ac"
    assert action_key(RuleId.E3, "100%", "x") == "E3:100%25:x"


def test_long_ids_give_short_stable_keys() -> None:
    long_id = "x" * 300
    key = action_key(RuleId.E3, long_id, "p1")
    assert len(key) <= MAX_KEY_LENGTH
    assert key.startswith("E3:sha256:")
    assert key == action_key(RuleId.E3, long_id, "p1")
    assert key != action_key(RuleId.E3, long_id, "p2")


def test_plan_is_sorted_by_due_time_then_opening_then_key() -> None:
    actions = plan(
        application(
            interviews=[interview(panel=("p2", "p1"))], contacts=[person("p1"), person("p2")]
        ),
        Policy(),
    )
    order = [(a.due_by, a.available_from, a.key) for a in actions]
    assert order == sorted(order)
    assert [a.rule for a in actions] == [RuleId.E1, RuleId.E2, RuleId.E3, RuleId.E3, RuleId.E4]


def test_every_time_in_the_plan_is_utc() -> None:
    app = application(
        interviews=[interview(start=local(TOKYO, 2025, 4, 28, 14))], who=candidate(TOKYO, "JP")
    )
    for action in plan(app, Policy()):
        assert action.available_from.utcoffset() == timedelta(0)
        assert action.due_by.tzinfo is not None
        assert str(action.due_by.tzinfo) == "UTC"

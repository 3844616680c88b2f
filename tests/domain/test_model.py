"""The data the rules read refuses what they could not reason about."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from app.domain import (
    ApplicationStatus,
    Candidate,
    DomainError,
    Interview,
    InterviewKind,
    InterviewStatus,
    Mark,
    MarkKind,
    Reply,
    RuleId,
)
from tests.domain.builders import application, interview, of_rule, planned, utc


@pytest.mark.parametrize(
    ("status", "final"),
    [
        (ApplicationStatus.ACTIVE, False),
        (ApplicationStatus.OFFER, False),
        (ApplicationStatus.ACCEPTED, True),
        (ApplicationStatus.REJECTED, True),
        (ApplicationStatus.WITHDRAWN, True),
    ],
)
def test_final_statuses(status: ApplicationStatus, final: bool) -> None:
    assert status.is_final is final


@pytest.mark.parametrize(
    ("time_zone", "country", "field"),
    [
        ("Europe/Berlin", "de", "country"),
        ("Europe/Berlin", "DEU", "country"),
        ("Nowhere/X", "DE", "time_zone"),
    ],
)
def test_candidate_validation(time_zone: str, country: str, field: str) -> None:
    with pytest.raises(DomainError) as raised:
        Candidate(id="c", time_zone=time_zone, country=country)
    assert raised.value.field == field


def test_naive_times_are_refused() -> None:
    naive = datetime(2025, 9, 8, 10)
    with pytest.raises(DomainError, match="start"):
        Interview(id="i", kind=InterviewKind.PHONE, start=naive, end=utc(2025, 9, 8, 11))
    with pytest.raises(DomainError, match="received_at"):
        Reply(id="r", received_at=naive)
    with pytest.raises(DomainError, match="at"):
        Mark(action_key="E3:i:p", kind=MarkKind.DONE, at=naive)


def test_an_interview_cannot_end_before_it_starts() -> None:
    with pytest.raises(DomainError, match="end"):
        Interview(
            id="i", kind=InterviewKind.PHONE, start=utc(2025, 9, 8, 11), end=utc(2025, 9, 8, 10)
        )


def test_a_snooze_needs_its_end() -> None:
    with pytest.raises(DomainError, match="snoozed_until"):
        Mark(action_key="E3:i:p", kind=MarkKind.SNOOZED, at=utc(2025, 9, 8))


def test_planned_actions_are_frozen_values() -> None:
    (first,) = of_rule(application(interviews=[interview()]), RuleId.E3)
    (again,) = of_rule(application(interviews=[interview()]), RuleId.E3)
    assert first == again
    assert hash(first) == hash(again)
    with pytest.raises(AttributeError):
        first.key = "other"  # type: ignore[misc]
    assert first.due_by - first.available_from == timedelta(hours=24)


# --- the builders the domain tests use -------------------------------------------------


def test_default_interview_is_a_completed_hour_in_berlin() -> None:
    built = interview()
    assert built.end - built.start == timedelta(hours=1)
    assert built.start.utcoffset() == timedelta(hours=2)  # CEST in September
    assert built.status is InterviewStatus.COMPLETED


def test_default_application_plans_something() -> None:
    assert planned(application(interviews=[interview()]))


def test_reply_builder_keeps_its_date() -> None:
    reply = Reply(id="r1", received_at=utc(2025, 9, 10), new_expected_date=date(2025, 9, 19))
    assert reply.new_expected_date == date(2025, 9, 19)

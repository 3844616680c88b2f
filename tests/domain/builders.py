"""Small builders with sensible defaults for the domain tests (checked in test_model.py)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from app.domain import (
    Application,
    ApplicationStatus,
    Candidate,
    Contact,
    Interview,
    InterviewKind,
    InterviewStatus,
    Mark,
    MarkKind,
    PlannedAction,
    Policy,
    Reply,
    RuleId,
    plan,
)

BERLIN = "Europe/Berlin"
NEW_YORK = "America/New_York"
TOKYO = "Asia/Tokyo"
KOLKATA = "Asia/Kolkata"


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """An aware UTC datetime."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def local(
    time_zone: str, year: int, month: int, day: int, hour: int = 0, minute: int = 0
) -> datetime:
    """An aware datetime on the wall clock of ``time_zone``."""
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(time_zone))


def candidate(time_zone: str = BERLIN, country: str = "DE") -> Candidate:
    """A candidate, by default in Berlin."""
    return Candidate(id="cand-1", time_zone=time_zone, country=country)


def person(
    contact_id: str,
    *,
    name: str | None = "Ann Example",
    title: str | None = "Engineering Manager",
    email: str | None = "ann@example.com",
    phone: str | None = None,
    profile_url: str | None = None,
    rep: bool = False,
    first_contact: bool = False,
) -> Contact:
    """A contact whose name, title and email are known unless told otherwise."""
    return Contact(
        id=contact_id,
        name=name,
        title=title,
        organization="Example Corp",
        email=email,
        phone=phone,
        profile_url=profile_url,
        is_recruiting_firm_rep=rep,
        made_first_contact=first_contact,
    )


def interview(
    interview_id: str = "i1",
    *,
    start: datetime | None = None,
    minutes: int = 60,
    panel: tuple[str, ...] = ("p1",),
    status: InterviewStatus = InterviewStatus.COMPLETED,
    kind: InterviewKind = InterviewKind.VIDEO,
    confirmed: bool = False,
    next_step: str | None = None,
    expected_reply_date: date | None = None,
    recorded_at: datetime | None = None,
) -> Interview:
    """An interview, by default a completed one-hour video call on Monday, Sept 8, 2025."""
    begins = start if start is not None else local(BERLIN, 2025, 9, 8, 10)
    return Interview(
        id=interview_id,
        kind=kind,
        start=begins,
        end=begins + timedelta(minutes=minutes),
        status=status,
        panel=panel,
        panel_confirmed=confirmed,
        next_step=next_step,
        expected_reply_date=expected_reply_date,
        recorded_at=recorded_at if recorded_at is not None else begins - timedelta(days=10),
    )


def application(
    *,
    interviews: Iterable[Interview] = (),
    contacts: Iterable[Contact] = (person("p1"),),
    replies: Iterable[Reply] = (),
    marks: Iterable[Mark] = (),
    status: ApplicationStatus = ApplicationStatus.ACTIVE,
    outcome_at: datetime | None = None,
    who: Candidate | None = None,
) -> Application:
    """An application, by default active and with one known interviewer ``p1``."""
    return Application(
        id="app-1",
        candidate=who if who is not None else candidate(),
        status=status,
        outcome_at=outcome_at,
        contacts=tuple(contacts),
        interviews=tuple(interviews),
        replies=tuple(replies),
        marks=tuple(marks),
    )


def done(key: str, at: datetime) -> Mark:
    """A done mark on ``key``."""
    return Mark(action_key=key, kind=MarkKind.DONE, at=at)


def planned(app: Application, policy: Policy | None = None) -> dict[str, PlannedAction]:
    """The plan of ``app`` by key."""
    return {action.key: action for action in plan(app, policy or Policy())}


def of_rule(app: Application, rule: RuleId, policy: Policy | None = None) -> list[PlannedAction]:
    """The planned actions of one rule."""
    return [action for action in plan(app, policy or Policy()) if action.rule is rule]

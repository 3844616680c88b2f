"""Frozen dataclasses and enums the etiquette rules read; a named tuple for what they plan."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from enum import StrEnum
from typing import Any, NamedTuple

from app.domain.calendar import is_known_time_zone
from app.domain.texts import (
    DEFAULT_LANGUAGE,
    Message,
    message_from_json,
    message_to_json,
    render,
    render_text,
)


class DomainError(ValueError):
    """Input that the etiquette rules cannot work with, naming the field at fault."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.message = message


class PolicyError(DomainError):
    """A policy value outside what the rules accept."""


class InterviewKind(StrEnum):
    """How the interview is held."""

    PRESCREEN = "prescreen"
    PHONE = "phone"
    VIDEO = "video"
    ONSITE = "onsite"


class InterviewStatus(StrEnum):
    """Where an interview stands; a scheduled one whose end has passed counts as held."""

    SCHEDULED = "scheduled"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class ApplicationStatus(StrEnum):
    """Where the application stands; accepted, rejected and withdrawn are final."""

    ACTIVE = "active"
    OFFER = "offer"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"

    @property
    def is_final(self) -> bool:
        """Whether all is said and done for this application."""
        return self in _FINAL_STATUSES


_FINAL_STATUSES = frozenset(
    {ApplicationStatus.ACCEPTED, ApplicationStatus.REJECTED, ApplicationStatus.WITHDRAWN}
)


class ApplicationSource(StrEnum):
    """How the candidate came to this job."""

    DIRECT = "direct"
    RECRUITING_FIRM = "recruiting_firm"


class ContactRole(StrEnum):
    """The person's part in the process."""

    INTERVIEWER = "interviewer"
    RECRUITER = "recruiter"
    RECRUITING_FIRM_REPRESENTATIVE = "recruiting_firm_representative"
    COORDINATOR = "coordinator"


class RuleId(StrEnum):
    """The etiquette rules, numbered as in SPEC.md section 1."""

    E1 = "E1"
    E2 = "E2"
    E3 = "E3"
    E4 = "E4"
    E5 = "E5"


class ActionType(StrEnum):
    """What the candidate is asked to do."""

    CONFIRM_INTERVIEWERS = "confirm_interviewers"
    ASK_CLOSING_QUESTIONS = "ask_closing_questions"
    SEND_THANK_YOU = "send_thank_you"
    CHECK_IN = "check_in"
    CONNECT_ON_NETWORK = "connect_on_network"


class ActionStatus(StrEnum):
    """Where an action stands at a given moment."""

    UPCOMING = "upcoming"
    DUE = "due"
    OVERDUE = "overdue"
    SNOOZED = "snoozed"
    DONE = "done"
    DISMISSED = "dismissed"
    OBSOLETE = "obsolete"


# Statuses that no moment changes: the action is closed, and says why.
CLOSED_STATUSES = frozenset({ActionStatus.DONE, ActionStatus.DISMISSED, ActionStatus.OBSOLETE})


class Channel(StrEnum):
    """How the action reaches its person.

    ``in_interview`` is for what is done while the interview is under way (E2), whatever
    its medium; ``any`` is for an action with no one in particular to contact (E1 when no
    recruiter or first contact is known).
    """

    EMAIL = "email"
    PHONE = "phone"
    PROFESSIONAL_NETWORK = "professional_network"
    IN_INTERVIEW = "in_interview"
    ANY = "any"


class BlockedReason(StrEnum):
    """Why an action cannot be carried out as planned yet."""

    MISSING_CONTACT = "missing_contact"


class MarkKind(StrEnum):
    """What the user said about an action."""

    DONE = "done"
    DISMISSED = "dismissed"
    SNOOZED = "snoozed"


def _require_aware(field_name: str, value: datetime | None) -> None:
    """Reject naive datetimes: every instant the rules compare must be unambiguous."""
    if value is not None and value.utcoffset() is None:
        raise DomainError(field_name, "must carry a time zone offset")


_COUNTRY_CODE = re.compile(r"[A-Z]{2}")


@dataclass(frozen=True, slots=True)
class Candidate:
    """The job seeker; business days are counted on their calendar."""

    id: str
    time_zone: str
    country: str
    # The language their actions' texts are written in (a language with a catalogue).
    language: str = DEFAULT_LANGUAGE

    def __post_init__(self) -> None:
        if not _COUNTRY_CODE.fullmatch(self.country):
            raise DomainError("country", "must be an ISO 3166-1 alpha-2 code such as 'DE'")
        if not is_known_time_zone(self.time_zone):
            raise DomainError("time_zone", f"unknown IANA time zone {self.time_zone!r}")


@dataclass(frozen=True, slots=True)
class Contact:
    """A person on the employer's side: interviewer, recruiter or first contact."""

    id: str
    name: str | None = None
    title: str | None = None
    organization: str | None = None
    email: str | None = None
    phone: str | None = None
    profile_url: str | None = None
    is_recruiting_firm_rep: bool = False
    made_first_contact: bool = False

    @property
    def is_identified(self) -> bool:
        """Whether both name and title are known, as E1 asks."""
        return bool(self.name) and bool(self.title)

    @property
    def is_reachable(self) -> bool:
        """Whether there is an email address or a phone number for them."""
        return bool(self.email) or bool(self.phone)


@dataclass(frozen=True, slots=True)
class Interview:
    """One interview round; ``panel`` lists contact ids, the first being the lead."""

    id: str
    kind: InterviewKind
    start: datetime
    end: datetime
    status: InterviewStatus = InterviewStatus.SCHEDULED
    panel: tuple[str, ...] = ()
    panel_confirmed: bool = False
    next_step: str | None = None
    expected_reply_date: date | None = None
    # When the interview was first recorded: E1's window opens then. Optional so callers
    # that do not know it still get a plan (see rules.confirm_interviewers).
    recorded_at: datetime | None = None

    def __post_init__(self) -> None:
        _require_aware("start", self.start)
        _require_aware("end", self.end)
        _require_aware("recorded_at", self.recorded_at)
        if self.end < self.start:
            raise DomainError("end", "must not be before start")


@dataclass(frozen=True, slots=True)
class Reply:
    """The employer got back to the candidate, possibly naming a new date to expect news."""

    id: str
    received_at: datetime
    contact_id: str | None = None
    new_expected_date: date | None = None

    def __post_init__(self) -> None:
        _require_aware("received_at", self.received_at)


@dataclass(frozen=True, slots=True)
class Mark:
    """What the user said about one action, and when it happened."""

    action_key: str
    kind: MarkKind
    at: datetime
    snoozed_until: datetime | None = None
    reason: str | None = None

    def __post_init__(self) -> None:
        _require_aware("at", self.at)
        _require_aware("snoozed_until", self.snoozed_until)
        if self.kind is MarkKind.SNOOZED and self.snoozed_until is None:
            raise DomainError("snoozed_until", "is required to snooze an action")


@dataclass(frozen=True, slots=True)
class Application:
    """One job application with everything the rules read about it."""

    id: str
    candidate: Candidate
    status: ApplicationStatus = ApplicationStatus.ACTIVE
    outcome_at: datetime | None = None
    contacts: tuple[Contact, ...] = ()
    interviews: tuple[Interview, ...] = ()
    replies: tuple[Reply, ...] = ()
    # Marks live here because a check-in repeats counting from when the previous one was
    # marked done.
    marks: tuple[Mark, ...] = ()

    def __post_init__(self) -> None:
        _require_aware("outcome_at", self.outcome_at)


@dataclass(frozen=True, slots=True)
class PolicyField:
    """One tunable policy value, described for the API and its documentation."""

    name: str
    default: int
    minimum: int
    maximum: int
    unit: str
    description: str


def _bounded(default: int, minimum: int, maximum: int, unit: str) -> Any:
    """A policy field with its accepted range recorded next to its default."""
    return field(default=default, metadata={"minimum": minimum, "maximum": maximum, "unit": unit})


@dataclass(frozen=True, slots=True)
class Policy:
    """A tenant's timing choices for the rules; defaults are those of SPEC.md."""

    confirm_lead_hours: int = _bounded(24, 0, 336, "hours")
    thank_you_hours: int = _bounded(24, 1, 336, "hours")
    default_reply_wait_business_days: int = _bounded(5, 0, 60, "business_days")
    # At least one day, so a check-in window is never empty.
    check_in_window_business_days: int = _bounded(2, 1, 20, "business_days")
    # At least one day, so repeated check-ins never fall on the same day.
    check_in_repeat_business_days: int = _bounded(5, 1, 60, "business_days")
    max_check_ins: int = _bounded(2, 0, 5, "count")
    connect_within_days: int = _bounded(7, 1, 90, "days")

    def __post_init__(self) -> None:
        for spec in policy_fields():
            value = getattr(self, spec.name)
            # bool is an int subclass; True as "1 hour" would be a silent mistake.
            if isinstance(value, bool) or not isinstance(value, int):
                raise PolicyError(spec.name, "must be a whole number")
            if not spec.minimum <= value <= spec.maximum:
                raise PolicyError(
                    spec.name, f"must be between {spec.minimum} and {spec.maximum} {spec.unit}"
                )

    @staticmethod
    def fields() -> tuple[PolicyField, ...]:
        """The tunable values with their defaults and accepted ranges."""
        return policy_fields()


# Built once from the field metadata above; Policy() validates against it.
_POLICY_FIELDS = tuple(
    PolicyField(
        name=spec.name,
        default=spec.default if isinstance(spec.default, int) else 0,
        minimum=spec.metadata["minimum"],
        maximum=spec.metadata["maximum"],
        unit=spec.metadata["unit"],
        description=render_text(f"policy.{spec.name}"),
    )
    for spec in fields(Policy)
)


def policy_fields() -> tuple[PolicyField, ...]:
    """The tunable values of :class:`Policy` with their defaults and accepted ranges."""
    return _POLICY_FIELDS


class Wording(NamedTuple):
    """What an action says, in no language yet: each text as :func:`texts.render` reads it."""

    title: Message
    explanation: Message
    guidance: Message

    def to_json(self) -> dict[str, Any]:
        """The wording as JSON data, as an action stores it."""
        return {
            "title": message_to_json(self.title),
            "explanation": message_to_json(self.explanation),
            "guidance": message_to_json(self.guidance),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Wording:
        """The wording :meth:`to_json` wrote."""
        return cls(
            message_from_json(data["title"]),
            message_from_json(data["explanation"]),
            message_from_json(data["guidance"]),
        )

    def render(self, language: str) -> tuple[str, str, str]:
        """The title, explanation and guidance written in ``language``."""
        return (
            render(self.title, language),
            render(self.explanation, language),
            render(self.guidance, language),
        )


class PlannedAction(NamedTuple):
    """One follow-up the application calls for, with its window in UTC.

    A named tuple rather than a frozen dataclass: plan() builds millions of these, and a
    tuple is built in half the time, immutable all the same. The rules build the most
    frequent ones positionally, in this field order.

    Its texts are described (``wording``), not written: ``title``, ``explanation`` and
    ``guidance`` write them in the plan's ``language`` when asked, and any other language
    can be written from the same description.
    """

    key: str
    rule: RuleId
    type: ActionType
    interview_id: str | None
    contact_id: str | None
    available_from: datetime
    due_by: datetime
    channel: Channel
    blocked_reason: BlockedReason | None
    wording: Wording
    satisfied: bool = False
    language: str = DEFAULT_LANGUAGE

    @property
    def title(self) -> str:
        return render(self.wording.title, self.language)

    @property
    def explanation(self) -> str:
        return render(self.wording.explanation, self.language)

    @property
    def guidance(self) -> str:
        return render(self.wording.guidance, self.language)

"""The etiquette of following up after a job interview, as pure functions and data.

Only the standard library, ``zoneinfo`` and ``holidays`` are imported here; the domain
never touches I/O or reads the clock.
"""

from app.domain.calendar import (
    business_day_after,
    is_business_day,
    is_known_time_zone,
    local_date,
    local_time_to_utc,
    public_holidays,
)
from app.domain.model import (
    ActionStatus,
    ActionType,
    Application,
    ApplicationSource,
    ApplicationStatus,
    BlockedReason,
    Candidate,
    Channel,
    Contact,
    ContactRole,
    DomainError,
    Interview,
    InterviewKind,
    InterviewStatus,
    Mark,
    MarkKind,
    PlannedAction,
    Policy,
    PolicyError,
    PolicyField,
    Reply,
    RuleId,
    policy_fields,
)
from app.domain.plan import plan, status, status_of
from app.domain.rules import MAX_KEY_LENGTH, action_key, latest_mark
from app.domain.texts import DEFAULT_LANGUAGE, format_date, languages, render_text

__all__ = [
    "DEFAULT_LANGUAGE",
    "MAX_KEY_LENGTH",
    "ActionStatus",
    "ActionType",
    "Application",
    "ApplicationSource",
    "ApplicationStatus",
    "BlockedReason",
    "Candidate",
    "Channel",
    "Contact",
    "ContactRole",
    "DomainError",
    "Interview",
    "InterviewKind",
    "InterviewStatus",
    "Mark",
    "MarkKind",
    "PlannedAction",
    "Policy",
    "PolicyError",
    "PolicyField",
    "Reply",
    "RuleId",
    "action_key",
    "business_day_after",
    "format_date",
    "is_business_day",
    "is_known_time_zone",
    "languages",
    "latest_mark",
    "local_date",
    "local_time_to_utc",
    "plan",
    "policy_fields",
    "public_holidays",
    "render_text",
    "status",
    "status_of",
]

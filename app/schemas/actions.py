"""Bodies of the actions feed, the marks a user puts on actions, and the tenant's policy."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field, create_model, field_validator

from app.domain import (
    ActionStatus,
    ActionType,
    BlockedReason,
    Channel,
    MarkKind,
    RuleId,
    policy_fields,
)
from app.schemas.common import (
    ApplicationRef,
    CandidateRef,
    CreatedAt,
    MultiLineText,
    OwnId,
    ReadModel,
    Timestamp,
    UpdatedAt,
    WriteModel,
    example,
    later_than,
)


class ActionSubject(ReadModel):
    """What the action is about: an interview, a person, or both."""

    interview_id: str | None = Field(description="The interview it concerns, if any.")
    contact_id: str | None = Field(description="The person it concerns, if any.")


class ActionMark(ReadModel):
    """What the user said about the action."""

    kind: MarkKind = Field(description="`done`, `dismissed` or `snoozed`.")
    at: datetime = Field(description="When it happened (as the user logged it).")
    snoozed_until: datetime | None = Field(description="Hidden until then, when snoozed.")
    reason: str | None = Field(description="Why it was dismissed, when dismissed.")


class ActionRead(ReadModel):
    """A follow-up the candidate owes, with its window and its status at `as_of`."""

    id: OwnId
    key: str = Field(description="Stable key within the application, e.g. `E3:int_…:con_…`.")
    application_id: ApplicationRef
    candidate_id: CandidateRef
    rule: RuleId = Field(description="The etiquette rule that calls for it (E1-E5).")
    type: ActionType = Field(description="What to do.")
    subject: ActionSubject = Field(description="The interview and/or person it concerns.")
    available_from: datetime = Field(description="When the window opens.")
    due_by: datetime = Field(description="When the window closes.")
    status: ActionStatus = Field(description="Status evaluated at `as_of`.")
    as_of: datetime = Field(description="The moment `status` was evaluated at.")
    channel: Channel = Field(description="How to carry it out.")
    blocked_reason: BlockedReason | None = Field(
        description="Why it cannot be done as planned yet, e.g. `missing_contact`."
    )
    language: str = Field(
        description="The language `title`, `explanation` and `guidance` are written in: the "
        "one the request asked for (`language`, `Accept-Language`), else the candidate's.",
        examples=["de"],
    )
    title: str = Field(description="One line saying what to do.")
    explanation: str = Field(description="Which etiquette rule applies and why.")
    guidance: str = Field(description="How to do it well.")
    mark: ActionMark | None = Field(description="The user's mark, if any.")
    obsolete_at: datetime | None = Field(description="When no rule called for it any more.")
    created_at: CreatedAt
    updated_at: UpdatedAt


class CompleteAction(WriteModel):
    """Mark an action done."""

    model_config = example(at="2026-12-03T18:05:00+01:00")

    at: Timestamp | None = Field(
        default=None, description="When it was done; defaults to now (log yesterday's thank-you)."
    )


class DismissAction(WriteModel):
    """Skip an action on purpose."""

    model_config = example(reason="Thanked in person.")

    reason: MultiLineText = Field(min_length=1, max_length=500, description="Why it is skipped.")
    at: Timestamp | None = Field(default=None, description="When; defaults to now.")


class SnoozeAction(WriteModel):
    """Hide an action until a later time."""

    model_config = example(until="2026-12-07T09:00:00+01:00")

    # `at` comes first so that the check on `until` can read it and name `until` when it fails.
    at: Timestamp | None = Field(default=None, description="When it was snoozed; defaults to now.")
    until: Timestamp = Field(description="When it should show again.")

    _until_after_at = field_validator("until")(later_than("at"))


def _policy_model(name: str, *, optional: bool) -> Any:
    fields: dict[str, Any] = {}
    for spec in policy_fields():
        limits = f"{spec.minimum}-{spec.maximum} {spec.unit}; default {spec.default}"
        description = f"{spec.description} ({limits})."
        if optional:
            fields[spec.name] = (
                int | None,
                Field(default=None, ge=spec.minimum, le=spec.maximum, description=description),
            )
        else:
            fields[spec.name] = (int, Field(description=description))
    base = WriteModel if optional else ReadModel
    return create_model(name, __base__=base, **fields)


PolicyValues: Any = _policy_model("PolicyValues", optional=False)
PolicyValues.__doc__ = "The tenant's timing policy for the etiquette rules."
PolicyUpdate: Any = _policy_model("PolicyUpdate", optional=True)
PolicyUpdate.__doc__ = "The whole policy; omitted values return to their defaults."
PolicyUpdate.model_config["json_schema_extra"] = {
    "examples": [{"thank_you_hours": 24, "max_check_ins": 1}]
}

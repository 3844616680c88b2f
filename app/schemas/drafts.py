"""Bodies of drafts, the draft checker and tenants' draft templates."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Self

from pydantic import AliasChoices, BaseModel, Field, model_validator

from app.domain import DEFAULT_LANGUAGE, ActionType, BlockedReason, Channel
from app.domain.draft_templates import (
    MAX_NESTING,
    MAX_TEMPLATE_OUTPUT,
    MAX_TEXT,
    filters_help,
    variables_help,
)
from app.domain.messages import NETWORK_NOTE_LIMIT, DraftPart, FindingCode, MessageKind, Severity
from app.schemas.common import (
    MultiLineText,
    ReadModel,
    ResourceId,
    SingleLine,
    SingleLineText,
    Timestamp,
    WriteModel,
    example,
)

Language = Annotated[str, SingleLine]


def _language_field() -> Any:
    return Field(
        default=DEFAULT_LANGUAGE,
        min_length=2,
        max_length=16,
        description="Language of the texts, a BCP 47 tag: `en`, `de`, `fr`, `es` or `ja`; a "
        "regional tag such as `de-CH` reads as its language, `de`.",
    )


class DraftFormat(StrEnum):
    """How the draft is meant to be used."""

    EMAIL = "email"
    PHONE_SCRIPT = "phone_script"
    NETWORK_NOTE = "network_note"
    CHECKLIST = "checklist"


FORMAT_OF_KIND = {
    MessageKind.THANK_YOU: DraftFormat.EMAIL,
    MessageKind.CHECK_IN: DraftFormat.EMAIL,
    MessageKind.PANEL_REQUEST: DraftFormat.EMAIL,
    MessageKind.CHECK_IN_CALL: DraftFormat.PHONE_SCRIPT,
    MessageKind.CONNECTION_NOTE: DraftFormat.NETWORK_NOTE,
    MessageKind.CLOSING_QUESTIONS: DraftFormat.CHECKLIST,
}


class TextSpan(ReadModel):
    """Character offsets into the part's text, in Unicode code points: [start, end)."""

    start: int = Field(ge=0, description="Offset of the first character.")
    end: int = Field(ge=0, description="Offset just past the last character.")


class FindingRead(ReadModel):
    """One thing in a draft that breaks (or may break) the etiquette."""

    code: FindingCode = Field(description="What was found; see the `FindingCode` schema.")
    severity: Severity = Field(
        description="`error`: breaks the etiquette; `warning`: probably does; `info`: a hint."
    )
    message: str = Field(description="What is wrong, for a person.")
    suggestion: str = Field(description="How to fix it.")
    part: DraftPart = Field(
        description="Where it is: `subject`, `body`, `recipient` or `send_at`; `span` indexes "
        "into that part's text."
    )
    span: TextSpan | None = Field(
        description="The offending text's offsets in `part`; null when the finding is about "
        "something missing."
    )
    text: str | None = Field(description="The offending text itself, when there is one.")


class DraftRecipient(ReadModel):
    """The person the message is for."""

    # Read from a contact, whose ID is its `id`.
    contact_id: str = Field(
        description="The contact's ID.", validation_alias=AliasChoices("contact_id", "id")
    )
    name: str | None = Field(description="Full name.")
    title: str | None = Field(description="Job title.")
    organization: str | None = Field(description="Company or firm.")
    email: str | None = Field(description="Email address; null when not known.")
    phone: str | None = Field(description="Phone number.")
    profile_url: str | None = Field(description="Professional-network profile.")


class DraftRead(BaseModel):
    """The ready message for an action, personalised, with the checker's report on it."""

    action_id: str = Field(description="The action the draft is for.")
    action_type: ActionType = Field(description="The action's type.")
    kind: MessageKind = Field(description="The kind of message.")
    format: DraftFormat = Field(
        description="`email` (subject and body), `phone_script`, `network_note` or `checklist`."
    )
    channel: Channel = Field(description="The action's channel.")
    blocked_reason: BlockedReason | None = Field(
        description="Why the action cannot be carried out as planned yet, e.g. "
        "`missing_contact` when the person's email address is not known."
    )
    language: str = Field(description="Language of the draft.")
    recipient: DraftRecipient | None = Field(
        description="Whom it is for; null for the closing-questions checklist or when no one "
        "is known."
    )
    subject: str | None = Field(description="The subject line, for emails; null otherwise.")
    body: str = Field(description="The message (or script, note, checklist) as plain text.")
    character_count: int = Field(description="Characters in `body`.")
    character_limit: int | None = Field(
        description=f"The most characters `body` may have ({NETWORK_NOTE_LIMIT} for a "
        "connection note); null when there is no hard limit."
    )
    sentence_count: int | None = Field(
        description="Sentences in the message proper (greeting and sign-off excluded); null "
        "for a checklist."
    )
    findings: list[FindingRead] = Field(
        description="The draft checker's findings on this draft; empty for built-in templates."
    )
    template_source: str = Field(
        description="`built_in`, or `tenant` when the tenant's own template was used."
    )
    template_error: str | None = Field(
        description="Why the tenant's template was set aside for the built-in one on this "
        "action's data, if it was."
    )


class DraftCheck(WriteModel):
    """A draft to check, with what it is and, optionally, the action it is for."""

    model_config = example(
        action_type="send_thank_you",
        subject="Thank you – Staff Engineer interview",
        body=(
            "Dear Grace,\n\nThank you for taking the time to meet with me today. I enjoyed "
            "learning about the platform team, and I believe my experience running large "
            "migrations is a strong fit. I look forward to hearing from you.\n\nBest regards,\n"
            "Ada Lovelace"
        ),
        recipient="Grace Hopper",
        send_at="2026-12-01T18:30:00+01:00",
    )

    kind: MessageKind | None = Field(
        default=None,
        description="The kind of message. Give this, `action_type`, or `action_id`.",
    )
    action_type: ActionType | None = Field(
        default=None,
        description="The action the message carries out; `check_in` means the email (use "
        "`kind: check_in_call` for a phone script).",
    )
    action_id: ResourceId | None = Field(
        default=None,
        description="The action the draft is for: enables the recipient and send-time checks. "
        "An ID this tenant does not have answers 422 naming `body.action_id`.",
    )
    subject: SingleLineText | None = Field(
        default=None, max_length=1000, description="The subject line."
    )
    body: MultiLineText = Field(min_length=1, max_length=20_000, description="The message text.")
    recipient: SingleLineText | None = Field(
        default=None,
        max_length=200,
        description="The name of the person it is addressed to, as the sender sees it.",
    )
    send_at: Timestamp | None = Field(
        default=None,
        description="When it will be sent (with an offset); checked against the action's due time.",
    )
    language: Language = _language_field()

    @model_validator(mode="after")
    def _says_what_it_is(self) -> Self:
        if self.kind is None and self.action_type is None and self.action_id is None:
            raise ValueError("give `kind`, `action_type` or `action_id`")
        return self


class CheckReport(ReadModel):
    """The draft checker's verdict."""

    kind: MessageKind = Field(description="The kind the draft was checked as.")
    ok: bool = Field(description="True when no finding has `error` severity.")
    sentence_count: int | None = Field(
        description="Sentences in the message proper (greeting and sign-off excluded); null "
        "for a checklist."
    )
    character_count: int = Field(description="Characters in `body`.")
    findings: list[FindingRead] = Field(
        description="What was found, errors first, then in reading order."
    )


TEMPLATE_BODY_HELP = (
    "A Jinja2 template, rendered in a sandbox as plain text. It may use only these "
    "variables:\n\n" + variables_help() + "\n\nValues that can be missing must be guarded "
    "(`{% if recipient.first_name %}…{% endif %}`). Function and method calls, imports, "
    "and attributes outside the variables are refused. The filter `clause` turns free "
    "text (such as a next step) into a clause that fits inside a sentence, each of its "
    "sentence breaks made `; ` or a separator of up to 8 characters it is given "
    "(`clause('、')`); the others are "
    + filters_help()
    + ". A template is bounded: no value it builds may pass "
    f"{MAX_TEXT:,} characters, its output {MAX_TEMPLATE_OUTPUT:,}, its nesting "
    f"{MAX_NESTING} levels; loop passes, text and calls count against the request's work "
    "budget, also on the longest names and the largest panel the API accepts. A value too "
    "large or the budget spent answers 422 `work-budget-exceeded` (code `too_costly`); "
    "output or nesting past its limit is refused like any other template problem."
)


class TemplateWrite(WriteModel):
    """A tenant's own template for one kind of message, validated before it is saved."""

    model_config = example(
        language="en",
        subject="Thank you, {{ recipient.first_name | default('', true) }}",
        body=(
            "{% if recipient.first_name %}Hi {{ recipient.first_name }},{% else %}Hello,"
            "{% endif %}\n\nThank you for your time today and for telling me more about the "
            "{{ application.role }} role. I left even more convinced that my background fits "
            "the team well. I look forward to hearing from you.\n\nBest,\n{{ candidate.name }}"
        ),
    )

    language: Language = _language_field()
    subject: SingleLineText | None = Field(
        default=None,
        max_length=500,
        description="Template of the subject line: required for `thank_you`, `check_in` and "
        "`panel_request`, and not allowed for the other kinds.",
    )
    body: MultiLineText = Field(min_length=1, max_length=5000, description=TEMPLATE_BODY_HELP)


class TemplateRead(BaseModel):
    """The template in effect for one kind of message: the tenant's own or the built-in."""

    kind: MessageKind = Field(description="The kind of message.")
    language: str = Field(description="Language of the template.")
    source: str = Field(description="`tenant` for the tenant's own, `built_in` otherwise.")
    subject: str | None = Field(description="Template of the subject line; null for non-emails.")
    body: str = Field(description="Template of the body.")
    updated_at: datetime | None = Field(
        description="When the tenant last saved it; null for the built-in template."
    )

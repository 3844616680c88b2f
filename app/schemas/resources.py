"""Request and response bodies of candidates, applications, contacts, interviews and replies."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from pydantic import (
    AfterValidator,
    EmailStr,
    Field,
    ValidationInfo,
    field_validator,
)

from app.domain import (
    DEFAULT_LANGUAGE,
    ApplicationSource,
    ApplicationStatus,
    ContactRole,
    InterviewKind,
    InterviewStatus,
)
from app.schemas.common import (
    ApplicationRef,
    CalendarDate,
    CandidateRef,
    Clause,
    CountryCode,
    ExternalId,
    LanguageTag,
    LongText,
    Name,
    OwnExternalId,
    Phone,
    ResourceId,
    ResourceMeta,
    ShortText,
    Timestamp,
    TimeZoneName,
    Url,
    WriteModel,
    example,
    later_than,
)

# A response states every instant in UTC, so the body a write returns is the body a later
# read returns, whatever offset the caller wrote the time with.
UTCInstant = Annotated[datetime, AfterValidator(lambda value: value.astimezone(UTC))]

# --- candidates -------------------------------------------------------------------------


class CandidateCreate(WriteModel):
    """A job seeker to track."""

    model_config = example(
        name="Ada Lovelace", email="ada@example.com", time_zone="Europe/London", country="GB"
    )

    name: Name = Field(description="The candidate's full name, used to sign drafts.")
    email: EmailStr | None = Field(default=None, description="The candidate's email address.")
    time_zone: TimeZoneName
    country: CountryCode
    language: LanguageTag = DEFAULT_LANGUAGE
    external_id: ExternalId | None = None


class CandidateUpdate(WriteModel):
    """Fields to change on a candidate; omitted fields stay as they are."""

    model_config = example(time_zone="America/New_York", country="US")

    name: Name | None = Field(default=None, description="The candidate's full name.")
    email: EmailStr | None = Field(default=None, description="The candidate's email address.")
    time_zone: TimeZoneName | None = None
    country: CountryCode | None = None
    language: LanguageTag | None = None
    external_id: ExternalId | None = None


class CandidateRead(ResourceMeta):
    """A job seeker."""

    name: str = Field(description="The candidate's full name.")
    email: str | None = Field(description="The candidate's email address.")
    time_zone: str = Field(description="IANA time zone; business days are counted in it.")
    country: str = Field(description="ISO 3166-1 alpha-2 code; its public holidays are skipped.")
    language: str = Field(
        description="BCP 47 tag, as given; action texts and drafts are written in its "
        "language unless a request asks for another.",
        examples=["de"],
    )
    external_id: OwnExternalId


# --- applications -----------------------------------------------------------------------


class ApplicationCreate(WriteModel):
    """A job the candidate applied for."""

    model_config = example(
        candidate_id="cand_5f1c2b7e9a0d4c3b2a1f0e9d",
        company="Globex",
        role="Staff Engineer",
        job_url="https://globex.example/jobs/42",
        source="recruiting_firm",
        recruiting_firm="Hooli Talent",
    )

    candidate_id: ResourceId = Field(description="The candidate who applied.")
    company: Name = Field(description="The hiring company.")
    role: Name = Field(description="The job title applied for.")
    job_url: Url | None = Field(default=None, description="The job posting.")
    source: ApplicationSource = Field(
        default=ApplicationSource.DIRECT, description="Applied directly or through a firm."
    )
    recruiting_firm: ShortText | None = Field(
        default=None, description="The recruiting firm's name, when `source` is a firm."
    )
    status: ApplicationStatus = Field(
        default=ApplicationStatus.ACTIVE,
        description="`active`, `offer`, or final: `accepted`, `rejected`, `withdrawn`.",
    )
    outcome_at: Timestamp | None = Field(
        default=None, description="When a final status was reached; defaults to now."
    )
    external_id: ExternalId | None = None

    # Field validators (not a model validator) so the error names the field that failed.
    @field_validator("recruiting_firm")
    @classmethod
    def _firm_named(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value and info.data.get("source") is not ApplicationSource.RECRUITING_FIRM:
            raise ValueError("only allowed with source 'recruiting_firm'")
        return value


class ApplicationUpdate(WriteModel):
    """Fields to change on an application; omitted fields stay as they are."""

    model_config = example(status="rejected", outcome_at="2026-12-01T16:30:00+01:00")

    company: Name | None = Field(default=None, description="The hiring company.")
    role: Name | None = Field(default=None, description="The job title applied for.")
    job_url: Url | None = Field(default=None, description="The job posting.")
    source: ApplicationSource | None = Field(default=None, description="Direct or via a firm.")
    recruiting_firm: ShortText | None = Field(default=None, description="The firm's name.")
    status: ApplicationStatus | None = Field(default=None, description="The new status.")
    outcome_at: Timestamp | None = Field(
        default=None, description="When the final status was reached; defaults to now."
    )
    external_id: ExternalId | None = None


class ApplicationRead(ResourceMeta):
    """A job application."""

    candidate_id: CandidateRef
    company: str = Field(description="The hiring company.")
    role: str = Field(description="The job title applied for.")
    job_url: str | None = Field(description="The job posting.")
    source: ApplicationSource = Field(description="Applied directly or through a firm.")
    recruiting_firm: str | None = Field(description="The recruiting firm's name, if any.")
    status: ApplicationStatus = Field(description="Where the application stands.")
    outcome_at: UTCInstant | None = Field(description="When a final status was reached.")
    external_id: OwnExternalId


# --- contacts ---------------------------------------------------------------------------


class ContactCreate(WriteModel):
    """A person on the employer's side of an application."""

    model_config = example(
        role="interviewer",
        name="Grace Hopper",
        title="VP Engineering",
        organization="Globex",
        email="grace@globex.example",
        profile_url="https://www.linkedin.com/in/grace-hopper-example",
    )

    role: ContactRole = Field(
        default=ContactRole.INTERVIEWER, description="The person's part in the process."
    )
    made_first_contact: bool = Field(
        default=False,
        description="Whether this person reached out first (not assumed to interview).",
    )
    name: Name | None = Field(default=None, description="Full name.")
    title: ShortText | None = Field(default=None, description="Job title.")
    organization: ShortText | None = Field(default=None, description="Company or firm.")
    email: EmailStr | None = Field(default=None, description="Email address (needed for E3).")
    phone: Phone | None = Field(default=None, description="Phone number.")
    profile_url: Url | None = Field(default=None, description="Professional-network profile.")
    external_id: ExternalId | None = None


class ContactUpdate(WriteModel):
    """Fields to change on a contact; omitted fields stay as they are."""

    model_config = example(title="CTO", email="grace@globex.example")

    role: ContactRole | None = Field(default=None, description="The person's part.")
    made_first_contact: bool | None = Field(default=None, description="Reached out first.")
    name: Name | None = Field(default=None, description="Full name.")
    title: ShortText | None = Field(default=None, description="Job title.")
    organization: ShortText | None = Field(default=None, description="Company or firm.")
    email: EmailStr | None = Field(default=None, description="Email address.")
    phone: Phone | None = Field(default=None, description="Phone number.")
    profile_url: Url | None = Field(default=None, description="Professional-network profile.")
    external_id: ExternalId | None = None


class ContactRead(ResourceMeta):
    """A person on the employer's side."""

    application_id: ApplicationRef
    role: ContactRole = Field(description="The person's part in the process.")
    made_first_contact: bool = Field(description="Whether this person reached out first.")
    name: str | None = Field(description="Full name.")
    title: str | None = Field(description="Job title.")
    organization: str | None = Field(description="Company or firm.")
    email: str | None = Field(description="Email address.")
    phone: str | None = Field(description="Phone number.")
    profile_url: str | None = Field(description="Professional-network profile.")
    external_id: OwnExternalId


# --- interviews -------------------------------------------------------------------------


class InterviewCreate(WriteModel):
    """An interview round."""

    model_config = example(
        kind="video",
        start="2026-12-03T10:00:00+01:00",
        end="2026-12-03T11:00:00+01:00",
        panel=["con_8a7b6c5d4e3f2a1b0c9d8e7f"],
        panel_confirmed=True,
    )

    kind: InterviewKind = Field(description="`prescreen`, `phone`, `video` or `onsite`.")
    start: Timestamp = Field(description="When it starts (with an offset).")
    end: Timestamp = Field(description="When it ends (with an offset); after `start`.")
    status: InterviewStatus = Field(
        default=InterviewStatus.SCHEDULED, description="`scheduled`, `completed`, `cancelled`."
    )
    panel: list[ResourceId] = Field(
        default_factory=list,
        max_length=20,
        description="Contact IDs of the interviewers, lead first; contacts of this application.",
    )
    panel_confirmed: bool = Field(
        default=False, description="Whether the panel's names and titles were confirmed (E1)."
    )
    next_step: Clause | None = Field(
        default=None, description="The next step the interviewer described (E2)."
    )
    expected_reply_date: CalendarDate | None = Field(
        default=None, description="When the interviewer said to expect news (E2, E4)."
    )
    external_id: ExternalId | None = None

    # Field validators (not a model validator) so the error names the field that failed.
    _ends_after_start = field_validator("end")(later_than("start"))

    @field_validator("panel")
    @classmethod
    def _each_once(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("lists a contact twice")
        return value


class InterviewUpdate(WriteModel):
    """Fields to change on an interview; omitted fields stay as they are."""

    model_config = example(status="completed", next_step="Onsite", expected_reply_date="2026-12-10")

    kind: InterviewKind | None = Field(default=None, description="How the interview is held.")
    start: Timestamp | None = Field(default=None, description="When it starts.")
    end: Timestamp | None = Field(default=None, description="When it ends.")
    status: InterviewStatus | None = Field(default=None, description="The new status.")
    panel: list[ResourceId] | None = Field(
        default=None, max_length=20, description="Contact IDs of the interviewers, lead first."
    )
    panel_confirmed: bool | None = Field(default=None, description="Panel confirmed (E1).")
    next_step: Clause | None = Field(default=None, description="The next step described.")
    expected_reply_date: CalendarDate | None = Field(
        default=None, description="When to expect news."
    )
    external_id: ExternalId | None = None


class InterviewRead(ResourceMeta):
    """An interview round."""

    application_id: ApplicationRef
    kind: InterviewKind = Field(description="How the interview is held.")
    start: UTCInstant = Field(description="When it starts.")
    end: UTCInstant = Field(description="When it ends.")
    status: InterviewStatus = Field(description="Where it stands.")
    panel: list[str] = Field(description="Contact IDs of the interviewers, lead first.")
    panel_confirmed: bool = Field(description="Whether the panel was confirmed.")
    next_step: str | None = Field(description="The next step the interviewer described.")
    expected_reply_date: date | None = Field(description="When to expect news.")
    external_id: OwnExternalId


# --- replies ----------------------------------------------------------------------------


class ReplyCreate(WriteModel):
    """The employer got back to the candidate."""

    model_config = example(
        received_at="2026-12-08T15:00:00+01:00",
        contact_id="con_8a7b6c5d4e3f2a1b0c9d8e7f",
        note="They are still interviewing; decision by Friday.",
        new_expected_date="2026-12-11",
    )

    received_at: Timestamp = Field(description="When the reply came.")
    contact_id: ResourceId | None = Field(
        default=None, description="Who replied (a contact of this application)."
    )
    note: LongText | None = Field(default=None, description="What they said.")
    new_expected_date: CalendarDate | None = Field(
        default=None, description="A new date they promised news by; the check-in waits for it."
    )


class ReplyUpdate(WriteModel):
    """Fields to change on a reply; omitted fields stay as they are."""

    model_config = example(new_expected_date="2026-12-14")

    received_at: Timestamp | None = Field(default=None, description="When the reply came.")
    contact_id: ResourceId | None = Field(default=None, description="Who replied.")
    note: LongText | None = Field(default=None, description="What they said.")
    new_expected_date: CalendarDate | None = Field(default=None, description="A new promised date.")


class ReplyRead(ResourceMeta):
    """A reply from the employer."""

    application_id: ApplicationRef
    received_at: UTCInstant = Field(description="When the reply came.")
    contact_id: str | None = Field(description="Who replied.")
    note: str | None = Field(description="What they said.")
    new_expected_date: date | None = Field(description="A new date they promised news by.")

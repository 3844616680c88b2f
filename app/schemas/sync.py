"""Bodies of the ATS sync: records keyed by the caller's `external_id`."""

from __future__ import annotations

from typing import Annotated, Self, TypeVar

from pydantic import BaseModel, Field, model_validator

from app.domain.sync import SyncKind, SyncOutcome
from app.schemas.common import ExternalId, OwnId, ReadModel, ResourceId, WriteModel, example
from app.schemas.resources import (
    ApplicationCreate,
    CandidateCreate,
    ContactCreate,
    InterviewCreate,
)

MAX_SYNC_RECORDS = 1000

# A record of the batch points at its parent by exactly one of two fields: the parent's
# Follow-Up ID or its external ID (the parent may come in the same batch).
CandidateById = Annotated[ResourceId | None, Field(description="The candidate's Follow-Up ID.")]
CandidateByExternalId = Annotated[
    ExternalId | None,
    Field(description="The candidate's external ID (in this batch or stored)."),
]
ApplicationById = Annotated[ResourceId | None, Field(description="The application's Follow-Up ID.")]
ApplicationByExternalId = Annotated[
    ExternalId | None,
    Field(description="The application's external ID (in this batch or stored)."),
]
Record = TypeVar("Record", bound=BaseModel)


def _exactly_one(record: Record, by_id: str, by_external_id: str) -> Record:
    if (getattr(record, by_id) is None) == (getattr(record, by_external_id) is None):
        raise ValueError(f"give exactly one of {by_id} and {by_external_id}")
    return record


class SyncCandidate(CandidateCreate):
    """A candidate as the ATS knows it."""

    external_id: ExternalId


class SyncApplication(ApplicationCreate):
    """An application, pointing at its candidate by Follow-Up ID or by external ID."""

    external_id: ExternalId
    candidate_id: CandidateById = None  # type: ignore[assignment]
    candidate_external_id: CandidateByExternalId = None

    @model_validator(mode="after")
    def _one_candidate_reference(self) -> Self:
        return _exactly_one(self, "candidate_id", "candidate_external_id")


class SyncContact(ContactCreate):
    """A person, pointing at their application by Follow-Up ID or by external ID."""

    external_id: ExternalId
    application_id: ApplicationById = None
    application_external_id: ApplicationByExternalId = None

    @model_validator(mode="after")
    def _one_application_reference(self) -> Self:
        return _exactly_one(self, "application_id", "application_external_id")


class SyncInterview(InterviewCreate):
    """An interview round; its panel may name contacts by external ID.

    An interview that disappeared from the ATS is sent with `status: cancelled`: its open
    actions become obsolete.
    """

    external_id: ExternalId
    application_id: ApplicationById = None
    application_external_id: ApplicationByExternalId = None
    panel_external_ids: list[ExternalId] = Field(
        default_factory=list,
        max_length=20,
        description="The panel by the contacts' external IDs, lead first (after `panel`).",
    )

    @model_validator(mode="after")
    def _one_application_reference(self) -> Self:
        return _exactly_one(self, "application_id", "application_external_id")


class SyncBatch(WriteModel):
    """Up to 1,000 records, upserted by `external_id` in one transaction: all or nothing."""

    model_config = example(
        candidates=[
            {
                "external_id": "ats-c-17",
                "name": "Ada Lovelace",
                "time_zone": "Europe/London",
                "country": "GB",
            }
        ],
        applications=[
            {
                "external_id": "ats-a-4",
                "candidate_external_id": "ats-c-17",
                "company": "Globex",
                "role": "Staff Engineer",
            }
        ],
        contacts=[
            {
                "external_id": "ats-p-9",
                "application_external_id": "ats-a-4",
                "name": "Grace Hopper",
                "title": "VP Engineering",
                "email": "grace@globex.example",
            }
        ],
        interviews=[
            {
                "external_id": "ats-i-2",
                "application_external_id": "ats-a-4",
                "kind": "video",
                "start": "2027-01-12T10:00:00+01:00",
                "end": "2027-01-12T11:00:00+01:00",
                "panel_external_ids": ["ats-p-9"],
                "panel_confirmed": True,
            }
        ],
    )

    candidates: list[SyncCandidate] = Field(default_factory=list, description="Candidates.")
    applications: list[SyncApplication] = Field(default_factory=list, description="Applications.")
    contacts: list[SyncContact] = Field(default_factory=list, description="Contacts.")
    interviews: list[SyncInterview] = Field(default_factory=list, description="Interviews.")

    @model_validator(mode="after")
    def _bounded_and_unique(self) -> Self:
        total = len(self.candidates) + len(self.applications) + len(self.contacts)
        total += len(self.interviews)
        if total > MAX_SYNC_RECORDS:
            raise ValueError(f"a batch holds at most {MAX_SYNC_RECORDS} records, not {total}")
        for kind in ("candidates", "applications", "contacts", "interviews"):
            seen: set[str] = set()
            for record in getattr(self, kind):
                if record.external_id in seen:
                    raise ValueError(f"{kind} lists external_id {record.external_id!r} twice")
                seen.add(record.external_id)
        return self


class SyncResult(ReadModel):
    """One record of the batch: its external ID, its Follow-Up ID and what happened."""

    kind: SyncKind = Field(description="The kind of record.")
    external_id: str = Field(description="The caller's ID.")
    id: OwnId
    outcome: SyncOutcome = Field(description="`created`, `updated` or `unchanged`.")


class SyncResponse(ReadModel):
    """The mapping from external IDs to Follow-Up IDs, in the order the batch gave."""

    results: list[SyncResult] = Field(description="One entry per record of the batch.")
    replanned_applications: int = Field(
        description="How many applications had their actions re-planned."
    )


class CandidateUpsert(SyncCandidate):
    """A candidate to create or replace under the external ID in the path."""

    external_id: ExternalId | None = None  # type: ignore[assignment]


class ApplicationUpsert(SyncApplication):
    """An application to create or replace under the external ID in the path."""

    external_id: ExternalId | None = None  # type: ignore[assignment]


class ContactUpsert(SyncContact):
    """A contact to create or replace under the external ID in the path."""

    external_id: ExternalId | None = None  # type: ignore[assignment]


class InterviewUpsert(SyncInterview):
    """An interview to create or replace under the external ID in the path."""

    external_id: ExternalId | None = None  # type: ignore[assignment]

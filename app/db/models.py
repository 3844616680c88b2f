"""ORM models. Separate from the API schemas so no client can mass-assign a column."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from app.clock import utcnow
from app.db.base import Base, UTCDateTime

ID = String(40)
# Columns many tables share, each declared once.
TenantRef = Annotated[str, mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))]
CandidateRef = Annotated[str, mapped_column(ForeignKey("candidates.id", ondelete="CASCADE"))]
ApplicationRef = Annotated[str, mapped_column(ForeignKey("applications.id", ondelete="CASCADE"))]
ExternalId = Annotated[str | None, mapped_column(String(200))]


def _partial_index(name: str, *columns: str, where: str) -> Index:
    """An index of the rows ``where`` holds for, on PostgreSQL and SQLite alike."""
    return Index(name, *columns, postgresql_where=text(where), sqlite_where=text(where))


class Tenant(Base):
    """A workspace: an individual, a recruiting firm or an ATS integration."""

    __tablename__ = "tenants"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApiKey(Base):
    """An API key; only a keyed hash of its secret is stored."""

    __tablename__ = "api_keys"
    __table_args__ = (Index("ix_api_keys_tenant_id_created_at", "tenant_id", "created_at"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    tenant_id: Mapped[TenantRef]
    name: Mapped[str] = mapped_column(String(200))
    lookup: Mapped[str] = mapped_column(String(32), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class CandidateAccessToken(Base):
    """A short-lived bearer token limited to one candidate, minted for a front end.

    Only a keyed hash of its secret is stored, as for API keys. It dies with its candidate
    (ON DELETE CASCADE: erasing a candidate revokes their tokens) and with the API key
    that issued it being revoked (checked when the token is verified).
    """

    __tablename__ = "candidate_access_tokens"
    __table_args__ = (
        Index(
            "ix_candidate_access_tokens_candidate_id_created_at_id",
            "candidate_id",
            "created_at",
            "id",
        ),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    tenant_id: Mapped[TenantRef]
    candidate_id: Mapped[CandidateRef]
    issued_by_key_id: Mapped[str] = mapped_column(ForeignKey("api_keys.id", ondelete="CASCADE"))
    lookup: Mapped[str] = mapped_column(String(32), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class TenantOwned:
    """Columns every tenant-scoped resource has: ID, owner, timestamps, optimistic version.

    ``version`` is SQLAlchemy's version counter: every UPDATE checks and increments it, so
    two writers that read the same version cannot both win (the ETag is built from it).
    """

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]


class Candidate(TenantOwned, Base):
    """A job seeker; their time zone and country decide business days."""

    __tablename__ = "candidates"
    __table_args__ = (
        UniqueConstraint("tenant_id", "external_id"),
        Index("ix_candidates_tenant_id_created_at_id", "tenant_id", "created_at", "id"),
    )

    tenant_id: Mapped[TenantRef]
    external_id: Mapped[ExternalId]
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    time_zone: Mapped[str] = mapped_column(String(64))
    country: Mapped[str] = mapped_column(String(2))
    # A BCP 47 tag as given ("de", "de-CH"); texts are written in its primary language.
    language: Mapped[str] = mapped_column(String(35), default="en", server_default="en")


class Application(TenantOwned, Base):
    """One job application of a candidate."""

    __tablename__ = "applications"
    __table_args__ = (
        UniqueConstraint("tenant_id", "external_id"),
        Index("ix_applications_tenant_id_created_at_id", "tenant_id", "created_at", "id"),
        Index("ix_applications_candidate_id", "candidate_id"),
    )

    tenant_id: Mapped[TenantRef]
    candidate_id: Mapped[CandidateRef]
    external_id: Mapped[ExternalId]
    company: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(200))
    job_url: Mapped[str | None] = mapped_column(String(2048))
    source: Mapped[str] = mapped_column(String(32))
    recruiting_firm: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))
    outcome_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Contact(TenantOwned, Base):
    """A person on the employer's side of one application."""

    __tablename__ = "contacts"
    __table_args__ = (
        UniqueConstraint("tenant_id", "external_id"),
        Index("ix_contacts_application_id_created_at_id", "application_id", "created_at", "id"),
    )

    tenant_id: Mapped[TenantRef]
    application_id: Mapped[ApplicationRef]
    external_id: Mapped[ExternalId]
    role: Mapped[str] = mapped_column(String(32))
    made_first_contact: Mapped[bool] = mapped_column(Boolean, default=False)
    name: Mapped[str | None] = mapped_column(String(200))
    title: Mapped[str | None] = mapped_column(String(200))
    organization: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(40))
    profile_url: Mapped[str | None] = mapped_column(String(2048))


class Interview(TenantOwned, Base):
    """One interview round of an application."""

    __tablename__ = "interviews"
    __table_args__ = (
        UniqueConstraint("tenant_id", "external_id"),
        Index("ix_interviews_application_id_start_at_id", "application_id", "start_at", "id"),
    )

    tenant_id: Mapped[TenantRef]
    application_id: Mapped[ApplicationRef]
    external_id: Mapped[ExternalId]
    kind: Mapped[str] = mapped_column(String(16))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16))
    panel_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    next_step: Mapped[str | None] = mapped_column(String(2000))
    expected_reply_date: Mapped[date | None] = mapped_column(Date)
    # When the start time was last moved (None if never): E1 measures its notice from the
    # latest booking, so a round moved at short notice may still be confirmed before it starts.
    rescheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Panelist(Base):
    """A contact on an interview's panel, in the order the caller gave."""

    __tablename__ = "panelists"
    __table_args__ = (Index("ix_panelists_contact_id", "contact_id"),)

    interview_id: Mapped[str] = mapped_column(
        ForeignKey("interviews.id", ondelete="CASCADE"), primary_key=True
    )
    # No ON DELETE: a contact still on a panel cannot vanish by accident (the API says 409).
    contact_id: Mapped[str] = mapped_column(ForeignKey("contacts.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)


class Reply(TenantOwned, Base):
    """The employer got back to the candidate."""

    __tablename__ = "replies"
    __table_args__ = (
        Index("ix_replies_application_id_received_at_id", "application_id", "received_at", "id"),
        Index("ix_replies_contact_id", "contact_id"),
    )

    tenant_id: Mapped[TenantRef]
    application_id: Mapped[ApplicationRef]
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    contact_id: Mapped[str | None] = mapped_column(ForeignKey("contacts.id"))
    note: Mapped[str | None] = mapped_column(String(4000))
    new_expected_date: Mapped[date | None] = mapped_column(Date)


class Action(TenantOwned, Base):
    """A planned follow-up, stored so "what is due" is an indexed query, with the user's mark.

    ``resolution`` is NULL while the action is open and otherwise says why it is closed
    (done, dismissed, obsolete); it is derived from the other columns on every write.
    """

    __tablename__ = "actions"
    __table_args__ = (
        UniqueConstraint("application_id", "key"),
        # Closed statuses (resolution = 'done', ...) read this one in due order. Open ones
        # (due, overdue, upcoming, snoozed) read the partial index below: PostgreSQL does
        # not treat "resolution IS NULL" as an equality, so this index cannot give them
        # due order, and a deep page would sort every open row before it.
        Index("ix_actions_feed", "tenant_id", "resolution", "due_by", "id"),
        _partial_index(
            "ix_actions_open_feed",
            "tenant_id",
            "due_by",
            "id",
            where="resolution IS NULL",
        ),
        # With ix_actions_open_feed, when the tenant's next status change comes (a window
        # opening or closing, a snooze ending) is three short index reads: how long a
        # cached feed page stays right (app/api/feed_pages.py).
        _partial_index(
            "ix_actions_open_available_from",
            "tenant_id",
            "available_from",
            where="resolution IS NULL",
        ),
        _partial_index(
            "ix_actions_open_snoozed_until",
            "tenant_id",
            "snoozed_until",
            where="resolution IS NULL AND snoozed_until IS NOT NULL",
        ),
        Index("ix_actions_tenant_id_due_by_id", "tenant_id", "due_by", "id"),
        Index("ix_actions_candidate_id_due_by", "candidate_id", "due_by"),
        # The worker's time-driven events: only open actions it has not announced yet are
        # in these indexes, so "which windows opened (or closed) since the last pass" is a
        # short index range however many actions there are.
        _partial_index(
            "ix_actions_due_event_pending",
            "available_from",
            where="resolution IS NULL AND due_event_at IS NULL",
        ),
        _partial_index(
            "ix_actions_overdue_event_pending",
            "due_by",
            where="resolution IS NULL AND overdue_event_at IS NULL",
        ),
        # The worker's search for texts an edited catalogue made stale: per language, the
        # rows whose texts_version is NULL, below or above the current fingerprint are three
        # short ranges, empty once the texts have caught up, however many actions there
        # are. Nearly every row holds the same few keys, which PostgreSQL's B-tree
        # deduplication stores once each: the index stays small.
        _partial_index(
            "ix_actions_texts_version",
            "language",
            "texts_version",
            where="wording IS NOT NULL",
        ),
    )

    tenant_id: Mapped[TenantRef]
    application_id: Mapped[ApplicationRef]
    candidate_id: Mapped[CandidateRef]
    key: Mapped[str] = mapped_column(String(200))
    rule: Mapped[str] = mapped_column(String(4))
    type: Mapped[str] = mapped_column(String(32))
    # Plain IDs, not foreign keys: an action outlives a deleted interview or contact as history.
    interview_id: Mapped[str | None] = mapped_column(ID)
    contact_id: Mapped[str | None] = mapped_column(ID)
    available_from: Mapped[datetime] = mapped_column(UTCDateTime)
    due_by: Mapped[datetime] = mapped_column(UTCDateTime)
    channel: Mapped[str] = mapped_column(String(32))
    blocked_reason: Mapped[str | None] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(300))
    explanation: Mapped[str] = mapped_column(Text)
    guidance: Mapped[str] = mapped_column(Text)
    # The language title, explanation and guidance are written in (the candidate's when
    # planned), and what they say in no language (domain.Wording.to_json), from which any
    # other language is written. JSON kept as text: only a request for another language
    # decodes it. NULL in rows planned before languages.
    language: Mapped[str] = mapped_column(String(35), default="en", server_default="en")
    wording: Mapped[str | None] = mapped_column(Text)
    # The catalogue those texts were written with (domain.catalogue_fingerprint of
    # `language`); NULL when not recorded. A release that edits the catalogue leaves rows
    # written with the old one, which the worker writes again from their wording.
    texts_version: Mapped[str | None] = mapped_column(String(32))
    satisfied: Mapped[bool] = mapped_column(Boolean, default=False)
    obsolete_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    mark: Mapped[str | None] = mapped_column(String(16))
    marked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    snoozed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dismiss_reason: Mapped[str | None] = mapped_column(String(500))
    resolution: Mapped[str | None] = mapped_column(String(16))
    # When the worker dealt with the window opening (sent `action.due`, or skipped it as the
    # window had already closed) and closing (sent `action.overdue`); NULL while pending.
    due_event_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    overdue_event_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TenantPolicy(Base):
    """A tenant's policy values that differ from the defaults (JSON object)."""

    __tablename__ = "tenant_policies"

    tenant_id: Mapped[str] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    values: Mapped[dict[str, int]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (SQLAlchemy reads a dict)


class IdempotencyRecord(Base):
    """A POST made under an Idempotency-Key, and the response to replay for its retries."""

    __tablename__ = "idempotency_records"
    __table_args__ = (Index("ix_idempotency_records_expires_at", "expires_at"),)

    tenant_id: Mapped[str] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    # Whose requests may replay the answer: "" for the tenant's API keys (they share their
    # keys, as one integration's processes do), a candidate token's ID for that token alone.
    credential_scope: Mapped[str] = mapped_column(String(40), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    # "running" while the first request is in flight, "done" once its response is stored.
    state: Mapped[str] = mapped_column(String(16))
    status_code: Mapped[int | None] = mapped_column(Integer)
    response_headers: Mapped[list[list[str]] | None] = mapped_column(JSON)
    response_body: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    locked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DraftTemplate(TenantOwned, Base):
    """A tenant's own Jinja2 template for one kind of draft message in one language."""

    __tablename__ = "draft_templates"
    __table_args__ = (UniqueConstraint("tenant_id", "kind", "language"),)

    tenant_id: Mapped[TenantRef]
    kind: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)


class Event(Base):
    """Something that happened, written in the transaction that made it happen (outbox).

    ``candidate_id`` is kept (without a foreign key) so a candidate's erasure can find and
    scrub the personal data in their events; the event itself stays as an audit record.
    """

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_tenant_id_occurred_at_id", "tenant_id", "occurred_at", "id"),
        Index("ix_events_candidate_id", "candidate_id"),
        # The webhook worker's fan-out queue: events it has not turned into deliveries yet.
        _partial_index(
            "ix_events_fan_out_pending",
            "occurred_at",
            where="fanned_out_at IS NULL",
        ),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    tenant_id: Mapped[TenantRef]
    type: Mapped[str] = mapped_column(String(40))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    candidate_id: Mapped[str | None] = mapped_column(ID)
    application_id: Mapped[str | None] = mapped_column(ID)
    action_id: Mapped[str | None] = mapped_column(ID)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the webhook worker created this event's deliveries; NULL until then.
    fanned_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WebhookEndpoint(TenantOwned, Base):
    """A URL that receives the tenant's events, signed with a secret only the tenant knows.

    The signing secret is not stored: it is derived from the service's secret key and a
    random salt (rotation draws a new salt), so the database alone does not reveal it.
    """

    __tablename__ = "webhook_endpoints"
    __table_args__ = (
        Index("ix_webhook_endpoints_tenant_id_created_at_id", "tenant_id", "created_at", "id"),
    )

    tenant_id: Mapped[TenantRef]
    url: Mapped[str] = mapped_column(String(2048))
    description: Mapped[str | None] = mapped_column(String(500))
    event_types: Mapped[list[str]] = mapped_column(JSON)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # "manual" (the tenant turned it off) or "failing" (the worker did); NULL while enabled.
    disabled_reason: Mapped[str | None] = mapped_column(String(16))
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    secret_salt: Mapped[str] = mapped_column(String(64))
    # After a rotation the old secret still signs (as a second v1) until this moment.
    previous_secret_salt: Mapped[str | None] = mapped_column(String(64))
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WebhookDelivery(Base):
    """One event (or a test ping) on its way to one endpoint, with every attempt made.

    The body is not stored: it is rendered from the event when sent, so an erased
    candidate's data never leaves in a delivery still waiting. ``next_attempt_at`` doubles
    as the lease: a worker that claims a delivery pushes it into the future, so a worker
    killed mid-attempt only delays the retry until the lease runs out.
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("endpoint_id", "event_id"),
        Index("ix_webhook_deliveries_endpoint_id_created_at_id", "endpoint_id", "created_at", "id"),
        _partial_index(
            "ix_webhook_deliveries_pending",
            "next_attempt_at",
            where="status = 'pending'",
        ),
        # The few deliveries being sent, counted per endpoint when claiming more.
        _partial_index(
            "ix_webhook_deliveries_leased",
            "endpoint_id",
            "leased_until",
            where="leased_until IS NOT NULL",
        ),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    tenant_id: Mapped[TenantRef]
    endpoint_id: Mapped[str] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    # NULL for a test ping, which is not an event of the log.
    event_id: Mapped[str | None] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    event_type: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # pending, delivered, failed (gave up), cancelled (the endpoint was disabled).
    status: Mapped[str] = mapped_column(String(16))
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempt_count: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(500))
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set while a worker sends the delivery (until its attempt is recorded, or the lease
    # runs out): the in-flight deliveries an endpoint's concurrency limit counts.
    leased_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CalendarFeed(Base):
    """A candidate's secret calendar URL; only a SHA-256 hash of its token is stored."""

    __tablename__ = "calendar_feeds"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    tenant_id: Mapped[TenantRef]
    candidate_id: Mapped[str] = mapped_column(
        ForeignKey("candidates.id", ondelete="CASCADE"), unique=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

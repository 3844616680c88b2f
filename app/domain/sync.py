"""What the ATS sync reports for each record of a batch."""

from __future__ import annotations

from enum import StrEnum


class SyncKind(StrEnum):
    """Which kind of record a result is about."""

    CANDIDATE = "candidate"
    APPLICATION = "application"
    CONTACT = "contact"
    INTERVIEW = "interview"


class SyncOutcome(StrEnum):
    """What the sync did with a record."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"

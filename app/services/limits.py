"""How many records one parent may hold.

Every write to an application re-plans it from all its people, rounds and replies, and a
candidate's calendar feed and time-zone change reach all their applications: without a
ceiling, one caller could make each of those requests as slow and as large as it liked.
The ceilings sit far above any real job search (a panel holds at most 20 people).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from app.errors import AppError

MAX_CONTACTS_PER_APPLICATION = 200
MAX_INTERVIEWS_PER_APPLICATION = 100
MAX_REPLIES_PER_APPLICATION = 200
MAX_APPLICATIONS_PER_CANDIDATE = 1000


class LimitReached(AppError):
    """A write would give a parent more records than it may hold."""

    status, slug, title = 409, "limit-reached", "Limit reached"


def check_application_size(
    application_id: str, *, contacts: int, interviews: int, replies: int
) -> None:
    """Refuse an application that now holds more people, rounds or replies than allowed."""
    for kind, count, ceiling in (
        ("contacts", contacts, MAX_CONTACTS_PER_APPLICATION),
        ("interviews", interviews, MAX_INTERVIEWS_PER_APPLICATION),
        ("replies", replies, MAX_REPLIES_PER_APPLICATION),
    ):
        if count > ceiling:
            raise LimitReached(
                f"Application {application_id} would hold {count} {kind}; an application "
                f"holds at most {ceiling}. Delete some first."
            )


def check_applications_per_candidate(counts: Mapping[str, int] | Iterable[tuple[str, int]]) -> None:
    """Refuse candidates that now hold more applications than allowed."""
    items = counts.items() if isinstance(counts, Mapping) else counts
    for candidate_id, count in items:
        if count > MAX_APPLICATIONS_PER_CANDIDATE:
            raise LimitReached(
                f"Candidate {candidate_id} would hold {count} applications; a candidate holds "
                f"at most {MAX_APPLICATIONS_PER_CANDIDATE}. Delete some first."
            )

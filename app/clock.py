"""The clock: the one place the application reads the current time (the domain never does;
it is given ``now``)."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)

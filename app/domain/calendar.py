"""Business days, time zones and public holidays on the candidate's own calendar.

A business day is a date, in the candidate's time zone, that is neither a Saturday, a
Sunday, nor a public holiday of the candidate's country (as the ``holidays`` package
knows them, observed days included). Wall-clock times such as "09:00 local" are turned
into UTC per day, so they stay at 09:00 on the clock across daylight-saving changes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

ONE_DAY = timedelta(days=1)
_SATURDAY = 5


@lru_cache(maxsize=1024)
def zone(name: str) -> ZoneInfo:
    """The IANA time zone of that name, loaded once per process."""
    return ZoneInfo(name)


def is_known_time_zone(name: str) -> bool:
    """Whether ``name`` is an IANA time zone this process can load."""
    try:
        zone(name)
    except (ZoneInfoNotFoundError, ValueError):
        # ValueError covers malformed keys such as absolute paths.
        return False
    return True


@lru_cache(maxsize=4096)
def public_holidays(country: str, year: int) -> frozenset[date]:
    """The public holidays of ``country`` in ``year``; none for a country not covered."""
    try:
        calendar = holidays.country_holidays(country, years=year)
    except NotImplementedError:
        # A valid ISO code the package does not know: count weekends only, as promised
        # to the API layer, rather than failing the whole plan.
        return frozenset()
    return frozenset(calendar.keys())


def is_business_day(day: date, country: str) -> bool:
    """Whether ``day`` is neither a weekend day nor a public holiday in ``country``."""
    return day.weekday() < _SATURDAY and day not in public_holidays(country, day.year)


def business_day_after(day: date, count: int, country: str) -> date:
    """The ``count``-th business day after ``day`` (``day`` itself when ``count`` is 0)."""
    if count < 0:
        raise ValueError("count must not be negative")
    current = day
    remaining = count
    while remaining:
        current += ONE_DAY
        if current.weekday() < _SATURDAY and current not in public_holidays(country, current.year):
            remaining -= 1
    return current


def local_date(instant: datetime, time_zone: str) -> date:
    """The calendar date the candidate sees on their wall clock at ``instant``."""
    return instant.astimezone(zone(time_zone)).date()


def local_time_to_utc(day: date, clock: time, time_zone: str) -> datetime:
    """The UTC instant at which the candidate's wall clock shows ``clock`` on ``day``."""
    # Building the local datetime first and converting afterwards picks that day's offset,
    # which is what keeps 09:00 at 09:00 across a daylight-saving change.
    return datetime.combine(day, clock, tzinfo=zone(time_zone)).astimezone(UTC)

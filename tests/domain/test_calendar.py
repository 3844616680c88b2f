"""Business days, holidays and wall-clock times on the candidate's calendar."""

from __future__ import annotations

from datetime import date, time

import pytest

from app.domain import (
    business_day_after,
    is_business_day,
    is_known_time_zone,
    local_date,
    local_time_to_utc,
    public_holidays,
)
from tests.domain.builders import utc


@pytest.mark.parametrize(
    ("start", "count", "country", "expected"),
    [
        (date(2025, 9, 8), 0, "DE", date(2025, 9, 8)),  # zero days: the day itself
        (date(2025, 9, 8), 1, "DE", date(2025, 9, 9)),
        (date(2025, 9, 12), 1, "DE", date(2025, 9, 15)),  # Friday -> Monday
        (date(2025, 9, 13), 1, "DE", date(2025, 9, 15)),  # from a Saturday
        (date(2025, 6, 6), 1, "DE", date(2025, 6, 10)),  # Whit Monday, June 9
        (date(2025, 7, 3), 1, "US", date(2025, 7, 7)),  # Independence Day, Friday July 4
        (date(2025, 7, 3), 1, "DE", date(2025, 7, 4)),  # ... is a working day in Germany
        (date(2025, 5, 2), 1, "JP", date(2025, 5, 7)),  # Golden Week, May 3-6
        (date(2025, 12, 23), 3, "DE", date(2025, 12, 30)),  # 24th, then 29th and 30th
        (date(2025, 12, 31), 1, "US", date(2026, 1, 2)),  # across a year boundary
        (date(2025, 10, 1), 1, "IN", date(2025, 10, 3)),  # Gandhi Jayanti, October 2
    ],
)
def test_business_day_after(start: date, count: int, country: str, expected: date) -> None:
    assert business_day_after(start, count, country) == expected


def test_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        business_day_after(date(2025, 1, 1), -1, "DE")


def test_country_unknown_to_holidays_counts_weekends_only() -> None:
    # "AQ" is a valid ISO code; "ZZ" is merely well-formed. Neither may crash a plan.
    assert public_holidays("ZZ", 2025) == frozenset()
    assert business_day_after(date(2025, 12, 24), 1, "ZZ") == date(2025, 12, 25)
    assert is_business_day(date(2025, 1, 1), "ZZ")
    assert not is_business_day(date(2025, 1, 4), "ZZ")  # a Saturday all the same


def test_public_holidays_are_cached_per_country_and_year() -> None:
    assert public_holidays("DE", 2025) is public_holidays("DE", 2025)
    assert date(2025, 10, 3) in public_holidays("DE", 2025)  # German Unity Day


@pytest.mark.parametrize(
    ("day", "time_zone", "expected"),
    [
        (date(2025, 3, 28), "Europe/Berlin", utc(2025, 3, 28, 8)),  # CET, UTC+1
        (date(2025, 3, 31), "Europe/Berlin", utc(2025, 3, 31, 7)),  # CEST, UTC+2
        (date(2025, 10, 31), "America/New_York", utc(2025, 10, 31, 13)),  # EDT
        (date(2025, 11, 3), "America/New_York", utc(2025, 11, 3, 14)),  # EST
        (date(2025, 5, 7), "Asia/Tokyo", utc(2025, 5, 7, 0)),
        (date(2025, 10, 3), "Asia/Kolkata", utc(2025, 10, 3, 3, 30)),
        (date(2025, 4, 7), "Australia/Sydney", utc(2025, 4, 6, 23)),  # AEST after DST ends
    ],
)
def test_nine_o_clock_stays_on_the_wall_clock(day: date, time_zone: str, expected: object) -> None:
    assert local_time_to_utc(day, time(9), time_zone) == expected


def test_local_date_uses_the_candidate_wall_clock() -> None:
    late_evening_in_new_york = utc(2025, 9, 13, 2)
    assert local_date(late_evening_in_new_york, "America/New_York") == date(2025, 9, 12)
    assert local_date(late_evening_in_new_york, "Asia/Tokyo") == date(2025, 9, 13)


@pytest.mark.parametrize(
    ("name", "known"),
    [("Europe/Berlin", True), ("UTC", True), ("Mars/Olympus", False), ("/etc/passwd", False)],
)
def test_time_zone_names(name: str, known: bool) -> None:
    assert is_known_time_zone(name) is known

"""Schema building blocks shared by every resource: bases, checked types, pages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Annotated, Any, Generic, TypeVar
from zoneinfo import available_timezones

import pycountry
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from app.domain import plain_text, require_text_language

T = TypeVar("T")


def example(**values: Any) -> ConfigDict:
    """Model config that shows ``values`` as the request body's example in OpenAPI."""
    return ConfigDict(json_schema_extra={"examples": [values]})


class ReadModel(BaseModel):
    """Base of response bodies: built from ORM rows or domain objects."""

    model_config = ConfigDict(from_attributes=True)


def _strings_in(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from _strings_in(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings_in(key)
            yield from _strings_in(item)


def _refuse(character: str, single_line: bool) -> PydanticCustomError:
    if single_line:
        return PydanticCustomError(
            "control_character",
            "must be one line: no line break, tab or other control character (found {found})",
            {"found": plain_text.describe(character)},
        )
    return PydanticCustomError(
        "control_character",
        "must not contain control characters other than tab and line breaks (found {found})",
        {"found": plain_text.describe(character)},
    )


def _check_one_line(value: str) -> str:
    refused = plain_text.first_refused(value, single_line=True)
    if refused is not None:
        raise _refuse(refused, single_line=True)
    return value


def _check_lines(value: str) -> str:
    refused = plain_text.first_refused(value, single_line=False)
    if refused is not None:
        raise _refuse(refused, single_line=False)
    return value


# Put in a string type's Annotated metadata to say what the field may hold (see
# app.domain.plain_text): every text field of a request body declares one of the two.
SingleLine = AfterValidator(_check_one_line)
MultiLine = AfterValidator(_check_lines)
SingleLineText = Annotated[str, SingleLine]
MultiLineText = Annotated[str, MultiLine]


def later_than(earlier: str) -> Any:
    """A field validator: the value must come after the field ``earlier`` when both are
    given. ``earlier`` must be declared first, so that the check can read it."""

    def check(cls: Any, value: datetime, info: ValidationInfo) -> datetime:
        before = info.data.get(earlier)
        if before is not None and value <= before:
            raise ValueError(f"must be after {earlier}")
        return value

    return classmethod(check)


class WriteModel(BaseModel):
    """Base of request bodies: unknown fields are refused, not silently dropped, and no text
    field may carry control characters other than tab and line breaks (single-line fields,
    declared with ``SingleLine``, refuse those too)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        # A net under the declared types: keys of free-form mappings and any string field
        # that forgot its declaration still refuse NUL and the like.
        for text in _strings_in(value):
            refused = plain_text.first_refused(text, single_line=False)
            if refused is not None:
                raise _refuse(refused, single_line=False)
        return value


# Names the tz database ships that are not zones: `localtime` is a link to whatever the
# host is set to, `Factory` a placeholder for "not configured", `posixrules` a rules
# template. Legacy aliases (`US/Eastern`, `EST5EDT`) are real zones and stay accepted.
NOT_TIME_ZONES = frozenset({"localtime", "Factory", "posixrules"})


@lru_cache(maxsize=1)
def _time_zones() -> frozenset[str]:
    return frozenset(available_timezones()) - NOT_TIME_ZONES


def _check_time_zone(value: str) -> str:
    if value not in _time_zones():
        raise ValueError("must be an IANA time zone name such as 'Europe/Berlin'")
    return value


def _check_country(value: str) -> str:
    code = value.upper()
    if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        raise ValueError("must be an ISO 3166-1 alpha-2 country code such as 'DE'")
    return code


def _check_url(value: str) -> str:
    if not value.startswith(("https://", "http://")) or len(value) < 11 or " " in value:
        raise ValueError("must be an http(s) URL")
    return value


TimeZoneName = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64),
    SingleLine,
    AfterValidator(_check_time_zone),
    Field(description="IANA time zone name, e.g. `Europe/Berlin`.", examples=["Europe/Berlin"]),
]
CountryCode = Annotated[
    str,
    StringConstraints(min_length=2, max_length=2),
    SingleLine,
    AfterValidator(_check_country),
    Field(description="ISO 3166-1 alpha-2 country code, e.g. `DE`.", examples=["DE"]),
]


def _check_language(tag: str) -> str:
    """A BCP 47 tag whose language has texts, kept as given (``de-CH`` reads German)."""
    require_text_language(tag)  # UnknownLanguage is a ValueError: a validation error
    return tag


# A BCP 47 tag of a language Follow-Up writes texts in; each use says what it is for.
TextLanguageTag = Annotated[
    str,
    StringConstraints(min_length=2, max_length=35),
    SingleLine,
    AfterValidator(_check_language),
]
LanguageTag = Annotated[
    TextLanguageTag,
    Field(
        description="The candidate's language, a BCP 47 tag: `en`, `de`, `fr`, `es` or `ja`, "
        "or one of them with a region (`de-CH`, kept as given, reads as `de`). Action texts "
        "and drafts are written in it unless a request asks for another.",
        examples=["de"],
    ),
]


Url = Annotated[str, StringConstraints(max_length=2048), SingleLine, AfterValidator(_check_url)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200), SingleLine]
ShortText = Annotated[str, StringConstraints(max_length=200), SingleLine]
# Free text that is placed inside a sentence (a next step): one line, however long.
Clause = Annotated[str, StringConstraints(max_length=2000), SingleLine]
# Free text that may run over several lines (a note).
LongText = Annotated[str, StringConstraints(max_length=2000), MultiLine]
# A Follow-Up ID the caller points at (a candidate, a contact...).
ResourceId = Annotated[str, StringConstraints(max_length=40), SingleLine]
ExternalId = Annotated[
    str,
    StringConstraints(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9._:~-]+$"),
    SingleLine,
    Field(description="The caller's own ID for this record (e.g. the ATS's), unique per tenant."),
]
Phone = Annotated[
    str,
    StringConstraints(min_length=3, max_length=40, pattern=r"^[0-9+().\s/-]+$"),
    SingleLine,
]
# Times the database and the calendar arithmetic can hold on every backend, with room to
# add the planner's windows: a time outside this range is a typo, not an interview.
EARLIEST_TIMESTAMP = datetime(1900, 1, 1, tzinfo=UTC)
LATEST_TIMESTAMP = datetime(2200, 1, 1, tzinfo=UTC)


def _check_timestamp_range(value: datetime) -> datetime:
    # Aware comparisons never overflow, unlike converting 9999-12-31T23:00-05:00 to UTC.
    if not EARLIEST_TIMESTAMP <= value < LATEST_TIMESTAMP:
        raise PydanticCustomError(
            "timestamp_range", "must be between 1900-01-01 and 2199-12-31 (UTC)"
        )
    return value


# RFC 3339 `date-time` (section 5.6): `T` between date and time, seconds always, and a
# `Z` or `±hh:mm` offset. The offset is optional here only so that a time without one gets
# the clearer "should have timezone info" from AwareDatetime. Fractions stop at
# nanoseconds (Python keeps microseconds).
_RFC3339_DATE_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})?"
)
_RFC3339_FULL_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _rfc3339_date_time(value: Any) -> Any:
    # Pydantic's lax mode would read a number as seconds since 1970, and a string in several
    # non-RFC 3339 shapes (a space or `_` for the `T`, no seconds): a client's bug, not a
    # time. A datetime object only comes from Python callers, never from a request.
    if isinstance(value, datetime) or (
        isinstance(value, str) and _RFC3339_DATE_TIME.fullmatch(value)
    ):
        return value
    raise PydanticCustomError(
        "datetime_format",
        "must be an RFC 3339 date-time string with an offset, e.g. 2027-01-13T10:00:00+01:00",
    )


def _rfc3339_full_date(value: Any) -> Any:
    if (isinstance(value, date) and not isinstance(value, datetime)) or (
        isinstance(value, str) and _RFC3339_FULL_DATE.fullmatch(value)
    ):
        return value
    raise PydanticCustomError("date_format", "must be an RFC 3339 date string, e.g. 2027-01-13")


Timestamp = Annotated[
    AwareDatetime,
    BeforeValidator(_rfc3339_date_time),
    AfterValidator(_check_timestamp_range),
]


def _check_date_range(value: date) -> date:
    if not EARLIEST_TIMESTAMP.date() <= value < LATEST_TIMESTAMP.date():
        raise PydanticCustomError("date_range", "must be between 1900-01-01 and 2199-12-31")
    return value


CalendarDate = Annotated[
    date, BeforeValidator(_rfc3339_full_date), AfterValidator(_check_date_range)
]


class Page(BaseModel, Generic[T]):
    """One page of a list, in a stable order; follow `next_cursor` for the next one."""

    data: list[T] = Field(description="The items on this page.")
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next page; null on the last page."
    )


# Fields of response bodies that mean the same on every resource, described once.
OwnId = Annotated[str, Field(description="Follow-Up's ID for this resource.")]
OwnExternalId = Annotated[
    str | None, Field(description="The caller's own ID for this record; null when it gave none.")
]
CreatedAt = Annotated[datetime, Field(description="When it was created (RFC 3339, UTC).")]
UpdatedAt = Annotated[datetime, Field(description="When it last changed (RFC 3339, UTC).")]
CandidateRef = Annotated[str, Field(description="The candidate it belongs to.")]
ApplicationRef = Annotated[str, Field(description="The application it belongs to.")]


class ResourceMeta(ReadModel):
    """Fields every stored resource has."""

    id: OwnId
    created_at: CreatedAt
    updated_at: UpdatedAt

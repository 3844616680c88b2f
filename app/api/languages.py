"""Which language a request wants action texts and drafts in.

Precedence: the `language` query parameter, then `Accept-Language` (RFC 9110 12.5.4, with
quality values, matched by RFC 4647 lookup: `de-CH` reads German), then the candidate's
language, then English. The first two are decided here; the candidate's is known only
once the action or draft is loaded, so a request that asks for nothing chooses None.

An explicit `language` the service cannot write answers 422 naming `query.language`;
an `Accept-Language` none of whose ranges can be met (and without `*`) answers 422
naming the header, both with the list of languages there are. A `*` range leaves the
choice to the candidate's language; a range with `q=0` is never chosen.

Both are read through caches keyed on what the request sent, so their size is checked
first: a tag or range longer than a BCP 47 tag may be, or a header past
`_MAX_HEADER` characters, answers 422 before any cache sees it.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated

from fastapi import Depends, Header, Query, Request, Response

from app import domain
from app.errors import InvalidInput

QUERY_FIELD = "query.language"
HEADER_FIELD = "header.Accept-Language"
# What every response whose texts depend on the request's language says.
VARY = "Accept-Language"
# Headers of such responses, as OpenAPI declares them. (`Vary`, sent on every response
# for Accept-Encoding, names Accept-Language too on these.)
LANGUAGE_HEADERS = {
    "Content-Language": {
        "description": "The language of the texts in the body (several, comma-separated, "
        "when a page holds actions of candidates with different languages). `Vary` names "
        "`Accept-Language`, which can change them.",
        "schema": {"type": "string"},
    },
}
_MAX_RANGES = 32
# Far more than a browser sends (a few dozen characters); it bounds the cache's keys.
_MAX_HEADER = 1024


def explicit_language(tag: str) -> str:
    """The language a `language` parameter names, or 422."""
    # Also read by the feed page cache before FastAPI checks the parameter's length:
    # require_text_language refuses an overlong tag before its cache sees it.
    try:
        return domain.require_text_language(tag)
    except domain.UnknownLanguage as error:
        raise InvalidInput.on_field(QUERY_FIELD, str(error), "enum") from None


@lru_cache(maxsize=1024)
def accepted_language(header: str) -> str | None:
    """The language an `Accept-Language` value chooses (None: the candidate's), or 422.

    Ranges are tried by quality, highest first, in the order given on a tie; the first one
    whose lookup finds a language wins. `*` stands for any language, so from there on the
    candidate's own is as good as any.
    """
    ranges: list[tuple[float, int, str]] = []
    for position, item in enumerate(header.split(",", _MAX_RANGES)[:_MAX_RANGES]):
        tag, _, params = item.partition(";")
        tag = tag.strip()
        if not tag:
            continue
        quality = _quality(params)
        if quality is None or not tag.replace("-", "").replace("*", "x").isalnum():
            raise InvalidInput.on_field(
                HEADER_FIELD,
                f"`{item.strip()[:40]}` is not a language range with an optional `;q=` weight",
            )
        ranges.append((-quality, position, tag))
    if not ranges:
        return None
    for negative_quality, _position, tag in sorted(ranges):
        if negative_quality == 0:
            continue  # q=0: not acceptable
        if tag == "*":
            return None
        language = domain.text_language(tag)
        if language is not None:
            return language
    raise InvalidInput.on_field(
        HEADER_FIELD, str(domain.UnknownLanguage("any of these languages")), "enum"
    )


def _quality(params: str) -> float | None:
    """The range's weight (1 when not given), or None when it is malformed."""
    params = params.strip()
    if not params:
        return 1.0
    name, _, value = params.partition("=")
    if name.strip().lower() != "q":
        return None
    try:
        quality = float(value.strip())
    except ValueError:
        return None
    return quality if 0 <= quality <= 1 and len(value.strip()) <= 5 else None


def requested_language(language: str | None, accept_language: str | None) -> str | None:
    """The language a request chose by parameter or header; None when it left it open."""
    if language is not None:
        return explicit_language(language)
    if accept_language is not None:
        _check_size(accept_language)
        return accepted_language(accept_language)
    return None


def _check_size(header: str) -> None:
    """422 for an `Accept-Language` too long to be a cache key, or whose read ranges
    (the first `_MAX_RANGES`) hold one longer than a tag may be."""
    if len(header) > _MAX_HEADER:
        raise InvalidInput.on_field(
            HEADER_FIELD, f"longer than {_MAX_HEADER} characters", "string_too_long"
        )
    if len(header) <= domain.MAX_TAG_LENGTH:
        return  # no range can be longer than the header (most headers: no split)
    for item in header.split(",", _MAX_RANGES)[:_MAX_RANGES]:
        tag = item.partition(";")[0].strip()
        if len(tag) > domain.MAX_TAG_LENGTH:
            raise InvalidInput.on_field(
                HEADER_FIELD,
                f"`{tag[:40]}…` is longer than a language tag may be "
                f"({domain.MAX_TAG_LENGTH} characters)",
                "string_too_long",
            )


def request_language(request: Request) -> str | None:
    """:func:`requested_language` read from a request (for code that runs before its
    dependencies, such as the feed page cache)."""
    # Parsing the query string costs more than the rest of a stored feed page's answer:
    # only when it may hold the parameter.
    query = request.scope["query_string"]
    language = request.query_params.get("language") if b"language" in query else None
    return requested_language(language, request.headers.get("accept-language"))


async def _language(
    response: Response,
    language: Annotated[
        str | None,
        Query(
            max_length=domain.MAX_TAG_LENGTH,
            description="Write the texts in this language (BCP 47: `en`, `de`, `fr`, `es`, "
            "`ja`; a regional tag such as `de-CH` reads as its language). Takes precedence "
            "over `Accept-Language`; without either, the candidate's language.",
            examples=["de"],
        ),
    ] = None,
    accept_language: Annotated[
        str | None,
        Header(
            alias="Accept-Language",
            description="Languages the caller prefers, with `q` weights (RFC 9110), used "
            "when there is no `language` parameter. `*` leaves it to the candidate's.",
        ),
    ] = None,
) -> str | None:
    response.headers["Vary"] = VARY
    return requested_language(language, accept_language)


# The language a request asked for (None: the candidate's); the response varies with
# Accept-Language either way.
LanguageDep = Annotated[str | None, Depends(_language)]

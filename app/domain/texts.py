"""Every human-readable sentence the domain produces, keyed so other languages can follow.

Templates are gettext "python-format" strings (``%(name)s``; a literal percent sign is
``%%``), which translation tools understand and which render faster than ``str.format``.
Other languages are data: each language folder (``app/templates/drafts/<code>/``, beside
its draft templates and checker lexicons) holds a ``texts.toml`` with the same keys, read
once on first use. Any key a catalogue lacks falls back to English, so a partial
translation never breaks a plan (``tests/test_language_texts.py`` holds every shipped
catalogue to the full set of keys, so none does so silently).

The rules do not write sentences: they describe them as :class:`Text` values (a key and
the values it takes: names, numbers, dates, other texts), which :func:`render` writes in
any language. A stored action keeps that description (:func:`message_to_json`), so it can
be shown in another language than the one it was planned in without planning again.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Mapping, Sequence
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple, TypeAlias

DEFAULT_LANGUAGE = "en"

_ENGLISH: dict[str, str] = {
    # Dates, written the way a person reads them rather than ISO 8601.
    "date": "%(weekday)s, %(month)s %(day)s, %(year)s",
    "weekday.0": "Monday",
    "weekday.1": "Tuesday",
    "weekday.2": "Wednesday",
    "weekday.3": "Thursday",
    "weekday.4": "Friday",
    "weekday.5": "Saturday",
    "weekday.6": "Sunday",
    # Weekdays as a date may abbreviate them (Japanese writes 12月1日（火）); a language's
    # "date" pattern picks %(weekday)s or %(weekday_short)s.
    "weekday.short.0": "Mon",
    "weekday.short.1": "Tue",
    "weekday.short.2": "Wed",
    "weekday.short.3": "Thu",
    "weekday.short.4": "Fri",
    "weekday.short.5": "Sat",
    "weekday.short.6": "Sun",
    # The first of the month, which some languages write as an ordinal (French "1er").
    "day.1": "1",
    "month.1": "January",
    "month.2": "February",
    "month.3": "March",
    "month.4": "April",
    "month.5": "May",
    "month.6": "June",
    "month.7": "July",
    "month.8": "August",
    "month.9": "September",
    "month.10": "October",
    "month.11": "November",
    "month.12": "December",
    # Interview kinds as they read inside a sentence.
    "kind.prescreen": "prescreen",
    "kind.phone": "phone",
    "kind.video": "video",
    "kind.onsite": "on-site",
    # Stand-ins when a person's name is not known.
    "person.interviewer": "your interviewer",
    "person.organizer": "the person who arranged the interview",
    "person.contact": "your contact at the company",
    "person.someone": "someone",
    "person.unnamed_panel_member": "someone whose name you do not know yet",
    # Between the names of a list of people (Japanese 、).
    "names.separator": ", ",
    # E1 - before the interview.
    "E1.title": "Find out who will interview you at your %(kind)s interview",
    "E1.explanation": (
        "Rule E1 (before the interview): it helps to know the name and title of everyone "
        "you will meet, so you can prepare and address them properly afterwards. "
        "For your %(kind)s interview on %(date)s, %(reason)s"
    ),
    "E1.reason.no_panel": "no interviewer has been named yet.",
    "E1.reason.only_first_contact": (
        "the only person named is %(name)s, who first reached out to you. The person who "
        "makes first contact is often not the one who interviews you, so it is worth asking."
    ),
    "E1.reason.unidentified": "you do not yet have the name or title of: %(names)s.",
    "E1.reason.unconfirmed": "the list of interviewers has not been confirmed yet.",
    "E1.reason.satisfied": (
        "the panel is confirmed and you know everyone's name and title, so this is done."
    ),
    "E1.guidance": (
        "A short, friendly note to %(recipient)s is enough: ask who you will be meeting and "
        "what their roles are. Asking is normal and shows you are preparing; nobody will "
        "think less of you for it. If the invitation already lists names and titles, "
        "record them here and mark the panel as confirmed."
    ),
    # E2 - during the interview.
    "E2.title": "Ask your closing questions at the end of the %(kind)s interview",
    "E2.explanation": (
        "Rule E2 (during the interview): at the end of every interview it is customary to "
        "ask a few questions of your own. The answers tell you what happens next and when "
        "to follow up.%(rep_note)s For your %(kind)s interview on %(date)s, still to find out: "
        "%(missing)s."
    ),
    "E2.explanation.satisfied": (
        "Rule E2 (during the interview): at the end of every interview it is customary to "
        "ask a few questions of your own. For your %(kind)s interview on %(date)s, you already "
        "have the next step, when to expect news, and a way to reach everyone you met."
    ),
    "E2.rep_note": (
        " This is just as useful when a representative of a recruiting firm interviews you."
    ),
    "E2.missing.next_step": "the next step in the process",
    "E2.missing.reply_date": "when you can expect to hear back",
    "E2.missing.contacts": "contact details for %(names)s",
    "E2.missing.panel": "who interviewed you and how to reach them",
    "E2.missing.separator": "; ",
    "E2.guidance": (
        'When they ask whether you have any questions, try: "What is the next step in the '
        'process?", "When can I expect to hear back?" and "Could I have your card, or the '
        'best way to reach you?" Note the answers here afterwards: they set the timing of '
        "your thank-you and of any check-in."
    ),
    # E3 - directly after the interview.
    "E3.title": "Send a thank-you email to %(name)s",
    "E3.explanation": (
        "Rule E3 (directly after the interview): a thank-you email within %(hours)s hours of "
        "the interview is customary. You met %(name)s at your %(kind)s interview on %(date)s."
    ),
    "E3.rep_note": (
        " They represent a recruiting firm, and a thank-you is just as fitting for them."
    ),
    "E3.blocked": (
        " There is no email address for %(name)s yet: add one, or ask %(organizer)s to pass "
        "your note on."
    ),
    "E3.guidance": (
        "Keep it short and sweet: three or four sentences. Thank them for their time, say "
        "you look forward to hearing from them, and, if it feels natural, add one line on "
        "why you think you are a good fit. Do not push for the next step; a warm, brief "
        "note is exactly what is expected."
    ),
    # E4 - the second follow-up.
    "E4.title": "Check in with %(name)s about your application",
    "E4.title.repeat": "Check in again with %(name)s (%(number)s of %(maximum)s)",
    "E4.explanation.expected": (
        "Rule E4 (second follow-up): after your %(kind)s interview on %(date)s, you were told to "
        "expect news by %(deadline)s, and nothing has come since. Once that date has passed, "
        "a short check-in is appropriate."
    ),
    "E4.explanation.default_wait": (
        "Rule E4 (second follow-up): no date was given for hearing back after your %(kind)s "
        'interview on %(date)s, so this allows the usual "next week or so": %(wait)s business '
        "days, until %(deadline)s. If you have not heard back by then, a short check-in is "
        "appropriate."
    ),
    "E4.explanation.reply": (
        "Rule E4 (second follow-up): when they last got back to you, they said to expect "
        "news by %(deadline)s. If nothing more has come by then, a short check-in is "
        "appropriate."
    ),
    "E4.explanation.repeat": (
        "Rule E4 (second follow-up): you checked in on %(done_date)s and have had no reply. "
        "One more short note after %(repeat)s business days is fine. This is check-in "
        "%(number)s of at most %(maximum)s, so you follow up without pressing."
    ),
    "E4.blocked": (
        " There is no email address or phone number for %(name)s yet: add one so you know "
        "where to send it."
    ),
    "E4.guidance": (
        "Keep it short and sweet, by email, voicemail or phone: remind them who you are and "
        "which role you interviewed for, say that you are still interested in working for "
        "them, and ask whether there is news on the timeline. A friendly check-in is "
        "professional, not pushy."
    ),
    # E5 - once all is said and done.
    "E5.title": "Connect with %(name)s on your professional network",
    "E5.explanation": (
        "Rule E5 (once all is said and done): %(outcome)s. Connecting with the people who "
        "interviewed you keeps you on their radar, and even when a job does not work out, "
        "a better-suited position may open up later."
    ),
    "E5.outcome.accepted": "you accepted the offer",
    "E5.outcome.rejected": "this application did not work out",
    "E5.outcome.withdrawn": "you withdrew from this application",
    "E5.blocked": " You have neither a name nor a profile link for this person yet.",
    "E5.guidance": (
        "Send a connection request within %(days)s days with a one-line personal note: thank "
        "them again for their time and say you enjoyed the conversation. There is no need "
        "to mention the outcome."
    ),
    "E5.guidance.profile": " Their profile: %(url)s",
    # Policy fields, as the API documents them.
    "policy.confirm_lead_hours": (
        "Hours before an interview by which the candidate should know who is on the panel "
        "(E1); the reminder to ask closing questions (E2) opens then too."
    ),
    "policy.thank_you_hours": (
        "Hours after an interview ends within which the thank-you email is due (E3)."
    ),
    "policy.default_reply_wait_business_days": (
        "Business days to wait for news after an interview when no date was given (E4)."
    ),
    "policy.check_in_window_business_days": (
        "Business days a check-in stays open before it is overdue (E4)."
    ),
    "policy.check_in_repeat_business_days": (
        "Business days after a check-in without reply before the next one opens (E4)."
    ),
    "policy.max_check_ins": (
        "Most check-ins while waiting for news, so the candidate follows up without pressing (E4)."
    ),
    "policy.connect_within_days": (
        "Days after the final outcome within which to connect with the interviewers (E5)."
    ),
}

# The language folders: package data shipped with the code, read like a constant.
LANGUAGE_FOLDERS = Path(__file__).resolve().parents[1] / "templates" / "drafts"


def languages() -> tuple[str, ...]:
    """The languages that have a catalogue: English and every folder with a texts.toml."""
    return _languages_in(LANGUAGE_FOLDERS)


@lru_cache(maxsize=4)
def _languages_in(folder: Path) -> tuple[str, ...]:
    # Listed once per folder, not on every lookup of a tag a request names.
    found = {path.parent.name for path in folder.glob("*/texts.toml")}
    return tuple(sorted(found | {DEFAULT_LANGUAGE}))


# The longest BCP 47 tag read as a language (35 characters, RFC 5646 4.4.1).
MAX_TAG_LENGTH = 35


@lru_cache(maxsize=1024)
def text_language(tag: str) -> str | None:
    """The language with a catalogue that a BCP 47 tag asks for, or None.

    RFC 4647 lookup: the tag, then the tag with its last subtag removed, and so on, so
    ``de-CH`` and ``de-Latn-CH`` read German; case does not matter. A tag that is not
    made of 1-8 letters or digits between hyphens (at most 35 characters) asks for none.
    Cached on the tag: a caller with a tag from a request bounds it first.
    """
    # ASCII before lowering: some letters lower to ASCII ones (KELVIN SIGN to "k").
    if len(tag) > MAX_TAG_LENGTH or not tag.isascii():
        return None
    subtags = tag.lower().split("-")
    if not all(0 < len(s) <= 8 and s.isalnum() for s in subtags):
        return None
    available = languages()
    while subtags:
        candidate = "-".join(subtags)
        if candidate in available:
            return candidate
        subtags.pop()
        # A single-letter subtag (an extension or private use) is never left at the end.
        if subtags and len(subtags[-1]) == 1:
            subtags.pop()
    return None


class UnknownLanguage(ValueError):
    """No catalogue for the language asked for; the message lists the languages there are."""

    def __init__(self, asked: str = "this language") -> None:
        super().__init__(
            f"no texts in {asked}; supported: {', '.join(languages())} "
            "(a regional tag such as `de-CH` reads as its language)"
        )


def require_text_language(tag: str) -> str:
    """The language with a catalogue a tag from a caller asks for, or :class:`UnknownLanguage`.

    The one check of such a tag: a tag too long to be one is refused before the lookup's
    cache sees it.
    """
    language = text_language(tag) if len(tag) <= MAX_TAG_LENGTH else None
    if language is None:
        raise UnknownLanguage
    return language


@lru_cache(maxsize=64)
def catalogue(language: str = DEFAULT_LANGUAGE) -> Mapping[str, str]:
    """Every template in ``language``, English filling any gap, resolved once per language."""
    if language == DEFAULT_LANGUAGE or language not in languages():
        return _ENGLISH
    path = LANGUAGE_FOLDERS / language / "texts.toml"
    translated = tomllib.loads(path.read_text(encoding="utf-8"))
    return {**_ENGLISH, **{key: str(text) for key, text in translated.items()}}


# Raised by one with every release that edits a catalogue (a test holds each language's
# hash to the edition): fingerprints then sort by release, so a worker of an older release
# never writes back over texts a newer one wrote (app/services/worker.py).
CATALOGUE_EDITION = 1


@lru_cache(maxsize=64)
def catalogue_fingerprint(language: str = DEFAULT_LANGUAGE) -> str:
    """``language``'s catalogue edition and a short hash of its resolved catalogue, e.g.
    ``0001-3f2a…``: equal in every process running the same catalogues, and greater (as a
    string) in a later edition. A stored action records the one its texts were written
    with, so the worker can find texts an edited catalogue made stale."""
    resolved = json.dumps(sorted(catalogue(language).items()), ensure_ascii=False)
    digest = hashlib.blake2b(resolved.encode(), digest_size=8).hexdigest()
    return f"{CATALOGUE_EDITION:04d}-{digest}"


def render_text(key: str, language: str = DEFAULT_LANGUAGE, /, **values: object) -> str:
    """The text for ``key`` with ``values`` filled in."""
    return catalogue(language)[key] % values


@lru_cache(maxsize=8192)
def format_date(day: date, language: str = DEFAULT_LANGUAGE) -> str:
    """A date as a person reads it, e.g. "Friday, March 14, 2025"."""
    texts = catalogue(language)
    return texts["date"] % {
        "weekday": texts[f"weekday.{day.weekday()}"],
        "weekday_short": texts[f"weekday.short.{day.weekday()}"],
        "month": texts[f"month.{day.month}"],
        "day": texts["day.1"] if day.day == 1 else day.day,
        "year": day.year,
    }


# --- sentences described, rendered in any language ------------------------------------


class Text(NamedTuple):
    """A sentence not yet in any language: a catalogue key and the values it takes."""

    key: str
    # Name and value pairs rather than a dict, so that a text (and an action) is hashable.
    values: tuple[tuple[str, TextValue], ...] = ()


def text(key: str, values: Mapping[str, TextValue] | None = None) -> Text:
    """The sentence ``key`` with ``values``."""
    return Text(key, tuple(values.items())) if values else Text(key)


class Joined(NamedTuple):
    """Several values in a row, with a separator (itself a value: ", " or a text)."""

    items: tuple[TextValue, ...]
    separator: TextValue


# A value in a sentence: a name or a URL as given, a number, a date (written the way the
# language writes dates), or another sentence.
TextValue: TypeAlias = "str | int | date | Text | Joined"
# One text an action shows (a title, an explanation...): sentences written one after another.
Message: TypeAlias = tuple[Text, ...]


def render(message: Sequence[Text], language: str = DEFAULT_LANGUAGE) -> str:
    """The message written in ``language``."""
    texts = catalogue(language)
    if len(message) == 1:
        return _sentence(message[0], texts, language)
    return "".join(_sentence(text, texts, language) for text in message)


def _sentence(text: Text, texts: Mapping[str, str], language: str) -> str:
    values = text.values
    if not values:
        return texts[text.key] % {}
    return texts[text.key] % {
        name: value if type(value) is str else _value(value, texts, language)
        for name, value in values
    }


def _value(value: TextValue, texts: Mapping[str, str], language: str) -> str | int:
    if isinstance(value, str | int):
        return value
    if isinstance(value, Text):
        return _sentence(value, texts, language)
    if isinstance(value, Joined):
        separator = str(_value(value.separator, texts, language))
        return separator.join(str(_value(item, texts, language)) for item in value.items)
    return format_date(value, language)


def message_to_json(message: Sequence[Text]) -> list[Any]:
    """A message as JSON data: each text ``[key]`` or ``[key, {name: value}]``, a date
    ``{"date": "2026-12-01"}``, joined values ``{"join": [...], "with": separator}``."""
    return [_text_to_json(text) for text in message]


def _text_to_json(text: Text) -> list[Any]:
    if not text.values:
        return [text.key]
    return [text.key, {name: _value_to_json(value) for name, value in text.values}]


def _value_to_json(value: TextValue) -> Any:
    if isinstance(value, str | int):
        return value
    if isinstance(value, Text):
        return _text_to_json(value)
    if isinstance(value, Joined):
        return {
            "join": [_value_to_json(item) for item in value.items],
            "with": _value_to_json(value.separator),
        }
    return {"date": value.isoformat()}


def message_from_json(data: Sequence[Any]) -> Message:
    """The message :func:`message_to_json` wrote."""
    return tuple(_text_from_json(item) for item in data)


def _text_from_json(data: Sequence[Any]) -> Text:
    if len(data) == 1:
        return Text(data[0])
    return Text(data[0], tuple((name, _value_from_json(value)) for name, value in data[1].items()))


def _value_from_json(data: Any) -> TextValue:
    if isinstance(data, str | int):
        return data
    if isinstance(data, list):
        return _text_from_json(data)
    if "date" in data:
        return date.fromisoformat(data["date"])
    items = tuple(_value_from_json(item) for item in data["join"])
    return Joined(items, _value_from_json(data["with"]))

"""The draft checker's words, one data file per language.

Every word the checker looks for, and every word it says, comes from the language's data
file (``app/templates/drafts/<language>/checker.toml``), so a new language needs no code;
the same folder holds the language's built-in templates. Which languages there are is
the domain's answer (:func:`app.domain.languages`): a folder with a ``texts.toml``, and
English; each also has a ``checker.toml``, as ``tests/test_language_texts.py`` holds.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from app import domain
from app.domain import DEFAULT_LANGUAGE, texts
from app.domain.messages import FindingCode, Severity

_ROLES = {"action": "action's person", "recipient": "recipient"}


@dataclass(frozen=True)
class PushyPhrase:
    pattern: re.Pattern[str]
    severity: Severity
    suggestion: str


@dataclass(frozen=True)
class Address:
    """How a language writes whom a draft is to when the honorific follows the name.

    ``item`` matches one person at the start of what is left of the line: a name, then an
    honorific or group word (group ``suffix``: "様", "皆様") and a separator, a space or
    the line's end, or a title (group ``title``: "部長") and a separator or the line's end.
    ``affiliation`` matches a company, department or title before the name, and ``titles``
    are the job titles that may follow a name ("山田部長様")."""

    item: re.Pattern[str]
    affiliation: re.Pattern[str]
    titles: tuple[str, ...]


@dataclass(frozen=True)
class Lexicon:
    """One language's words for the checker, compiled."""

    language: str
    segmenter_language: str
    never_final: frozenset[str]
    # Words that end a sentence when a full stop and a capital follow, though pysbd takes
    # them for abbreviations (Spanish "bien": "Espero que esté bien. Le escribo…").
    always_final: re.Pattern[str] | None
    kind_names: Mapping[str, str]
    greeting: re.Pattern[str]
    honorifics: frozenset[str]
    groups: frozenset[str]
    generic: frozenset[str]
    name_separator: re.Pattern[str]
    sign_off_line: re.Pattern[str]
    sign_off_inline: re.Pattern[str]
    thanks: re.Pattern[str]
    continued_interest: re.Pattern[str]
    interest_negation: re.Pattern[str]
    # The informal register (du, tu, tú, Japanese plain forms), where the language has one.
    informal_address: re.Pattern[str] | None
    placeholder: re.Pattern[str]
    pushy: tuple[PushyPhrase, ...]
    closing_topics: Mapping[str, re.Pattern[str]]
    questions: Mapping[str, str]
    messages: Mapping[str, str]
    suggestions: Mapping[str, str]
    # The longest honorific and never-final abbreviation: how far a look-back must reach.
    longest_honorific: int = 0
    longest_never_final: int = 0
    # Marks besides . ! ? that end a sentence, written with no space after (Japanese 。！？).
    sentence_stops: str = ""
    # Where the address comes before the honorific (Japanese "人事部 山田様"), the lines
    # that open the draft name the person; see :mod:`~app.services.drafting.layout`.
    address: Address | None = None
    # Set phrases that open the message after the address and are part of the greeting
    # (Japanese "お世話になっております。山田です。"), matched where the message begins.
    opening_formula: re.Pattern[str] | None = None
    # Endings that make a name a group ("面接官の皆様", "人事部 御中").
    group_suffixes: tuple[str, ...] = ()
    # Whom a recipient finding says the draft should address: the action's person, or
    # the recipient the writer gave.
    roles: Mapping[str, str] = field(default_factory=lambda: dict(_ROLES))

    def is_never_final(self, word: str) -> bool:
        """Whether ``word``, before a full stop, is one of the language's abbreviations
        that never end a sentence, in any case ("Dr.", "dr."); a word all in capitals is
        an acronym, not one of them (German "Hr." is Herr, "HR." human resources)."""
        return word.casefold() in self.never_final and not (len(word) > 1 and word.isupper())

    def message(self, code: FindingCode, **values: object) -> str:
        return self.messages[code.value].format(**values)

    def suggestion(self, code: FindingCode, **values: object) -> str:
        return self.suggestions[code.value].format(**values)


def available_languages() -> tuple[str, ...]:
    """Language codes with a data folder: each has the checker's words and the templates."""
    return domain.languages()


def _compile(pattern: str, flags: int = 0) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE | flags)


# The most characters of a name before its honorific, in an address line.
ADDRESS_NAME_MAX = 60
_SPACE = r"[ \t\u3000]"
_SEPARATOR = r"[、，,・:：!！]"


def _alternatives(words: list[str] | tuple[str, ...]) -> str:
    """``words`` as a regex alternation, the longest first (or one that never matches)."""
    if not words:
        return "(?!)"
    return "|".join(re.escape(word) for word in sorted(set(words), key=len, reverse=True))


def _address(greeting: Mapping[str, Any]) -> Address | None:
    """The address reader, for a language whose honorifics follow the name."""
    suffixes = list(greeting.get("address_suffixes", ()))
    if not suffixes:
        return None
    titles = tuple(greeting.get("titles", ()))
    # A title ends a name only before a separator or the line's end: before a space it
    # is a title of its own ("人事部長 山田様").
    item = _compile(
        rf"(?P<name>[^\n、，,。．！？!?]{{0,{ADDRESS_NAME_MAX}}}?)"
        rf"(?:(?P<suffix>{_alternatives([*greeting.get('group_suffixes', ()), *suffixes])})"
        rf"(?:{_SPACE}*(?:{_SEPARATOR}|$)|{_SPACE}+)"
        rf"|(?P<title>{_alternatives(titles)}){_SPACE}*(?:{_SEPARATOR}|$))"
    )
    return Address(
        item=item,
        affiliation=_compile(greeting["affiliation"]),
        titles=titles,
    )


# What may open the next sentence: a capital (told apart by the code, as the pattern is
# matched without regard to case), or the opening mark of a question, exclamation or quote.
_SENTENCE_OPENING = r"""[^\W\d_]|[¿¡«“"„‘'(]"""


def _always_final(words: list[str]) -> re.Pattern[str]:
    """Where one of ``words`` and its full stop end a sentence before white space and what
    may open the next one; group ``next`` is that opening."""
    return _compile(
        rf"(?<![^\W\d_])(?:{_alternatives(words)})\.(?=\s+(?P<next>{_SENTENCE_OPENING}))"
    )


@lru_cache(maxsize=8)
def lexicon(language: str = DEFAULT_LANGUAGE) -> Lexicon:
    """The checker's words for ``language`` (read once from its data file)."""
    if language not in available_languages():
        raise KeyError(language)
    data: dict[str, Any] = tomllib.loads(
        (texts.LANGUAGE_FOLDERS / language / "checker.toml").read_text(encoding="utf-8")
    )
    greeting, sign_off, patterns = data["greeting"], data["sign_off"], data["patterns"]
    honorifics = frozenset(greeting["honorifics"])
    never_final = frozenset(data["never_final"])
    always_final = data.get("always_final", [])
    return Lexicon(
        language=language,
        segmenter_language=data["segmenter_language"],
        never_final=never_final,
        always_final=_always_final(always_final) if always_final else None,
        kind_names=data["kinds"],
        greeting=_compile(greeting["opening"]),
        honorifics=honorifics,
        groups=frozenset(greeting["groups"]),
        generic=frozenset(greeting["generic"]),
        name_separator=_compile(greeting["name_separator"]),
        sign_off_line=_compile(sign_off["line"], re.MULTILINE),
        sign_off_inline=_compile(sign_off["inline"]),
        thanks=_compile(patterns["thanks"]),
        continued_interest=_compile(patterns["continued_interest"]),
        interest_negation=_compile(patterns["interest_negation"]),
        informal_address=(
            _compile(patterns["informal_address"]) if "informal_address" in patterns else None
        ),
        # Placeholders such as "[Company]" are recognised by their capital letter.
        placeholder=re.compile(patterns["placeholder"]),
        pushy=tuple(
            PushyPhrase(_compile(p["pattern"]), Severity(p["severity"]), p["suggestion"])
            for p in data["pushy"]
        ),
        closing_topics={name: _compile(p) for name, p in data["closing_questions"].items()},
        questions=data["questions"],
        messages=data["messages"],
        suggestions=data["suggestions"],
        longest_honorific=max(map(len, honorifics), default=0),
        longest_never_final=max(map(len, never_final), default=0),
        sentence_stops=data.get("sentence_stops", ""),
        address=_address(greeting),
        opening_formula=_compile(greeting["formula"]) if "formula" in greeting else None,
        group_suffixes=tuple(greeting.get("group_suffixes", ())),
        roles={**_ROLES, **data.get("roles", {})},
    )

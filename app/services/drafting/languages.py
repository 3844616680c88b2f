"""The draft checker's words, one data file per language.

Every word the checker looks for, and every word it says, comes from the language's data
file (``app/templates/drafts/<language>/checker.toml``), so a new language needs no code;
the same folder holds the language's built-in templates.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from app.domain import DEFAULT_LANGUAGE
from app.domain.messages import FindingCode, Severity

LANGUAGES_DIR = Path(__file__).resolve().parents[2] / "templates" / "drafts"


@dataclass(frozen=True)
class PushyPhrase:
    pattern: re.Pattern[str]
    severity: Severity
    suggestion: str


@dataclass(frozen=True)
class Lexicon:
    """One language's words for the checker, compiled."""

    language: str
    segmenter_language: str
    never_final: frozenset[str]
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
    placeholder: re.Pattern[str]
    pushy: tuple[PushyPhrase, ...]
    closing_topics: Mapping[str, re.Pattern[str]]
    questions: Mapping[str, str]
    messages: Mapping[str, str]
    suggestions: Mapping[str, str]
    # The longest honorific and never-final abbreviation: how far a look-back must reach.
    longest_honorific: int = 0
    longest_never_final: int = 0

    def message(self, code: FindingCode, **values: object) -> str:
        return self.messages[code.value].format(**values)

    def suggestion(self, code: FindingCode, **values: object) -> str:
        return self.suggestions[code.value].format(**values)


def available_languages() -> tuple[str, ...]:
    """Language codes with a data folder: each has the checker's words and the templates."""
    return tuple(
        sorted(path.parent.name for path in LANGUAGES_DIR.glob("*/checker.toml") if path.is_file())
    )


def _compile(pattern: str, flags: int = 0) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE | flags)


@lru_cache(maxsize=8)
def lexicon(language: str = DEFAULT_LANGUAGE) -> Lexicon:
    """The checker's words for ``language`` (read once from its data file)."""
    if language not in available_languages():
        raise KeyError(language)
    data: dict[str, Any] = tomllib.loads(
        (LANGUAGES_DIR / language / "checker.toml").read_text(encoding="utf-8")
    )
    greeting, sign_off, patterns = data["greeting"], data["sign_off"], data["patterns"]
    honorifics = frozenset(greeting["honorifics"])
    never_final = frozenset(data["never_final"])
    return Lexicon(
        language=language,
        segmenter_language=data["segmenter_language"],
        never_final=never_final,
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
    )

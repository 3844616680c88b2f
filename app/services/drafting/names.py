"""Whom a draft names: matching a name against the expected person, and telling one
person from several or from a group ("the team")."""

from __future__ import annotations

import re
import unicodedata

from app.services.drafting.languages import Lexicon
from app.services.work import WorkBudget, unlimited


def _name_tokens(name: str, words: Lexicon) -> list[str]:
    plain = "".join(
        char
        for char in unicodedata.normalize("NFKD", name.casefold())
        if not unicodedata.combining(char)
    )
    return [token for token in re.findall(r"[^\W\d_]+", plain) if token not in words.honorifics]


def names_match(
    given: str, expected: str, words: Lexicon, budget: WorkBudget | None = None
) -> bool:
    """Whether ``given`` ("Grace", "Ms. Hopper", "G. Hopper") can refer to ``expected``."""
    (budget or unlimited()).spend(len(given) + len(expected))
    given_tokens = _name_tokens(given, words)
    expected_tokens = set(_name_tokens(expected, words))
    if not given_tokens or not expected_tokens:
        return True  # nothing to contradict
    initials = {known[0] for known in expected_tokens}
    # Each given token is a whole name of the expected one, or an initial of one.
    return all(
        token in expected_tokens or (len(token) == 1 and token in initials)
        for token in given_tokens
    )


def folded(names: str) -> str:
    """``names`` case-folded, with every run of white space made one space."""
    return " ".join(names.casefold().split())


def people(names: str, words: Lexicon, budget: WorkBudget) -> list[str]:
    """The people ``names`` lists ("Grace and Alan" is two)."""
    # Runs of spaces are made single first: the separator pattern starts and ends with
    # \s*, which would otherwise re-read a long run from each of its positions.
    budget.spend(2 * len(names))
    single_spaced = " ".join(names.split())
    return [part for part in words.name_separator.split(single_spaced) if part.strip()]


def is_group(names: str, words: Lexicon, budget: WorkBudget) -> bool:
    """Whether ``names`` addresses a group ("team", "Globex team") rather than people."""
    budget.spend(len(names))
    text = folded(names)
    if text in words.groups:
        return True
    last = text.rsplit(" ", 1)[-1] if text else ""
    return last in words.groups and " " not in last

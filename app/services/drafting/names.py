"""Whom a draft names: matching a name against the expected person, and telling one
person from several or from a group ("the team")."""

from __future__ import annotations

import re
import unicodedata

from app.services.drafting.languages import Lexicon
from app.services.work import WorkBudget, unlimited

# Voicing marks of kana (゛ ゜), which NFKD splits off: kept, as ガ is not カ.
_KANA_MARKS = frozenset({"\u3099", "\u309a"})


def _name_tokens(name: str, words: Lexicon) -> list[str]:
    plain = unicodedata.normalize(
        "NFC",
        "".join(
            char
            for char in unicodedata.normalize("NFKD", name.casefold())
            if not unicodedata.combining(char) or char in _KANA_MARKS
        ),
    )
    return [
        _katakana(token)
        for token in re.findall(r"[^\W\d_]+", plain)
        if token not in words.honorifics
    ]


def names_match(
    given: str, expected: str, words: Lexicon, budget: WorkBudget | None = None
) -> bool:
    """Whether ``given`` ("Grace", "Ms. Hopper", "G. Hopper", "山田", "ホッパー") can
    refer to ``expected``.

    Each given token must be one of the expected names, or an initial of one. Names in
    Japanese script are compared as Japanese writes them: "山田太郎" (no space) is
    "山田 太郎", and "山田" matches "山田太郎"; a name in katakana is compared with one in
    Latin letters by how it sounds ("ホッパー" is "Hopper"). Where the two cannot be
    compared (kanji against Latin letters or kana: "山田" against "Taro Yamada"), nothing
    contradicts, so they match."""
    budget = budget or unlimited()
    budget.spend(len(given) + len(expected))
    # A name repeated is compared once; each distinct one may be compared with every
    # expected name (sounded out across scripts), which is charged as such, so a greeting
    # of thousands of made-up names against a long expected name runs out of budget
    # instead of the clock.
    given_tokens = list(dict.fromkeys(_name_tokens(given, words)))
    expected_tokens = _name_tokens(expected, words)
    if not given_tokens or not expected_tokens:
        return True  # nothing to contradict
    budget.spend(len(given_tokens) * (len(expected) + 1))
    known = set(expected_tokens)
    initials = {token[0] for token in known}
    # Each given token is a whole name of the expected one, or an initial of one.
    return all(
        token in known
        or (len(token) == 1 and token in initials)
        or _matches_across_scripts(token, expected_tokens)
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


# What separates the words of a greeting and the parts of a compound: "Globex-Team",
# "l'équipe Globex" (the apostrophe of an elided article).
_WORD_BREAK = re.compile(r"[\s\-‐‑–—'’/]+")


def names_a_group(text: str, words: Lexicon) -> bool:
    """Whether folded ``text`` is, or holds as a word or as part of a compound, a word for
    a group: "team", "Globex team", "Globex-Team", "l'équipe Globex", "el equipo de
    Globex"; or ends with a group word written after a name ("Globexチーム", "面接官の皆様",
    "人事部 御中")."""
    if text in words.groups:
        return True
    if any(part in words.groups for part in _WORD_BREAK.split(text)):
        return True
    return any(text.endswith(suffix) for suffix in words.group_suffixes)


def is_group(names: str, words: Lexicon, budget: WorkBudget) -> bool:
    """Whether ``names`` addresses a group ("team", "Globex-Team") rather than people."""
    budget.spend(2 * len(names))
    return names_a_group(folded(names), words)


def family_name(name: str | None) -> str | None:
    """The family name in ``name``, as written, or None when it cannot be told.

    Japanese writes it first ("山田 太郎"); a Western name, in Latin letters or in katakana
    with a middle dot ("Grace Hopper", "グレース・ホッパー"), last, with any particle
    before it ("Ludwig van Beethoven"); a romanised name may mark it in capitals
    ("YAMADA Taro"). A Japanese name written without a space ("山田太郎") cannot be split."""
    if not name or not name.strip():
        return None
    if "・" in name or "＝" in name:
        return re.split(r"[・＝\s]+", name.strip())[-1] or None
    tokens = name.split()
    if all(_script(_katakana(token)) in (_HAN, _KANA) for token in tokens):
        return tokens[0] if len(tokens) > 1 else None
    if len(tokens) == 1:
        return tokens[0]
    capitals = [token for token in tokens if len(token) > 1 and token.isupper()]
    if len(capitals) == 1:
        return capitals[0]
    start = len(tokens) - 1
    while start > 1 and tokens[start - 1] in NAME_PARTICLES:
        start -= 1
    return " ".join(tokens[start:])


# Lower-case words that belong to a name ("Ludwig van Beethoven", "Maria della Rosa").
NAME_PARTICLES = frozenset(
    {"van", "von", "de", "der", "den", "da", "di", "du", "del", "della", "la", "le", "bin", "al"}
)


# --- names in Japanese script ------------------------------------------------------------

_HAN, _KANA, _LATIN, _OTHER = "han", "kana", "latin", "other"
# Which scripts a token can be told apart from: a kanji name says nothing about a name in
# Latin letters or in kana (its reading is not known), a katakana name can be sounded out.
_COMPARABLE = {
    _HAN: frozenset({_HAN}),
    _KANA: frozenset({_KANA, _LATIN}),
    _LATIN: frozenset({_LATIN, _KANA, _OTHER}),
    _OTHER: frozenset({_LATIN, _OTHER}),
}


def _script(token: str) -> str:
    """The script that decides how a name token compares: any kanji makes it kanji."""
    kana = False
    for char in token:
        code = ord(char)
        if 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or char in "々〆":
            return _HAN
        kana = kana or 0x3041 <= code <= 0x30FF
    if kana:
        return _KANA
    return _LATIN if token.isascii() else _OTHER


def _katakana(token: str) -> str:
    """Hiragana made katakana, so "やまだ" and "ヤマダ" are one name."""
    return "".join(chr(ord(c) + 0x60) if 0x3041 <= ord(c) <= 0x3096 else c for c in token)


def _matches_across_scripts(token: str, expected: list[str]) -> bool:
    """Whether a token that is not itself one of the expected names still names them,
    or cannot be told apart from them."""
    script = _script(token)
    scripts = {_script(name) for name in expected}
    if script in (_HAN, _KANA):
        japanese = [name for name in expected if _script(name) in (_HAN, _KANA)]
        if _japanese_match(token, japanese):
            return True
    if script in (_KANA, _LATIN):
        other = _LATIN if script == _KANA else _KANA
        if any(_sounds_alike(token, name) for name in expected if _script(name) == other):
            return True
    # Contradicted only by a name it can be compared with.
    return not _COMPARABLE[script] & scripts


def _japanese_match(token: str, expected: list[str]) -> bool:
    """ "山田" in "山田太郎" (written without a space), "山田太郎" for "山田 太郎", and a
    name after a department written without a space ("人事部山田")."""
    if not expected:
        return False
    whole = ("".join(expected), "".join(reversed(expected)))
    if any(name.startswith(token) or name.endswith(token) for name in (*expected, *whole)):
        return True
    # After a department: the family name (first) or the whole name ends the token.
    return any(token.endswith(name) for name in (expected[0], *whole))


# How a name sounds, roughly: its consonants, so that a name in katakana and the same
# name in Latin letters compare ("ホッパー", hoppā, and "Hopper" are both "p"). Katakana
# is romanised (Hepburn), then both are reduced alike: vowels, y, w and h dropped, an r
# before no vowel dropped (katakana writes it as a long vowel), l heard as r, v as b, an
# n before b, p or m as m.
_GOJUON = {
    "": "アイウエオ", "k": "カキクケコ", "g": "ガギグゲゴ", "s": "サシスセソ",
    "z": "ザジズゼゾ", "t": "タチツテト", "d": "ダヂヅデド", "n": "ナニヌネノ",
    "h": "ハヒフヘホ", "b": "バビブベボ", "p": "パピプペポ", "m": "マミムメモ",
    "y": "ヤ-ユ-ヨ", "r": "ラリルレロ", "w": "ワヰ-ヱヲ",
}  # fmt: skip
_ROMAJI = {
    kana: consonant + vowel
    for consonant, row in _GOJUON.items()
    for kana, vowel in zip(row, "aiueo", strict=True)
    if kana != "-"
}
_ROMAJI.update(
    {
        "シ": "shi", "チ": "chi", "ツ": "tsu", "フ": "fu", "ジ": "ji", "ヂ": "ji",
        "ヅ": "zu", "ン": "n", "ヴ": "vu", "ヲ": "o", "ァ": "a", "ィ": "i", "ゥ": "u",
        "ェ": "e", "ォ": "o", "ャ": "ya", "ュ": "yu", "ョ": "yo", "ヮ": "wa", "ヶ": "ke",
        "ヵ": "ka", "ッ": "", "ー": "",
    }
)  # fmt: skip
_SPELLINGS = (("sch", "s"), ("ph", "f"), ("ch", "t"), ("sh", "s"), ("th", "t"), ("dg", "j"))
# An l is marked apart from an r until the r before no vowel is dropped: an l is heard.
_SOUNDS = str.maketrans({"q": "k", "x": "ks", "z": "s", "v": "b", "l": "L"})
_VOWELS = frozenset("aeiouy")
_KEY_MAX = 20  # longer keys (no real name) are only compared for equality


def _sound_key(token: str) -> str:
    if not token.isascii():
        token = "".join(_ROMAJI.get(char, "") for char in token)
    text = token.lower()
    for spelling, sound in _SPELLINGS:
        text = text.replace(spelling, sound)
    text = text.translate(_SOUNDS)
    key: list[str] = []
    for index, char in enumerate(text):
        following = text[index + 1 : index + 2]
        if char in "aeiouywh":
            continue
        if char == "r" and following not in _VOWELS:
            continue
        if char == "L":
            char = "r"
        elif char == "n" and following in ("b", "p", "m"):
            char = "m"  # ン before b, p or m, as in キャンベル
        elif char == "c":
            char = "s" if following in ("e", "i", "y") else "k"
        elif char == "g" and following in ("e", "i", "y"):
            char = "j"
        if not key or key[-1] != char:
            key.append(char)
    return "".join(key)


def _sounds_alike(first: str, second: str) -> bool:
    """Whether the two sound like one name: the same consonants, or, for names of three
    consonants or more, all but one ("Smith" スミス, "Michael" マイケル)."""
    one, other = _sound_key(first), _sound_key(second)
    if one == other:
        return True
    longest = max(len(one), len(other))
    return 3 <= longest <= _KEY_MAX and _within_one_edit(one, other)


def _within_one_edit(one: str, other: str) -> bool:
    if len(one) > len(other):
        one, other = other, one
    if len(other) - len(one) > 1:
        return False
    for index, (a, b) in enumerate(zip(one, other, strict=False)):
        if a != b:
            if len(one) == len(other):
                return one[index + 1 :] == other[index + 1 :]
            return one[index:] == other[index + 1 :]
    return True

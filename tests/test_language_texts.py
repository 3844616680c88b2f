"""Each language folder's ``texts.toml`` (the domain's titles, explanations, guidance,
dates) has exactly the English catalogue's keys, each with the same placeholders, so a
plan written in that language can never miss a text nor a value."""

from __future__ import annotations

import re
import tomllib
from datetime import date
from pathlib import Path

import pytest

from app.domain import Policy
from app.domain.plan import plan
from app.domain.texts import LANGUAGE_FOLDERS, catalogue, format_date
from tests.domain import builders

PLACEHOLDER = re.compile(r"%\((\w+)\)s")
# What a language's date pattern may use: each writes the day, month and year, and the
# weekday in full or abbreviated (Japanese 2026年12月1日（火）).
DATE_FIELDS = {"weekday", "weekday_short", "day", "month", "year"}


def _folders() -> list[Path]:
    return sorted(path.parent for path in LANGUAGE_FOLDERS.glob("*/texts.toml"))


@pytest.mark.parametrize("folder", _folders(), ids=lambda folder: folder.name)
def test_a_language_catalogue_has_every_english_key_with_its_placeholders(folder: Path) -> None:
    english = catalogue("en")
    texts: dict[str, str] = tomllib.loads((folder / "texts.toml").read_text(encoding="utf-8"))
    assert set(texts) == set(english)
    for key, text in texts.items():
        assert isinstance(text, str) and text.strip(), key
        fields = set(PLACEHOLDER.findall(text))
        if key == "date":
            assert {"day", "month", "year"} <= fields <= DATE_FIELDS, fields
        else:
            assert fields == set(PLACEHOLDER.findall(english[key])), key
        # A lone percent sign would break python-format rendering.
        assert "%" not in PLACEHOLDER.sub("", text).replace("%%", ""), key


def test_every_language_but_english_has_its_catalogue() -> None:
    """English is the code's own catalogue; every other language must bring one."""
    with_checker = {path.parent.name for path in LANGUAGE_FOLDERS.glob("*/checker.toml")}
    assert {folder.name for folder in _folders()} == with_checker - {"en"}


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Sunday, November 29, 2026"),
        ("de", "Sonntag, 29. November 2026"),
        ("fr", "dimanche 29 novembre 2026"),
        ("es", "domingo, 29 de noviembre de 2026"),
        ("ja", "2026年11月29日（日）"),
    ],
)
def test_dates_read_as_each_language_writes_them(language: str, expected: str) -> None:
    assert format_date(date(2026, 11, 29), language) == expected


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Tuesday, December 1, 2026"),
        ("de", "Dienstag, 1. Dezember 2026"),
        ("fr", "mardi 1er décembre 2026"),
        ("es", "martes, 1 de diciembre de 2026"),
        ("ja", "2026年12月1日（火）"),
    ],
)
def test_the_first_of_the_month_as_each_language_writes_it(language: str, expected: str) -> None:
    assert format_date(date(2026, 12, 1), language) == expected


def test_a_plan_lists_names_as_its_language_joins_them() -> None:
    """A list of people reads "佐藤 花子、鈴木 一郎" in Japanese, "Ann Lee, Bo Chen" elsewhere."""
    contacts = (
        builders.person("p1", name="佐藤 花子", title=None, email=None),
        builders.person("p2", name="鈴木 一郎", title=None, email=None),
    )
    app = builders.application(
        interviews=[builders.interview(panel=("p1", "p2"))], contacts=contacts
    )
    confirm = next(
        a for a in plan(app, Policy(), language="ja") if a.type.value == "confirm_interviewers"
    )
    assert "佐藤 花子、鈴木 一郎" in confirm.explanation
    english = next(a for a in plan(app, Policy()) if a.type.value == "confirm_interviewers")
    assert "佐藤 花子, 鈴木 一郎" in english.explanation

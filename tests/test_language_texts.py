"""Each language folder's ``texts.toml`` (the domain's titles, explanations, guidance,
dates) has exactly the English catalogue's keys, each with the same placeholders, so a
plan written in that language can never miss a text nor a value."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from app.domain.texts import catalogue
from app.services.drafting.languages import LANGUAGES_DIR

PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _folders() -> list[Path]:
    return sorted(path.parent for path in LANGUAGES_DIR.glob("*/texts.toml"))


@pytest.mark.parametrize("folder", _folders(), ids=lambda folder: folder.name)
def test_a_language_catalogue_has_every_english_key_with_its_placeholders(folder: Path) -> None:
    english = catalogue("en")
    texts: dict[str, str] = tomllib.loads((folder / "texts.toml").read_text(encoding="utf-8"))
    assert set(texts) == set(english)
    for key, text in texts.items():
        assert isinstance(text, str) and text.strip(), key
        assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(english[key])), key
        # A lone percent sign would break python-format rendering.
        assert "%" not in PLACEHOLDER.sub("", text).replace("%%", ""), key


def test_every_language_but_english_has_its_catalogue() -> None:
    """English is the code's own catalogue; every other language must bring one."""
    with_checker = {path.parent.name for path in LANGUAGES_DIR.glob("*/checker.toml")}
    assert {folder.name for folder in _folders()} == with_checker - {"en"}

"""Which characters plain text may hold, and stored text made safe for other formats."""

from __future__ import annotations

import pytest

from app.domain import plain_text

REFUSED_IN_ONE_LINE = ["\n", "\r", "\t", "\x00", "\x1b", "\x7f", "\x85", "\x9f", "\u2028", "\u2029"]


@pytest.mark.parametrize("character", REFUSED_IN_ONE_LINE)
def test_single_line_text_refuses_every_line_break_and_control(character: str) -> None:
    assert plain_text.first_refused(f"a{character}b", single_line=True) == character


@pytest.mark.parametrize("character", ["\x00", "\x08", "\x0b", "\x0c", "\x1f", "\x7f", "\x85"])
def test_multi_line_text_refuses_controls_that_are_not_line_breaks_or_tab(character: str) -> None:
    assert plain_text.first_refused(f"a{character}b", single_line=False) == character


@pytest.mark.parametrize("text", ["a\nb", "a\r\nb", "a\rb", "a\tb", "a\u2028b", "Zoë – ok"])
def test_multi_line_text_keeps_line_breaks_and_tabs(text: str) -> None:
    assert plain_text.first_refused(text, single_line=False) is None


def test_clean_single_line_text_passes() -> None:
    assert plain_text.first_refused("Zoë Ångström – VP, R&D", single_line=True) is None


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("Ada\nLovelace", "Ada Lovelace"),
        ("Ada \r\n Lovelace", "Ada Lovelace"),
        ("Ada\u2028\u2029\x85Lovelace\x00", "Ada Lovelace"),
        ("a\tb  c", "a b  c"),
        ("plain", "plain"),
    ],
)
def test_one_line(stored: str, shown: str) -> None:
    assert plain_text.one_line(stored) == shown


def test_lines_writes_every_line_break_as_lf_and_drops_other_controls() -> None:
    assert plain_text.lines("a\r\nb\rc\x85d\u2028e\u2029f\x00g\th") == "a\nb\nc\nd\ne\nfg\th"

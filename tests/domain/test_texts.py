"""The text catalogue: complete, well-formed, and ready for a second language."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from app.domain import DEFAULT_LANGUAGE, format_date, languages, render_text, texts
from app.domain.texts import catalogue

FIELD = re.compile(r"%\((\w+)\)s")


def test_english_is_the_default_language() -> None:
    assert DEFAULT_LANGUAGE in languages()


@pytest.mark.parametrize("key", sorted(catalogue(DEFAULT_LANGUAGE)))
def test_every_template_renders_with_its_fields(key: str) -> None:
    template = catalogue()[key]
    values = {name: f"<{name}>" for name in FIELD.findall(template)}
    rendered = render_text(key, DEFAULT_LANGUAGE, **values)
    assert "%(" not in rendered
    assert rendered.strip() or key.endswith("separator")


@pytest.mark.parametrize("rule", ["E1", "E2", "E3", "E4", "E5"])
def test_every_explanation_names_its_rule(rule: str) -> None:
    explanations = [k for k in catalogue() if k.startswith(f"{rule}.explanation")]
    assert explanations
    for key in explanations:
        assert f"Rule {rule}" in catalogue()[key]


def test_a_partial_translation_falls_back_to_english(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "xx").mkdir()
    (tmp_path / "xx" / "texts.toml").write_text('"E3.title" = "Danke an %(name)s"\n')
    monkeypatch.setattr(texts, "LANGUAGE_FOLDERS", tmp_path)
    catalogue.cache_clear()
    try:
        assert "xx" in languages()
        assert render_text("E3.title", "xx", name="Ann") == "Danke an Ann"
        assert render_text("E4.guidance", "xx") == render_text("E4.guidance")
    finally:
        catalogue.cache_clear()


def test_a_language_folder_s_catalogue_is_read() -> None:
    assert {"de", "en", "es", "fr"} <= set(languages())
    assert format_date(date(2026, 12, 1), "de") == "Dienstag, 1. Dezember 2026"
    assert format_date(date(2026, 12, 1), "es") == "martes, 1 de diciembre de 2026"


def test_an_unknown_language_reads_english() -> None:
    assert render_text("E2.guidance", "tlh") == render_text("E2.guidance")


def test_dates_read_like_a_person_writes_them() -> None:
    assert format_date(date(2025, 3, 14)) == "Friday, March 14, 2025"


def test_thank_you_guidance_follows_the_etiquette() -> None:
    guidance = render_text("E3.guidance")
    for point in ("three or four sentences", "look forward", "good fit", "Do not push"):
        assert point in guidance


# Each catalogue edition's hashes, one line a language. Add an edition, never edit one:
# a release that edits a catalogue raises texts.CATALOGUE_EDITION and lists its hashes here.
EDITIONS = {
    1: {
        "de": "da6ef79a58551b62",
        "en": "315749120195d4a0",
        "es": "a53f1d4390f0a970",
        "fr": "d6f17368fc30588a",
        "ja": "c8436b769a4ea24c",
    },
}


def test_a_catalogue_edit_comes_with_a_new_edition() -> None:
    # Fingerprints must sort by release, or workers of two releases running side by side
    # would each write the other's texts back (app/services/worker.py).
    edition = texts.CATALOGUE_EDITION
    assert edition == max(EDITIONS), "list this edition's hashes in EDITIONS"
    hashes = {language: texts.catalogue_fingerprint(language) for language in languages()}
    assert hashes == {
        language: f"{edition:04d}-{digest}" for language, digest in EDITIONS[edition].items()
    }, "a catalogue changed: raise texts.CATALOGUE_EDITION and list its hashes in EDITIONS"
    assert sorted(EDITIONS) == list(range(1, edition + 1))


def test_a_catalogue_fingerprint_is_short_and_the_same_in_every_process() -> None:
    fingerprints = {language: texts.catalogue_fingerprint(language) for language in languages()}
    assert all(re.fullmatch(r"\d{4}-[0-9a-f]{16}", value) for value in fingerprints.values())
    assert len(set(fingerprints.values())) == len(fingerprints)  # each language its own
    # Not Python's salted hash(): another interpreter computes the same value.
    script = "from app.domain import texts; print(texts.catalogue_fingerprint('de'))"
    other = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert other.stdout.strip() == fingerprints["de"]


def test_a_catalogue_fingerprint_changes_when_a_text_does(monkeypatch: pytest.MonkeyPatch) -> None:
    shipped = texts.catalogue_fingerprint("fr")
    edited = {**catalogue("fr"), "E3.title": "Remerciez %(name)s"}
    monkeypatch.setattr(texts, "catalogue", lambda language: edited)
    texts.catalogue_fingerprint.cache_clear()
    try:
        assert texts.catalogue_fingerprint("fr") != shipped
    finally:
        texts.catalogue_fingerprint.cache_clear()

"""The `clause` filter: free text (a next step) made to sit inside one sentence, in any
script, with the separator each language's templates choose and the abbreviations of the
template's own language."""

from __future__ import annotations

import pytest

from app.services.drafting.rendering import (
    CLAUSE_SEPARATOR_MAX,
    TemplateRejected,
    render_template,
)
from app.services.work import unlimited

NNBSP = "\u202f"


def _clause(text: str, separator: str | None = None, *, language: str = "en") -> str:
    argument = "" if separator is None else f"({separator!r})"
    return render_template(
        f"{{{{ step | clause{argument} }}}}", {"step": text}, unlimited(), language=language
    )


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        (
            "en",
            "A second interview with the CTO next week. HR will call to schedule it.",
            "A second interview with the CTO next week; HR will call to schedule it",
        ),
        # Capitals and lower-case letters outside ASCII, and an acronym before the stop.
        (
            "de",
            "Zweites Gespräch mit der CTO. Übermorgen ruft HR an.",
            "Zweites Gespräch mit der CTO; Übermorgen ruft HR an",
        ),
        ("fr", "Étape 2. Éric vous appellera.", "Étape 2; Éric vous appellera"),
        # Spanish opens a question: the break comes before ¿ and the question keeps its ?.
        (
            "es",
            "Segunda entrevista el lunes. ¿Le parece bien?",
            "Segunda entrevista el lunes; ¿Le parece bien?",
        ),
        ("es", "¡Genial! Nos vemos el lunes.", "¡Genial! Nos vemos el lunes"),
        # Initials and short titles are not the end of a sentence; a lower case goes on.
        (
            "en",
            "Meet the U.S. team and Dr. Smith. Then lunch.",
            "Meet the U.S. team and Dr. Smith; Then lunch",
        ),
        ("en", "Call at 3 p.m. tomorrow.", "Call at 3 p.m. tomorrow"),
        ("en", "A second\n\ninterview   next week.", "A second interview next week"),
    ],
)
def test_sentences_become_clauses_in_any_script(language: str, text: str, expected: str) -> None:
    assert _clause(text, language=language) == expected


# --- the template's own language's abbreviations ---------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Abbreviations in other languages ("Me" is a French title, "Hr." German for Herr),
        # ordinary words here.
        ("Please call me. We will talk.", "Please call me; We will talk"),
        ("The offer comes from HR. They will call.", "The offer comes from HR; They will call"),
        ("Ask for Sra. Ruiz. She knows.", "Ask for Sra; Ruiz; She knows"),
    ],
)
def test_another_languages_abbreviation_ends_an_english_sentence(text: str, expected: str) -> None:
    assert _clause(text) == expected


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        ("de", "Bitte Nr. 5 mitbringen.", "Bitte Nr. 5 mitbringen"),
        ("de", "Termin bei Prof. Weiß. Er ruft an.", "Termin bei Prof. Weiß; Er ruft an"),
        ("es", "Llame a la Sra. Ruiz. Ella sabe.", "Llame a la Sra. Ruiz; Ella sabe"),
        ("fr", "Voyez Me. Durand. Il appellera.", "Voyez Me. Durand; Il appellera"),
        # Any case of the language's own abbreviation: "dr." as "Dr.".
        ("en", "Meet dr. Smith. Then lunch.", "Meet dr. Smith; Then lunch"),
    ],
)
def test_the_templates_own_abbreviations_end_no_sentence(
    language: str, text: str, expected: str
) -> None:
    assert _clause(text, language=language) == expected


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        # German "Nr." and Spanish "Sra." are no abbreviations in English or Japanese.
        ("en", "Ask for Nr. Five is taken.", "Ask for Nr; Five is taken"),
        ("fr", "Demandez la Sra. Elle sait.", "Demandez la Sra; Elle sait"),
        # French "Me" (Maître) and English "No." are words in Spanish and German.
        ("es", "Llame a Me. Ella sabe.", "Llame a Me; Ella sabe"),
        ("de", "Die Antwort ist No. Wir sprechen.", "Die Antwort ist No; Wir sprechen"),
    ],
)
def test_another_languages_abbreviation_ends_a_sentence(
    language: str, text: str, expected: str
) -> None:
    assert _clause(text, language=language) == expected


def test_an_acronym_in_capitals_is_no_abbreviation_in_its_own_language() -> None:
    # German "Hr." (Herr) is an abbreviation; "HR." is human resources ending a sentence.
    assert _clause("Termin mit Hr. Weiß. Er ruft an.", language="de") == (
        "Termin mit Hr. Weiß; Er ruft an"
    )
    assert _clause("Das Angebot kommt von HR. Sie rufen an.", language="de") == (
        "Das Angebot kommt von HR; Sie rufen an"
    )


def test_french_and_japanese_templates_choose_their_separator() -> None:
    assert (
        _clause("Un second entretien. La RH appellera !", f"{NNBSP}; ")
        == f"Un second entretien{NNBSP}; La RH appellera"
    )
    assert _clause("来週、CTOとの二次面接。人事から連絡があります。", "、") == (
        "来週、CTOとの二次面接、人事から連絡があります"
    )
    # A lone no-break space (French typography) is kept, other runs of space made one.
    assert _clause(f"Appel le 12 mars{NNBSP}: confirmé.") == f"Appel le 12 mars{NNBSP}: confirmé"


def test_a_separator_longer_than_a_few_characters_is_refused() -> None:
    # Each break is replaced by it, so a long one would multiply the text.
    with pytest.raises(TemplateRejected) as raised:
        _clause("One. Two. Three.", "x" * (CLAUSE_SEPARATOR_MAX + 1))
    assert raised.value.problem.code == "template_forbidden"
    assert (
        _clause("One. Two.", "x" * CLAUSE_SEPARATOR_MAX)
        == "One" + "x" * CLAUSE_SEPARATOR_MAX + "Two"
    )


def test_a_separator_of_letters_is_a_suffix_never_a_set_of_characters() -> None:
    # The text's last word ends in letters of the separator; only a whole trailing
    # separator may go.
    assert _clause("We will call. Expect a fun", " then ") == "We will call then Expect a fun"
    assert _clause("Call on Monday. Then. ", " then ") == "Call on Monday then Then"

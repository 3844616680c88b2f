"""The `clause` filter: free text (a next step) made to sit inside one sentence, in any
script, with the separator each language's templates choose."""

from __future__ import annotations

import pytest

from app.services.drafting.rendering import (
    CLAUSE_SEPARATOR_MAX,
    TemplateRejected,
    render_template,
)
from app.services.work import unlimited

NNBSP = "\u202f"


def _clause(text: str, separator: str | None = None) -> str:
    argument = "" if separator is None else f"({separator!r})"
    return render_template(f"{{{{ step | clause{argument} }}}}", {"step": text}, unlimited())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "A second interview with the CTO next week. HR will call to schedule it.",
            "A second interview with the CTO next week; HR will call to schedule it",
        ),
        # Capitals and lower-case letters outside ASCII, and an acronym before the stop.
        (
            "Zweites Gespräch mit der CTO. Übermorgen ruft HR an.",
            "Zweites Gespräch mit der CTO; Übermorgen ruft HR an",
        ),
        ("Étape 2. Éric vous appellera.", "Étape 2; Éric vous appellera"),
        # Spanish opens a question: the break comes before ¿ and the question keeps its ?.
        (
            "Segunda entrevista el lunes. ¿Le parece bien?",
            "Segunda entrevista el lunes; ¿Le parece bien?",
        ),
        ("¡Genial! Nos vemos el lunes.", "¡Genial! Nos vemos el lunes"),
        # Initials and short titles are not the end of a sentence; a lower case goes on.
        (
            "Meet the U.S. team and Dr. Smith. Then lunch.",
            "Meet the U.S. team and Dr. Smith; Then lunch",
        ),
        ("Call at 3 p.m. tomorrow.", "Call at 3 p.m. tomorrow"),
        ("A second\n\ninterview   next week.", "A second interview next week"),
    ],
)
def test_sentences_become_clauses_in_any_script(text: str, expected: str) -> None:
    assert _clause(text) == expected


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

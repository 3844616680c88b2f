"""The built-in drafts of every language, rendered for people with names of that language,
read as a native writer would: each passes its own checker, and the points a careful
reader checks (agreement, elision, list joins, dates, typography) come out right."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from app import domain
from app.domain import plain_text
from app.domain.messages import MessageKind
from app.services.drafting.checker import Expectations, MessageDraft, check
from app.services.drafting.context import panel_member, person
from app.services.drafting.languages import available_languages
from app.services.drafting.rendering import render_template
from app.services.drafting.store import built_in_template
from app.services.work import unlimited

NNBSP = "\u202f"

# interviewer (with title), second interviewer, candidate, company, role, firm, its rep
PEOPLE = {
    "en": (
        "Grace Hopper",
        "Alan Turing",
        "Ada Lovelace",
        "Globex",
        "Staff Engineer",
        "Hooli Talent",
        "Sam Okafor",
    ),
    "de": (
        "Dr. Anna Müller",
        "Jürgen Weiß",
        "Lena Schmidt",
        "Globex",
        "Softwareentwicklerin",
        "Hays",
        "Tobias Becker",
    ),
    "fr": (
        "Élodie Martin",
        "Luc Lefèvre",
        "Camille Dubois",
        "Globex",
        "ingénieur logiciel",
        "Michael Page",
        "Hugo Bernard",
    ),
    "es": (
        "José García",
        "Inés Ruiz",
        "Lucía Fernández",
        "Globex",
        "ingeniera de software",
        "Adecco",
        "Pablo Ruiz",
    ),
    "ja": (
        "山田 太郎",
        "佐藤 花子",
        "鈴木 一郎",
        "株式会社グローベックス",
        "ソフトウェアエンジニア",
        "リクルートエージェント",
        "高橋 健",
    ),
}
NEXT_STEP = {
    "en": "A second interview with the CTO next week. HR will call to schedule it.",
    "de": "Ein zweites Gespräch mit der CTO nächste Woche. Die Personalabteilung ruft an.",
    "fr": "Un second entretien avec la directrice technique. Les RH appelleront.",
    "es": "Una segunda entrevista con la directora técnica. Le llamará RR. HH.",
    "ja": "来週、CTOとの二次面接。人事から連絡があります。",
}


def _context(
    language: str, *, rep: bool = False, known: bool = True, day: date = date(2026, 11, 29)
) -> dict[str, Any]:
    name, other, candidate, company, role, firm, rep_name = PEOPLE[language]
    recipient = (
        person(rep_name if rep else name, "CTO", rep=rep, organization=firm if rep else None)
        if known
        else person(None, email=False)
    )
    panel = [
        panel_member(name, "CTO", rep=False, reachable=True),
        panel_member(other, None, rep=False, reachable=False),
    ]
    if rep:
        panel.append(panel_member(rep_name, "Recruiter", rep=True, reachable=True))
    kind = "video" if known else "phone"
    return {
        "candidate": {"name": candidate, "first_name": candidate.split()[0]},
        "application": {"company": company, "role": role, "recruiting_firm": firm if rep else None},
        "recipient": recipient,
        "interview": {
            "kind": kind,
            "kind_label": domain.render_text(f"kind.{kind}", language),
            "date": domain.format_date(day, language),
            "weekday": domain.render_text(f"weekday.{day.weekday()}", language),
            "next_step": NEXT_STEP[language] if known else None,
            "expected_reply_date": None,
        },
        "panel": panel if known else [],
        "action": {"type": "send_thank_you", "channel": "email", "due_date": None},
    }


CONTEXTS: dict[str, dict[str, Any]] = {
    "a named interviewer": {},
    "a recruiting-firm representative, on the first of the month": {
        "rep": True,
        "day": date(2026, 12, 1),
    },
    "nobody known by name": {"known": False},
}


def _render(kind: MessageKind, language: str, context: dict[str, Any]) -> tuple[str | None, str]:
    template = built_in_template(kind, language)
    subject = None
    if template.subject is not None:
        subject = plain_text.one_line(
            render_template(template.subject, context, unlimited(), language=language)
        )
    body = render_template(template.body, context, unlimited(), language=language)
    return subject, plain_text.lines(body)


@pytest.mark.parametrize("situation", CONTEXTS)
@pytest.mark.parametrize("kind", list(MessageKind))
@pytest.mark.parametrize("language", available_languages())
def test_each_draft_passes_its_own_checker_with_names_of_its_language(
    language: str, kind: MessageKind, situation: str
) -> None:
    context = _context(language, **CONTEXTS[situation])
    subject, body = _render(kind, language, context)
    report = check(
        MessageDraft(kind=kind, body=body, subject=subject),
        Expectations(recipient_name=context["recipient"]["name"]),
        language,
    )
    assert report.findings == (), (body, [f.message for f in report.findings])


def _body(kind: MessageKind, language: str, **situation: Any) -> str:
    return _render(kind, language, _context(language, **situation))[1]


def test_lists_of_people_read_as_each_language_joins_them() -> None:
    rep = {"rep": True}
    assert "ask Grace Hopper, Alan Turing, and Sam Okafor:" in _body(
        MessageKind.CLOSING_QUESTIONS, "en", **rep
    )
    assert "fragen Sie Dr. Anna Müller, Jürgen Weiß und Tobias Becker:" in _body(
        MessageKind.CLOSING_QUESTIONS, "de", **rep
    )
    assert f"à Élodie Martin, Luc Lefèvre et Hugo Bernard{NNBSP}:" in _body(
        MessageKind.CLOSING_QUESTIONS, "fr", **rep
    )
    # "y" becomes "e" before an i sound.
    assert "pregunte a José García, Inés Ruiz y Pablo Ruiz:" in _body(
        MessageKind.CLOSING_QUESTIONS, "es", **rep
    )
    assert "(por ahora tengo: José García e Inés Ruiz)" in _body(MessageKind.PANEL_REQUEST, "es")
    assert "山田 太郎様、佐藤 花子様に" in _body(MessageKind.CLOSING_QUESTIONS, "ja")


def test_dates_and_typography_of_each_language() -> None:
    first = {"rep": True, "day": date(2026, 12, 1)}
    assert "mardi 1er décembre 2026" in _body(MessageKind.CHECK_IN, "fr", **first)
    assert "am Dienstag, 1. Dezember 2026, möchte ich" in _body(MessageKind.CHECK_IN, "de", **first)
    assert "el martes, 1 de diciembre de 2026, para el puesto" in _body(
        MessageKind.CHECK_IN, "es", **first
    )
    assert "2026年12月1日（火）は、" in _body(MessageKind.CHECK_IN, "ja", **first)
    assert "on Tuesday, December 1, 2026, and wanted" in _body(
        MessageKind.CHECK_IN_CALL, "en", **first
    )


def test_french_elides_de_before_a_vowel_and_spaces_its_punctuation() -> None:
    body = _body(MessageKind.THANK_YOU, "fr")
    assert "au sujet du poste d’ingénieur logiciel chez Globex" in body
    assert f"(Un second entretien avec la directrice technique{NNBSP}; Les RH appelleront)" in body
    subject, _ = _render(MessageKind.THANK_YOU, "fr", _context("fr"))
    assert subject == "Remerciements – entretien pour le poste d’ingénieur logiciel"
    context = _context("fr")
    context["application"]["role"] = "chef de projet"
    assert "au sujet du poste de chef de projet" in _render(MessageKind.THANK_YOU, "fr", context)[1]


def test_german_signs_a_connection_note_without_a_comma_on_its_own_line() -> None:
    body = _body(MessageKind.CONNECTION_NOTE, "de")
    assert body.startswith("Guten Tag Dr. Anna Müller,\n\nvielen Dank nochmals")
    assert body.endswith("\n\nViele Grüße\nLena Schmidt")


def test_spanish_capitalises_after_the_colon_of_a_greeting() -> None:
    assert _body(MessageKind.CONNECTION_NOTE, "es").startswith("Hola, José: Gracias de nuevo")


def test_japanese_next_step_is_quoted_as_one_clause() -> None:
    body = _body(MessageKind.THANK_YOU, "ja")
    assert "「来週、CTOとの二次面接、人事から連絡があります」について" in body

"""An action's wording: what its texts say in no language, written in any language.

What a stored action keeps (its wording as JSON) must write exactly the texts a plan in
that language writes, for every kind of action and every branch of its texts.
"""

from __future__ import annotations

import json
import random
from dataclasses import replace
from datetime import date

import pytest

from app.domain import Policy, Wording, languages, plan, text_language
from app.domain.texts import Joined, message_from_json, message_to_json, render, text
from tests.perf.bench_plan import make_application

_RNG = random.Random(7)
APPLICATIONS = [make_application(_RNG, number) for number in range(200)]


@pytest.mark.parametrize("language", languages())
def test_stored_wording_writes_what_a_plan_in_that_language_writes(language: str) -> None:
    seen_types = set()
    for application in APPLICATIONS:
        english = plan(application, Policy(), language="en")
        written = plan(application, Policy(), language=language)
        for stored, expected in zip(english, written, strict=True):
            seen_types.add(stored.type)
            kept = Wording.from_json(json.loads(json.dumps(stored.wording.to_json())))
            assert kept == stored.wording
            assert kept.render(language) == (
                expected.title,
                expected.explanation,
                expected.guidance,
            )
            assert "%(" not in expected.explanation
            if language != "en":
                assert expected.guidance != stored.guidance
    assert len(seen_types) == 5


def test_a_plan_writes_in_the_candidate_s_language_by_default() -> None:
    application = APPLICATIONS[0]
    german = replace(application, candidate=replace(application.candidate, language="de"))
    planned = plan(german, Policy())
    assert {action.language for action in planned} == {"de"}
    assert [action.title for action in planned] == [
        action.title for action in plan(application, Policy(), language="de")
    ]


def test_a_message_round_trips_through_json() -> None:
    message = (
        text(
            "E2.explanation",
            {
                "kind": text("kind.video"),
                "date": date(2027, 1, 13),
                "rep_note": "",
                "missing": Joined(
                    (text("E2.missing.next_step"), "x"), text("E2.missing.separator")
                ),
            },
        ),
        text("E5.blocked"),
    )
    assert message_from_json(json.loads(json.dumps(message_to_json(message)))) == message
    assert "Wednesday, January 13, 2027" in render(message)
    assert "Mittwoch, 13. Januar 2027" in render(message, "de")


@pytest.mark.parametrize(
    ("tag", "language"),
    [
        ("de", "de"),
        ("de-CH", "de"),
        ("DE-ch", "de"),
        ("ja-Jpan-JP", "ja"),
        ("en-x-private", "en"),
        ("pt-BR", None),
        ("de_DE", None),
        ("", None),
        ("toolongsubtag", None),
    ],
)
def test_a_tag_reads_as_the_language_it_asks_for(tag: str, language: str | None) -> None:
    assert text_language(tag) == language

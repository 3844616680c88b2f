"""Hand-written drafts, good and bad, in every language, each with the findings expected.

One file per language in ``tests/services/drafting_cases/`` (``<language>.toml``), each
case a ``[[case]]`` table:

- ``name``: what the case shows;
- ``kind``: the kind of message (``thank_you``, ``check_in``, ``connection_note``…);
- ``body`` and, optionally, ``subject``;
- ``recipient``: optionally, whom the writer says it is to;
- ``expected_recipient``: optionally, the person the action names (an action's draft);
- ``findings``: the exact set of finding codes the checker must report ([] for none);
- ``sentences``: optionally, how many sentences the message must count (where telling
  them apart is the point: Spanish "bien." ends one, French "1er décembre" does not).

Every file must hold at least eight cases, at least one of them clean, and between them
show each of the findings a writer most often earns (``REQUIRED``, and the informal
register where the language has one), so that each language's lexicons are tried on the
mistakes they exist to catch.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from app.domain.messages import FindingCode, MessageKind
from app.services.drafting.checker import Expectations, MessageDraft, check
from app.services.drafting.languages import lexicon

CASES = Path(__file__).parent / "drafting_cases"
MINIMUM_CASES = 8
REQUIRED = {
    FindingCode.MISSING_THANKS,
    FindingCode.PUSHY_PHRASE,
    FindingCode.MISSING_CONTINUED_INTEREST,
    FindingCode.RECIPIENT_MISMATCH,
    FindingCode.SEVERAL_RECIPIENTS,
    FindingCode.TOO_MANY_SENTENCES,
    FindingCode.OVER_LENGTH_LIMIT,
}


def _files() -> list[Path]:
    return sorted(CASES.glob("*.toml"))


def _cases(path: Path) -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = tomllib.loads(path.read_text(encoding="utf-8"))["case"]
    return cases


def _all_cases() -> list[Any]:
    return [
        pytest.param(path.stem, case, id=f"{path.stem}: {case['name']}")
        for path in _files()
        for case in _cases(path)
    ]


def test_every_language_has_a_case_file() -> None:
    from app.services.drafting.languages import available_languages

    assert {path.stem for path in _files()} == set(available_languages())


@pytest.mark.parametrize("path", _files(), ids=lambda path: path.stem)
def test_each_language_shows_the_common_mistakes_and_a_clean_draft(path: Path) -> None:
    cases = _cases(path)
    assert len(cases) >= MINIMUM_CASES
    shown = {FindingCode(code) for case in cases for code in case["findings"]}
    required = set(REQUIRED)
    if lexicon(path.stem).informal_address is not None:
        required.add(FindingCode.INFORMAL_ADDRESS)  # a language with a formal register
    assert shown >= required, required - shown
    assert any(case["findings"] == [] for case in cases)


@pytest.mark.parametrize(("language", "case"), _all_cases())
def test_the_checker_finds_what_a_careful_reader_would(language: str, case: dict[str, Any]) -> None:
    draft = MessageDraft(
        kind=MessageKind(case["kind"]),
        body=case["body"],
        subject=case.get("subject"),
        recipient=case.get("recipient"),
    )
    expected = Expectations(recipient_name=case.get("expected_recipient"))
    report = check(draft, expected, language)
    found = {finding.code.value for finding in report.findings}
    assert found == set(case["findings"]), [f.message for f in report.findings]
    if "sentences" in case:
        assert report.sentence_count == case["sentences"]
    for finding in report.findings:
        assert finding.message and finding.suggestion

"""The draft checker on adversarial bodies: its counted work is linear in the body.

Asserted on the units the checker spends from its WorkBudget, never on wall time. Every
pass spends where it works (characters a regex scans, letters a look-back reads, chunks
and sentences pysbd handles), so a pass that went back to re-reading the text would show
here as units growing faster than the body.
"""

from __future__ import annotations

import subprocess
import sys
from itertools import pairwise
from typing import Any, ClassVar

import pysbd  # type: ignore[import-untyped]
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.domain.messages import MessageKind
from app.services.drafting import sentences
from app.services.drafting.checker import MessageDraft, check
from app.services.drafting.languages import lexicon
from app.services.drafting.layout import read_layout
from app.services.drafting.sentences import (
    SEGMENTER_CHUNK_CHARS,
    SEGMENTER_CHUNK_MARKS,
    segmenter_chunks,
)
from app.services.work import WorkBudget, WorkTooLarge, unlimited
from tests.adversarial_corpus import CHECKER_CORPUS, MAX_BODY, ORDINARY_DRAFT

# Units per character of body, and a fixed allowance: the checker's linear bound.
UNITS_PER_CHAR = 100
FIXED_UNITS = 20_000
DEFAULT_BUDGET = 2_000_000  # FOLLOWUP_WORK_BUDGET_UNITS' default
KINDS = list(MessageKind)


def _spent(body: str, kind: MessageKind = MessageKind.THANK_YOU) -> int:
    budget = unlimited()
    check(
        MessageDraft(kind=kind, body=body, subject="Thank you", recipient="Grace Hopper"),
        budget=budget,
    )
    return budget.spent


@pytest.mark.parametrize(
    ("index", "name", "body"),
    [(index, name, body) for index, (name, body) in enumerate(CHECKER_CORPUS)],
    ids=[name for name, _ in CHECKER_CORPUS],
)
def test_every_corpus_body_costs_work_linear_in_its_length(
    index: int, name: str, body: str
) -> None:
    assert 0 < len(body) <= MAX_BODY
    # Each kind of message runs a different set of passes: take them in turn.
    spent = _spent(body, KINDS[index % len(KINDS)])
    assert spent <= UNITS_PER_CHAR * len(body) + FIXED_UNITS, (name, spent)
    assert spent <= DEFAULT_BUDGET, (name, spent)


def test_an_ordinary_draft_uses_a_small_fraction_of_the_budget() -> None:
    spent = _spent(ORDINARY_DRAFT)
    assert 0 < spent < DEFAULT_BUDGET // 100


FAMILIES = {
    "initials": "a. ",
    "capital initials": "A. B. ",
    "ordinal indicators": "ª.",
    "CRLF lines": "a.\r\n",
    "abbreviations": "Ab. ",
    "never-final": "Mr. ",
    "one long word": "x",
    "quotes": '"a ',
    "sign-off lines": "Best,\n",
}


@pytest.mark.parametrize("unit", FAMILIES.values(), ids=FAMILIES.keys())
@pytest.mark.parametrize("greeting", ["", "Dear "])
def test_doubling_a_body_at_most_about_doubles_its_units(greeting: str, unit: str) -> None:
    def body(length: int) -> str:
        return (greeting + unit * length)[:length] + "."

    half, whole = _spent(body(MAX_BODY // 2 - 1)), _spent(body(MAX_BODY - 1))
    assert whole <= 2.2 * half + FIXED_UNITS, (half, whole)


def test_the_greeting_search_reads_a_line_of_initials_once() -> None:
    # Before: every full stop re-read the whole line before it, for over ten minutes.
    name, body = CHECKER_CORPUS[0]
    assert name == "greeting, long word, initials"
    budget = unlimited()
    layout = read_layout(body, lexicon(), budget)
    assert layout.greeting is not None
    assert budget.spent <= 10 * len(body)


def test_a_small_budget_stops_the_check_with_the_field_named() -> None:
    budget = WorkBudget(units=50_000, seconds=3600, field="body.body", what="The draft")
    with pytest.raises(WorkTooLarge) as raised:
        check(MessageDraft(kind=MessageKind.THANK_YOU, body=CHECKER_CORPUS[1][1]), budget=budget)
    assert raised.value.field == "body.body"
    # It stops soon after the limit: the work is counted as it is done, not afterwards.
    assert budget.spent <= 50_000 + 200_000


class _RecordingSegmenter(pysbd.Segmenter):  # type: ignore[misc]
    given: ClassVar[list[str]] = []

    def segment(self, text: str) -> Any:
        _RecordingSegmenter.given.append(text)
        return super().segment(text)


@pytest.mark.parametrize(
    ("name", "body"), CHECKER_CORPUS[:6], ids=[name for name, _ in CHECKER_CORPUS[:6]]
)
def test_pysbd_is_only_given_bounded_chunks(
    monkeypatch: pytest.MonkeyPatch, name: str, body: str
) -> None:
    monkeypatch.setattr(pysbd, "Segmenter", _RecordingSegmenter)
    _RecordingSegmenter.given = []
    check(MessageDraft(kind=MessageKind.CHECK_IN, body=body))
    assert _RecordingSegmenter.given
    for chunk in _RecordingSegmenter.given:
        assert len(chunk) <= SEGMENTER_CHUNK_CHARS
        marks = len(sentences._SEGMENTER_MARKS.findall(chunk))
        assert marks <= SEGMENTER_CHUNK_MARKS


def test_an_ordinary_draft_is_given_to_pysbd_whole() -> None:
    chunks = list(segmenter_chunks(ORDINARY_DRAFT))
    assert [(c.start, c.end) for c in chunks] == [(0, len(ORDINARY_DRAFT))]


@pytest.mark.parametrize("unit", [*FAMILIES.values(), "word ", "\n\n", "é. "])
def test_chunks_cover_the_text_in_order_within_the_limits(unit: str) -> None:
    text = (unit * MAX_BODY)[:MAX_BODY]
    chunks = list(segmenter_chunks(text))
    assert chunks[0].start == 0 and chunks[-1].end == len(text)
    for before, after in pairwise(chunks):
        assert before.end == after.start
    for chunk in chunks:
        piece = text[chunk.start : chunk.end]
        assert 0 < len(piece) <= SEGMENTER_CHUNK_CHARS
        assert len(sentences._SEGMENTER_MARKS.findall(piece)) <= SEGMENTER_CHUNK_MARKS


def test_a_sentence_longer_than_a_chunk_is_still_one_sentence() -> None:
    long_sentence = "Thank you for the conversation about the roles " + "and teams " * 300
    body = f"Dear Grace,\n\n{long_sentence.strip()}. I look forward to hearing from you."
    report = check(MessageDraft(kind=MessageKind.THANK_YOU, body=body))
    assert report.sentence_count == 2


# --- generated bodies -------------------------------------------------------------------

TOKENS = st.sampled_from(
    [
        ".", "!", "?", "...", ". ", "! ", "? ", " ", "  ", "\t", "\n", "\r", "\r\n", "\n\n",
        "A. ", "B. ", "a. ", "J.", "Dr. ", "Mr. ", "Ms. ", "e.g. ", "U.S. ", "No. ", "Ab. ",
        "Dear ", "Hi ", "Hello ", "Best,", "Best regards,\n", "Thanks", "ª", "ª.", "é", "。",
        '"', "'", "“", "”", "(", ")", "[", "]", "{{", "}}", "1. ", "a) ", "iv. ", "3.14",
        "Grace", "and", ",", ":", ";", "ASAP", "still", "interested", "XXX",
    ]
)  # fmt: skip
LONG_WORDS = st.text(alphabet="abcxyzªé", min_size=50, max_size=3000)
PIECES = st.one_of(TOKENS, TOKENS, TOKENS, LONG_WORDS)
BODIES = st.lists(PIECES, min_size=1, max_size=400).flatmap(
    lambda pieces: st.integers(min_value=1, max_value=200).map(
        lambda repeat: ("".join(pieces) * repeat)[:MAX_BODY] or "x"
    )
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=BODIES, kind=st.sampled_from(KINDS))
def test_generated_bodies_cost_work_linear_in_their_length(body: str, kind: MessageKind) -> None:
    spent = _spent(body, kind)
    assert spent <= UNITS_PER_CHAR * len(body) + FIXED_UNITS


# --- nothing can hang -------------------------------------------------------------------


def test_the_probed_bodies_finish_in_a_separate_process() -> None:
    """A guard, not a timing: a pass the units do not see (a regex run inside C) could
    still be super-linear, so the bodies that took minutes run in a child process that
    is stopped if it hangs, and the test fails instead of hanging the suite."""
    script = (
        "from tests.adversarial_corpus import CHECKER_CORPUS\n"
        "from app.domain.messages import MessageKind\n"
        "from app.services.drafting.checker import MessageDraft, check\n"
        "for _, body in CHECKER_CORPUS[:6]:\n"
        "    check(MessageDraft(kind=MessageKind.THANK_YOU, body=body))\n"
        "print('done')\n"
    )
    finished = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=True
    )
    assert finished.stdout.strip() == "done"

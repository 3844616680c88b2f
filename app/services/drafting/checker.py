"""The draft checker: holds any follow-up message to the etiquette's limits.

Pure logic apart from pysbd, the sentence segmenter: no database, no clock. A draft is
read in three parts (:mod:`~app.services.drafting.layout`): an optional greeting, the
message itself, whose sentences count (:mod:`~app.services.drafting.sentences`), and an
optional sign-off. Every word it looks for, and every word it says, comes from the
language's data file (:mod:`~app.services.drafting.languages`).

Every pass is linear in the text it reads, and counts that work against a
:class:`~app.services.work.WorkBudget`: each regular-expression scan spends the characters
it reads, each bounded look-back the characters it looks at, and the segmenter its
chunk's characters at a higher rate.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from app.domain import DEFAULT_LANGUAGE
from app.domain.messages import (
    NETWORK_NOTE_LIMIT,
    SENTENCE_LIMITS,
    DraftPart,
    FindingCode,
    MessageKind,
    Severity,
)
from app.services.drafting.languages import Lexicon, lexicon
from app.services.drafting.layout import Layout, Span, read_layout
from app.services.drafting.names import folded, is_group, names_match, people
from app.services.drafting.sentences import sentences
from app.services.work import WorkBudget, unlimited


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing wrong (or worth a look) in a draft."""

    code: FindingCode
    severity: Severity
    message: str
    suggestion: str
    part: DraftPart
    span: Span | None = None
    text: str | None = None


@dataclass(frozen=True, slots=True)
class MessageDraft:
    """The message to check: what kind it is, its text, and whom and when it is sent."""

    kind: MessageKind
    body: str
    subject: str | None = None
    recipient: str | None = None
    send_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Expectations:
    """What the draft's action says about it, when the draft belongs to an action."""

    recipient_name: str | None = None
    due_by: datetime | None = None


@dataclass(frozen=True, slots=True)
class Report:
    """The checker's verdict on one draft."""

    kind: MessageKind
    sentence_count: int | None
    character_count: int
    findings: tuple[Finding, ...]

    @property
    def ok(self) -> bool:
        """Whether nothing of error severity was found."""
        return not any(f.severity is Severity.ERROR for f in self.findings)


@dataclass
class _Checker:
    draft: MessageDraft
    expected: Expectations
    words: Lexicon
    layout: Layout
    budget: WorkBudget
    findings: list[Finding] = field(default_factory=list)

    @property
    def kind_name(self) -> str:
        return self.words.kind_names[self.draft.kind.value]

    def add(
        self,
        code: FindingCode,
        severity: Severity,
        part: DraftPart,
        *,
        span: Span | None = None,
        text: str | None = None,
        suggestion: str | None = None,
        **values: object,
    ) -> None:
        self.budget.spend(1 + (span.end - span.start if span else 0))
        values.setdefault("kind", self.kind_name)
        values.setdefault("text", text)
        self.findings.append(
            Finding(
                code=code,
                severity=severity,
                message=self.words.message(code, **values),
                suggestion=suggestion or self.words.suggestion(code, **values),
                part=part,
                span=span,
                text=text,
            )
        )

    @property
    def message_text(self) -> str:
        span = self.layout.message
        return self.draft.body[span.start : span.end]

    def texts(self) -> Iterator[tuple[DraftPart, str]]:
        if self.draft.subject:
            yield DraftPart.SUBJECT, self.draft.subject
        yield DraftPart.BODY, self.draft.body

    def sentence_limits(self, found: Sequence[Span]) -> None:
        limits = SENTENCE_LIMITS[self.draft.kind]
        if limits is None:
            return
        fewest, most = limits
        body = self.draft.body
        if len(found) > most:
            excess = Span(found[most].start, found[-1].end)
            self.add(
                FindingCode.TOO_MANY_SENTENCES,
                Severity.ERROR,
                DraftPart.BODY,
                span=excess,
                text=body[excess.start : excess.end],
                count=len(found),
                maximum=most,
            )
        elif len(found) < fewest:
            message = Span(found[0].start, found[-1].end) if found else None
            self.add(
                FindingCode.TOO_FEW_SENTENCES,
                Severity.WARNING,
                DraftPart.BODY,
                span=message,
                text=body[message.start : message.end] if message else None,
                count=len(found),
                minimum=fewest,
            )

    def scan(self, text: str, passes: int = 1) -> None:
        """Count ``passes`` regular-expression scans over ``text``."""
        self.budget.spend(passes * (len(text) + 1))

    def pushy_phrases(self) -> None:
        for part, text in self.texts():
            self.scan(text, len(self.words.pushy))
            matches = [
                (match, phrase)
                for phrase in self.words.pushy
                for match in phrase.pattern.finditer(text)
            ]
            self.budget.spend(len(matches) * max(1, len(matches).bit_length()))
            # "I need an answer by Friday" is one pushy phrase, however many patterns see it:
            # the most serious match wins, then the earliest.
            matches.sort(key=lambda m: (_SEVERITY_ORDER[m[1].severity], m[0].start()))
            taken = _DisjointSpans()
            for match, phrase in matches:
                span = Span(match.start(), match.end())
                if not taken.add(span, _SEVERITY_ORDER[phrase.severity]):
                    continue
                self.add(
                    FindingCode.PUSHY_PHRASE,
                    phrase.severity,
                    part,
                    span=span,
                    text=match.group(),
                    suggestion=phrase.suggestion,
                )

    def informal_address(self) -> None:
        """The first informal word of each part ("du", "tu", "ありがとう"): one finding says
        it, however often the draft goes on in that register."""
        pattern = self.words.informal_address
        if pattern is None:
            return
        for part, text in self.texts():
            self.scan(text)
            match = pattern.search(text)
            if match is not None:
                self.add(
                    FindingCode.INFORMAL_ADDRESS,
                    Severity.WARNING,
                    part,
                    span=Span(match.start(), match.end()),
                    text=match.group(),
                )

    def placeholders(self) -> None:
        for part, text in self.texts():
            self.scan(text)
            for match in self.words.placeholder.finditer(text):
                self.add(
                    FindingCode.UNFILLED_PLACEHOLDER,
                    Severity.ERROR,
                    part,
                    span=Span(match.start(), match.end()),
                    text=match.group(),
                )

    def thanks(self) -> None:
        if self.draft.kind is not MessageKind.THANK_YOU:
            return
        self.scan(self.message_text)
        if not self.words.thanks.search(self.message_text):
            self.add(FindingCode.MISSING_THANKS, Severity.ERROR, DraftPart.BODY)

    def continued_interest(self) -> None:
        if self.draft.kind not in (MessageKind.CHECK_IN, MessageKind.CHECK_IN_CALL):
            return
        self.scan(self.message_text)
        for match in self.words.continued_interest.finditer(self.message_text):
            self.budget.spend(len(match.group()) + 1)
            if not self.words.interest_negation.search(match.group()):
                return
        self.add(FindingCode.MISSING_CONTINUED_INTEREST, Severity.ERROR, DraftPart.BODY)

    def closing_questions(self) -> None:
        if self.draft.kind is not MessageKind.CLOSING_QUESTIONS:
            return
        for topic, pattern in self.words.closing_topics.items():
            self.scan(self.draft.body)
            if not pattern.search(self.draft.body):
                self.add(
                    FindingCode.MISSING_CLOSING_QUESTION,
                    Severity.ERROR,
                    DraftPart.BODY,
                    question=self.words.questions[topic],
                )

    def several_recipients(self, part: DraftPart, span: Span, names: str) -> None:
        self.add(FindingCode.SEVERAL_RECIPIENTS, Severity.ERROR, part, span=span, text=names)

    def recipient_mismatch(
        self, part: DraftPart, span: Span, names: str, expected: str, role: str
    ) -> None:
        self.add(
            FindingCode.RECIPIENT_MISMATCH,
            Severity.ERROR,
            part,
            span=span,
            text=names,
            expected=expected,
            role=role,
        )

    def recipients(self) -> None:
        words, draft, budget = self.words, self.draft, self.budget
        thank_you = draft.kind is MessageKind.THANK_YOU
        expected = self.expected.recipient_name
        if draft.recipient:
            whole = Span(0, len(draft.recipient))
            named = people(draft.recipient, words, budget)
            if thank_you and (len(named) > 1 or is_group(draft.recipient, words, budget)):
                self.several_recipients(DraftPart.RECIPIENT, whole, draft.recipient)
            elif expected and not names_match(draft.recipient, expected, words, budget):
                self.recipient_mismatch(
                    DraftPart.RECIPIENT, whole, draft.recipient, expected, words.roles["action"]
                )
        greeting = self.layout.greeting
        if greeting is None or not greeting.names:
            return
        self.scan(greeting.names, 2)
        if words.placeholder.search(greeting.names):
            return  # nobody named, or a placeholder (reported as such)
        if folded(greeting.names) in words.generic:
            return
        addressed = people(greeting.names, words, budget)
        if len(addressed) > 1 or is_group(greeting.names, words, budget):
            if thank_you:
                self.several_recipients(DraftPart.BODY, greeting.span, greeting.names)
            return
        target, role = (
            (expected, words.roles["action"])
            if expected
            else (draft.recipient, words.roles["recipient"])
        )
        if target and not names_match(greeting.names, target, words, budget):
            self.recipient_mismatch(DraftPart.BODY, greeting.span, greeting.names, target, role)

    def timing(self) -> None:
        send_at, due_by = self.draft.send_at, self.expected.due_by
        if send_at is not None and due_by is not None and send_at > due_by:
            self.add(
                FindingCode.SENT_AFTER_DUE,
                Severity.WARNING,
                DraftPart.SEND_AT,
                send_at=send_at.isoformat(),
                due_by=due_by.isoformat(),
            )

    def length(self) -> None:
        body = self.draft.body
        if self.draft.kind is MessageKind.CONNECTION_NOTE and len(body) > NETWORK_NOTE_LIMIT:
            self.add(
                FindingCode.OVER_LENGTH_LIMIT,
                Severity.ERROR,
                DraftPart.BODY,
                span=Span(NETWORK_NOTE_LIMIT, len(body)),
                text=body[NETWORK_NOTE_LIMIT:],
                count=len(body),
                limit=NETWORK_NOTE_LIMIT,
                excess=len(body) - NETWORK_NOTE_LIMIT,
            )

    def subject(self) -> None:
        if self.draft.kind.has_subject and not (self.draft.subject or "").strip():
            self.add(FindingCode.MISSING_SUBJECT, Severity.WARNING, DraftPart.SUBJECT)


_SEVERITY_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
_PART_ORDER = {part: index for index, part in enumerate(DraftPart)}


class _DisjointSpans:
    """Spans already taken, none overlapping another, added in rank order and, within a
    rank, in order of start: whether a new span overlaps one costs a binary search per
    earlier rank, not a look at every span taken."""

    def __init__(self) -> None:
        self._ranks: dict[int, list[Span]] = {}  # each list sorted by start (and by end)
        self._ends: dict[int, list[int]] = {}

    def add(self, span: Span, rank: int) -> bool:
        """Take ``span`` unless it overlaps a span taken before; say whether it was taken."""
        for earlier_rank, ends in self._ends.items():
            # The first span of that rank ending after this one starts is the only one
            # that can overlap it, as those spans are disjoint and sorted.
            index = bisect.bisect_right(ends, span.start)
            taken = self._ranks[earlier_rank]
            if index < len(taken) and taken[index].start < span.end:
                return False
        self._ranks.setdefault(rank, []).append(span)
        self._ends.setdefault(rank, []).append(span.end)
        return True


def check(
    draft: MessageDraft,
    expected: Expectations | None = None,
    language: str = DEFAULT_LANGUAGE,
    *,
    budget: WorkBudget | None = None,
) -> Report:
    """Every finding on ``draft``, most serious first, then in reading order.

    Every pass spends its work from ``budget`` (unlimited when not given), which raises
    :class:`~app.services.work.WorkTooLarge` once it runs out."""
    budget = budget or unlimited("body.body", "The draft")
    words = lexicon(language)
    layout = read_layout(draft.body, words, budget)
    found = sentences(draft.body, layout.message, words, budget)
    checker = _Checker(draft, expected or Expectations(), words, layout, budget)
    checker.sentence_limits(found)
    checker.pushy_phrases()
    checker.informal_address()
    checker.placeholders()
    checker.thanks()
    checker.continued_interest()
    checker.closing_questions()
    checker.recipients()
    checker.timing()
    checker.length()
    checker.subject()
    budget.spend(len(checker.findings) * max(1, len(checker.findings).bit_length()))
    findings = sorted(
        checker.findings,
        key=lambda f: (
            _SEVERITY_ORDER[f.severity],
            _PART_ORDER[f.part],
            f.span.start if f.span else -1,
        ),
    )
    counted = SENTENCE_LIMITS[draft.kind] is not None
    return Report(
        kind=draft.kind,
        sentence_count=len(found) if counted else None,
        character_count=len(draft.body),
        findings=tuple(findings),
    )

"""The draft checker: holds any follow-up message to the etiquette's limits.

Pure logic apart from pysbd, the sentence segmenter: no database, no clock. Every word
it looks for, and every word it says, comes from the language's data file
(``app/templates/drafts/<language>/checker.toml``), so a new language needs no code.

A draft is read in three parts: an optional greeting line ("Dear Grace,"), the message
itself, and an optional sign-off ("Best regards,\\nAda Lovelace" or "… Best, Ada").
Only the message counts towards the sentence limits.

Every pass is linear in the text it reads, and counts that work against a
:class:`~app.services.work.WorkBudget`: each regular-expression scan spends the characters
it reads, each bounded look-back the characters it looks at, and the segmenter its
chunk's characters at a higher rate (it makes some forty passes over what it is given).
pysbd itself is super-linear on some inputs (many abbreviations, initials or quotes on
one line), so it is only ever handed bounded chunks (see :func:`segmenter_chunks`).
"""

from __future__ import annotations

import bisect
import re
import tomllib
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any

import pysbd  # type: ignore[import-untyped]

from app.domain import ActionType, Channel
from app.services.work import WorkBudget, unlimited

LANGUAGES_DIR = Path(__file__).resolve().parents[1] / "templates" / "drafts"
DEFAULT_LANGUAGE = "en"

# The common limit of professional networks for a note sent with a connection request.
NETWORK_NOTE_LIMIT = 300


class MessageKind(StrEnum):
    """The kind of message: each has its own etiquette limits.

    - `thank_you`: the thank-you email after an interview (E3), 3-4 sentences.
    - `check_in`: the check-in email once the expected date has passed (E4), 2-4 sentences.
    - `check_in_call`: the same check-in as a phone or voicemail script, 2-5 sentences.
    - `connection_note`: the note sent with a professional-network connection request
      (E5), at most 300 characters.
    - `panel_request`: a note asking the coordinator for the panel's names and titles (E1).
    - `closing_questions`: the questions to ask at the end of an interview (E2), a checklist.
    """

    THANK_YOU = "thank_you"
    CHECK_IN = "check_in"
    CHECK_IN_CALL = "check_in_call"
    CONNECTION_NOTE = "connection_note"
    PANEL_REQUEST = "panel_request"
    CLOSING_QUESTIONS = "closing_questions"

    @property
    def has_subject(self) -> bool:
        """Whether the message is an email, with a subject line."""
        return self in _EMAIL_KINDS


_EMAIL_KINDS = frozenset({MessageKind.THANK_YOU, MessageKind.CHECK_IN, MessageKind.PANEL_REQUEST})

# (fewest, most) sentences in the message proper; None where sentences do not apply.
SENTENCE_LIMITS: dict[MessageKind, tuple[int, int] | None] = {
    MessageKind.THANK_YOU: (3, 4),  # "short and sweet, no more than 3 or 4 sentences"
    MessageKind.CHECK_IN: (2, 4),  # "short and sweet"
    MessageKind.CHECK_IN_CALL: (2, 5),  # a voicemail-length script
    MessageKind.CONNECTION_NOTE: (1, 3),
    MessageKind.PANEL_REQUEST: (2, 4),
    MessageKind.CLOSING_QUESTIONS: None,  # a checklist, not prose
}


def kind_for_action(action_type: ActionType, channel: Channel | str | None = None) -> MessageKind:
    """The message an action calls for; a check-in by phone is a call script."""
    if action_type is ActionType.CHECK_IN:
        return MessageKind.CHECK_IN_CALL if channel == Channel.PHONE else MessageKind.CHECK_IN
    return _KIND_OF_ACTION[action_type]


_KIND_OF_ACTION = {
    ActionType.CONFIRM_INTERVIEWERS: MessageKind.PANEL_REQUEST,
    ActionType.ASK_CLOSING_QUESTIONS: MessageKind.CLOSING_QUESTIONS,
    ActionType.SEND_THANK_YOU: MessageKind.THANK_YOU,
    ActionType.CHECK_IN: MessageKind.CHECK_IN,
    ActionType.CONNECT_ON_NETWORK: MessageKind.CONNECTION_NOTE,
}

# Which message kinds a finding about an action type may use instead of the default one.
ACTION_TYPE_KINDS: dict[ActionType, frozenset[MessageKind]] = {
    action_type: frozenset({kind}) for action_type, kind in _KIND_OF_ACTION.items()
}
ACTION_TYPE_KINDS[ActionType.CHECK_IN] = frozenset(
    {MessageKind.CHECK_IN, MessageKind.CHECK_IN_CALL}
)


class Severity(StrEnum):
    """How much a finding matters: `error` breaks the etiquette, `warning` probably does."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class FindingCode(StrEnum):
    """What the checker found."""

    TOO_MANY_SENTENCES = "too_many_sentences"
    TOO_FEW_SENTENCES = "too_few_sentences"
    PUSHY_PHRASE = "pushy_phrase"
    MISSING_THANKS = "missing_thanks"
    MISSING_CONTINUED_INTEREST = "missing_continued_interest"
    RECIPIENT_MISMATCH = "recipient_mismatch"
    SEVERAL_RECIPIENTS = "several_recipients"
    SENT_AFTER_DUE = "sent_after_due"
    OVER_LENGTH_LIMIT = "over_length_limit"
    MISSING_CLOSING_QUESTION = "missing_closing_question"
    UNFILLED_PLACEHOLDER = "unfilled_placeholder"
    MISSING_SUBJECT = "missing_subject"


FINDING_DESCRIPTIONS: dict[FindingCode, str] = {
    FindingCode.TOO_MANY_SENTENCES: (
        "error: more sentences than the kind allows (thank-you 4, check-in email 4, call "
        "script 5, connection note 3, panel request 4). Greeting and sign-off do not count."
    ),
    FindingCode.TOO_FEW_SENTENCES: (
        "warning: fewer sentences than the kind needs (thank-you 3, check-in 2, call script "
        "2, connection note 1, panel request 2)."
    ),
    FindingCode.PUSHY_PHRASE: (
        'error or warning: a phrase that presses, demands or presumes ("ASAP", "I expect '
        'an answer", "when can I start", "following up again").'
    ),
    FindingCode.MISSING_THANKS: "error: a thank-you that never thanks the person.",
    FindingCode.MISSING_CONTINUED_INTEREST: (
        "error: a check-in (email or call) that never says the candidate is still interested."
    ),
    FindingCode.RECIPIENT_MISMATCH: (
        "error: the greeting or `recipient` names someone other than the action's person "
        "(or other than `recipient`, when no action is given)."
    ),
    FindingCode.SEVERAL_RECIPIENTS: (
        "error: a thank-you addressed to several people or a group; each interviewer gets "
        "their own."
    ),
    FindingCode.SENT_AFTER_DUE: "warning: `send_at` is after the action's `due_by`.",
    FindingCode.OVER_LENGTH_LIMIT: (
        f"error: a connection note longer than the {NETWORK_NOTE_LIMIT} characters "
        "professional networks allow."
    ),
    FindingCode.MISSING_CLOSING_QUESTION: (
        "error: the closing-questions checklist lacks one of the three questions (next "
        "step, when to expect news, contact details)."
    ),
    FindingCode.UNFILLED_PLACEHOLDER: (
        "error: text such as `[Company]`, `{{ name }}` or `XXX` left in the draft."
    ),
    FindingCode.MISSING_SUBJECT: "warning: an email kind of message without a subject line.",
}

FindingCode.__doc__ = "What the checker found. Each code, with its usual severity:\n\n" + "\n".join(
    f"- `{code.value}`: {text}" for code, text in FINDING_DESCRIPTIONS.items()
)


class DraftPart(StrEnum):
    """The part of the draft a finding is about; spans index into that part's text."""

    SUBJECT = "subject"
    BODY = "body"
    RECIPIENT = "recipient"
    SEND_AT = "send_at"


@dataclass(frozen=True, slots=True)
class Span:
    """Character offsets [start, end) into the part's text, in Unicode code points."""

    start: int
    end: int


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
class Draft:
    """The message to check."""

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


# --- the language data ------------------------------------------------------------------


@dataclass(frozen=True)
class PushyPhrase:
    pattern: re.Pattern[str]
    severity: Severity
    suggestion: str


@dataclass(frozen=True)
class Lexicon:
    """One language's words for the checker, compiled."""

    language: str
    segmenter_language: str
    never_final: frozenset[str]
    kind_names: Mapping[str, str]
    greeting: re.Pattern[str]
    honorifics: frozenset[str]
    groups: frozenset[str]
    generic: frozenset[str]
    name_separator: re.Pattern[str]
    sign_off_line: re.Pattern[str]
    sign_off_inline: re.Pattern[str]
    thanks: re.Pattern[str]
    continued_interest: re.Pattern[str]
    interest_negation: re.Pattern[str]
    placeholder: re.Pattern[str]
    pushy: tuple[PushyPhrase, ...]
    closing_topics: Mapping[str, re.Pattern[str]]
    questions: Mapping[str, str]
    messages: Mapping[str, str]
    suggestions: Mapping[str, str]
    # The longest honorific and never-final abbreviation: how far a look-back must reach.
    longest_honorific: int = 0
    longest_never_final: int = 0

    def message(self, code: FindingCode, **values: object) -> str:
        return self.messages[code.value].format(**values)

    def suggestion(self, code: FindingCode, **values: object) -> str:
        return self.suggestions[code.value].format(**values)


def available_languages() -> tuple[str, ...]:
    """Language codes with a data folder: each has the checker's words and the templates."""
    return tuple(
        sorted(path.parent.name for path in LANGUAGES_DIR.glob("*/checker.toml") if path.is_file())
    )


def _compile(pattern: str, flags: int = 0) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE | flags)


@lru_cache(maxsize=8)
def lexicon(language: str = DEFAULT_LANGUAGE) -> Lexicon:
    """The checker's words for ``language`` (read once from its data file)."""
    if language not in available_languages():
        raise KeyError(language)
    data: dict[str, Any] = tomllib.loads(
        (LANGUAGES_DIR / language / "checker.toml").read_text(encoding="utf-8")
    )
    greeting, sign_off, patterns = data["greeting"], data["sign_off"], data["patterns"]
    honorifics = frozenset(greeting["honorifics"])
    never_final = frozenset(data["never_final"])
    return Lexicon(
        language=language,
        segmenter_language=data["segmenter_language"],
        never_final=never_final,
        kind_names=data["kinds"],
        greeting=_compile(greeting["opening"]),
        honorifics=honorifics,
        groups=frozenset(greeting["groups"]),
        generic=frozenset(greeting["generic"]),
        name_separator=_compile(greeting["name_separator"]),
        sign_off_line=_compile(sign_off["line"], re.MULTILINE),
        sign_off_inline=_compile(sign_off["inline"]),
        thanks=_compile(patterns["thanks"]),
        continued_interest=_compile(patterns["continued_interest"]),
        interest_negation=_compile(patterns["interest_negation"]),
        # Placeholders such as "[Company]" are recognised by their capital letter.
        placeholder=re.compile(patterns["placeholder"]),
        pushy=tuple(
            PushyPhrase(_compile(p["pattern"]), Severity(p["severity"]), p["suggestion"])
            for p in data["pushy"]
        ),
        closing_topics={name: _compile(p) for name, p in data["closing_questions"].items()},
        questions=data["questions"],
        messages=data["messages"],
        suggestions=data["suggestions"],
        longest_honorific=max(map(len, honorifics), default=0),
        longest_never_final=max(map(len, never_final), default=0),
    )


# --- reading the draft's layout ---------------------------------------------------------


@dataclass(frozen=True)
class Greeting:
    """Whom the first line addresses, and where those names sit in the body."""

    names: str
    span: Span
    message_start: int  # where the message proper begins: after a greeting line, else 0


@dataclass(frozen=True)
class Layout:
    greeting: Greeting | None
    message: Span  # the part between greeting and sign-off, which holds the sentences


_LINE_END_PUNCTUATION = (",", "!", ":")
_LETTER = re.compile(r"[^\W\d_]")
_SENTENCE_STOP = re.compile(r"[.!?]")
_NAME_CUT = re.compile(r"[,!:;]")


def _word_before(text: str, end: int, longest: int, budget: WorkBudget) -> str:
    """The run of letters that ends at ``end``, read back at most ``longest + 1`` letters:
    a longer run cannot be any of the words looked for, so only its length matters."""
    start = end
    while start > 0 and end - start <= longest and _LETTER.match(text, start - 1):
        start -= 1
    budget.spend(end - start + 1)
    return text[start:end]


def _first_line(body: str) -> tuple[int, int]:
    start = len(body) - len(body.lstrip())
    end = body.find("\n", start)
    return start, len(body) if end == -1 else end


def _greeting(body: str, words: Lexicon, budget: WorkBudget) -> Greeting | None:
    line_start, line_end = _first_line(body)
    budget.spend(line_end)
    line = body[line_start:line_end]
    opening = words.greeting.match(line)
    if opening is None:
        return None
    rest = line[opening.end() :]
    stripped = rest.rstrip()
    sentence_end = _cut_at_sentence_end(rest, len(stripped), words, budget)
    whole_line = False
    names_end = sentence_end
    if sentence_end == len(stripped) and len(stripped) <= 100:
        # No sentence on the line: "Dear Grace," or "Dear Grace and Alan," on its own.
        candidate_end = len(stripped) - (1 if stripped.endswith(_LINE_END_PUNCTUATION) else 0)
        if _looks_like_names(rest[:candidate_end], words, budget):
            whole_line, names_end = True, candidate_end
    if not whole_line:
        budget.spend(names_end)
        cut = _NAME_CUT.search(rest, 0, names_end)
        names_end = cut.start() if cut else names_end
    raw = rest[:names_end]
    names = raw.strip()
    offset = line_start + opening.end() + (len(raw) - len(raw.lstrip()))
    if whole_line:
        message_start = line_end
    elif rest[names_end : names_end + 1] in ("!", ":"):
        # "Hi Grace! Thanks for …": the greeting is a sentence of its own, not counted.
        message_start = line_start + opening.end() + names_end + 1
    else:
        message_start = 0  # "Hello Grace, this is Ada." - one sentence with its greeting
    return Greeting(
        names=names, span=Span(offset, offset + len(names)), message_start=message_start
    )


_NAME_PARTICLES = frozenset({"van", "von", "de", "der", "den", "da", "di", "du", "la", "le", "bin"})


def _looks_like_names(text: str, words: Lexicon, budget: WorkBudget) -> bool:
    """Whether text reads as whom a greeting addresses rather than as the message itself."""
    budget.spend(len(text))
    folded = " ".join(text.casefold().split())
    if not folded or folded in words.groups or folded in words.generic:
        return True
    if folded.rsplit(" ", 1)[-1] in words.groups:
        return True  # "Globex team"
    for person in _people(text, words, budget):
        tokens = person.split()
        if not 1 <= len(tokens) <= 4:
            return False
        for token in tokens:
            word = token.strip(".'’-")
            if word and not (word[0].isupper() or word.casefold() in _NAME_PARTICLES):
                return False
    return True


def _cut_at_sentence_end(text: str, limit: int, words: Lexicon, budget: WorkBudget) -> int:
    """Where a sentence ends in text: at . ! or ?, unless a full stop closes an initial
    or an honorific ("Dr. J. Smith").

    One pass: each stop looks back only as far as the longest honorific, so a line of
    a thousand initials costs a thousand short looks, not a thousand re-reads."""
    budget.spend(len(text) + limit)
    content_end = len(text.rstrip())
    for stop in _SENTENCE_STOP.finditer(text, 0, limit):
        budget.spend(1)
        if stop.group() != ".":
            if stop.end() < content_end:
                return stop.start()
            continue
        word = _word_before(text, stop.start(), words.longest_honorific, budget).casefold()
        if len(word) != 1 and word not in words.honorifics:
            return stop.start()
    return limit


def _sign_off_start(body: str, message_start: int, words: Lexicon, budget: WorkBudget) -> int:
    """Where the sign-off begins (the end of the message proper)."""
    budget.spend(len(body))
    end = len(body.rstrip())
    # A line that is only a closing phrase, among the last few lines: no more than three
    # line breaks after it, i.e. it ends past the fourth line break from the end.
    fourth_break = end
    for _ in range(4):
        if fourth_break != -1:
            fourth_break = body.rfind("\n", 0, fourth_break)
    budget.spend(end - max(fourth_break, 0))
    budget.spend(len(body) - message_start)
    for match in words.sign_off_line.finditer(body, message_start):
        budget.spend(1)
        if match.end() > fourth_break:
            return match.start()
    # A closing phrase and a name at the end of a one-paragraph note.
    budget.spend(end - message_start)
    inline = words.sign_off_inline.search(body, message_start, end)
    if inline is not None:
        return inline.start()
    # A lone signature line ("Ada") after a blank line.
    budget.spend(end - message_start)
    last_break = body.rfind("\n\n", message_start, end)
    if last_break != -1:
        signature = body[last_break:end].strip()
        if (
            signature
            and "\n" not in signature
            and len(signature.split()) <= 5
            and signature[-1] not in ".!?"
        ):
            return last_break
    return end


def read_layout(body: str, words: Lexicon, budget: WorkBudget | None = None) -> Layout:
    budget = budget or unlimited()
    greeting = _greeting(body, words, budget)
    start = greeting.message_start if greeting else 0
    end = _sign_off_start(body, start, words, budget)
    return Layout(greeting=greeting, message=Span(start, max(start, end)))


# --- sentences --------------------------------------------------------------------------

# pysbd's cost grows with the square (and on some lines the cube) of what it is given,
# driven by the length of a line and by the marks it reasons about: each full stop may
# be an abbreviation it re-substitutes over the whole text, each quote or bracket opens
# a scan to the line's end. So it is given chunks of at most this many characters and
# marks; a draft within both is given whole, and its sentences are exactly pysbd's.
SEGMENTER_CHUNK_CHARS = 1000
SEGMENTER_CHUNK_MARKS = 40
_SEGMENTER_MARKS = re.compile(r"""[.!?\n\r()\[\]"'“”‘’«»。．！？]""")
# What pysbd's work is counted as: each character it is given is read by about forty
# regex passes; each line and sentence it returns cost some fifty more substitutions of
# its own (its slowest inputs are thousands of one-word lines or sentences); each call
# has a fixed cost besides.
SEGMENTER_UNITS_PER_CHAR = 8
SEGMENTER_UNITS_PER_SEGMENT = 100
SEGMENTER_UNITS_PER_CALL = 200
_SENTENCE_BREAK = re.compile(r"[.!?。．！？][\s]")


@dataclass(frozen=True, slots=True)
class Chunk:
    """``text[start:end]``, and whether its last sentence goes on in the next chunk (it
    was cut at a space or mid-word, not where a sentence or line ends)."""

    start: int
    end: int
    continues: bool = False


def segmenter_chunks(text: str, budget: WorkBudget | None = None) -> Iterator[Chunk]:
    """Split ``text`` into chunks of at most :data:`SEGMENTER_CHUNK_CHARS` characters and
    :data:`SEGMENTER_CHUNK_MARKS` marks, for pysbd to read one at a time.

    A text within both limits is one chunk. Otherwise each chunk is cut where a sentence
    surely ends: at the last line break in the second half of what the limits allow, else
    after the last full stop followed by a space there, else at a space, else (one word
    longer than a chunk) at the limit. Cutting in the second half means each chunk is at
    least half its window, so the text is read at most about twice."""
    budget = budget or unlimited()
    budget.spend(len(text))
    marks = [match.start() for match in _SEGMENTER_MARKS.finditer(text)]
    start, seen = 0, 0  # ``seen``: marks before ``start``
    while start < len(text):
        while seen < len(marks) and marks[seen] < start:
            seen += 1
        limit = min(len(text), start + SEGMENTER_CHUNK_CHARS)
        if seen + SEGMENTER_CHUNK_MARKS < len(marks):
            # The window ends before its first mark over the limit.
            limit = min(limit, max(marks[seen + SEGMENTER_CHUNK_MARKS], start + 1))
        if limit == len(text):
            yield Chunk(start, limit)
            return
        budget.spend(limit - start)
        middle = start + (limit - start + 1) // 2
        cut = text.rfind("\n", middle, limit) + 1
        if not cut:
            breaks = [m.end() for m in _SENTENCE_BREAK.finditer(text, middle - 1, limit)]
            cut = breaks[-1] if breaks else 0
        continues = not cut
        if not cut:
            space = max(text.rfind(" ", middle, limit), text.rfind("\t", middle, limit))
            cut = space + 1
        if cut <= start:
            cut = limit
        yield Chunk(start, cut, continues)
        start = cut


def sentences(
    body: str, span: Span, words: Lexicon, budget: WorkBudget | None = None
) -> list[Span]:
    """The sentences of ``body[span]``, as spans into ``body``, found by pysbd."""
    budget = budget or unlimited()
    text = body[span.start : span.end]
    budget.spend(len(text))
    if not text.strip():
        return []
    segmenter = pysbd.Segmenter(language=words.segmenter_language, clean=False)
    found: list[Span] = []
    continued = False  # whether the previous chunk's last sentence goes on in this one
    for part in segmenter_chunks(text, budget):
        chunk_start, chunk = part.start, text[part.start : part.end]
        if not chunk.strip():
            continue
        budget.spend(SEGMENTER_UNITS_PER_CALL + SEGMENTER_UNITS_PER_CHAR * len(chunk))
        cursor = 0
        # Located in order rather than with pysbd's char_span, which misplaces repeated
        # sentences; with clean=False the segments are verbatim slices of the text.
        for segment in segmenter.segment(chunk):
            piece = segment.strip()
            budget.spend(SEGMENTER_UNITS_PER_SEGMENT + len(segment))
            if not piece:
                continue
            at = chunk.find(piece, cursor)
            if at == -1:  # pragma: no cover - pysbd returns verbatim text with clean=False
                continue
            budget.spend(at - cursor + len(piece))
            cursor = at + len(piece)
            if not _HAS_WORD.search(piece):  # a stray "..." or "—" is not a sentence
                continue
            start = span.start + chunk_start + at
            end = span.start + chunk_start + cursor
            if found and (continued or _ends_with_never_final(body, found[-1], words, budget)):
                found[-1] = Span(found[-1].start, end)
            else:
                found.append(Span(start, end))
            continued = False
        continued = part.continues
    return found


_HAS_WORD = re.compile(r"\w")


def _ends_with_never_final(body: str, sentence: Span, words: Lexicon, budget: WorkBudget) -> bool:
    """Whether the sentence ends with an abbreviation that never ends one ("Mr.")."""
    if sentence.end <= sentence.start or body[sentence.end - 1] != ".":
        return False
    stop = sentence.end - 1
    word = _word_before(body, stop, words.longest_never_final, budget)
    # The word must lie within the sentence, as when the sentence alone was searched.
    word = word[max(0, len(word) - (stop - sentence.start)) :]
    return bool(word) and word.casefold() in words.never_final


# --- names ------------------------------------------------------------------------------


def _name_tokens(name: str, words: Lexicon) -> list[str]:
    plain = "".join(
        char
        for char in unicodedata.normalize("NFKD", name.casefold())
        if not unicodedata.combining(char)
    )
    return [token for token in re.findall(r"[^\W\d_]+", plain) if token not in words.honorifics]


def names_match(
    given: str, expected: str, words: Lexicon, budget: WorkBudget | None = None
) -> bool:
    """Whether ``given`` ("Grace", "Ms. Hopper", "G. Hopper") can refer to ``expected``."""
    (budget or unlimited()).spend(len(given) + len(expected))
    given_tokens = _name_tokens(given, words)
    expected_tokens = set(_name_tokens(expected, words))
    if not given_tokens or not expected_tokens:
        return True  # nothing to contradict
    initials = {known[0] for known in expected_tokens}
    # Each given token is a whole name of the expected one, or an initial of one.
    return all(
        token in expected_tokens or (len(token) == 1 and token in initials)
        for token in given_tokens
    )


def _people(names: str, words: Lexicon, budget: WorkBudget) -> list[str]:
    # Runs of spaces are made single first: the separator pattern starts and ends with
    # \s*, which would otherwise re-read a long run from each of its positions.
    budget.spend(2 * len(names))
    single_spaced = " ".join(names.split())
    return [part for part in words.name_separator.split(single_spaced) if part.strip()]


def _is_group(names: str, words: Lexicon, budget: WorkBudget) -> bool:
    budget.spend(len(names))
    folded = " ".join(names.casefold().split())
    if folded in words.groups:
        return True
    last = folded.rsplit(" ", 1)[-1] if folded else ""
    return last in words.groups and " " not in last


# --- the checks -------------------------------------------------------------------------


@dataclass
class _Checker:
    draft: Draft
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

    def recipients(self) -> None:
        words, draft, budget = self.words, self.draft, self.budget
        thank_you = draft.kind is MessageKind.THANK_YOU
        expected = self.expected.recipient_name
        if draft.recipient:
            named = _people(draft.recipient, words, budget)
            if thank_you and (len(named) > 1 or _is_group(draft.recipient, words, budget)):
                self.add(
                    FindingCode.SEVERAL_RECIPIENTS,
                    Severity.ERROR,
                    DraftPart.RECIPIENT,
                    span=Span(0, len(draft.recipient)),
                    text=draft.recipient,
                )
            elif expected and not names_match(draft.recipient, expected, words, budget):
                self.add(
                    FindingCode.RECIPIENT_MISMATCH,
                    Severity.ERROR,
                    DraftPart.RECIPIENT,
                    span=Span(0, len(draft.recipient)),
                    text=draft.recipient,
                    expected=expected,
                    role="action's person",
                )
        greeting = self.layout.greeting
        if greeting is None or not greeting.names:
            return
        self.scan(greeting.names, 2)
        if words.placeholder.search(greeting.names):
            return  # nobody named, or a placeholder (reported as such)
        folded = " ".join(greeting.names.casefold().split())
        if folded in words.generic:
            return
        people = _people(greeting.names, words, budget)
        if len(people) > 1 or _is_group(greeting.names, words, budget):
            if thank_you:
                self.add(
                    FindingCode.SEVERAL_RECIPIENTS,
                    Severity.ERROR,
                    DraftPart.BODY,
                    span=greeting.span,
                    text=greeting.names,
                )
            return
        target, role = (expected, "action's person") if expected else (draft.recipient, "recipient")
        if target and not names_match(greeting.names, target, words, budget):
            self.add(
                FindingCode.RECIPIENT_MISMATCH,
                Severity.ERROR,
                DraftPart.BODY,
                span=greeting.span,
                text=greeting.names,
                expected=target,
                role=role,
            )

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
    draft: Draft,
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

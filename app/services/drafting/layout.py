"""Reading a draft's layout: an optional greeting line ("Dear Grace,"), the message
itself, and an optional sign-off ("Best regards,\\nAda Lovelace" or "… Best, Ada").

Only the message counts towards the sentence limits. Each pass is linear in the text it
reads and spends that work from a :class:`~app.services.work.WorkBudget`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.services.drafting.languages import Lexicon
from app.services.drafting.names import folded, people
from app.services.work import WorkBudget, unlimited


@dataclass(frozen=True, slots=True)
class Span:
    """Character offsets [start, end) into the part's text, in Unicode code points."""

    start: int
    end: int


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


def word_before(text: str, end: int, longest: int, budget: WorkBudget) -> str:
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
    names = folded(text)
    if not names or names in words.groups or names in words.generic:
        return True
    if names.rsplit(" ", 1)[-1] in words.groups:
        return True  # "Globex team"
    for person in people(text, words, budget):
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
        word = word_before(text, stop.start(), words.longest_honorific, budget).casefold()
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

"""Reading a draft's layout: an optional greeting line ("Dear Grace,"), the message
itself, and an optional sign-off ("Best regards,\\nAda Lovelace" or "… Best, Ada").

Where a language writes the honorific after the name (Japanese), the greeting is the
address block instead ("株式会社グローベックス\\n人事部 山田様"), and the set phrases that
open the message ("お世話になっております。山田です。") belong to it.

Only the message counts towards the sentence limits. Each pass is linear in the text it
reads and spends that work from a :class:`~app.services.work.WorkBudget`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.services.drafting.languages import ADDRESS_NAME_MAX, Address, Lexicon
from app.services.drafting.names import NAME_PARTICLES, folded, names_a_group, people
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
    # A vocative comma the opening left before a lower-case word ("Buenos días, equipo de
    # Globex:", "Buenos días, señor García:") is not part of the names.
    content = raw.lstrip(" \t,") if whole_line else raw.lstrip()
    names = content.rstrip()
    offset = line_start + opening.end() + (len(raw) - len(content))
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


# An address block: the company, the department and the person (or a few people, one a
# line), each line short; the first line too long for one ends the search.
_ADDRESS_LINES = 5
_ADDRESS_LINE_MAX = 2 * ADDRESS_NAME_MAX
_SPACES = re.compile(r"\s*")


def _after_spaces(text: str, position: int = 0) -> int:
    """Where the run of white space at ``position`` ends."""
    spaces = _SPACES.match(text, position)
    return spaces.end() if spaces else position


@dataclass(frozen=True, slots=True)
class _Addressee:
    name: str
    span: Span  # offsets into the line's content


def _addressee(
    content: str, match: re.Match[str], address: Address, groups: tuple[str, ...]
) -> _Addressee:
    """Whom one address item names: for a group the whole item ("面接官の皆様"), else the
    name without the company, department or title before it nor a title after it."""
    start, end = match.start("name"), match.end("name")
    suffix = match.group("suffix")
    if suffix is not None and suffix in groups:
        span = _strip(content, start, match.end("suffix"))
        return _Addressee(content[span.start : span.end], span)
    affiliation = address.affiliation.match(content, start, end)
    if affiliation is not None and affiliation.end() < end:
        start = affiliation.end()
    for title in address.titles:
        if content.endswith(title, start, end) and end - start > len(title):
            end -= len(title)
            break
    span = _strip(content, start, end)
    return _Addressee(content[span.start : span.end], span)


def _strip(text: str, start: int, end: int) -> Span:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return Span(start, end)


def _address_line(
    content: str, words: Lexicon, budget: WorkBudget
) -> tuple[list[_Addressee], int | None]:
    """The people a line addresses, and where the message begins on it when it goes on
    after the first of them ("山田様、先日は…"); None when the whole line is the address."""
    address = words.address
    assert address is not None
    found: list[_Addressee] = []
    ends: list[int] = []
    position = 0
    # Only the line's first characters can be an address; a longer line goes on with
    # the message after its first person ("山田様、先日は…").
    while position < min(len(content), _ADDRESS_LINE_MAX):
        position = _after_spaces(content, position)
        budget.spend(ADDRESS_NAME_MAX + 1)
        item = address.item.match(content, position)
        if item is None or item.end() == position:
            break
        found.append(_addressee(content, item, address, words.group_suffixes))
        ends.append(item.end())
        position = item.end()
    if not found or position >= len(content):
        return found, None
    # More follows than names: only the first item addresses, the rest is the message.
    return found[:1], ends[0]


def _address_greeting(body: str, words: Lexicon, budget: WorkBudget) -> Greeting | None:
    """The address block that opens a draft where the honorific follows the name
    ("株式会社グローベックス\n人事部 山田様"): lines naming the company or department,
    then one line per person, up to the first blank line or line of the message."""
    people_found: list[tuple[_Addressee, int]] = []  # with the offset of its line's content
    message_start = 0
    position = _after_spaces(body)
    budget.spend(position + 1)
    for _ in range(_ADDRESS_LINES):
        line_end = body.find("\n", position)
        line_end = len(body) if line_end == -1 else line_end
        budget.spend(line_end - position + 1)
        line = body[position:line_end]
        content = line.strip()
        if not content:
            break
        offset = position + len(line) - len(line.lstrip())
        addressed, rest = _address_line(content, words, budget)
        if addressed:
            people_found.extend((person, offset) for person in addressed)
            message_start = line_end
            if rest is not None:
                message_start = offset + rest
                break
        elif (
            people_found
            or len(content) > _ADDRESS_LINE_MAX
            or any(stop in content for stop in "。．！？!?")
        ):
            break  # the message has begun, or there was never an address
        if line_end >= len(body):
            break
        position = line_end + 1
    if not people_found:
        return None
    (first, first_offset), (last, last_offset) = people_found[0], people_found[-1]
    span = Span(first_offset + first.span.start, last_offset + last.span.end)
    names = "、".join(person.name for person, _ in people_found)
    return Greeting(names=names, span=span, message_start=message_start)


def _after_opening_formula(body: str, start: int, words: Lexicon, budget: WorkBudget) -> int:
    """Where the message begins once the set phrases that open it are passed
    ("お世話になっております。山田です。"): they belong to the greeting, not the message."""
    if words.opening_formula is None:
        return start
    text_start = _after_spaces(body, start)
    budget.spend(text_start - start + 1 + _FORMULA_MAX)
    formula = words.opening_formula.match(body, text_start)
    return formula.end() if formula is not None else start


# How far an opening formula may reach, for the budget (its patterns are bounded).
_FORMULA_MAX = 200


def _looks_like_names(text: str, words: Lexicon, budget: WorkBudget) -> bool:
    """Whether text reads as whom a greeting addresses rather than as the message itself."""
    budget.spend(len(text))
    names = folded(text)
    if not names or names in words.generic or names_a_group(names, words):
        return True  # "Globex team", "l'équipe Globex"
    for person in people(text, words, budget):
        tokens = person.split()
        if not 1 <= len(tokens) <= 4:
            return False
        for token in tokens:
            word = token.strip(".'’-")
            if word and not (
                word[0].isupper()
                or word.casefold() in NAME_PARTICLES
                or word.casefold() in words.honorifics  # "señor García", "madame Martin"
            ):
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
            and signature[-1] not in words.sentence_stops
        ):
            return last_break
    return end


def read_layout(body: str, words: Lexicon, budget: WorkBudget | None = None) -> Layout:
    budget = budget or unlimited()
    if words.address is not None:
        greeting = _address_greeting(body, words, budget)
    else:
        greeting = _greeting(body, words, budget)
    start = greeting.message_start if greeting else 0
    start = _after_opening_formula(body, start, words, budget)
    end = _sign_off_start(body, start, words, budget)
    return Layout(greeting=greeting, message=Span(start, max(start, end)))

"""The sentences of a draft's message, found by pysbd, the sentence segmenter.

pysbd is super-linear on some inputs (many abbreviations, initials or quotes on one
line), so it is only ever handed bounded chunks (see :func:`segmenter_chunks`), and its
work is counted against the :class:`~app.services.work.WorkBudget` at a higher rate than
a plain scan (it makes some forty passes over what it is given).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import pysbd  # type: ignore[import-untyped]

from app.services.drafting.languages import Lexicon
from app.services.drafting.layout import Span, word_before
from app.services.work import WorkBudget, unlimited

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


@lru_cache(maxsize=8)
def _sentence_break(stops: str) -> re.Pattern[str]:
    """Where a sentence surely ends: a stop and a space, or a stop written with no space
    after it (Japanese 。)."""
    if not stops:
        return _SENTENCE_BREAK
    return re.compile(rf"{_SENTENCE_BREAK.pattern}|[{re.escape(stops)}]")


def segmenter_chunks(
    text: str, budget: WorkBudget | None = None, stops: str = ""
) -> Iterator[Chunk]:
    """Split ``text`` into chunks of at most :data:`SEGMENTER_CHUNK_CHARS` characters and
    :data:`SEGMENTER_CHUNK_MARKS` marks, for pysbd to read one at a time.

    A text within both limits is one chunk. Otherwise each chunk is cut where a sentence
    surely ends: at the last line break in the second half of what the limits allow, else
    after the last full stop followed by a space there, else at a space, else (one word
    longer than a chunk) at the limit. Cutting in the second half means each chunk is at
    least half its window, so the text is read at most about twice. ``stops`` are the
    language's stops written with no space after them (Japanese 。！？)."""
    budget = budget or unlimited()
    sentence_break = _sentence_break(stops)
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
            breaks = [m.end() for m in sentence_break.finditer(text, middle - 1, limit)]
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
    for part in segmenter_chunks(text, budget, words.sentence_stops):
        chunk_start, chunk = part.start, text[part.start : part.end]
        if not chunk.strip():
            continue
        budget.spend(SEGMENTER_UNITS_PER_CALL + SEGMENTER_UNITS_PER_CHAR * len(chunk))
        cursor = 0
        # Located in order rather than with pysbd's char_span, which misplaces repeated
        # sentences; with clean=False the segments are verbatim slices of the text.
        segments = segmenter.segment(chunk)
        budget.spend(len(segments) * SEGMENTER_UNITS_PER_SEGMENT)
        for segment in _split_after_always_final(segments, words, budget):
            piece = segment.strip()
            budget.spend(len(segment))
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


def _split_after_always_final(
    segments: list[str], words: Lexicon, budget: WorkBudget
) -> Iterator[str]:
    """pysbd's segments, each cut again after a word that ends a sentence when a full stop
    and a capital follow, though pysbd's list of abbreviations holds it (Spanish "bien")."""
    pattern = words.always_final
    for segment in segments:
        if pattern is None:
            yield segment
            continue
        budget.spend(len(segment) + 1)
        start = 0
        for match in pattern.finditer(segment):
            opening = match.group("next")
            if opening.isalpha() and not opening.isupper():
                continue  # "bien. y…": the sentence goes on
            yield segment[start : match.end()]
            start = match.end()
        yield segment[start:]


def _ends_with_never_final(body: str, sentence: Span, words: Lexicon, budget: WorkBudget) -> bool:
    """Whether the sentence ends with an abbreviation that never ends one ("Mr.")."""
    if sentence.end <= sentence.start or body[sentence.end - 1] != ".":
        return False
    stop = sentence.end - 1
    word = word_before(body, stop, words.longest_never_final, budget)
    # The word must lie within the sentence, as when the sentence alone was searched.
    word = word[max(0, len(word) - (stop - sentence.start)) :]
    return bool(word) and words.is_never_final(word)

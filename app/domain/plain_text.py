"""Which characters plain text may hold, and how stored text is made safe for other formats.

Two kinds of text field exist. A *single-line* field (a name, a title, a subject line) ends
up in places where a line break changes the meaning of what follows: an iCalendar property,
an email header, a one-line label. It holds no control character at all: no C0 (tab, line
feed and carriage return included), no DEL, no C1 (U+0080-U+009F, NEL among them) and no
Unicode line or paragraph separator (U+2028, U+2029). A *multi-line* field (a note, a
message body) may hold tab, line feed and carriage return, and the Unicode separators, but
no other control character: no NUL (PostgreSQL cannot even store it), DEL or C1.

Validation refuses the rest on the way in; rows stored before that rule existed are passed
through ``one_line`` or ``lines`` on the way out.
"""

from __future__ import annotations

import re

# Every character a single-line field refuses: C0, DEL, C1, LINE and PARAGRAPH SEPARATOR.
NOT_IN_ONE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# Every character a multi-line field refuses: control characters that are not whitespace.
NOT_IN_LINES = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Whatever breaks a line in some reader: CRLF, CR, LF, VT, FF, NEL, U+2028, U+2029.
_LINE_BREAK = re.compile("\r\n|[\r\n\x0b\x0c\x85\u2028\u2029]")
_RUN_OF_BREAKS_AND_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_CONTROLS_BUT_TAB_AND_LF = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def first_refused(text: str, *, single_line: bool) -> str | None:
    """The first character ``text`` may not hold (None when it is clean)."""
    found = (NOT_IN_ONE_LINE if single_line else NOT_IN_LINES).search(text)
    return found.group() if found is not None else None


def describe(character: str) -> str:
    """A character as a person can read it in an error message, e.g. ``U+000A``."""
    return f"U+{ord(character):04X}"


def one_line(text: str) -> str:
    """``text`` as one line: each run of line breaks and control characters (with the
    spaces around it) becomes one space, so words a stored newline separated stay apart."""
    # Split and join rather than one pattern with the spaces in it, which would backtrack
    # over long runs of spaces: this stays linear in the length of the text.
    pieces = (piece.strip(" ") for piece in _RUN_OF_BREAKS_AND_CONTROLS.split(text))
    return " ".join(piece for piece in pieces if piece)


def lines(text: str) -> str:
    """``text`` with every kind of line break written as LF, and no other control
    character than tab and LF."""
    return _CONTROLS_BUT_TAB_AND_LF.sub("", _LINE_BREAK.sub("\n", text))

"""Bodies that have made the draft checker slow, and others built the same way.

A plain module, imported by the checker's tests (each body must cost work linear in its
length) and by the benchmark (the slowest of them, against an ordinary draft). Each body
is at most the checker's maximum body length (20,000 characters, ``DraftCheck.body``).
"""

from __future__ import annotations

MAX_BODY = 20_000


def _fill(unit: str, prefix: str = "", suffix: str = "") -> str:
    """``prefix``, then ``unit`` repeated, then ``suffix``, cut to the maximum length."""
    repeats = max(0, (MAX_BODY - len(prefix) - len(suffix)) // max(1, len(unit)))
    return (prefix + unit * repeats + suffix)[:MAX_BODY]


ORDINARY_DRAFT = (
    "Dear Grace,\n\nThank you for taking the time to meet with me today about the Staff "
    "Engineer role. I enjoyed hearing how the platform team ships, and my years of running "
    "migrations at scale feel like a strong fit. I look forward to hearing from you.\n\n"
    "Best regards,\nAda Lovelace"
)

# (name, body): the bodies found by probing first, then others of the same families.
CHECKER_CORPUS: list[tuple[str, str]] = [
    # Found by probing (issue 12): minutes, or seconds, before the checker was made linear.
    ("greeting, long word, initials", ("Dear " + "x" * 9000 + " " + "b. " * 3600)[:MAX_BODY]),
    ("ordinal indicators", "ª." * 10000),
    ("greeting, initials", ("Dear " + "a. " * 6666)[:MAX_BODY]),
    ("initials", "a. " * 6666),
    ("initials on CRLF lines", "a.\r\n" * 5000),
    ("abbreviations", "Ab. " * 5000),
    # The same families, and the other passes' worst cases.
    ("greeting, one long word", "Dear " + "x" * (MAX_BODY - 6) + "."),
    ("greeting, honorifics", _fill("Dr. ", "Dear ")),
    ("greeting, initials without spaces", _fill("A.", "Hi ")),
    ("greeting, spaces then a name", "Dear a" + " " * (MAX_BODY - 9) + "b,"),
    ("greeting, many names", _fill("Ann and ", "Dear ", "Bo,")),
    ("capital initials", _fill("A. B. ")),
    ("never-final abbreviations", _fill("Mr. ")),
    ("one long word after a full stop", "Mr. " + "x" * (MAX_BODY - 5) + "."),
    ("full stops", "." * MAX_BODY),
    ("question and exclamation marks", _fill("?!")),
    ("ellipses", _fill("... ")),
    ("spaced ellipses", _fill(" . . .")),
    ("numbered list", _fill("1. x\n")),
    ("lettered list", _fill("a) ")),
    ("roman numerals", _fill("iv. ")),
    ("decimals", _fill("3.14 ")),
    ("abbreviations with several stops", _fill("U.S.A. ")),
    ("e.g.", _fill("e.g. ")),
    ("emails", _fill("a.b@c.d ")),
    ("double quotes", _fill('"a ')),
    ("single quotes", _fill("a' ")),
    ("curly quotes", _fill("“a ")),
    ("parentheses", _fill("(a ")),
    ("quoted parentheses", _fill('" (a) " ')),
    ("bare CRs", _fill("a.\r")),
    ("blank lines", _fill("\n\n")),
    ("CR LF", _fill("\r\n")),
    ("spaces", " " * (MAX_BODY - 1) + "a"),
    ("tabs then a sign-off", "Best" + "\t" * (MAX_BODY - 5) + "x"),
    ("sign-off lines", _fill("Best,\n")),
    ("sign-off, spaces after the comma", "Thanks." + " Best," + " " * (MAX_BODY - 20) + "Ada"),
    ("inline sign-offs", _fill("best, ")),
    ("pushy phrases", _fill("ASAP ")),
    ("overlapping pushy phrases", _fill("I need an answer by Friday. ")),
    ("interest words", _fill("still ")),
    ("placeholder openings", "{" * MAX_BODY),
    ("placeholder brackets", _fill("[Ab ")),
    ("X runs", "X" * (MAX_BODY - 1) + "a"),
    ("non-ASCII letters and stops", _fill("é. ")),
    ("ordinal indicators with spaces", _fill("ª. ")),
    ("full-width stops", _fill("a。")),
    ("long line without stops", _fill("word ")),
    ("long line, one stop", "Hi. " + _fill("word ")[4:]),
    ("ordinary draft, repeated", _fill(ORDINARY_DRAFT + "\n")),
]

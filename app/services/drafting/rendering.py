"""Rendering one draft template in the sandbox: compiled once, streamed, tidied.

Templates see plain data only (dicts, lists and strings, see
:mod:`~app.services.drafting.context`), never ORM objects; the sandbox
(:mod:`~app.services.drafting.sandbox`) refuses attribute access outside that data, method
calls, imports and runaway output, and counts the render's work against its budget.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from types import TracebackType
from typing import Any

from jinja2 import Template, TemplateSyntaxError, UndefinedError, nodes
from jinja2.exceptions import SecurityError, TemplateError

from app.domain import DEFAULT_LANGUAGE
from app.domain.draft_templates import MAX_NESTING, MAX_TEMPLATE_OUTPUT
from app.services.drafting.languages import Lexicon, lexicon
from app.services.drafting.sandbox import (
    DraftEnvironment,
    TemplateTooLarge,
    bounded_render,
    make_environment,
)
from app.services.work import WorkBudget, WorkTooLarge


@dataclass(frozen=True)
class TemplateProblem:
    """Why a template cannot be used, with the line it happened on when known."""

    code: str
    message: str
    line: int | None = None

    def describe(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


class TemplateRejected(Exception):
    def __init__(self, problem: TemplateProblem) -> None:
        super().__init__(problem.describe())
        self.problem = problem


def template_line(traceback: TracebackType | None) -> int | None:
    """The template line an error was raised on, when it was raised in template code."""
    line = None
    while traceback is not None:
        if traceback.tb_frame.f_code.co_filename == "<template>":
            line = traceback.tb_lineno
        traceback = traceback.tb_next
    return line


def syntax_problem(exc: TemplateSyntaxError) -> TemplateProblem:
    return TemplateProblem("template_syntax", exc.message or "syntax error", exc.lineno)


def _rejected(code: str, message: str, exc: BaseException) -> TemplateRejected:
    """The template refused for ``exc``, on the template line it was raised on."""
    return TemplateRejected(TemplateProblem(code, message, template_line(exc.__traceback__)))


# --- the environment --------------------------------------------------------------------


class MissingValue(TemplateError):
    """A template printed a value that is not known (None) without guarding it."""


def _finalize(value: Any) -> Any:
    if value is None:
        raise MissingValue(
            "printed a value that can be missing without a guard; wrap it in "
            "{% if … %} … {% endif %} or give it a default with `| default('…', true)`"
        )
    return value


# Where one sentence of free text ends and another begins, in any script: a stop after a
# letter, digit or closing bracket, then white space and a letter, an opening mark (¿ ¡)
# or an opening quote; or a stop written with no space after it (Japanese 。！？) with
# more text after it. Whether the letters around it are capitals is told in code:
# Python's patterns have no class for them. Each run of stops is read once, from its
# start, and never given back (a long run of them costs its length, not its square).
_SENTENCE_BREAK = re.compile(
    r"(?:(?<=[^\W_])|(?<=[)\]）」』»”’\"]))[.!?]++\s++(?P<next>[^\W\d_]|[¿¡«“„‘\"(])"
    r"|(?<![。．！？])[。．！？]++(?=\S)"
)
# White space made one plain space, except a lone no-break space (French "12 mars : …").
_SPACES = re.compile(r"[^\S\u00a0\u202f]+|\s{2,}")
CLAUSE_SEPARATOR_MAX = 8
_CLAUSE_END = " .!?;。．！？、\u00a0\u202f"


def _clause(value: Any, separator: str = "; ", *, words: Lexicon) -> str:
    """Free text (e.g. a next step) made to sit inside one sentence: each sentence break
    becomes ``separator`` ("; " by default; "\u202f; " in French, "、" in Japanese), and
    the final stop goes. An abbreviation of the template's language (``words``) ends no
    sentence."""
    separator = str(separator)
    if len(separator) > CLAUSE_SEPARATOR_MAX:
        # Each break is replaced by it: a long one would multiply the text.
        raise SecurityError(
            f"`clause` takes a separator of at most {CLAUSE_SEPARATOR_MAX} characters"
        )
    text = _SPACES.sub(" ", str(value)).strip()
    inverted = "¿" in text or "¡" in text

    def joined(match: re.Match[str]) -> str:
        following = match.group("next")
        if following is None:  # 。！？ with more text after it
            return separator
        if (
            _abbreviation_before(text, match.start(), words)
            or (following.isalpha() and not following.isupper())
            # Spanish opens its questions and exclamations: "¡Genial! Nos vemos" keeps them.
            or (match.group()[0] in "?!" and inverted)
        ):
            return match.group()
        return separator + following

    text = _SENTENCE_BREAK.sub(joined, text).rstrip(_CLAUSE_END)
    # The separator as a suffix, not as a set of characters: " then " must not eat an "n".
    while separator and text.endswith(separator):
        text = text[: -len(separator)].rstrip(_CLAUSE_END)
    # A last question or exclamation opened with ¿ or ¡ keeps its closing mark.
    for opening, closing in (("¿", "?"), ("¡", "!")):
        if text.rfind(opening) > text.rfind(closing):
            return text + closing
    return text


def _abbreviation_before(text: str, stop: int, words: Lexicon) -> bool:
    """Whether the word before a full stop at ``stop`` is an initial ("U.S.", "J. Smith")
    or one of the language's abbreviations that never end a sentence ("Dr.", "Nr."),
    after which a capital is no new sentence."""
    longest = words.longest_never_final
    start = stop
    while start > 0 and text[start - 1].isalpha() and stop - start <= longest:
        start -= 1
    word = text[start:stop]
    if start > 0 and text[start - 1].isalpha():
        return False  # longer than any abbreviation
    return (len(word) == 1 and word.isupper()) or words.is_never_final(word)


@lru_cache(maxsize=8)
def environment(language: str) -> DraftEnvironment:
    """The sandbox for templates written in ``language``: the same filters in each, but
    `clause` reads that language's abbreviations ("me." ends an English sentence, though
    "Me" is a French title). KeyError for a language with no data folder."""
    words = lexicon(language)

    def clause(value: Any, separator: str = "; ") -> str:
        # A closure, not a partial: a template cannot hand the filter other words.
        return _clause(value, separator, words=words)

    return make_environment(_finalize, {"clause": clause})


@lru_cache(maxsize=256)
def _compiled(source: str, language: str) -> Template:
    # Compiling is the slow part of a first render; validation renders each part on every
    # sample, and a stored template is rendered on every draft. A compiled template keeps
    # the environment, and so the `clause`, of its language.
    return environment(language).from_string(parse_template(source))


def parse_template(source: str) -> nodes.Template:
    """The template's syntax tree, refused when it nests deeper than MAX_NESTING: the
    parser and the compiler recurse once per level, so a deep template would exhaust the
    interpreter's stack or take seconds to compile."""
    try:
        # Parsing reads no filter: every language's sandbox parses a template alike.
        tree = environment(DEFAULT_LANGUAGE).parse(source)
    except RecursionError:
        raise TemplateRejected(
            TemplateProblem("template_too_deep", f"nests deeper than {MAX_NESTING} levels")
        ) from None
    depth = _depth(tree)
    if depth > MAX_NESTING:
        raise TemplateRejected(
            TemplateProblem(
                "template_too_deep", f"nests {depth} levels deep; at most {MAX_NESTING}"
            )
        )
    return tree


def _depth(tree: nodes.Node) -> int:
    deepest = 0
    pending = [(tree, 1)]
    while pending:
        node, depth = pending.pop()
        deepest = max(deepest, depth)
        pending.extend((child, depth + 1) for child in node.iter_child_nodes())
    return deepest


def _tidy(text: str) -> str:
    """Trailing spaces and runs of blank lines removed, so templates may be written loosely."""
    lines = [re.sub(r"(?<=\S)[ \t]{2,}", " ", line.rstrip()) for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))


# --- rendering --------------------------------------------------------------------------


def render_template(
    source: str,
    context: Mapping[str, Any],
    budget: WorkBudget,
    *,
    language: str,
    field: str = "body.body",
    what: str | None = None,
) -> str:
    """Render one template, written in ``language``, in the sandbox, counting its work
    against ``budget``.

    TemplateRejected says why a template failed; WorkTooLarge, naming ``field``, that it
    tried to build, loop or print more than one request may (``what`` names the template
    in its message, the budget's own ``what`` by default).
    """
    what = what or budget.what
    try:
        with bounded_render(budget):
            budget.spend(len(source))  # parsing and compiling read it a few times
            output = _stream(_compiled(source, language), context, budget)
    except TemplateRejected:
        raise
    except TemplateSyntaxError as exc:
        raise TemplateRejected(syntax_problem(exc)) from exc
    except TemplateTooLarge as exc:
        where = _where(exc.__traceback__)
        raise WorkTooLarge(field, f"{what} ({where}{exc.detail})") from exc
    except WorkTooLarge as exc:
        where = _where(exc.__traceback__)
        detail = f"past the budget of {budget.limit:,} units of loop passes, text and calls"
        raise WorkTooLarge(field, f"{what} ({where}{detail})") from exc
    except SecurityError as exc:
        raise _rejected("template_forbidden", str(exc), exc) from exc
    except UndefinedError as exc:
        code = "template_forbidden" if "unsafe" in str(exc) else "template_unknown_variable"
        raise _rejected(code, str(exc), exc) from exc
    except MissingValue as exc:
        raise _rejected("template_missing_value", str(exc), exc) from exc
    except Exception as exc:
        raise _rejected("template_render_failed", f"{type(exc).__name__}: {exc}", exc) from exc
    return _tidy(output)


def _where(traceback: TracebackType | None) -> str:
    line = template_line(traceback)
    return f"line {line}: " if line else ""


def _stream(template: Template, context: Mapping[str, Any], budget: WorkBudget) -> str:
    """The template's output, stopped as soon as it passes MAX_TEMPLATE_OUTPUT: the
    template is run piece by piece, so the text past the limit is never built."""
    pieces: list[str] = []
    length = 0
    chunks = template.generate(dict(context))
    try:
        for chunk in chunks:
            length += len(chunk)
            if length > MAX_TEMPLATE_OUTPUT:
                raise TemplateRejected(
                    TemplateProblem(
                        "template_render_failed",
                        f"renders more than {MAX_TEMPLATE_OUTPUT} characters; "
                        f"the limit is {MAX_TEMPLATE_OUTPUT}",
                    )
                )
            budget.spend(len(chunk))
            pieces.append(chunk)
    finally:
        if isinstance(chunks, Generator):
            chunks.close()  # stops the template where it is
    return "".join(pieces)

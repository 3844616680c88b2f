"""Drafts: the ready message for an action, rendered from sandboxed Jinja2 templates.

The text of every built-in template lives in ``app/templates/drafts/<language>/``; a
tenant may replace any of them through the API. Templates see plain data only (dicts,
lists and strings built here from the records), never ORM objects, and the sandbox
refuses attribute access outside that data, method calls, imports and runaway output.
A tenant's template is validated on save: it must parse, use only the documented
variables, render on every sample context, and keep every sample within the etiquette.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from types import TracebackType
from typing import Any, Literal, get_args

from annotated_types import MaxLen
from jinja2 import Template, TemplateSyntaxError, UndefinedError, nodes
from jinja2.exceptions import SecurityError, TemplateAssertionError, TemplateError
from jinja2.meta import find_undeclared_variables
from pydantic import StringConstraints
from sqlalchemy.ext.asyncio import AsyncSession

from app import domain
from app.db import models
from app.domain import plain_text
from app.errors import FieldError, InvalidInput, NotFound
from app.repositories import drafts as draft_repo
from app.repositories import templates as template_repo
from app.repositories.owners import Owner
from app.schemas import common as common_schemas
from app.schemas.resources import InterviewCreate
from app.services import actions as action_service
from app.services import draft_checker
from app.services.draft_checker import (
    DEFAULT_LANGUAGE,
    NETWORK_NOTE_LIMIT,
    DraftPart,
    Expectations,
    MessageKind,
    Report,
    Severity,
    available_languages,
    check,
    kind_for_action,
)
from app.services.draft_checker import Draft as CheckedDraft
from app.services.template_sandbox import (
    ALLOWED_FILTERS,
    DraftEnvironment,
    TemplateTooLarge,
    bounded_render,
    make_environment,
)
from app.services.work import WorkBudget, WorkTooLarge

TemplateSource = Literal["built_in", "tenant"]

MAX_TEMPLATE_OUTPUT = 10_000  # characters; far beyond any etiquette limit
MAX_NESTING = 32  # levels of blocks and expressions; the built-in templates use 8

# Every variable a template sees, with its fields; the API documents the same list.
TEMPLATE_VARIABLES: dict[str, dict[str, str]] = {
    "candidate": {
        "name": "The candidate's full name (signs the message).",
        "first_name": "The candidate's first name.",
    },
    "application": {
        "company": "The hiring company.",
        "role": "The job title applied for.",
        "recruiting_firm": "The recruiting firm's name, or none.",
    },
    "recipient": {
        "name": "The person's full name, or none when not known.",
        "first_name": "Their first name, or none.",
        "title": "Their job title, or none.",
        "organization": "Their company or firm, or none.",
        "is_recruiting_firm_rep": "Whether they represent a recruiting firm (true/false).",
        "has_email": "Whether their email address is known (true/false).",
        "profile_url": "Their professional-network profile, or none.",
    },
    "interview": {
        "kind": "`prescreen`, `phone`, `video` or `onsite`, or none.",
        "kind_label": "The kind as it reads in a sentence, e.g. `on-site`.",
        "date": "The interview's date in the candidate's time zone, e.g. `Tuesday, "
        "December 1, 2026`, or none.",
        "weekday": "The interview's weekday, e.g. `Tuesday`, or none.",
        "next_step": "The next step the interviewer described, or none.",
        "expected_reply_date": "When they said to expect news, as a date text, or none.",
    },
    "panel": {
        "name": "A panel member's name, or none.",
        "title": "Their job title, or none.",
        "is_recruiting_firm_rep": "Whether they represent a recruiting firm.",
        "reachable": "Whether their email or phone is known.",
    },
    "action": {
        "type": "The action type, e.g. `send_thank_you`.",
        "channel": "The channel, e.g. `email`.",
        "due_date": "The date the action is due, as a date text.",
    },
}
LIST_VARIABLES = frozenset({"panel"})  # a list of dicts with the fields above


def variables_help() -> str:
    """The template variables as a Markdown list, for the API documentation."""
    lines = []
    for name, fields in TEMPLATE_VARIABLES.items():
        shape = "a list of people, each with" if name in LIST_VARIABLES else "with"
        lines.append(f"- `{name}`, {shape} " + ", ".join(f"`{f}`" for f in fields))
    return "\n".join(lines)


def filters_help() -> str:
    """The filters templates may use, for the API documentation."""
    return ", ".join(f"`{name}`" for name in sorted(ALLOWED_FILTERS))


# --- the sandbox ------------------------------------------------------------------------


class MissingValue(TemplateError):
    """A template printed a value that is not known (None) without guarding it."""


def _finalize(value: Any) -> Any:
    if value is None:
        raise MissingValue(
            "printed a value that can be missing without a guard; wrap it in "
            "{% if … %} … {% endif %} or give it a default with `| default('…', true)`"
        )
    return value


_SENTENCE_BREAK = re.compile(r"(?<=[a-z0-9)])[.!?]+\s+(?=[A-Z])")


def _clause(value: Any) -> str:
    """Free text (e.g. a next step) made to sit inside one sentence."""
    text = " ".join(str(value).split())
    text = _SENTENCE_BREAK.sub("; ", text)
    return text.rstrip(" .!?;")


@lru_cache(maxsize=1)
def environment() -> DraftEnvironment:
    return make_environment(_finalize, {"clause": _clause})


@lru_cache(maxsize=256)
def _compiled(source: str) -> Template:
    # Compiling is the slow part of a first render; validation renders each part on every
    # sample, and a stored template is rendered on every draft.
    return environment().from_string(_parse(source))


def _parse(source: str) -> nodes.Template:
    """The template's syntax tree, refused when it nests deeper than MAX_NESTING: the
    parser and the compiler recurse once per level, so a deep template would exhaust the
    interpreter's stack or take seconds to compile."""
    try:
        tree = environment().parse(source)
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


# --- template problems ------------------------------------------------------------------


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


def _template_line(traceback: TracebackType | None) -> int | None:
    line = None
    while traceback is not None:
        if traceback.tb_frame.f_code.co_filename == "<template>":
            line = traceback.tb_lineno
        traceback = traceback.tb_next
    return line


def _static_problems(source: str) -> list[TemplateProblem]:
    """What can be refused without rendering: syntax, unknown names, forbidden reaches."""
    env = environment()
    try:
        tree = _parse(source)
    except TemplateSyntaxError as exc:
        return [TemplateProblem("template_syntax", exc.message or "syntax error", exc.lineno)]
    except TemplateRejected as exc:
        return [exc.problem]
    problems = []
    try:
        declared = find_undeclared_variables(tree)
    except TemplateAssertionError as exc:
        # A filter or test this sandbox does not have (some of Jinja2's are left out).
        filters = ", ".join(f"`{name}`" for name in sorted(env.filters))
        message = f"{exc.message}; the filters are {filters}"
        problems.append(TemplateProblem("template_forbidden", message, exc.lineno))
        declared = set()
    unknown = sorted(declared - TEMPLATE_VARIABLES.keys())
    for variable in unknown:
        problems.append(
            TemplateProblem(
                "template_unknown_variable",
                f"`{variable}` is not a template variable; the variables are "
                + ", ".join(f"`{v}`" for v in TEMPLATE_VARIABLES),
            )
        )
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        assert isinstance(node, nodes.Getattr | nodes.Getitem)
        name = node.attr if isinstance(node, nodes.Getattr) else _constant(node.arg)
        if name is None:
            continue
        if name.startswith("_"):
            problems.append(
                TemplateProblem(
                    "template_forbidden",
                    f"reaches for `{name}`, which is outside the template's variables",
                    node.lineno,
                )
            )
            continue
        root = node.node
        if (
            isinstance(root, nodes.Name)
            and root.name in TEMPLATE_VARIABLES
            and root.name not in LIST_VARIABLES
            and name not in TEMPLATE_VARIABLES[root.name]
        ):
            fields = ", ".join(f"`{f}`" for f in TEMPLATE_VARIABLES[root.name])
            problems.append(
                TemplateProblem(
                    "template_unknown_variable",
                    f"`{root.name}.{name}` is not a template variable; `{root.name}` has {fields}",
                    node.lineno,
                )
            )
    for name_node in tree.find_all(nodes.Name):
        assert isinstance(name_node, nodes.Name)
        if name_node.name == "self":
            problems.append(
                TemplateProblem(
                    "template_forbidden",
                    "reaches for `self`, which is outside the template's variables",
                    name_node.lineno,
                )
            )
    for const in tree.find_all(nodes.Const):
        if isinstance(const.value, str) and "__" in const.value:
            problems.append(
                TemplateProblem(
                    "template_forbidden",
                    f"reaches for `{const.value}`, which is outside the template's variables",
                    const.lineno,
                )
            )
    for call in tree.find_all((nodes.Call, nodes.CallBlock)):
        problems.append(
            TemplateProblem(
                "template_forbidden",
                "templates may not call functions, methods or macros; use filters such as "
                "`| upper` instead",
                call.lineno,
            )
        )
    for other in tree.find_all((nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)):
        problems.append(
            TemplateProblem(
                "template_forbidden", "templates may not include other templates", other.lineno
            )
        )
    return problems


def _constant(node: nodes.Node) -> str | None:
    return node.value if isinstance(node, nodes.Const) and isinstance(node.value, str) else None


def render(
    source: str,
    context: Mapping[str, Any],
    budget: WorkBudget,
    *,
    field: str = "body.body",
    what: str | None = None,
) -> str:
    """Render one template in the sandbox, counting its work against ``budget``.

    TemplateRejected says why a template failed; WorkTooLarge, naming ``field``, that it
    tried to build, loop or print more than one request may (``what`` names the template
    in its message, the budget's own ``what`` by default).
    """
    what = what or budget.what
    try:
        with bounded_render(budget):
            budget.spend(len(source))  # parsing and compiling read it a few times
            output = _stream(_compiled(source), context, budget)
    except TemplateRejected:
        raise
    except TemplateSyntaxError as exc:
        raise TemplateRejected(
            TemplateProblem("template_syntax", exc.message or "syntax error", exc.lineno)
        ) from exc
    except TemplateTooLarge as exc:
        where = _where(exc.__traceback__)
        raise WorkTooLarge(field, f"{what} ({where}{exc.detail})") from exc
    except WorkTooLarge as exc:
        where = _where(exc.__traceback__)
        detail = f"past the budget of {budget.limit:,} units of loop passes, text and calls"
        raise WorkTooLarge(field, f"{what} ({where}{detail})") from exc
    except SecurityError as exc:
        line = _template_line(exc.__traceback__)
        raise TemplateRejected(TemplateProblem("template_forbidden", str(exc), line)) from exc
    except UndefinedError as exc:
        line = _template_line(exc.__traceback__)
        code = "template_forbidden" if "unsafe" in str(exc) else "template_unknown_variable"
        raise TemplateRejected(TemplateProblem(code, str(exc), line)) from exc
    except MissingValue as exc:
        line = _template_line(exc.__traceback__)
        raise TemplateRejected(TemplateProblem("template_missing_value", str(exc), line)) from exc
    except Exception as exc:
        line = _template_line(exc.__traceback__)
        raise TemplateRejected(
            TemplateProblem("template_render_failed", f"{type(exc).__name__}: {exc}", line)
        ) from exc
    return _tidy(output)


def _where(traceback: TracebackType | None) -> str:
    line = _template_line(traceback)
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


# --- templates: built-in and the tenant's -----------------------------------------------


@dataclass(frozen=True)
class TemplatePair:
    """The subject and body templates of one message kind in one language."""

    kind: MessageKind
    language: str
    subject: str | None
    body: str
    source: TemplateSource
    updated_at: datetime | None = None


@lru_cache(maxsize=64)
def built_in_template(kind: MessageKind, language: str = DEFAULT_LANGUAGE) -> TemplatePair:
    folder = draft_checker.LANGUAGES_DIR / language
    subject_path = folder / f"{kind.value}.subject.j2"
    subject = subject_path.read_text(encoding="utf-8") if kind.has_subject else None
    body = (folder / f"{kind.value}.body.j2").read_text(encoding="utf-8")
    return TemplatePair(kind, language, subject, body, "built_in")


def check_language(language: str, field: str) -> str:
    if language not in available_languages():
        allowed = ", ".join(available_languages())
        raise InvalidInput.on_field(
            field, f"no drafts in `{language}`; available: {allowed}", "enum"
        )
    return language


def _pair_of(record: models.DraftTemplate) -> TemplatePair:
    return TemplatePair(
        MessageKind(record.kind),
        record.language,
        record.subject,
        record.body,
        "tenant",
        record.updated_at,
    )


async def effective_template(
    session: AsyncSession, tenant_id: str, kind: MessageKind, language: str
) -> TemplatePair:
    """The tenant's template for the kind, else the built-in one."""
    record = await template_repo.get_template(session, tenant_id, kind.value, language)
    return _pair_of(record) if record else built_in_template(kind, language)


async def list_templates(
    session: AsyncSession, tenant_id: str, language: str
) -> list[TemplatePair]:
    stored = {
        record.kind: record
        for record in await template_repo.list_templates(session, tenant_id, language)
    }
    return [
        _pair_of(stored[kind.value]) if kind.value in stored else built_in_template(kind, language)
        for kind in MessageKind
    ]


async def save_template(
    session: AsyncSession,
    tenant_id: str,
    kind: MessageKind,
    language: str,
    subject: str | None,
    body: str,
) -> TemplatePair:
    """Store the tenant's template (replacing any); validate_template() has passed it."""
    record = await template_repo.save_template(
        session, tenant_id, kind.value, language, subject, body
    )
    return _pair_of(record)


async def delete_template(
    session: AsyncSession, tenant_id: str, kind: MessageKind, language: str
) -> None:
    record = await template_repo.get_template(session, tenant_id, kind.value, language)
    if record is None:
        raise NotFound(f"This tenant has no `{language}` template of its own for `{kind}`.")
    await template_repo.delete_template(session, record)


# --- validation on samples --------------------------------------------------------------


def _person(
    name: str | None,
    title: str | None = None,
    *,
    rep: bool = False,
    email: bool = True,
    profile_url: str | None = None,
    organization: str | None = None,
) -> dict[str, Any]:
    return {
        "name": name,
        "first_name": _first_name(name),
        "title": title,
        "organization": organization,
        "is_recruiting_firm_rep": rep,
        "has_email": email,
        "profile_url": profile_url,
    }


def _panel_member(person: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "name": person["name"],
        "title": person["title"],
        "is_recruiting_firm_rep": person["is_recruiting_firm_rep"],
        "reachable": person["has_email"],
    }


def _sample(
    recipient: dict[str, Any],
    panel: Sequence[Mapping[str, Any]],
    *,
    interview: bool = True,
    next_step: str | None = None,
    firm: str | None = None,
) -> dict[str, Any]:
    return {
        "candidate": {"name": "Ada Lovelace", "first_name": "Ada"},
        "application": {"company": "Globex", "role": "Staff Engineer", "recruiting_firm": firm},
        "recipient": recipient,
        "interview": {
            "kind": "onsite" if interview else None,
            "kind_label": "on-site" if interview else "",
            "date": "Tuesday, December 1, 2026" if interview else None,
            "weekday": "Tuesday" if interview else None,
            "next_step": next_step,
            "expected_reply_date": "Friday, December 11, 2026" if next_step else None,
        },
        "panel": [_panel_member(person) for person in panel],
        "action": {
            "type": "send_thank_you",
            "channel": "email",
            "due_date": "Wednesday, December 2, 2026",
        },
    }


def _samples() -> dict[str, dict[str, Any]]:
    """Contexts a tenant's template must render well on: full, sparse, recruiting firm."""
    grace = _person("Grace Hopper", "VP Engineering", profile_url="https://example.com/in/grace")
    alan = _person("Alan Turing", "Staff Engineer", email=False)
    rep = _person("Sam Okafor", "Senior Recruiter", rep=True, organization="Hooli Talent")
    return {
        "a named interviewer with a next step": _sample(
            grace, [grace, alan], next_step="a second interview with the CTO next week"
        ),
        "nothing known beyond the essentials": _sample(
            _person(None, email=False), [], interview=False
        ),
        "a recruiting-firm representative": _sample(
            rep, [rep], next_step="Sam will share feedback by Friday", firm="Hooli Talent"
        ),
    }


def _max_length(annotated: Any) -> int:
    """The longest text the API accepts for a field of this type."""
    return next(
        rule.max_length
        for rule in get_args(annotated)[1:]
        if isinstance(rule, StringConstraints) and rule.max_length is not None
    )


# The largest values a stored record may hold, read from the API's own schemas so the
# worst case follows them when they change.
NAME_MAX = _max_length(common_schemas.Name)
SHORT_TEXT_MAX = _max_length(common_schemas.ShortText)
LONG_TEXT_MAX = _max_length(common_schemas.LongText)
URL_MAX = _max_length(common_schemas.Url)
PANEL_MAX = next(
    rule.max_length
    for rule in InterviewCreate.model_fields["panel"].metadata
    if isinstance(rule, MaxLen)
)


def _longest(text: str, limit: int) -> str:
    return (text * (limit // len(text) + 1))[:limit]


def _worst_case_sample() -> dict[str, Any]:
    """Every value at its longest and present, and the largest panel: the input a
    template's cost grows with. A template is rendered on it for its cost and its size,
    not held to the etiquette (no real draft has all of this at once)."""
    name = _longest("Wolfeschlegelsteinhausen", NAME_MAX)  # one word: first name too
    title = _longest("Senior Principal Staff Engineer, ", SHORT_TEXT_MAX)
    url = "https://example.com/in/" + _longest("x", URL_MAX - 23)
    person = _person(name, title, rep=True, profile_url=url, organization=title)
    panel = [person] * PANEL_MAX
    next_step = _longest("A second interview with the whole team. ", LONG_TEXT_MAX)
    context = _sample(person, panel, next_step=next_step, firm=title)
    context["candidate"] = {"name": name, "first_name": name}
    context["application"].update(company=title, role=title)
    return context


WORST_CASE = "every value at its longest and the largest panel"


def validate_template(
    kind: MessageKind, language: str, subject: str | None, body: str, budget: WorkBudget
) -> None:
    """Refuse a template that breaks, reaches outside its variables, breaks the etiquette,
    or costs more than ``budget`` on the most demanding input a draft can have.

    Raises InvalidInput naming `body.subject` or `body.body` for each problem found, and
    WorkTooLarge naming the part that was too costly.
    """
    errors: list[FieldError] = []
    if kind.has_subject and not (subject or "").strip():
        errors.append(FieldError("body.subject", f"a `{kind}` message needs a subject", "missing"))
    if not kind.has_subject and subject is not None:
        errors.append(
            FieldError("body.subject", f"a `{kind}` message has no subject line", "not_allowed")
        )
    parts = {"body.body": body}
    if kind.has_subject and subject:
        parts["body.subject"] = subject
    statically_clean = True
    for field, source in parts.items():
        for problem in _static_problems(source):
            statically_clean = False
            errors.append(FieldError(field, problem.describe(), problem.code))
    if statically_clean and not errors:
        errors.extend(_worst_case_problems(parts, budget))
    if statically_clean and not errors:
        errors.extend(_sample_problems(kind, language, parts, budget))
    if errors:
        unique = list(dict.fromkeys(errors))
        summary = "; ".join(f"{e.field}: {e.message}" for e in unique[:3])
        raise InvalidInput(f"The template was refused. {summary}", errors=unique)


def _worst_case_problems(parts: Mapping[str, str], budget: WorkBudget) -> list[FieldError]:
    """Render on the worst case first: a template too costly there is refused before the
    ordinary samples spend anything."""
    context = _worst_case_sample()
    errors = []
    for field, source in parts.items():
        try:
            render(source, context, budget, field=field, what=f"the template on {WORST_CASE}")
        except TemplateRejected as exc:
            problem = exc.problem
            errors.append(FieldError(field, f"on {WORST_CASE}: {problem.describe()}", problem.code))
    return errors


def _sample_problems(
    kind: MessageKind, language: str, parts: Mapping[str, str], budget: WorkBudget
) -> list[FieldError]:
    errors = []
    for sample_name, context in _samples().items():
        rendered: dict[str, str] = {}
        for field, source in parts.items():
            try:
                rendered[field] = render(
                    source,
                    context,
                    budget,
                    field=field,
                    what=f"the template on the sample with {sample_name}",
                )
            except TemplateRejected as exc:
                problem = exc.problem
                errors.append(
                    FieldError(
                        field,
                        f"on the sample with {sample_name}: {problem.describe()}",
                        problem.code,
                    )
                )
        if len(rendered) != len(parts):
            continue
        report = check(
            CheckedDraft(
                kind=kind, body=rendered["body.body"], subject=rendered.get("body.subject")
            ),
            Expectations(recipient_name=context["recipient"]["name"]),
            language,
            budget=budget,
        )
        for finding in report.findings:
            if finding.severity is Severity.INFO:
                continue
            field = "body.subject" if finding.part is DraftPart.SUBJECT else "body.body"
            errors.append(
                FieldError(
                    field,
                    f"on the sample with {sample_name}, the draft breaks the etiquette "
                    f"({finding.code}): {finding.message} {finding.suggestion}",
                    f"etiquette_{finding.code}",
                )
            )
    return errors


# --- the draft for an action ------------------------------------------------------------


def _first_name(name: str | None) -> str | None:
    if not name:
        return None
    return name.split()[0]


def _date_text(
    moment: datetime | None, time_zone: str, language: str
) -> tuple[str | None, str | None]:
    if moment is None:
        return None, None
    day = domain.local_date(moment, time_zone)
    weekday = domain.render(f"weekday.{day.weekday()}", language)
    return domain.format_date(day, language), weekday


def build_context(inputs: draft_repo.DraftInputs, language: str) -> dict[str, Any]:
    """The plain data a template sees for one action."""
    candidate, application = inputs.candidate, inputs.application
    contact, interview = inputs.contact, inputs.interview
    time_zone = candidate.time_zone
    recipient = _person(None, email=False)
    if contact is not None:
        recipient = _person(
            contact.name,
            contact.title,
            rep=contact.role == "recruiting_firm_representative",
            email=bool(contact.email),
            profile_url=contact.profile_url,
            organization=contact.organization,
        )
    date_text, weekday = _date_text(interview.start_at if interview else None, time_zone, language)
    expected = interview.expected_reply_date if interview else None
    due_text, _ = _date_text(inputs.action.due_by, time_zone, language)
    return {
        "candidate": {"name": candidate.name, "first_name": _first_name(candidate.name)},
        "application": {
            "company": application.company,
            "role": application.role,
            "recruiting_firm": application.recruiting_firm,
        },
        "recipient": recipient,
        "interview": {
            "kind": interview.kind if interview else None,
            "kind_label": domain.render(f"kind.{interview.kind}", language) if interview else "",
            "date": date_text,
            "weekday": weekday,
            "next_step": interview.next_step if interview else None,
            "expected_reply_date": domain.format_date(expected, language) if expected else None,
        },
        "panel": [
            {
                "name": person.name,
                "title": person.title,
                "is_recruiting_firm_rep": person.role == "recruiting_firm_representative",
                "reachable": bool(person.email or person.phone),
            }
            for person in inputs.panel
        ],
        "action": {
            "type": inputs.action.type,
            "channel": inputs.action.channel,
            "due_date": due_text,
        },
    }


@dataclass(frozen=True)
class ActionDraft:
    """The message for one action, with the checker's report on it."""

    action: models.Action
    kind: MessageKind
    language: str
    subject: str | None
    body: str
    recipient: models.Contact | None
    report: Report
    template_source: TemplateSource
    template_error: str | None


def character_limit(kind: MessageKind) -> int | None:
    return NETWORK_NOTE_LIMIT if kind is MessageKind.CONNECTION_NOTE else None


@dataclass(frozen=True)
class DraftJob:
    """Everything rendering an action's draft needs, read from the database beforehand so
    the render itself (pure CPU) can run in a worker thread."""

    action: models.Action
    kind: MessageKind
    language: str
    context: dict[str, Any]
    template: TemplatePair
    recipient: models.Contact | None
    recipient_name: str | None


async def prepare_draft(
    session: AsyncSession, owner: Owner, action_id: str, language: str = DEFAULT_LANGUAGE
) -> DraftJob:
    """Read the action's records and the template in effect for its kind of message."""
    action = await action_service.get_action(session, owner, action_id)
    inputs = await draft_repo.draft_inputs(session, action)
    kind = kind_for_action(domain.ActionType(action.type), action.channel)
    return DraftJob(
        action=action,
        kind=kind,
        language=language,
        context=build_context(inputs, language),
        template=await effective_template(session, owner.tenant_id, kind, language),
        recipient=inputs.contact,
        recipient_name=inputs.contact.name if inputs.contact else None,
    )


def render_draft(job: DraftJob, budget: WorkBudget) -> ActionDraft:
    """Render the action's message (the tenant's template, else the built-in one) and check it.

    A tenant template that fails on this action's data is set aside for the built-in one,
    and the reason is returned, so the candidate still gets a draft. One that costs more
    than ``budget`` raises WorkTooLarge instead: its owner has to make it simpler.
    """
    template = job.template
    template_error = None
    try:
        subject, body = _render_pair(template, job.context, budget)
    except TemplateRejected as exc:
        if template.source == "built_in":
            raise
        template_error = f"the tenant's template failed on this action: {exc}"
        template = built_in_template(job.kind, job.language)
        subject, body = _render_pair(template, job.context, budget)
    report = check(
        CheckedDraft(kind=job.kind, body=body, subject=subject),
        Expectations(recipient_name=job.recipient_name),
        job.language,
        budget=budget,
    )
    return ActionDraft(
        action=job.action,
        kind=job.kind,
        language=job.language,
        subject=subject,
        body=body,
        recipient=job.recipient,
        report=report,
        template_source=template.source,
        template_error=template_error,
    )


def _render_pair(
    template: TemplatePair, context: Mapping[str, Any], budget: WorkBudget
) -> tuple[str | None, str]:
    owner = "the built-in" if template.source == "built_in" else "the tenant's"
    what = f"{owner} `{template.kind}` template"
    # The subject goes into an email header, where a line break would start a new header:
    # a name stored with one (before names were checked) or a template that writes one
    # gives a one-line subject all the same.
    subject = None
    if template.subject is not None:
        subject = plain_text.one_line(
            render(template.subject, context, budget, field="template.subject", what=what)
        )
    body = render(template.body, context, budget, field="template.body", what=what)
    return subject, plain_text.lines(body)


async def expectations_for(
    session: AsyncSession, owner: Owner, action_id: str
) -> tuple[models.Action, Expectations] | None:
    """The action's type, person and due time, or None when the owner has no such action."""
    try:
        action = await action_service.get_action(session, owner, action_id)
    except NotFound:
        return None
    contact = await draft_repo.action_contact(session, action)
    return action, Expectations(
        recipient_name=contact.name if contact else None, due_by=action.due_by
    )

"""A tenant's template is validated on save: it must parse, use only the documented
variables, stay within its bounds on the worst case, render on every sample, and keep
every sample within the etiquette."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinja2 import TemplateSyntaxError, nodes
from jinja2.exceptions import TemplateAssertionError
from jinja2.meta import find_undeclared_variables

from app.domain.draft_templates import LIST_VARIABLES, TEMPLATE_VARIABLES
from app.domain.messages import DraftPart, MessageKind, Severity
from app.errors import FieldError, InvalidInput
from app.services.drafting.checker import Expectations, MessageDraft, check
from app.services.drafting.rendering import (
    TemplateProblem,
    TemplateRejected,
    environment,
    parse_template,
    render_template,
    syntax_problem,
)
from app.services.drafting.samples import WORST_CASE, samples, worst_case_sample
from app.services.work import WorkBudget


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
        for problem in static_problems(source, language):
            statically_clean = False
            errors.append(FieldError(field, problem.describe(), problem.code))
    if statically_clean and not errors:
        # The worst case first: a template too costly there is refused before the
        # ordinary samples spend anything.
        _render_on(parts, language, worst_case_sample(), WORST_CASE, budget, errors)
    if statically_clean and not errors:
        errors.extend(_sample_problems(kind, language, parts, budget))
    if errors:
        unique = list(dict.fromkeys(errors))
        summary = "; ".join(f"{e.field}: {e.message}" for e in unique[:3])
        raise InvalidInput(f"The template was refused. {summary}", errors=unique)


# --- before rendering -------------------------------------------------------------------


def static_problems(source: str, language: str) -> list[TemplateProblem]:
    """What can be refused without rendering: syntax, unknown names, forbidden reaches."""
    try:
        tree = parse_template(source)
    except TemplateSyntaxError as exc:
        return [syntax_problem(exc)]
    except TemplateRejected as exc:
        return [exc.problem]
    problems = []
    try:
        declared = find_undeclared_variables(tree)
    except TemplateAssertionError as exc:
        # A filter or test this sandbox does not have (some of Jinja2's are left out).
        filters = ", ".join(f"`{name}`" for name in sorted(environment(language).filters))
        problems.append(_forbidden(f"{exc.message}; the filters are {filters}", exc.lineno))
        declared = set()
    for variable in sorted(declared - TEMPLATE_VARIABLES.keys()):
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
            problems.append(_outside(name, node.lineno))
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
            problems.append(_outside("self", name_node.lineno))
    for const in tree.find_all(nodes.Const):
        if isinstance(const.value, str) and "__" in const.value:
            problems.append(_outside(const.value, const.lineno))
    for call in tree.find_all((nodes.Call, nodes.CallBlock)):
        problems.append(
            _forbidden(
                "templates may not call functions, methods or macros; use filters such as "
                "`| upper` instead",
                call.lineno,
            )
        )
    for other in tree.find_all((nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)):
        problems.append(_forbidden("templates may not include other templates", other.lineno))
    return problems


def _forbidden(message: str, line: int | None) -> TemplateProblem:
    return TemplateProblem("template_forbidden", message, line)


def _outside(name: str, line: int | None) -> TemplateProblem:
    return _forbidden(f"reaches for `{name}`, which is outside the template's variables", line)


def _constant(node: nodes.Node) -> str | None:
    return node.value if isinstance(node, nodes.Const) and isinstance(node.value, str) else None


# --- on the samples ---------------------------------------------------------------------


def _render_on(
    parts: Mapping[str, str],
    language: str,
    context: Mapping[str, Any],
    where: str,
    budget: WorkBudget,
    errors: list[FieldError],
) -> dict[str, str]:
    """Each part, written in ``language``, rendered on ``context``; a part refused adds an
    error saying ``where``."""
    rendered: dict[str, str] = {}
    for field, source in parts.items():
        try:
            rendered[field] = render_template(
                source,
                context,
                budget,
                language=language,
                field=field,
                what=f"the template on {where}",
            )
        except TemplateRejected as exc:
            problem = exc.problem
            errors.append(FieldError(field, f"on {where}: {problem.describe()}", problem.code))
    return rendered


def _sample_problems(
    kind: MessageKind, language: str, parts: Mapping[str, str], budget: WorkBudget
) -> list[FieldError]:
    errors: list[FieldError] = []
    for sample_name, context in samples().items():
        rendered = _render_on(
            parts, language, context, f"the sample with {sample_name}", budget, errors
        )
        if len(rendered) != len(parts):
            continue
        report = check(
            MessageDraft(
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

"""Tenants' templates are bounded in work and memory: every hostile construction in the
corpus is refused by a bound or answered within the budget, judged on counted work and on
the budget's error, never on wall time."""

from __future__ import annotations

from typing import Any

import pytest

from app.domain.draft_templates import ALLOWED_FILTERS, MAX_TEMPLATE_OUTPUT, MAX_TEXT
from app.domain.messages import MessageKind
from app.errors import AppError, FieldError, InvalidInput
from app.schemas.resources import ContactCreate, InterviewCreate
from app.services.drafting.languages import available_languages
from app.services.drafting.rendering import TemplateRejected, environment, render_template
from app.services.drafting.samples import samples, worst_case_sample
from app.services.drafting.sandbox import MAX_CALL_DEPTH, PASS_UNITS, DraftEnvironment
from app.services.drafting.store import built_in_template
from app.services.drafting.validation import validate_template
from app.services.work import WorkBudget, WorkTooLarge
from app.settings import Settings
from tests.adversarial_templates import TEMPLATE_CORPUS

UNITS = Settings.model_fields["work_budget_units"].default


def _budget(units: int = UNITS) -> WorkBudget:
    # An hour: the units are what these tests hold the render to, not the clock.
    return WorkBudget(units=units, seconds=3600, field="body.body", what="the template")


def _render(source: str, context: dict[str, Any], budget: WorkBudget) -> str:
    return render_template(source, context, budget, language="en")


def _first_error(error: AppError) -> FieldError:
    assert error.errors, error
    return error.errors[0]


def _ordinary() -> dict[str, Any]:
    return samples()["a named interviewer with a next step"]


# How each corpus template ends on the longest values: stopped by a bound (`too_costly`),
# refused by the sandbox (the template problem's code), or rendered within the budget.
OUTCOMES = {
    "repeated multiplication": "too_costly",
    "repeated concatenation with +": "too_costly",
    "repeated concatenation with ~": "too_costly",
    "nested list of shared references": "too_costly",
    "nested list literals": "too_costly",
    "integer growth": "too_costly",
    "center": "too_costly",
    "format filter width": "too_costly",
    "format filter star width": "template_forbidden",
    "percent operator width": "too_costly",
    "indent": "too_costly",
    "indent with a text width": "too_costly",
    "wordwrap": "too_costly",
    "round to a billion digits": "too_costly",
    "truncate": "rendered",
    "join with a long separator": "too_costly",
    "join over a range": "template_unknown_variable",  # no `range` in the sandbox
    "replace": "too_costly",
    "replace with a count": "too_costly",
    "batch": "too_costly",
    "slice": "too_costly",
    "list": "too_costly",
    "sum of lists": "template_forbidden",  # `sum` adds numbers only
    "unique": "rendered",
    "sort": "too_costly",
    "dictsort": "rendered",
    "striptags": "template_syntax",  # filter removed: "No filter named"
    "pprint": "template_syntax",
    "tojson": "template_syntax",
    "str.format width": "template_forbidden",
    "nested loops 1000 x 1000": "too_costly",
    "nested loops with a filter that never passes": "too_costly",
    "recursive loop fanning out": "rendered",
    "recursive loop nested deep": "too_costly",
    "recursive macro": "too_costly",
    "caller recursion": "too_costly",
    "output flooding": "template_render_failed",  # stopped at the output limit
    "block set flooding": "too_costly",
    "filter block flooding": "too_costly",
    "substring search in a loop": "too_costly",
    "deeply nested parentheses": "template_too_deep",
    "a long chain of filters": "template_too_deep",
    "deeply nested loops": "template_too_deep",
    "cubic in the recipient's name": "too_costly",
    "panel times name squared": "too_costly",
}


def test_every_corpus_template_has_an_expected_outcome() -> None:
    assert [name for name, _ in TEMPLATE_CORPUS] == list(OUTCOMES)


@pytest.mark.parametrize(("name", "source"), TEMPLATE_CORPUS, ids=[n for n, _ in TEMPLATE_CORPUS])
def test_each_hostile_template_is_stopped_or_rendered_within_the_budget(
    name: str, source: str
) -> None:
    budget = _budget()
    outcome = OUTCOMES[name]
    if outcome == "rendered":
        _render(source, worst_case_sample(), budget)
        assert budget.spent <= budget.limit
    elif outcome == "too_costly":
        with pytest.raises(WorkTooLarge) as raised:
            _render(source, worst_case_sample(), budget)
        error = _first_error(raised.value)
        assert (error.field, error.code) == ("body.body", "too_costly")
        assert error.message.startswith("the template (line ")
    else:
        with pytest.raises(TemplateRejected) as rejected:
            _render(source, worst_case_sample(), budget)
        assert rejected.value.problem.code == outcome
        # Refused early: a sliver of the budget, not a render that ran to its end.
        assert budget.spent < budget.limit // 20


@pytest.mark.parametrize(("name", "source"), TEMPLATE_CORPUS, ids=[n for n, _ in TEMPLATE_CORPUS])
def test_each_hostile_template_is_refused_on_save(name: str, source: str) -> None:
    with pytest.raises((WorkTooLarge, InvalidInput)) as refused:
        validate_template(MessageKind.THANK_YOU, "en", "Thank you", source, _budget())
    assert _first_error(refused.value).field == "body.body"


# --- what is counted ---------------------------------------------------------------------


def test_a_loop_costs_its_passes() -> None:
    source = "{% for c in recipient.name %}{% endfor %}"
    short, long = _budget(), _budget()
    context = _ordinary()
    _render(source, context, short)
    context["recipient"] = {**context["recipient"], "name": "x" * 200}
    _render(source, context, long)
    assert long.spent - short.spent == (200 - len("Grace Hopper")) * PASS_UNITS


def test_literal_text_in_a_loop_costs_its_length_on_every_pass() -> None:
    bare, wordy = _budget(), _budget()
    _render('{% set s %}{% for c in "x" * 100 %}{% endfor %}{% endset %}', _ordinary(), bare)
    _render(
        '{% set s %}{% for c in "x" * 100 %}0123456789{% endfor %}{% endset %}', _ordinary(), wordy
    )
    # The block is never printed; its text is counted as it is built, ten characters a pass
    # (and the ten characters of the source itself).
    assert wordy.spent - bare.spent == 100 * 10 + 10


def test_printed_values_count_their_characters() -> None:
    a, b = _budget(), _budget()
    _render('{% set s = "y" * 100 %}{{ s }}', _ordinary(), a)
    _render('{% set s = "y" * 100 %}{{ s }}{{ s }}', _ordinary(), b)
    # Printed once more: measured when printed (100), streamed as output (100), and the
    # seven characters of `{{ s }}` read when compiling.
    assert b.spent - a.spent == 100 + 100 + len("{{ s }}")


def test_a_substring_search_costs_the_text_times_the_needle() -> None:
    one, two = _budget(), _budget()
    _render('{% if "abc" in "x" * 1000 %}{% endif %}', _ordinary(), one)
    _render(
        '{% if "abc" in "x" * 1000 %}{% endif %}{% if "abc" in "x" * 1000 %}{% endif %}',
        _ordinary(),
        two,
    )
    # One more search of three characters in a thousand (plus its `*` and its source).
    searched = two.spent - one.spent - 1000 - len('{% if "abc" in "x" * 1000 %}{% endif %}')
    assert searched == 1 + 1000 * 3


def test_a_value_may_be_as_long_as_the_bound_and_no_longer() -> None:
    assert _render(f'{{{{ ("a" * {MAX_TEXT}) | length }}}}', _ordinary(), _budget()) == str(
        MAX_TEXT
    )
    with pytest.raises(WorkTooLarge) as raised:
        _render(f'{{{{ ("a" * {MAX_TEXT + 1}) | length }}}}', _ordinary(), _budget())
    assert f"would build {MAX_TEXT + 1:,} characters" in _first_error(raised.value).message


def test_calls_nest_to_the_limit_and_no_deeper() -> None:
    macro = "{% macro m(n) %}{% if n %}{{ m(n - 1) }}{% endif %}.{% endmacro %}"
    assert _render(macro + f"{{{{ m({MAX_CALL_DEPTH - 1}) }}}}", _ordinary(), _budget()) == (
        "." * MAX_CALL_DEPTH
    )
    with pytest.raises(WorkTooLarge) as raised:
        _render(macro + f"{{{{ m({MAX_CALL_DEPTH}) }}}}", _ordinary(), _budget())
    assert f"calls nested more than {MAX_CALL_DEPTH} deep" in _first_error(raised.value).message


def test_output_is_cut_off_while_it_is_rendered() -> None:
    budget = _budget()
    flood = (
        '{% for a in "x" * 100 %}{% for b in "x" * 100 %}{{ "y" * 100 }}{% endfor %}{% endfor %}'
    )
    with pytest.raises(TemplateRejected) as rejected:
        _render(flood, _ordinary(), budget)
    assert "renders more than 10000 characters" in str(rejected.value)
    # A million characters were asked for; about the limit's worth was built.
    assert budget.spent < 5 * MAX_TEMPLATE_OUTPUT


def test_a_too_costly_subject_is_named_as_the_subject() -> None:
    costly = (
        "{% for a in recipient.name %}{% for b in recipient.name %}"
        "{% for c in recipient.name %}{% endfor %}{% endfor %}{% endfor %}Thanks"
    )
    with pytest.raises(WorkTooLarge) as raised:
        validate_template(
            MessageKind.THANK_YOU,
            "en",
            costly,
            built_in_template(MessageKind.THANK_YOU).body,
            _budget(),
        )
    assert _first_error(raised.value).field == "body.subject"


def test_the_budget_error_is_the_one_given_by_the_budget_itself() -> None:
    budget = _budget(units=1_000)
    with pytest.raises(WorkTooLarge) as raised:
        _render('{% for c in "x" * 100 %}{% endfor %}', _ordinary(), budget)
    assert budget.spent > budget.limit
    assert "past the budget of 1,000 units" in _first_error(raised.value).message


# --- the worst case on save --------------------------------------------------------------


def test_the_worst_case_holds_every_value_at_the_longest_the_api_accepts() -> None:
    context = worst_case_sample()
    name_max = ContactCreate.model_json_schema()["properties"]["name"]["anyOf"][0]["maxLength"]
    title_max = ContactCreate.model_json_schema()["properties"]["title"]["anyOf"][0]["maxLength"]
    panel_max = InterviewCreate.model_json_schema()["properties"]["panel"]["maxItems"]
    assert len(context["recipient"]["name"]) == len(context["candidate"]["name"]) == name_max
    assert len(context["recipient"]["first_name"]) == name_max
    assert len(context["recipient"]["title"]) == len(context["application"]["role"]) == title_max
    assert len(context["panel"]) == panel_max
    assert all(len(person["name"]) == name_max for person in context["panel"])
    assert None not in context["interview"].values()


def test_a_template_cheap_on_short_names_is_refused_for_its_cost_on_the_longest() -> None:
    source = dict(TEMPLATE_CORPUS)["cubic in the recipient's name"]
    ordinary = _budget()
    for context in samples().values():
        _render(source, context, ordinary)
    assert ordinary.spent < UNITS // 20  # cheap on every ordinary sample
    with pytest.raises(WorkTooLarge) as raised:
        validate_template(MessageKind.THANK_YOU, "en", "Thank you", source, _budget())
    error = _first_error(raised.value)
    assert (error.field, error.code) == ("body.body", "too_costly")
    assert "every value at its longest" in error.message


@pytest.mark.parametrize("kind", list(MessageKind))
def test_every_built_in_template_renders_on_the_worst_case_within_a_tenth_of_the_budget(
    kind: MessageKind,
) -> None:
    template = built_in_template(kind)
    budget = _budget()
    for source in (template.subject, template.body):
        if source is not None:
            _render(source, worst_case_sample(), budget)
    assert budget.spent < UNITS // 10


# --- what the sandbox offers ---------------------------------------------------------------


@pytest.mark.parametrize("language", available_languages())
def test_the_sandbox_has_no_globals_and_only_the_bounded_filters(language: str) -> None:
    env = environment(language)
    assert isinstance(env, DraftEnvironment)
    assert env.globals == {}
    assert set(env.filters) == ALLOWED_FILTERS | {"clause"}


@pytest.mark.parametrize(
    "filter_name", ["attr", "pprint", "tojson", "striptags", "urlize", "xmlattr", "random", "safe"]
)
def test_a_removed_filter_is_refused_on_save_naming_the_filters_there_are(filter_name: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        validate_template(
            MessageKind.THANK_YOU,
            "en",
            "Thanks",
            f"{{{{ candidate.name | {filter_name} }}}}",
            _budget(),
        )
    error = _first_error(refused.value)
    assert (error.field, error.code) == ("body.body", "template_forbidden")
    assert f"No filter named '{filter_name}'" in error.message and "`wordwrap`" in error.message

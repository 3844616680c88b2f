"""The contexts a tenant's template is tried on before it is saved: three ordinary
samples it must render well on, and the worst case its cost is measured on."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, get_args

from annotated_types import MaxLen
from pydantic import StringConstraints

from app.schemas import common as common_schemas
from app.schemas.resources import InterviewCreate
from app.services.drafting.context import panel_member, person

WORST_CASE = "every value at its longest and the largest panel"


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
        "panel": [
            panel_member(
                member["name"],
                member["title"],
                rep=member["is_recruiting_firm_rep"],
                reachable=member["has_email"],
            )
            for member in panel
        ],
        "action": {
            "type": "send_thank_you",
            "channel": "email",
            "due_date": "Wednesday, December 2, 2026",
        },
    }


def samples() -> dict[str, dict[str, Any]]:
    """Contexts a tenant's template must render well on: full, sparse, recruiting firm."""
    grace = person("Grace Hopper", "VP Engineering", profile_url="https://example.com/in/grace")
    alan = person("Alan Turing", "Staff Engineer", email=False)
    rep = person("Sam Okafor", "Senior Recruiter", rep=True, organization="Hooli Talent")
    return {
        "a named interviewer with a next step": _sample(
            grace, [grace, alan], next_step="a second interview with the CTO next week"
        ),
        "nothing known beyond the essentials": _sample(
            person(None, email=False), [], interview=False
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


def worst_case_sample() -> dict[str, Any]:
    """Every value at its longest and present, and the largest panel: the input a
    template's cost grows with. A template is rendered on it for its cost and its size,
    not held to the etiquette (no real draft has all of this at once)."""
    name = _longest("Wolfeschlegelsteinhausen", NAME_MAX)  # one word: first name too
    title = _longest("Senior Principal Staff Engineer, ", SHORT_TEXT_MAX)
    url = "https://example.com/in/" + _longest("x", URL_MAX - 23)
    recipient = person(name, title, rep=True, profile_url=url, organization=title)
    panel = [recipient] * PANEL_MAX
    next_step = _longest("A second interview with the whole team. ", LONG_TEXT_MAX)
    context = _sample(recipient, panel, next_step=next_step, firm=title)
    context["candidate"] = {"name": name, "first_name": name}
    context["application"].update(company=title, role=title)
    return context

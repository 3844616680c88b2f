"""What a template sees: plain data (dicts, lists and strings) built from the records,
never ORM objects. :data:`~app.domain.draft_templates.TEMPLATE_VARIABLES` documents it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app import domain
from app.domain import ContactRole
from app.repositories.drafts import DraftInputs
from app.services.drafting.names import family_name


def first_name(name: str | None) -> str | None:
    if not name:
        return None
    return name.split()[0]


def person(
    name: str | None,
    title: str | None = None,
    *,
    rep: bool = False,
    email: bool = True,
    profile_url: str | None = None,
    organization: str | None = None,
) -> dict[str, Any]:
    """The `recipient` variable."""
    return {
        "name": name,
        "first_name": first_name(name),
        "family_name": family_name(name),
        "title": title,
        "organization": organization,
        "is_recruiting_firm_rep": rep,
        "has_email": email,
        "profile_url": profile_url,
    }


def panel_member(
    name: str | None, title: str | None, *, rep: bool, reachable: bool
) -> dict[str, Any]:
    """One person of the `panel` variable."""
    return {
        "name": name,
        "family_name": family_name(name),
        "title": title,
        "is_recruiting_firm_rep": rep,
        "reachable": reachable,
    }


def _date_text(
    moment: datetime | None, time_zone: str, language: str
) -> tuple[str | None, str | None]:
    if moment is None:
        return None, None
    day = domain.local_date(moment, time_zone)
    weekday = domain.render_text(f"weekday.{day.weekday()}", language)
    return domain.format_date(day, language), weekday


def template_context(inputs: DraftInputs, language: str) -> dict[str, Any]:
    """The plain data a template sees for one action."""
    candidate, application = inputs.candidate, inputs.application
    contact, interview = inputs.contact, inputs.interview
    time_zone = candidate.time_zone
    recipient = person(None, email=False)
    if contact is not None:
        recipient = person(
            contact.name,
            contact.title,
            rep=contact.role == ContactRole.RECRUITING_FIRM_REPRESENTATIVE,
            email=bool(contact.email),
            profile_url=contact.profile_url,
            organization=contact.organization,
        )
    date_text, weekday = _date_text(interview.start_at if interview else None, time_zone, language)
    expected = interview.expected_reply_date if interview else None
    due_text, _ = _date_text(inputs.action.due_by, time_zone, language)
    return {
        "candidate": {"name": candidate.name, "first_name": first_name(candidate.name)},
        "application": {
            "company": application.company,
            "role": application.role,
            "recruiting_firm": application.recruiting_firm,
        },
        "recipient": recipient,
        "interview": {
            "kind": interview.kind if interview else None,
            "kind_label": (
                domain.render_text(f"kind.{interview.kind}", language) if interview else ""
            ),
            "date": date_text,
            "weekday": weekday,
            "next_step": interview.next_step if interview else None,
            "expected_reply_date": domain.format_date(expected, language) if expected else None,
        },
        "panel": [
            panel_member(
                member.name,
                member.title,
                rep=member.role == ContactRole.RECRUITING_FIRM_REPRESENTATIVE,
                reachable=bool(member.email or member.phone),
            )
            for member in inputs.panel
        ],
        "action": {
            "type": inputs.action.type,
            "channel": inputs.action.channel,
            "due_date": due_text,
        },
    }

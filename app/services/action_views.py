"""An action as the API shows it: `ActionRead`'s fields as plain data.

One home for the shape, so the feed, a single action, and the action inside an event
(the event log and webhook deliveries) can never drift apart.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from app import domain
from app.db import models

_MARK_KINDS = {kind.value: kind for kind in domain.MarkKind}


def action_status(action: models.Action, as_of: datetime) -> domain.ActionStatus:
    return domain.status_of(
        available_from=action.available_from,
        due_by=action.due_by,
        satisfied=action.satisfied,
        mark_kind=domain.MarkKind(action.mark) if action.mark else None,
        snoozed_until=action.snoozed_until,
        obsolete=action.obsolete_at is not None,
        as_of=as_of,
    )


def action_etag(action: Any, status: str, language: str | None = None) -> str:
    """An action's ETag: its stored version and the status it is shown with, which the
    clock can change while the version stays, and, when the request asked for
    ``language`` and it is not the stored one, that language's catalogue fingerprint:
    those texts are written at read time, so a release that edits the catalogue changes
    them while the version stays."""
    shown = shown_language(action, language)
    if shown == action.language:
        return f'"{action.version}-{status}"'
    return f'"{action.version}-{status}-{shown}-{domain.catalogue_fingerprint(shown)}"'


def shown_language(action: Any, language: str | None) -> str:
    """The language an action's texts are shown in when ``language`` is asked for (None:
    the stored one, the candidate's). An action stored before languages has no wording,
    and is shown as stored."""
    if language is None or action.wording is None:
        return str(action.language)
    return language


def action_json(action: Any, as_of: datetime, language: str | None = None) -> dict[str, Any]:
    """The `ActionRead` shape as plain data, with the status evaluated at ``as_of``."""
    fields = action_fields(action, language)
    fields["status"] = action_status(action, as_of).value
    fields["as_of"] = as_of
    return fields


def action_fields(action: Any, language: str | None = None) -> dict[str, Any]:
    """Everything `ActionRead` shows about an action except its status at a moment, its
    texts in ``language`` (None: as stored, in the candidate's language)."""
    shown = shown_language(action, language)
    if shown == action.language:
        title, explanation, guidance = action.title, action.explanation, action.guidance
    else:
        wording = domain.Wording.from_json(json.loads(action.wording))
        title, explanation, guidance = wording.render(shown)
    mark = None
    if action.mark in _MARK_KINDS:
        mark = {
            "kind": action.mark,
            "at": action.marked_at or action.updated_at,
            "snoozed_until": action.snoozed_until,
            "reason": action.dismiss_reason,
        }
    return {
        "id": action.id,
        "key": action.key,
        "application_id": action.application_id,
        "candidate_id": action.candidate_id,
        "rule": action.rule,
        "type": action.type,
        "subject": {"interview_id": action.interview_id, "contact_id": action.contact_id},
        "available_from": action.available_from,
        "due_by": action.due_by,
        "channel": action.channel,
        "blocked_reason": action.blocked_reason,
        "language": shown,
        "title": title,
        "explanation": explanation,
        "guidance": guidance,
        "mark": mark,
        "obsolete_at": action.obsolete_at,
        "created_at": action.created_at,
        "updated_at": action.updated_at,
    }

"""An action as the API shows it: `ActionRead`'s fields as plain data.

One home for the shape, so the feed, a single action, and the action inside an event
(the event log and webhook deliveries) can never drift apart.
"""

from __future__ import annotations

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


def action_etag(version: int, status: str) -> str:
    """An action's ETag: its stored version and the status it is shown with, which the
    clock can change while the version stays."""
    return f'"{version}-{status}"'


def action_json(action: Any, as_of: datetime) -> dict[str, Any]:
    """The `ActionRead` shape as plain data, with the status evaluated at ``as_of``."""
    fields = action_fields(action)
    fields["status"] = action_status(action, as_of).value
    fields["as_of"] = as_of
    return fields


def action_fields(action: Any) -> dict[str, Any]:
    """Everything `ActionRead` shows about an action except its status at a moment."""
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
        "title": action.title,
        "explanation": action.explanation,
        "guidance": action.guidance,
        "mark": mark,
        "obsolete_at": action.obsolete_at,
        "created_at": action.created_at,
        "updated_at": action.updated_at,
    }

"""Rewrite the action inside stored action events in the `ActionRead` shape

Revision ID: 8d4e6a1c2b7f
Revises: 8d41c7e2a9b3
Create Date: 2026-11-29 17:00:00.000000

Events used to carry a flat subset of the action (`interview_id`/`contact_id` at the top,
`mark` as a bare kind); they now carry `ActionRead` whole, with its status at the event.
Rewriting the stored ones keeps one shape in the event log and in redelivered webhooks,
so no reader needs a second parser. What the old snapshot lacks comes from the action's
row (explanation, guidance, timestamps); an action deleted since then gets empty texts
and the event's time. Erased events (`{"erased": true}`) are left alone.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic import op
from pydantic_core import to_jsonable_python

import app.db.base
from app import domain

revision: str = '8d4e6a1c2b7f'
down_revision: str | None = '8d41c7e2a9b3'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = app.db.base.UTCDateTime(timezone=True)
events = sa.table(
    "events",
    sa.column("id", sa.String),
    sa.column("type", sa.String),
    sa.column("occurred_at", UTC_DATETIME),
    sa.column("data", sa.JSON),
)
actions = sa.table(
    "actions",
    sa.column("id", sa.String),
    sa.column("explanation", sa.Text),
    sa.column("guidance", sa.Text),
    sa.column("satisfied", sa.Boolean),
    sa.column("marked_at", UTC_DATETIME),
    sa.column("snoozed_until", UTC_DATETIME),
    sa.column("dismiss_reason", sa.Text),
    sa.column("obsolete_at", UTC_DATETIME),
    sa.column("created_at", UTC_DATETIME),
    sa.column("updated_at", UTC_DATETIME),
)

def _action_events(connection: sa.Connection) -> Any:
    query = (
        sa.select(events.c.id, events.c.type, events.c.occurred_at, events.c.data)
        .where(events.c.type.like("action.%"))
    )
    return connection.execute(query).all()  # read all first: updates follow


def _new_shape(old: dict[str, Any], event_type: str, at: datetime, row: Any) -> dict[str, Any]:
    available_from = datetime.fromisoformat(old["available_from"])
    due_by = datetime.fromisoformat(old["due_by"])
    mark_kind = domain.MarkKind(old["mark"]) if old.get("mark") else None
    obsolete_at = row.obsolete_at if row is not None and row.obsolete_at is not None else None
    if event_type == "action.obsolete" and obsolete_at is None:
        obsolete_at = at
    snoozed_until = row.snoozed_until if row is not None else None
    status = domain.status_of(
        available_from=available_from,
        due_by=due_by,
        satisfied=bool(row.satisfied) if row is not None else False,
        mark_kind=mark_kind,
        snoozed_until=snoozed_until,
        obsolete=obsolete_at is not None and obsolete_at <= at,
        as_of=at,
    )
    mark = None
    if mark_kind is not None:
        mark = {
            "kind": mark_kind.value,
            "at": (row.marked_at if row is not None else None) or at,
            "snoozed_until": snoozed_until if mark_kind is domain.MarkKind.SNOOZED else None,
            "reason": row.dismiss_reason
            if row is not None and mark_kind is domain.MarkKind.DISMISSED
            else None,
        }
    action = {
        "id": old["id"],
        "key": old["key"],
        "application_id": old["application_id"],
        "candidate_id": old["candidate_id"],
        "rule": old["rule"],
        "type": old["type"],
        "subject": {"interview_id": old["interview_id"], "contact_id": old["contact_id"]},
        "available_from": available_from,
        "due_by": due_by,
        "status": status.value,
        "as_of": at,
        "channel": old["channel"],
        "blocked_reason": old["blocked_reason"],
        "title": old["title"],
        "explanation": row.explanation if row is not None else "",
        "guidance": row.guidance if row is not None else "",
        "mark": mark,
        "obsolete_at": obsolete_at,
        "created_at": row.created_at if row is not None else at,
        "updated_at": row.updated_at if row is not None else at,
    }
    return {"action": to_jsonable_python(action)}


def upgrade() -> None:
    connection = op.get_bind()
    rewritten: list[tuple[str, dict[str, Any]]] = []
    for event in _action_events(connection):
        old = (event.data or {}).get("action")
        if not isinstance(old, dict) or "subject" in old:
            continue  # erased, or already in the new shape
        row = connection.execute(sa.select(actions).where(actions.c.id == old["id"])).first()
        rewritten.append((event.id, _new_shape(old, event.type, event.occurred_at, row)))
    for event_id, data in rewritten:
        connection.execute(events.update().where(events.c.id == event_id).values(data=data))


def downgrade() -> None:
    connection = op.get_bind()
    flattened: list[tuple[str, dict[str, Any]]] = []
    for event in _action_events(connection):
        new = (event.data or {}).get("action")
        if not isinstance(new, dict) or "subject" not in new:
            continue
        mark = new.get("mark")
        flattened.append(
            (
                event.id,
                {
                    "action": {
                        **{
                            name: new[name]
                            for name in (
                                "id", "key", "rule", "type", "application_id", "candidate_id",
                                "available_from", "due_by", "channel", "blocked_reason", "title",
                            )
                        },
                        "interview_id": new["subject"]["interview_id"],
                        "contact_id": new["subject"]["contact_id"],
                        "mark": mark["kind"] if mark else None,
                    }
                },
            )
        )
    for event_id, data in flattened:
        connection.execute(events.update().where(events.c.id == event_id).values(data=data))

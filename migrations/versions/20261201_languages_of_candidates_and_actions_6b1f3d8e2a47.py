"""Languages of candidates and actions

Revision ID: 6b1f3d8e2a47
Revises: 4c7a2e9d1f38
Create Date: 2026-12-01 10:00:00.000000

A candidate has a language (a BCP 47 tag, `en` for every candidate stored so far). An
action records the language its stored texts are written in (all English so far) and
what those texts say in no language (`wording`), from which any other language is
written at read time. Rows stored so far have no wording: they are shown with their
stored English texts until their application is next re-planned, which fills it in.

Stored action events show the action as `ActionRead` does, which now says the language
of its texts: `en` for every event stored so far.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = '6b1f3d8e2a47'
down_revision: str | None = '4c7a2e9d1f38'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

events = sa.table(
    "events", sa.column("id", sa.String), sa.column("type", sa.String), sa.column("data", sa.JSON)
)


def _set_event_languages(language: str | None) -> None:
    """Every stored action event's action with ``language`` (None: without one)."""
    connection = op.get_bind()
    query = sa.select(events.c.id, events.c.data).where(events.c.type.like("action.%"))
    rewritten: list[tuple[str, dict[str, Any]]] = []
    for event in connection.execute(query).all():  # read all first: updates follow
        action = (event.data or {}).get("action")
        if not isinstance(action, dict):
            continue  # erased
        if language is None:
            action.pop("language", None)
        else:
            action.setdefault("language", language)
        rewritten.append((event.id, {**event.data, "action": action}))
    for event_id, data in rewritten:
        connection.execute(events.update().where(events.c.id == event_id).values(data=data))


def upgrade() -> None:
    with op.batch_alter_table('candidates', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('language', sa.String(length=35), server_default='en', nullable=False)
        )
    with op.batch_alter_table('actions', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('language', sa.String(length=35), server_default='en', nullable=False)
        )
        batch_op.add_column(sa.Column('wording', sa.Text(), nullable=True))
    _set_event_languages("en")


def downgrade() -> None:
    _set_event_languages(None)
    with op.batch_alter_table('actions', schema=None) as batch_op:
        batch_op.drop_column('wording')
        batch_op.drop_column('language')
    with op.batch_alter_table('candidates', schema=None) as batch_op:
        batch_op.drop_column('language')

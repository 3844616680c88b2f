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

import sqlalchemy as sa
from alembic import op

revision: str = '6b1f3d8e2a47'
down_revision: str | None = '4c7a2e9d1f38'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Each stored action event's action gains (or loses) `"language": "en"`, in one statement
# the database runs: nothing is read into this process, however long the log.
_EVENT_LANGUAGE = {
    "postgresql": (
        "UPDATE events SET data = jsonb_set(data::jsonb, '{action,language}', '\"en\"')::json "
        "WHERE type LIKE 'action.%' AND json_typeof(data->'action') = 'object' "
        "AND data->'action'->'language' IS NULL",
        "UPDATE events SET data = (data::jsonb #- '{action,language}')::json "
        "WHERE type LIKE 'action.%' AND json_typeof(data->'action') = 'object' "
        "AND data->'action'->'language' IS NOT NULL",
    ),
    "sqlite": (
        "UPDATE events SET data = json_insert(data, '$.action.language', 'en') "
        "WHERE type LIKE 'action.%' AND json_type(data, '$.action') = 'object'",
        "UPDATE events SET data = json_remove(data, '$.action.language') "
        "WHERE type LIKE 'action.%' AND json_type(data, '$.action') = 'object'",
    ),
}


def _set_event_languages(upgrade: bool) -> None:
    """Every stored action event's action with ``"language": "en"`` (upgrade) or without
    (downgrade); erased events (no action) are left alone."""
    connection = op.get_bind()
    adding, removing = _EVENT_LANGUAGE[connection.dialect.name]
    connection.execute(sa.text(adding if upgrade else removing))


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
    _set_event_languages(upgrade=True)


def downgrade() -> None:
    _set_event_languages(upgrade=False)
    with op.batch_alter_table('actions', schema=None) as batch_op:
        batch_op.drop_column('wording')
        batch_op.drop_column('language')
    with op.batch_alter_table('candidates', schema=None) as batch_op:
        batch_op.drop_column('language')
